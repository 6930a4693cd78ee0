"""treeform's cache directory: what an earlier run worked out and a later one may reuse,
as Python keeps `__pycache__`. In `$TREEFORM_CACHE_DIR` (set it empty to turn the cache
off), else `$XDG_CACHE_HOME/treeform` or `~/.cache/treeform`. A directory that another user
could write is never used: the cache holds compiled templates, code that is run.

- `jinja/`: compiled templates (see `render.bytecode_cache`);
- `valid/`: per model tree, the fingerprints of the clusters the last run found valid, so
  that `validate` does not read them again while their bytes, the defaults above them and
  treeform itself are the same (see `ValidClusters`);
- `files/`: per output directory, what the last generate saw of its files (metadata, as
  git's index), so that a generate reads only the files whose metadata changed (see
  `fileindex`);
- `sources/`: per model tree, the same of its cluster files, with the digest of each, so
  that a run that only needs a cluster's fingerprint does not read its file (see
  `fileindex.SourceIndex`);
- `manifests/`: per output directory, its last manifest as read and checked, in a compact
  form, for exactly the bytes it was made from (see `manifest`);
- `runs/`: per model tree and output directory, the stamp of the state the last generate
  over the whole tree left: what the next run depends on, so that one with nothing changed
  says so after looking at those paths, without loading anything (see `stamp`);
- `code/`: treeform's code fingerprint, by the metadata of its files (see `fingerprint`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path


def cache_dir(kind: str) -> Path | None:
    """The cache's `kind` folder, made if need be; None when the cache is off or unsafe."""
    setting = os.environ.get("TREEFORM_CACHE_DIR")
    if setting is not None and not setting.strip():
        return None
    if setting:
        base = Path(setting)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
        base = (Path(xdg) if xdg else Path.home() / ".cache") / "treeform"
    directory = base / kind
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = directory.stat()
    except (OSError, RuntimeError):  # RuntimeError: no home directory
        return None
    if info.st_uid != os.getuid() or info.st_mode & 0o022:
        return None
    return directory


class ValidClusters:
    """The clusters of one model tree that the last run found valid: fingerprint (see
    `fingerprint.cluster_fingerprint`, which covers treeform's own code) -> the address of
    the cluster's Terraform state (None for a local one), for the one-state rule."""

    def __init__(self, path: Path | None, known: dict[str, str | None]) -> None:
        self.path = path
        self.known = known

    @classmethod
    def of(cls, root: Path) -> ValidClusters:
        directory = cache_dir("valid")
        if directory is None:
            return cls(None, {})
        key = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:32]
        path = directory / f"{key}.json"
        known: dict[str, str | None] = {}
        with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
            data = json.loads(path.read_text(encoding="utf-8"))
            known = {
                str(fp): (str(state) if state is not None else None)
                for fp, state in data["valid"].items()
            }
        return cls(path, known)

    def save(self, valid: dict[str, str | None]) -> None:
        """Record the clusters found valid by this run (those of an earlier run are
        forgotten, so the file stays the size of the tree). Best effort: a cache that
        cannot be written is no error."""
        if self.path is None or valid == self.known:
            return
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with contextlib.suppress(OSError):
            tmp.write_text(json.dumps({"valid": valid}, sort_keys=True), encoding="utf-8")
            tmp.replace(self.path)
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
