"""Write rendered files into an output directory, safely.

Everything is rendered to memory first; the writer then compares with the disk, refuses to
overwrite what a person edited or what treeform does not own, writes changed files
atomically (temp file + os.replace), removes files it owns that left the model, and records
what it owns in a manifest. `--check` and `diff` are the same plan, not carried out.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from generator import __version__
from generator.errors import OutputError

MANIFEST = ".treeform-manifest.json"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Plan:
    """What writing `files` into a directory would do."""

    root: Path
    files: dict[str, str]
    create: list[str] = field(default_factory=list)
    update: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    old: dict[str, bytes] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.create or self.update or self.remove)

    def summary(self) -> str:
        return (
            f"{len(self.create)} created, {len(self.update)} updated, "
            f"{len(self.remove)} removed, {len(self.unchanged)} unchanged"
        )


def read_manifest(root: Path) -> dict[str, str]:
    path = root / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        files = data["files"]
        if isinstance(files, dict):
            return {str(k): str(v) for k, v in files.items()}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError):
        raise OutputError(
            f"{path}: the manifest is unreadable; remove it to let treeform start over"
        ) from None
    return {}


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise OutputError(f"{path}: a directory stands where treeform writes a file") from None
    except OSError as exc:
        raise OutputError(f"{path}: cannot read: {exc.strerror}") from None


def plan_output(root: Path, files: dict[str, str]) -> Plan:
    if root.exists() and not root.is_dir():
        raise OutputError(f"{root}: the output path exists and is not a directory")
    owned = read_manifest(root) if root.is_dir() else {}
    plan = Plan(root, files)
    for rel in sorted(files):
        new = files[rel].encode()
        old = _read(root / rel)
        if old is None:
            plan.create.append(rel)
            continue
        plan.old[rel] = old
        if old == new:
            plan.unchanged.append(rel)
            continue
        if rel not in owned:
            plan.conflicts.append(f"{root / rel}: exists and was not written by treeform")
        elif digest(old) != owned[rel]:
            plan.conflicts.append(f"{root / rel}: edited by hand since treeform wrote it")
        plan.update.append(rel)
    for rel in sorted(set(owned) - set(files)):
        old = _read(root / rel)
        if old is None:
            continue
        plan.old[rel] = old
        if digest(old) != owned[rel]:
            plan.conflicts.append(
                f"{root / rel}: edited by hand since treeform wrote it, and its cluster left "
                "the model"
            )
        plan.remove.append(rel)
    return plan


def _tmp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.treeform-tmp")


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = _tmp_name(path)
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


def write_output(plan: Plan, *, force: bool = False) -> None:
    """Carry out a plan. Nothing is changed when the plan has conflicts (unless `force`)."""
    if plan.conflicts and not force:
        raise OutputError(
            "\n".join(plan.conflicts)
            + "\nnothing was written; move those files away, or pass --force to overwrite them"
        )
    root = plan.root
    try:
        root.mkdir(parents=True, exist_ok=True)
        # Stage every new file beside its target first: a failure here changes nothing.
        staged: list[tuple[Path, Path]] = []
        try:
            for rel in plan.create + plan.update:
                target = root / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = _tmp_name(target)
                tmp.write_bytes(plan.files[rel].encode())
                staged.append((tmp, target))
        except BaseException:
            for tmp, _ in staged:
                with contextlib.suppress(OSError):
                    tmp.unlink()
            raise
        for tmp, target in staged:
            tmp.replace(target)
        for rel in plan.remove:
            (root / rel).unlink(missing_ok=True)
            _prune_empty_dirs(root, (root / rel).parent)
        manifest = {
            "generator": "treeform",
            "version": __version__,
            "files": {rel: digest(text.encode()) for rel, text in sorted(plan.files.items())},
        }
        _atomic_write(root / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode())
    except OSError as exc:
        raise OutputError(f"{exc.filename or root}: cannot write: {exc.strerror}") from None


def _prune_empty_dirs(root: Path, directory: Path) -> None:
    while directory != root and directory.is_relative_to(root):
        try:
            directory.rmdir()
        except OSError:
            return
        directory = directory.parent


def unified_diff(plan: Plan) -> str:
    """Every change of a plan as one unified diff, paths relative to the output root."""
    chunks: list[str] = []
    for rel in sorted(plan.create + plan.update + plan.remove):
        old = plan.old.get(rel, b"").decode(errors="replace").splitlines(keepends=True)
        new = plan.files.get(rel, "").splitlines(keepends=True)
        chunks.extend(
            difflib.unified_diff(
                old,
                new,
                fromfile="/dev/null" if rel in plan.create else f"a/{rel}",
                tofile="/dev/null" if rel in plan.remove else f"b/{rel}",
            )
        )
    return "".join(chunks)
