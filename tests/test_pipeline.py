"""generate's path: reuse of unchanged clusters, and parallel rendering, both giving the
same bytes as a plain render."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from helpers import ROOT, render_tree
from hypothesis import example, given
from hypothesis import strategies as st
from treeform.errors import OutputError
from treeform.jsonout import indented_json
from treeform.layout import MANIFEST
from treeform.pipeline import generate_files
from treeform.runner import render_for_output, write_generated

sys.path.insert(0, str(ROOT / "bench"))
from synth import write_tree as write_synthetic


def generate(model: Path, out: Path, jobs: int | None = None) -> int:
    """Generate like the CLI does; returns how many clusters were reused."""
    return write_generated(model, out, jobs=jobs).reused


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("model")
    write_synthetic(24, root)
    return root


def test_parallel_rendering_gives_the_same_bytes(model: Path) -> None:
    serial = render_for_output(model, model / "nowhere", jobs=1)
    parallel = render_for_output(model, model / "nowhere", jobs=2)
    assert parallel.plan.files == serial.plan.files == generate_files(model)
    assert parallel.plan.clusters == serial.plan.clusters
    assert parallel.plan.digests == serial.plan.digests
    assert {p for p in serial.plan.files if not p.endswith(".json")} >= set(render_tree(model))


def test_unchanged_clusters_are_reused_and_changed_ones_rendered(
    model: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert generate(model, out) == 0
    manifest = (out / MANIFEST).stat()
    assert generate(model, out) == 24
    # Nothing changed: not even the manifest is written again.
    assert (out / MANIFEST).stat().st_ino == manifest.st_ino
    assert (out / MANIFEST).stat().st_mtime_ns == manifest.st_mtime_ns
    first = next(iter(sorted(model.rglob("c0001.yaml"))))
    first.write_text(first.read_text().replace("maxSize: 6", "maxSize: 9"))
    assert generate(model, out) == 23
    # A generated file that went missing makes its cluster render again.
    victim = next(iter(sorted(out.rglob("*.tf"))))
    victim.unlink()
    assert generate(model, out) == 23
    assert victim.exists()
    written = {str(p.relative_to(out)): p.read_text() for p in out.rglob("*") if p.is_file()}
    assert {k: v for k, v in written.items() if not k.startswith(".")} == generate_files(model)


def test_a_cluster_is_reused_only_while_its_bytes_and_defaults_are_the_same(
    model: Path, tmp_path: Path
) -> None:
    """Reuse is decided on the bytes of a cluster's file and of the _defaults.yaml files
    above it, before parsing: any change to them renders the cluster again."""
    out = tmp_path / "out"
    generate(model, out)
    # A comment changes no value, but the file's bytes: that cluster renders again.
    first = sorted(model.rglob("c0001.yaml"))[0]
    first.write_text(first.read_text() + "# reviewed\n")
    assert generate(model, out) == 23
    # A change to one environment's defaults renders every cluster below it, and only those.
    env = first.parent
    below = len(list(env.rglob("c*.yaml")))
    assert 0 < below < 24
    defaults = env / "_defaults.yaml"
    defaults.write_text(defaults.read_text() + "# reviewed\n")
    assert generate(model, out) == 24 - below
    written = {str(p.relative_to(out)): p.read_text() for p in out.rglob("*") if p.is_file()}
    assert {k: v for k, v in written.items() if not k.startswith(".")} == generate_files(model)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(st.characters(exclude_categories=("Cs",))),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        | st.dictionaries(st.integers(), inner, max_size=2)
    ),
    max_leaves=20,
)


MANIFEST_LIKE = {
    "generator": "treeform",
    "files": {"b/c.tf": "2" * 64, "a/é.tf": "1" * 64},
    "clusters": {"b": {"fingerprint": "f", "files": ["b/c.tf", "b/\u2028"], "state": None}},
}


@given(JSON, st.booleans(), st.booleans())
@example(MANIFEST_LIKE, False, True)
@example(MANIFEST_LIKE, True, False)
@example({"k": "v", "a": ["x", "y"]}, True, True)
def test_records_and_manifests_are_written_as_the_json_module_writes_them(
    value: object, sort_keys: bool, ensure_ascii: bool
) -> None:
    expected = json.dumps(
        value, indent=2, sort_keys=sort_keys, ensure_ascii=ensure_ascii, default=str
    )
    assert indented_json(value, sort_keys=sort_keys, ensure_ascii=ensure_ascii) == expected


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_directory_where_a_file_goes_is_a_clear_error(
    model: Path, tmp_path: Path, jobs: int
) -> None:
    """Also when a worker process finds it: the error comes back, every file staged by
    either process is rolled back."""
    out = tmp_path / "out"
    generate(model, out)
    victim = sorted(out.rglob("main.tf"))[-1]
    victim.unlink()
    victim.mkdir()
    for cluster in sorted(model.rglob("c*.yaml")):  # every cluster renders again
        cluster.write_text(cluster.read_text() + "# again\n")
    before = {p: p.read_bytes() if p.is_file() else None for p in sorted(out.rglob("*"))}
    with pytest.raises(OutputError, match="a directory stands where treeform writes a file"):
        generate(model, out, jobs=jobs)
    assert {p: p.read_bytes() if p.is_file() else None for p in sorted(out.rglob("*"))} == before
