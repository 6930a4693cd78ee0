"""Hostile inputs: a pull request controls the model tree, `MODEL/.treeform.yaml` and the
committed output directory (its manifest, a journal, symlinks inside it), and CI runs
generate, validate and diff on them. Nothing outside OUT may be created, changed or deleted;
no run may hang; every refusal is a clear message with exit 1 or 2, never a traceback."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from helpers import write_tree
from treeform import layout
from treeform.atlantis import render_atlantis
from treeform.cli import cli
from treeform.settings import AtlantisSettings

MODEL = {
    "_defaults.yaml": """
        cloud: aws
        engine: eks
        region: us-east-1
        kubernetesVersion: "1.33"
        nodePools:
          general: {machineType: m6i.large, minSize: 1, maxSize: 3}
        """,
    "a.yaml": "tags: {v: one}\n",
    "b.yaml": "tags: {v: one}\n",
}


@pytest.fixture(autouse=True)
def no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TREEFORM_CACHE_DIR", "")


def run(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def snapshot(root: Path) -> dict[str, bytes | str | None]:
    """Every entry below `root`: a file's bytes, a symlink's target, None for a directory."""
    out: dict[str, bytes | str | None] = {}
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            if path.is_symlink():
                out[rel] = str(path.readlink())
            elif path.is_dir():
                out[rel] = None
            elif not path.is_file():
                out[rel] = "not a regular file"
            else:
                out[rel] = path.read_bytes()
    return out


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Path, Path, Path]]:
    """(model, generated output, a directory outside both with a victim file)."""
    model = write_tree(tmp_path / "model", MODEL)
    out = tmp_path / "out"
    assert run("generate", str(model), "-o", str(out)).exit_code == 0
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim").write_text("precious\n")
    yield model, out, outside


def refused(model: Path, out: Path, outside: Path, *needles: str) -> None:
    """generate (also with --force), diff and --check refuse, naming the entry; nothing
    outside OUT and nothing inside it changed."""
    before_out, before_outside = snapshot(out), snapshot(outside)
    for args in (
        ["generate", str(model), "-o", str(out)],
        ["generate", str(model), "-o", str(out), "--force"],
    ):
        result = run(*args)
        assert result.exit_code == 1, (args, result.output)
        for needle in needles:
            assert needle in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert snapshot(outside) == before_outside
        assert snapshot(out) == before_out
    for args in (
        ["diff", str(model), "-o", str(out)],
        ["generate", str(model), "-o", str(out), "--check"],
    ):
        result = run(*args)
        assert result.exit_code in (0, 1), (args, result.output)
        assert "precious" not in result.output
        assert snapshot(outside) == before_outside


def edit_manifest(out: Path, change: Any) -> None:
    path = out / layout.MANIFEST
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


# -- 1. OUT is a jail -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "entry", ["../outside/victim", "{outside}/victim", "a/../../outside/victim"]
)
def test_a_manifest_entry_outside_the_output_is_refused(
    site: tuple[Path, Path, Path], entry: str
) -> None:
    model, out, outside = site
    rel = entry.format(outside=outside)
    edit_manifest(out, lambda d: d["files"].update({rel: "0" * 64}))
    refused(model, out, outside, layout.MANIFEST, repr(rel))
    assert (outside / "victim").read_text() == "precious\n"


def test_a_cluster_record_naming_a_path_outside_is_refused(site: tuple[Path, Path, Path]) -> None:
    model, out, outside = site
    edit_manifest(
        out, lambda d: d["clusters"]["a"]["files"].update({"../outside/victim": "0" * 64})
    )
    refused(model, out, outside, "'../outside/victim'")


@pytest.mark.parametrize(
    "files",
    [
        {"staged.1": '["create", "../outside/victim"]\n'},
        {"staged.1": '["update", "/etc/passwd"]\n'},
        {"staged.1": '{"not": "a pair"}\n'},
        {
            "staged.1": "",
            "committing": "",
            "plan.json": '{"update": ["../outside/victim"], "remove": []}',
            "backup/../outside/victim": "attacker\n",
        },
        {"committing": "", "plan.json": '{"update": null, "remove": []}'},
    ],
)
def test_a_planted_journal_is_refused_before_anything_is_touched(
    site: tuple[Path, Path, Path], files: dict[str, str]
) -> None:
    model, out, outside = site
    journal = out / layout.JOURNAL
    journal.mkdir()
    for rel, text in files.items():
        if rel.startswith("backup/"):
            (journal / "backup").mkdir()
            continue  # a backup outside the journal cannot even be written there
        (journal / rel).write_text(text)
    refused(model, out, outside, str(journal))


def test_a_journal_backup_that_is_a_symlink_is_refused(site: tuple[Path, Path, Path]) -> None:
    model, out, outside = site
    journal = out / layout.JOURNAL
    (journal / "backup" / "a" / "terraform").mkdir(parents=True)
    (journal / "committing").write_text("")
    (journal / "plan.json").write_text('{"update": ["a/terraform/main.tf"], "remove": []}')
    (journal / "backup" / "a" / "terraform" / "main.tf").symlink_to(outside / "victim")
    refused(model, out, outside, "not a regular file")


def test_a_symlinked_file_inside_the_output_is_never_followed(
    site: tuple[Path, Path, Path],
) -> None:
    model, out, outside = site
    target = out / "a" / "terraform" / "main.tf"
    target.unlink()
    target.symlink_to(outside / "victim")
    (model / "a.yaml").write_text("tags: {v: changed}\n")  # a would be rewritten
    refused(model, out, outside, str(target), "symbolic link")


def test_a_symlinked_directory_inside_the_output_is_never_followed(
    site: tuple[Path, Path, Path],
) -> None:
    model, out, outside = site
    (model / "c.yaml").write_text("tags: {v: new}\n")  # c's files would be created
    (out / "c").symlink_to(outside)
    refused(model, out, outside, str(out / "c"), "symbolic link")
    assert sorted(p.name for p in outside.iterdir()) == ["victim"]


def test_a_symlink_at_a_staging_name_is_refused(site: tuple[Path, Path, Path]) -> None:
    model, out, outside = site
    (model / "a.yaml").write_text("tags: {v: changed}\n")
    # The model record changes with any value: its staging name is taken.
    link = out / "a" / "..treeform-model.json.treeform-tmp"
    link.symlink_to(outside / "victim")
    before = snapshot(out)
    result = run("generate", str(model), "-o", str(out), "--force")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{link}: a symbolic link inside the output directory")
    assert (outside / "victim").read_text() == "precious\n"
    # The roll-back removes what stood at treeform's own staging name (the link itself).
    assert snapshot(out) == {k: v for k, v in before.items() if k != "a/" + link.name}


def test_a_symlinked_output_directory_is_refused(tmp_path: Path) -> None:
    model = write_tree(tmp_path / "model", MODEL)
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "out").symlink_to(outside)
    result = run("generate", str(model), "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "is a symbolic link" in result.stderr
    assert list(outside.iterdir()) == []


def test_a_fifo_inside_the_output_is_refused_without_hanging(site: tuple[Path, Path, Path]) -> None:
    model, out, outside = site
    target = out / "a" / "terraform" / "main.tf"
    target.unlink()
    os.mkfifo(target)
    started = time.monotonic()
    refused(model, out, outside, "not a regular file")
    assert time.monotonic() - started < 20


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(files=None),
        lambda d: d.update(files=[]),
        lambda d: d["files"].update({"a/terraform/main.tf": 5}),
        lambda d: d.update(clusters=None) if False else d.update(clusters=[1]),
        lambda d: d["clusters"]["a"].update(files=None),
        lambda d: d["clusters"]["a"].update(files="a/terraform/main.tf"),
        lambda d: d["clusters"]["a"].update(fingerprint=[1]),
        lambda d: d["clusters"]["a"].update(state={"x": 1}),
        lambda d: d["clusters"].update({"a": None}),
        lambda d: d["files"].update({"a/\udcff": "0" * 64}),
    ],
)
def test_a_malformed_manifest_is_a_clear_error(site: tuple[Path, Path, Path], change: Any) -> None:
    model, out, outside = site
    path = out / layout.MANIFEST
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    refused(model, out, outside, str(path))


def test_a_lock_that_is_a_directory_or_a_symlink_is_a_clear_error(
    site: tuple[Path, Path, Path],
) -> None:
    model, out, outside = site
    lock = out / layout.LOCK
    lock.mkdir()
    result = run("generate", str(model), "-o", str(out))
    assert result.exit_code == 1
    assert result.stderr == f"{lock}: a directory stands where the lock file belongs; remove it\n"
    lock.rmdir()
    lock.symlink_to(outside / "made-by-lock")
    result = run("generate", str(model), "-o", str(out))
    assert result.exit_code == 1
    assert "symbolic link" in result.stderr
    assert not (outside / "made-by-lock").exists()


# -- 2. Only regular files are read from the model -----------------------------------------


def test_a_fifo_or_a_device_in_the_model_is_an_error_at_once(tmp_path: Path) -> None:
    model = write_tree(tmp_path / "model", MODEL)
    os.mkfifo(model / "fifo.yaml")
    os.mkfifo(model / ".treeform.yaml")
    started = time.monotonic()
    result = run("validate", str(model))
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"{model}/.treeform.yaml:1:1: not a regular file (a FIFO, a socket or a device)\n"
        "1 error\n"
    )
    (model / ".treeform.yaml").unlink()
    try:
        os.mknod(model / "zero.yaml", 0o600 | 0o020000, os.makedev(1, 5))  # /dev/zero
    except PermissionError:
        pytest.skip("cannot make a device node here")
    result = run("validate", str(model))
    assert time.monotonic() - started < 5
    assert result.exit_code == 1
    assert (
        f"{model}/fifo.yaml:1:1: not a regular file (a FIFO, a socket or a device)" in result.stderr
    )
    assert (
        f"{model}/zero.yaml:1:1: not a regular file (a FIFO, a socket or a device)" in result.stderr
    )


def test_a_symlink_to_a_device_inside_the_tree_is_not_read(tmp_path: Path) -> None:
    model = write_tree(tmp_path / "model", MODEL)
    try:
        os.mknod(model / "dev", 0o600 | 0o020000, os.makedev(1, 5))
    except PermissionError:
        pytest.skip("cannot make a device node here")
    (model / "c.yaml").symlink_to(model / "dev")
    started = time.monotonic()
    result = run("validate", str(model))
    assert time.monotonic() - started < 5
    assert f"{model}/c.yaml:1:1: not a regular file" in result.stderr


def test_a_file_that_grows_while_it_is_read_stops_at_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = write_tree(tmp_path / "model", {**MODEL, "a.yaml": "tags: {v: '" + "x" * 5000 + "'}\n"})
    monkeypatch.setenv("TREEFORM_MAX_FILE_BYTES", "1000")
    real_fstat = os.fstat
    reads: list[int] = []
    real_read = os.read

    def small(fd: int) -> os.stat_result:  # the size when opened: it grows afterwards
        info = real_fstat(fd)
        fields = list(info)
        fields[6] = min(info.st_size, 10)
        return os.stat_result(fields)

    def counted(fd: int, n: int) -> bytes:
        reads.append(n)
        return real_read(fd, n)

    monkeypatch.setattr(os, "fstat", small)
    monkeypatch.setattr(os, "read", counted)
    result = run("validate", str(model))
    assert result.exit_code == 1
    assert (
        f"{model}/a.yaml:1:1: the file grew beyond the limit of 1000 bytes while it was read"
        in result.stderr
    )
    assert max(reads) <= 1001  # never more than the limit (and one byte) at a time


# -- 3. Merge keys count --------------------------------------------------------------------


def test_wide_and_nested_merges_fail_fast_and_several_anchors_merge_as_pyyaml(
    tmp_path: Path,
) -> None:
    from treeform.yamlload import YamlProblem, load_yaml

    text = "a: &a {" + ", ".join(f"k{i}: v" for i in range(1000)) + "}\n"
    text += "b: {<<: [" + ", ".join("*a" for _ in range(200)) + "]}\n"
    started = time.monotonic()
    with pytest.raises(YamlProblem, match="more than 50000 values"):
        load_yaml(text.encode(), "f.yaml")
    assert time.monotonic() - started < 2
    shared = "a: &a {x: 1, y: 2}\nb: &b {x: 3, z: 4}\nc: {<<: [*a, *b], w: 5}\nd: {<<: *a, x: 9}\n"
    assert load_yaml(shared.encode(), "f.yaml").data == yaml.safe_load(shared)


# -- 4. Anchored patterns, line breaks, atlantis.yaml through the emitter -------------------


@pytest.mark.parametrize(
    "value", ["out\n", "out\r", "out\x85", "out\u2028workflows: {}", "out\u2029"]
)
def test_a_line_break_in_a_setting_is_refused(tmp_path: Path, value: str) -> None:
    model = write_tree(tmp_path / "model", MODEL)
    (model / ".treeform.yaml").write_text(
        "atlantis:\n  outputPath: " + json.dumps(value) + "\n", encoding="utf-8"
    )
    result = run("generate", str(model), "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "atlantis.outputPath: a line break" in result.stderr
    assert not (tmp_path / "out").exists()


def test_atlantis_yaml_parses_to_what_treeform_meant_whatever_the_path() -> None:
    for path in ("out", "out\u2028workflows:\n  x: {plan: {steps: [{run: evil}]}}", "a\x85b"):
        text = render_atlantis(["c/terraform/main.tf"], ["c"], AtlantisSettings(True, path))
        data = yaml.safe_load(text)
        assert set(data) == {"version", "parallel_plan", "projects"}
        assert data["projects"][0]["dir"] == f"{path}/c/terraform"


def test_a_file_name_with_a_line_break_is_refused(tmp_path: Path) -> None:
    model = write_tree(tmp_path / "model", MODEL)
    (model / "a.yaml").rename(model / "a\u2028b.yaml")
    (model / "c\n.yaml").write_text("tags: {v: c}\n")
    result = run("validate", str(model))
    assert result.exit_code == 1
    assert f"{model}/a\\u2028b.yaml:1:1: the file name holds a line break" in result.stderr
    assert f"{model}/c\\n.yaml:1:1: the file name holds a line break" in result.stderr


# -- 5. One writer at a time ----------------------------------------------------------------

#: A generate whose commit waits for a moment, so that runs started together overlap.
SLOW_GENERATE = """
import sys, time
from treeform import journal
from treeform.cli import main
commit = journal.Transaction.commit
pause = float(sys.argv[1])
def slow(self, *args, **kwargs):
    time.sleep(pause)
    return commit(self, *args, **kwargs)
journal.Transaction.commit = slow
start = float(sys.argv[2])
time.sleep(max(0.0, start - time.time()))
sys.argv = ["treeform", *sys.argv[3:]]
main()
"""


def test_many_simultaneous_generates_leave_one_winner_and_nothing_behind(tmp_path: Path) -> None:
    model = write_tree(tmp_path / "model", MODEL)
    out = tmp_path / "out"
    env = {**os.environ, "TREEFORM_CACHE_DIR": ""}
    start = time.time() + 3
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                SLOW_GENERATE,
                "2",
                str(start),
                "generate",
                str(model),
                "-o",
                str(out),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(8)
    ]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    winners = [r for r in results if r[0] == 0]
    losers = [r for r in results if r[0] != 0]
    assert len(winners) == 1, results
    for code, _, err in losers:
        assert code == 1
        assert "another treeform" in err and "is writing this directory" in err, err
        assert "Traceback" not in err
    assert not (out / layout.LOCK).exists()
    assert not (out / layout.JOURNAL).exists()
    assert run("generate", str(model), "-o", str(out), "--check").exit_code == 0


# -- 6. No traceback ------------------------------------------------------------------------


def test_a_non_utf8_file_name_is_reported_with_escaped_bytes(tmp_path: Path) -> None:
    model = write_tree(tmp_path / "model", MODEL)
    # Paths as bytes: pathlib has no way to name a file that is not UTF-8.
    os.mkdir(os.fsencode(model) + b"/d\xff")  # noqa: PTH102
    fd = os.open(os.fsencode(model) + b"/x\xfe.yaml", os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"tags: {v: x}\n")
    os.close(fd)
    result = run("validate", str(model))
    assert result.exit_code == 1
    assert f"{model}/d\\xff:1:1: the file name is not UTF-8; rename it" in result.stderr
    assert f"{model}/x\\xfe.yaml:1:1: the file name is not UTF-8; rename it" in result.stderr


def test_yaml_11_keys_keep_their_text(tmp_path: Path) -> None:
    model = write_tree(
        tmp_path / "model", {**MODEL, "a.yaml": "tags: {0755: a, on: b, 1:30: c, yes: d}\n"}
    )
    out = tmp_path / "out"
    assert run("generate", str(model), "-o", str(out)).exit_code == 0
    record = json.loads((out / "a" / ".treeform-model.json").read_text())
    assert record["model"]["tags"] == {"0755": "a", "on": "b", "1:30": "c", "yes": "d"}


@contextlib.contextmanager
def mounted(path: Path, options: str) -> Iterator[None]:
    path.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr!r}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_a_full_file_system_is_a_clean_error_and_leaves_the_output_as_it_was(
    tmp_path: Path,
) -> None:
    model = write_tree(tmp_path / "model", MODEL)
    disk = tmp_path / "disk"
    with mounted(disk, "size=128k"):
        out = disk / "out"
        # A first output that fits, then a change that does not.
        small = write_tree(
            tmp_path / "small",
            {**MODEL, "b.yaml": None}
            if False
            else {k: v for k, v in MODEL.items() if k != "b.yaml"},
        )
        first = run("generate", str(small), "-o", str(out))
        assert first.exit_code == 0, first.output
        before = snapshot(out)
        for i in range(20):
            (model / f"n{i}.yaml").write_text(f"tags: {{v: n{i}}}\n")
        result = run("generate", str(model), "-o", str(out))
        assert result.exit_code == 1, result.output
        assert "No space left on device" in result.stderr
        assert "the output directory was left as it was" in result.stderr
        assert snapshot(out) == before
        assert not (out / layout.LOCK).exists() and not (out / layout.JOURNAL).exists()


def test_a_read_only_file_system_is_a_clean_error(tmp_path: Path) -> None:
    model = write_tree(tmp_path / "model", MODEL)
    disk = tmp_path / "ro"
    with mounted(disk, "size=64k,ro"):
        result = run("generate", str(model), "-o", str(disk / "out"))
        assert result.exit_code == 1
        assert "Read-only file system" in result.stderr
        result = run("generate", str(model), "-o", str(disk))
        assert result.exit_code == 1
        assert (
            result.stderr
            == f"{disk}: the output directory is not writable (Read-only file system)\n"
        )


@pytest.mark.parametrize("code", [errno.EDQUOT, errno.ENOSPC, errno.EROFS])
def test_a_write_error_at_any_write_is_clean(
    site: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    """Simulated (os.write fails) where no real quota is at hand."""
    model, out, _ = site
    (model / "a.yaml").write_text("tags: {v: changed}\n")
    before = snapshot(out)

    def full(fd: int, data: Any) -> int:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "write", full)
    result = run("generate", str(model), "-o", str(out))
    assert result.exit_code == 1
    assert os.strerror(code) in result.stderr
    monkeypatch.undo()
    assert snapshot(out) == before


#: A generate that says when its files are staged, then waits (for the signal).
STAGED_THEN_WAIT = """
import sys, time
from treeform import journal
from treeform.cli import main
def wait(self, *args, **kwargs):
    print("staged", flush=True)
    time.sleep(60)
journal.Transaction.commit = wait
sys.argv = ["treeform", *sys.argv[1:]]
main()
"""


def test_sigterm_is_handled_like_ctrl_c(site: tuple[Path, Path, Path]) -> None:
    model, out, _ = site
    (model / "a.yaml").write_text("tags: {v: changed}\n")
    (model / "c.yaml").write_text("tags: {v: new}\n")
    before = snapshot(out)
    proc = subprocess.Popen(
        [sys.executable, "-c", STAGED_THEN_WAIT, "generate", str(model), "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TREEFORM_CACHE_DIR": ""},
    )
    assert proc.stdout is not None and proc.stdout.readline() == "staged\n"
    assert (out / layout.JOURNAL).exists()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert "Traceback" not in err
    assert err.strip() == "Aborted!"
    assert snapshot(out) == before


# -- 8. Limits on every run; usage errors ---------------------------------------------------


def test_a_lowered_limit_applies_to_clusters_the_cache_knows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TREEFORM_CACHE_DIR", str(tmp_path / "cache"))
    model = write_tree(tmp_path / "model", MODEL)
    out = tmp_path / "out"
    assert run("validate", str(model)).exit_code == 0
    assert run("generate", str(model), "-o", str(out)).exit_code == 0
    size = (model / "a.yaml").stat().st_size
    for name, value, needle in (
        ("TREEFORM_MAX_FILE_BYTES", str(size - 1), "over the limit"),
        ("TREEFORM_MAX_YAML_NODES", "2", "values (an alias bomb?)"),
        ("TREEFORM_MAX_DEPTH", "1", "nesting is deeper"),
    ):
        with monkeypatch.context() as m:
            m.setenv(name, value)
            for args in (["validate", str(model)], ["generate", str(model), "-o", str(out)]):
                result = run(*args)
                assert result.exit_code == 1, (name, args, result.output)
                assert needle in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["generate", "{model}", "-o", ""], "the output directory must be named"),
        (["diff", "{model}", "-o", " "], "the output directory must be named"),
        (["generate", "{model}", "-o", "{model}/out"], "the output directory is inside the model"),
        (["generate", "{model}", "-o", "{model}"], "the output directory is inside the model"),
        (["diff", "{model}", "-o", "{model}/x"], "the output directory is inside the model"),
        (["generate", "{model}", "-o", "{tmp}"], "the model is inside the output directory"),
        (["new", "/abs/x", "--cloud", "aws", "--engine", "eks", "{model}"], "is not a cluster id"),
        (
            ["new", "aws/../../x", "--cloud", "aws", "--engine", "eks", "{model}"],
            "is not a cluster id",
        ),
        (["new", "aws/x\n", "--cloud", "aws", "--engine", "eks", "{model}"], "is not a cluster id"),
    ],
)
def test_usage_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    model = write_tree(tmp_path / "model", MODEL)
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    result = run(*(a.format(model=model, tmp=tmp_path) for a in args))
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert snapshot(tmp_path) == before


def test_output_bytes_of_a_normal_atlantis_yaml_are_unchanged() -> None:
    text = render_atlantis(["c/terraform/main.tf"], ["c"], AtlantisSettings(True, "output"))
    assert text.splitlines()[1] == (
        "# Atlantis reads atlantis.yaml at the repository root; this one sits in output/, so "
        "set repo_config_file: output/atlantis.yaml in the server-side repos.yaml."
    )
    assert text.splitlines()[2] == "version: 3"


def test_a_huge_file_in_the_output_is_refused_without_reading_it(
    site: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from treeform import safefs

    model, out, outside = site
    monkeypatch.setattr(safefs, "MAX_READ", 1000)
    (out / layout.MANIFEST).write_bytes(b" " * 2000)
    refused(model, out, outside, f"{out / layout.MANIFEST}: larger than 1000 bytes")
