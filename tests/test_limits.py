"""The limits on what a model may hold: each is met with an error at FILE:LINE that names
the limit and the environment variable that raises it, read when the model is loaded."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import write_tree
from treeform import limits
from treeform.cli import cli

CLUSTER = """\
cloud: aws
engine: eks
region: us-east-1
kubernetesVersion: "1.33"
"""


def _validate(root: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["validate", str(root)], catch_exceptions=False)
    assert "Traceback" not in result.output
    return result.exit_code, result.stderr


def test_every_limit_has_its_variable_and_a_default() -> None:
    assert {lim.env for lim in limits.ALL} == {
        "TREEFORM_MAX_FILE_BYTES",
        "TREEFORM_MAX_YAML_NODES",
        "TREEFORM_MAX_DEPTH",
        "TREEFORM_MAX_CLUSTERS",
    }
    docs = (Path(__file__).parent.parent / "docs" / "limits.md").read_text(encoding="utf-8")
    for lim in limits.ALL:
        assert lim.env in docs
        assert f"{lim.default:_}".replace("_", ",") in docs or str(lim.default) in docs


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    # A 2 MB scalar: over the default limit of 1 MiB, refused without building it.
    huge = CLUSTER + "tags: {note: " + "x" * 2_000_000 + "}\n"
    root = write_tree(tmp_path / "m", {"c.yaml": huge})
    started = time.monotonic()
    code, err = _validate(root)
    assert time.monotonic() - started < 5
    assert code == 1
    assert err.startswith(f"{root}/c.yaml:1:1: the file is {len(huge.encode())} bytes, ")
    assert "over the limit of 1048576" in err
    assert "TREEFORM_MAX_FILE_BYTES" in err


def test_the_size_limit_is_raised_and_lowered_by_its_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree(tmp_path / "m", {"c.yaml": CLUSTER})
    size = len(CLUSTER.encode())
    monkeypatch.setenv("TREEFORM_MAX_FILE_BYTES", str(size - 1))
    code, err = _validate(root)
    assert code == 1
    assert f"over the limit of {size - 1}; to raise it, set the environment variable " in err
    assert f"TREEFORM_MAX_FILE_BYTES (e.g. TREEFORM_MAX_FILE_BYTES={(size - 1) * 4})" in err
    monkeypatch.setenv("TREEFORM_MAX_FILE_BYTES", str(size))
    assert _validate(root)[0] == 0


def test_the_alias_expansion_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Nine levels of nine aliases: 9**9 values, refused at the limit, not expanded.
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]")
    bomb = CLUSTER + "\n".join(lines) + "\n"
    root = write_tree(tmp_path / "m", {"c.yaml": bomb})
    started = time.monotonic()
    code, err = _validate(root)
    assert time.monotonic() - started < 5
    assert code == 1
    assert "the file expands to more than 50000 values" in err
    assert "TREEFORM_MAX_YAML_NODES" in err

    # A plain file with 30 values: refused at 20, accepted at 30.
    small = write_tree(tmp_path / "s", {"c.yaml": CLUSTER + "addons: [" + "a, " * 19 + "b]\n"})
    monkeypatch.setenv("TREEFORM_MAX_YAML_NODES", "20")
    code, err = _validate(small)
    assert code == 1
    assert "the file expands to more than 20 values" in err
    assert "TREEFORM_MAX_YAML_NODES (e.g. TREEFORM_MAX_YAML_NODES=80)" in err
    monkeypatch.setenv("TREEFORM_MAX_YAML_NODES", "1000")
    code, err = _validate(small)
    assert "values" not in err  # the file loads; the model has other problems (addons)


def test_the_nesting_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deep = CLUSTER + "tags:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 70)) + "\n"
    root = write_tree(tmp_path / "m", {"c.yaml": deep})
    code, err = _validate(root)
    assert code == 1
    # Line 5 is `tags:`; line 5+i holds k<i>, whose value (a mapping at depth i+1) starts
    # at the next line, indented 2(i+1): depth 65 is the mapping that starts at k65.
    assert err.startswith(f"{root}/c.yaml:70:131: ")
    assert "nesting is deeper than 64 levels" in err
    assert "TREEFORM_MAX_DEPTH" in err

    shallow = write_tree(tmp_path / "s", {"c.yaml": CLUSTER + "tags: {a: {b: c}}\n"})
    monkeypatch.setenv("TREEFORM_MAX_DEPTH", "2")
    code, err = _validate(shallow)
    assert code == 1
    assert "c.yaml:5:15: nesting is deeper than 2 levels" in err
    assert "TREEFORM_MAX_DEPTH (e.g. TREEFORM_MAX_DEPTH=8)" in err
    monkeypatch.setenv("TREEFORM_MAX_DEPTH", "3")
    assert "nesting is deeper" not in _validate(shallow)[1]


def test_the_cluster_count_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {f"c{i}.yaml": CLUSTER for i in range(4)}
    root = write_tree(tmp_path / "m", files)
    monkeypatch.setenv("TREEFORM_MAX_CLUSTERS", "3")
    code, err = _validate(root)
    assert code == 1
    assert err.splitlines()[0] == (
        f"{root}/c3.yaml:1:1: the tree holds more than 3 clusters; to raise it, set the "
        "environment variable TREEFORM_MAX_CLUSTERS (e.g. TREEFORM_MAX_CLUSTERS=12)"
    )
    monkeypatch.setenv("TREEFORM_MAX_CLUSTERS", "4")
    assert _validate(root)[0] == 0


@pytest.mark.parametrize("value", ["0", "-5", "lots", "1e3"])
def test_a_bad_limit_value_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    root = write_tree(tmp_path / "m", {"c.yaml": CLUSTER})
    monkeypatch.setenv("TREEFORM_MAX_DEPTH", value)
    code, err = _validate(root)
    assert code == 2
    assert err == f"TREEFORM_MAX_DEPTH={value!r}: the limit must be a positive whole number\n"
