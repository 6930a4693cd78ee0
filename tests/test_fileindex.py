"""A generate with nothing changed decides from the files' metadata (the file index, as
git's) and reads only what the metadata cannot vouch for; an edit that puts size and mtime
back is still caught (by inode and ctime), a racy file is hashed, the index is only a hint
(malformed, forged or stale, it makes treeform hash), and `--check` always hashes."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import write_tree
from treeform.errors import ModelError, OutputError
from treeform.fileindex import FileIndex, SourceIndex, file_meta, signature
from treeform.layout import MANIFEST
from treeform.manifest import load_manifest
from treeform.runner import check_model, render_for_output, write_generated
from treeform.safefs import Jail
from treeform.staging import intact_digests

BASE = {
    "_defaults.yaml": """
        cloud: aws
        engine: eks
        region: us-east-1
        kubernetesVersion: "1.33"
        nodePools:
          general: {machineType: m6i.large, minSize: 1, maxSize: 3}
        """,
    "a.yaml": "tags: {v: one}\n",
    "b.yaml": "tags: {v: two}\n",
}


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("TREEFORM_CACHE_DIR", str(directory))
    return directory


def reads(monkeypatch: pytest.MonkeyPatch, out: Path) -> list[str]:
    """The output files read (and hashed) from now on (every read goes through the jail)."""
    seen: list[str] = []
    real = Jail.read_info

    def counting(self: Jail, rel: str) -> tuple[bytes | None, os.stat_result | None]:
        if self.root == out and not rel.startswith("."):
            seen.append(rel)
        return real(self, rel)

    monkeypatch.setattr(Jail, "read_info", counting)
    return seen


def settled(model: Path, out: Path) -> None:
    """Generate, then wait out the clock's tick and generate again: the second run notes
    the files the first wrote in its last tick (racy then), so that all are settled."""
    write_generated(model, out)
    time.sleep(0.05)
    write_generated(model, out)


def edit_keeping_size_and_mtime(path: Path, *, new_inode: bool) -> None:
    before = path.stat()
    data = path.read_bytes()
    changed = data[:-2] + (b"#\n" if data[-2:] != b"#\n" else b"%\n")
    assert len(changed) == len(data) and changed != data
    if new_inode:  # as an editor that writes a new file and renames it does
        tmp = path.with_name(path.name + ".new")
        tmp.write_bytes(changed)
        tmp.replace(path)
    else:
        with path.open("r+b") as fh:
            fh.write(changed)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def test_a_run_with_nothing_changed_reads_no_output_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, out = write_tree(tmp_path / "model", BASE), tmp_path / "out"
    settled(model, out)
    seen = reads(monkeypatch, out)
    rendered = write_generated(model, out)
    assert rendered.reused == 2
    assert seen == []
    # Without the cache there is no index: every file is read and hashed, as before.
    monkeypatch.setenv("TREEFORM_CACHE_DIR", "")
    assert write_generated(model, out).reused == 2
    assert len(seen) == len(load_manifest(out).files)


@pytest.mark.parametrize("new_inode", [False, True])
def test_an_edit_that_keeps_size_and_mtime_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, new_inode: bool
) -> None:
    model, out = write_tree(tmp_path / "model", BASE), tmp_path / "out"
    settled(model, out)
    victim = out / "a" / "terraform" / "main.tf"
    edit_keeping_size_and_mtime(victim, new_inode=new_inode)
    seen = reads(monkeypatch, out)
    with pytest.raises(OutputError, match="edited by hand"):
        write_generated(model, out)
    assert "a/terraform/main.tf" in seen
    assert not any(rel.startswith("b/") for rel in seen)  # b's files: by their metadata
    check = render_for_output(model, out)  # --check and diff see it too
    assert check.plan.update == ["a/terraform/main.tf"]
    write_generated(model, out, force=True)
    assert render_for_output(model, out).plan.changed is False


def test_check_always_hashes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model, out = write_tree(tmp_path / "model", BASE), tmp_path / "out"
    settled(model, out)
    seen = reads(monkeypatch, out)
    assert not render_for_output(model, out).plan.changed
    assert sorted(seen) == sorted(load_manifest(out).files)


def test_a_racy_file_is_hashed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file changed in the same clock tick as the index was written (or later) cannot be
    vouched for by its metadata, even when the metadata is the one noted."""
    model, out = write_tree(tmp_path / "model", BASE), tmp_path / "out"
    settled(model, out)
    manifest = load_manifest(out)
    rels = manifest.clusters["a"].files
    index = FileIndex.of(out)
    seen = reads(monkeypatch, out)
    intact = intact_digests(out, rels, manifest.files, index, "a")
    assert intact is not None and intact.entries is None and seen == []
    newest = max(max(m[1], m[3]) for m in (file_meta((out / r).stat()) for r in rels))  # type: ignore[index]
    racy = FileIndex(index.path, index._lines, newest)  # written in the newest file's tick
    intact = intact_digests(out, rels, manifest.files, racy, "a")
    assert intact is not None and intact.entries is not None
    assert sorted(seen) == sorted(rels)


def test_the_index_is_only_a_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Malformed lines are ignored; a signature that does not match the files (or the
    digests the manifest expects) makes treeform read them."""
    model, out = write_tree(tmp_path / "model", BASE), tmp_path / "out"
    settled(model, out)
    manifest = load_manifest(out)
    rels = manifest.clusters["a"].files
    index = FileIndex.of(out)
    assert index.path is not None
    entries = [(r, manifest.files[r], file_meta((out / r).stat())) for r in rels]
    assert index.noted("a") == signature(entries)  # type: ignore[arg-type]
    for line in ("not a signature\n", "x" * 64 + "\n", ""):
        forged = FileIndex(index.path, {**index._lines, '"a"': line}, index.written_ns)
        seen = reads(monkeypatch, out)
        assert intact_digests(out, rels, manifest.files, forged, "a") is not None
        assert sorted(seen) == sorted(rels)
    # A manifest whose digest for a file is not the file's: the index cannot vouch for it
    # (its signature covers the digest), the file is read, and the cluster renders again.
    data = (out / MANIFEST).read_text()
    victim = "a/terraform/main.tf"
    (out / MANIFEST).write_text(data.replace(manifest.files[victim], "0" * 64))
    seen = reads(monkeypatch, out)
    rendered = write_generated(model, out)
    assert rendered.reused == 1 and victim in seen
    assert load_manifest(out).files[victim] == manifest.files[victim]


def test_a_manifest_of_an_earlier_treeform_reads_the_same(tmp_path: Path) -> None:
    """The earlier manifest listed every digest in `files` and paths in each record: a
    committed output of an earlier treeform is reused as it is."""
    import json

    model, out = write_tree(tmp_path / "model", BASE), tmp_path / "out"
    write_generated(model, out)
    loaded = load_manifest(out)
    now = json.loads((out / MANIFEST).read_text())
    records = now["clusters"]
    earlier = {
        "generator": "treeform",
        "version": now["version"],
        "files": dict(
            sorted(
                {
                    **now["files"],
                    **{k: v for r in records.values() for k, v in r["files"].items()},
                }.items()
            )
        ),
        "clusters": {
            cid: {"fingerprint": r["fingerprint"], "files": list(r["files"]), "state": r["state"]}
            for cid, r in records.items()
        },
        "atlantis": now["atlantis"],
    }
    (out / MANIFEST).write_text(json.dumps(earlier, indent=2))
    assert load_manifest(out) == loaded
    rendered = write_generated(model, out)
    assert rendered.reused == 2 and not rendered.plan.changed
    (out / MANIFEST).write_text(json.dumps({**earlier, "files": {"a": 1}}))
    with pytest.raises(OutputError, match=r"manifest is malformed at files\.a"):
        load_manifest(out)


# -- The model's cluster files, vouched for by their metadata too ---------------------------


def model_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The cluster files of the model read from now on (not the _defaults.yaml files, which
    every run reads)."""
    from treeform import tree

    seen: list[str] = []
    real = tree.read_yaml_file

    def counting(path: Any, shown: str) -> bytes:
        if not str(path).endswith("_defaults.yaml"):
            seen.append(Path(path).name)
        return real(path, shown)

    monkeypatch.setattr(tree, "read_yaml_file", counting)
    return seen


def test_a_run_with_nothing_changed_reads_no_cluster_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, out = write_tree(tmp_path / "model", BASE), tmp_path / "out"
    settled(model, out)
    seen = model_reads(monkeypatch)
    assert write_generated(model, out).reused == 2
    assert check_model(model) == ["a", "b"]  # validate, the same
    assert seen == []
    # Without the cache every cluster file is read (and hashed) again.
    monkeypatch.setenv("TREEFORM_CACHE_DIR", "")
    assert write_generated(model, out).reused == 2
    assert sorted(seen) == ["a.yaml", "b.yaml"]


@pytest.mark.parametrize("new_inode", [False, True])
def test_a_model_edit_that_keeps_size_and_mtime_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, new_inode: bool
) -> None:
    model, out = write_tree(tmp_path / "model", BASE), tmp_path / "out"
    settled(model, out)
    edit_keeping_size_and_mtime(model / "a.yaml", new_inode=new_inode)  # `one}` -> `one#`
    seen = model_reads(monkeypatch)
    with pytest.raises(ModelError):  # the edit made it invalid YAML: it was read
        check_model(model)
    assert "a.yaml" in seen and "b.yaml" not in seen
    (model / "a.yaml").write_text("tags: {v: new}\n")
    rendered = write_generated(model, out)
    assert (rendered.reused, rendered.rendered) == (1, 1)
    assert '"v": "new"' in (out / "a" / ".treeform-model.json").read_text()


def test_a_cluster_file_changed_in_the_clock_tick_it_was_read_is_not_vouched_for() -> None:
    now = time.time_ns()
    old = (10, now - 5_000_000_000, 1, now - 5_000_000_000)
    assert SourceIndex.line((now, old), "a" * 64) == f"10 {old[1]} 1 {old[3]} {'a' * 64}\n"
    for racy in ((10, now - 1_000_000, 1, old[3]), (10, old[1], 1, now), (10, old[1], 1, now + 1)):
        assert SourceIndex.line((now, racy), "a" * 64) is None
    whole = now - now % 1_000_000_000 - 1_000_000_000  # a coarse file system's second
    assert SourceIndex.line((now, (10, whole, 1, whole)), "a" * 64) is None
    assert SourceIndex.line((now, None), "a" * 64) is None


def test_the_source_index_is_only_a_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A line that does not match the file's metadata, or is malformed, makes treeform read
    the file; a digest noted falsely cannot make it skip a change of the file's metadata."""
    model, out = write_tree(tmp_path / "model", BASE), tmp_path / "out"
    settled(model, out)
    index = SourceIndex.of(model)
    assert index.path is not None and index.digest("a", str(model / "a.yaml")) is not None
    lines = index.path.read_text().splitlines(keepends=True)
    assert len(lines) == 2
    forged = [lines[0].replace(" ", "  ", 1), "garbage\n", '"b"\t1 2 3\n']
    index.path.write_text("".join(forged))
    seen = model_reads(monkeypatch)
    assert write_generated(model, out).reused == 2
    assert sorted(seen) == ["a.yaml", "b.yaml"]
    # A symlink to the file is not the file noted.
    (model / "b.yaml").rename(model / "b.real")
    (model / "b.yaml").symlink_to(model / "b.real")
    assert SourceIndex.of(model).digest("b", str(model / "b.yaml")) is None


def test_the_signature_keeps_digests_apart() -> None:
    meta = (1, 2, 3, 4)
    one = signature([("a/x", "ab", meta), ("a/y", "c", meta)])
    two = signature([("a/x", "a", meta), ("a/y", "bc", meta)])
    assert one != two
    assert signature([("a/x", "ab", meta)]) != signature([("a/x", "ab", (1, 2, 3, 5))])


# -- The manifest, loaded from treeform's cache ---------------------------------------------


def test_the_manifest_loads_from_the_cache_only_for_its_own_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from treeform import manifest as manifest_module

    monkeypatch.setattr(manifest_module, "_CACHED_FROM", 0)  # every manifest, however small
    model, out = write_tree(tmp_path / "model", BASE), tmp_path / "out"
    write_generated(model, out)
    parsed = load_manifest(out)  # read as JSON, then kept in the cache
    raw = (out / MANIFEST).read_bytes()
    cache = manifest_module._ManifestCache(out, raw)
    assert cache.path is not None and cache.path.exists()
    assert cache.load() == parsed == load_manifest(out)
    # Loaded from the cache, the JSON is not parsed.
    with monkeypatch.context() as m:
        m.setattr(manifest_module, "_parsed", lambda *a: pytest.fail("parsed"))
        assert load_manifest(out) == parsed
    # Other bytes (a pull request's): read and checked again, the cache not consulted.
    victim = "a/terraform/main.tf"
    (out / MANIFEST).write_text(raw.decode().replace(victim, "../outside"))
    with pytest.raises(OutputError, match="not a plain relative path"):
        load_manifest(out)
    (out / MANIFEST).write_text(raw.decode().replace(parsed.files[victim], "0" * 64))
    assert load_manifest(out).files[victim] == "0" * 64
    # A cache file that is not one is ignored.
    (out / MANIFEST).write_bytes(raw)
    cache.path.write_bytes(b"not marshal")
    assert load_manifest(out) == parsed
    assert cache.load() == parsed  # and written again


def test_a_large_tree_is_looked_at_by_two_processes_with_the_same_outcome(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From EARLY_SPLIT clusters, the second half of the clusters is looked at by a forked
    process: what it decides (reused, or not: an edit there is caught) is what one process
    decides; should it fail, this process decides its half itself."""
    from treeform import runner

    tree = {**BASE, **{f"n{i}.yaml": f"tags: {{v: n{i}}}\n" for i in range(6)}}
    model, out = write_tree(tmp_path / "model", tree), tmp_path / "out"
    settled(model, out)
    monkeypatch.setattr(runner, "EARLY_SPLIT", 2)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    rendered = write_generated(model, out)
    assert (rendered.reused, rendered.rendered, rendered.plan.changed) == (8, 0, False)
    victim = out / "n5" / "terraform" / "main.tf"  # a cluster of the second half
    edit_keeping_size_and_mtime(victim, new_inode=False)
    with pytest.raises(OutputError, match=r"n5/terraform/main\.tf: edited by hand"):
        write_generated(model, out)
    write_generated(model, out, force=True)
    # The forked process dies: this one decides every cluster.
    parent = os.getpid()
    real = runner._early_range

    def dying(*args: Any) -> Any:
        if os.getpid() != parent:
            os._exit(3)
        return real(*args)

    monkeypatch.setattr(runner, "_early_range", dying)
    rendered = write_generated(model, out)
    assert (rendered.reused, rendered.rendered, rendered.plan.changed) == (8, 0, False)
