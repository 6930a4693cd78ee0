"""A pytest plugin (entry point `pytest11`): snapshot-test what a model tree generates.

    def test_clusters(treeform_render, snapshot):
        assert treeform_render("clusters") == snapshot

`treeform_render(MODEL)` returns `{path: text}` of every file `treeform generate` writes
(Terraform, kOps, eksctl, atlantis.yaml), for syrupy's `snapshot` or any other assertion.
Relative paths start at pytest's rootdir. An invalid model fails the test with treeform's
own error list, not a traceback. treeform's bookkeeping (the model records) is left out:
the snapshot pins what reviewers and tools read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest


@pytest.fixture
def treeform_render(request: pytest.FixtureRequest) -> Callable[..., dict[str, str]]:
    """`treeform_render(model, only=())`: {path: text} of what generate writes for it."""

    def render(model: str | Path, only: Sequence[str] = ()) -> dict[str, str]:
        from treeform.errors import ModelError, TreeformError
        from treeform.pipeline import MODEL_RECORD, load_clusters, render_output
        from treeform.settings import load_settings

        root = Path(model)
        if not root.is_absolute():
            root = request.config.rootpath / root
        try:
            files = render_output(
                load_clusters(root, str(model)), load_settings(root, str(model)), only=only
            )
        except ModelError as exc:
            pytest.fail(f"treeform: {model} is not a valid model:\n{exc}", pytrace=False)
        except TreeformError as exc:
            pytest.fail(f"treeform: {exc}", pytrace=False)
        return {p: t for p, t in files.items() if not p.endswith("/" + MODEL_RECORD)}

    return render
