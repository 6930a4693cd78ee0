"""The names of treeform's own files, in one place: the model tree's settings file, and
those of an output directory.

Beside the rendered files, an output directory holds the manifest (what treeform wrote, see
`manifest`), while a generate runs its lock (`lock`) and journal (`journal`), and beside each
cluster's files the effective model they were rendered from. A changed file is staged beside
its target under a temporary name (`tmp_name`) until the commit swaps it in.
`directories_of` gives the directories on the way to paths in it.
"""

from __future__ import annotations

from collections.abc import Iterable

#: The model tree's settings (see `settings`), at its root.
SETTINGS_FILE = ".treeform.yaml"
MANIFEST = ".treeform-manifest.json"
JOURNAL = ".treeform-journal"
LOCK = ".treeform.lock"
#: Beside each cluster's output: the effective model it was rendered from, so that `diff`
#: can say which fields changed (see docs/review.md).
MODEL_RECORD = ".treeform-model.json"
#: The directory of a cluster's Terraform root module, where extra Terraform files go.
TERRAFORM_DIR = "terraform"


def tmp_name(rel: str) -> str:
    """Where a changed file (or the manifest) is staged beside its target."""
    directory, slash, name = rel.rpartition("/")
    return f"{directory}{slash}.{name}.treeform-tmp"


def directories_of(paths: Iterable[str]) -> set[str]:
    """Every directory above the given paths (`a/b/c.tf` -> `a`, `a/b`)."""
    dirs: set[str] = set()
    for path in paths:
        parts = path.split("/")
        dirs.update("/".join(parts[:i]) for i in range(1, len(parts)))
    return dirs
