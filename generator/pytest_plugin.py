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

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

#: The ids of the dicts `treeform_render` returned in the running test (kept alive by the
#: fixture until the test ends), whose failed comparisons the plugin explains file by file.
#: Plain dicts, not a subclass: a snapshot of one is the snapshot of a dict.
_RENDERED: set[int] = set()


def _amber_files(text: str) -> dict[str, str] | None:
    """The `{path: text}` of syrupy's amber serialization of a dict of strings, or None when
    `text` is not one."""
    lines = text.split("\n")
    if not lines or lines[0] != "dict({":
        return None
    files: dict[str, str] = {}
    key: str | None = None
    body: list[str] = []
    for line in lines[1:]:
        if key is not None:
            if line == "  ''',":
                kept = body[:-1] if body and body[-1] == "" else body
                files[key] = "".join(f"{b[4:]}\n" for b in kept)
                key, body = None, []
            else:
                body.append(line)
            continue
        if (m := re.fullmatch(r"  '(.*)': '''", line)) is not None:
            key = m[1]
        elif (m := re.fullmatch(r"  '(.*)': '(.*)',", line)) is not None:
            files[m[1]] = m[2]
        elif line not in ("})", ""):
            return None
    return files if key is None else None


def _snapshot_files(snapshot: Any) -> tuple[dict[str, str], dict[str, str]] | None:
    """(recalled, asserted) files of syrupy's last failed assertion on `snapshot`."""
    results = getattr(snapshot, "_execution_results", None)
    count = getattr(snapshot, "num_executions", None)
    if not isinstance(results, dict) or not isinstance(count, int) or count - 1 not in results:
        return None
    result = results[count - 1]
    recalled, asserted = (getattr(result, a, None) for a in ("recalled_data", "asserted_data"))
    if not isinstance(asserted, str):
        return None
    old = _amber_files(recalled) if isinstance(recalled, str) else {}
    new = _amber_files(asserted)
    return None if old is None or new is None else (old, new)


def explain_files(old: Mapping[str, str], new: Mapping[str, str], what: str) -> list[str]:
    """Every file that differs between `old` (expected) and `new` (rendered), named, each
    with its unified diff."""
    changed = sorted(p for p in set(old) | set(new) if old.get(p) != new.get(p))
    out = [f"treeform: {len(changed)} file{'s' if len(changed) != 1 else ''} differ from {what}:"]
    for path in changed:
        status = "added" if path not in old else "removed" if path not in new else "changed"
        out.append(f"  {status}: {path}")
    for path in changed:
        out.append("")
        diff = difflib.unified_diff(
            old.get(path, "").splitlines(),
            new.get(path, "").splitlines(),
            fromfile=f"{what}/{path}" if path in old else "/dev/null",
            tofile=f"rendered/{path}" if path in new else "/dev/null",
            lineterm="",
        )
        out.extend(diff)
    return out


def _explain(op: str, left: Any, right: Any) -> list[str] | None:
    if op != "==" or not isinstance(left, dict) or id(left) not in _RENDERED:
        return None
    if isinstance(right, Mapping):
        return ["treeform_render(...) == expected", *explain_files(right, left, "expected")]
    files = _snapshot_files(right)
    if files is None:
        return None  # syrupy explains it
    old, new = files
    return [
        "treeform_render(...) == snapshot",
        *explain_files(old, new, "snapshot"),
        "",
        "If the change is intended, update the snapshot: pytest --snapshot-update",
    ]


#: The explanations of the running test's failed comparisons, shown whole in its report.
_PENDING: list[list[str]] = []


@pytest.hookimpl(wrapper=True)
def pytest_assertrepr_compare(op: str, left: Any, right: Any) -> Any:
    """Explain `treeform_render(...) == expected` (a dict or a syrupy snapshot) by naming
    every file that differs, each with its diff. A wrapper, so that the explanation comes
    before syrupy's (pytest shows the first). pytest cuts explanations to a few lines unless
    -vv, so the whole of it also goes into the test's report, as a section of its own."""
    others = yield
    ours = _explain(op, left, right)
    if ours is None:
        return others
    _PENDING.append(ours)
    return [ours, *others]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if call.when == "call" and _PENDING:
        if report.failed:
            text = "\n\n".join("\n".join(lines[1:]) for lines in _PENDING)
            report.sections.append(("treeform: what changed", text))
        _PENDING.clear()
    return report


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
        rendered = {p: t for p, t in files.items() if not p.endswith("/" + MODEL_RECORD)}
        returned.append(rendered)
        _RENDERED.add(id(rendered))
        return rendered

    returned: list[dict[str, str]] = []
    request.addfinalizer(lambda: _RENDERED.difference_update(id(r) for r in returned))
    return render
