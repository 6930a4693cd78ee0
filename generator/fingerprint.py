"""Fingerprints that let a generate skip the clusters whose output cannot have changed.

A cluster's output is a function of its effective model and of treeform itself (its code,
templates and schema), and its effective model a function of the bytes of its file and of
the `_defaults.yaml` files above it. The fingerprint hashes those bytes and treeform's own,
so that an unchanged cluster is known without even parsing its file; generate records it
per cluster in the output manifest, and the next run reuses the files of a cluster whose
fingerprint is the same and whose files are still as treeform wrote them.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import re
import time
from functools import cache
from pathlib import Path

from treeform import __version__
from treeform.cache import cache_dir
from treeform.fileindex import TICK_NS, settled_times
from treeform.resources import schemas_dir, templates_dir

_PACKAGE = Path(__file__).resolve().parent

#: The libraries whose behaviour the output's bytes depend on (pinned in pyproject.toml):
#: import name -> distribution name.
OUTPUT_LIBRARIES = {"jinja2": "jinja2", "yaml": "pyyaml", "jsonschema_rs": "jsonschema_rs"}


def library_versions() -> dict[str, str]:
    """The installed versions of OUTPUT_LIBRARIES, read from the names of their `.dist-info`
    folders beside them (importlib.metadata costs a no-change run 30 ms; jinja2 is not
    imported)."""
    versions = {}
    for module, dist in OUTPUT_LIBRARIES.items():
        versions[dist] = "missing"
        spec = importlib.util.find_spec(module)
        if spec is None or spec.origin is None:
            continue
        site = Path(spec.origin).parent
        if spec.submodule_search_locations:
            site = site.parent
        for entry in os.listdir(site):  # noqa: PTH208 (names only: no Path per entry)
            name, _, version = entry.removesuffix(".dist-info").rpartition("-")
            if entry.endswith(".dist-info") and re.sub(r"[-_.]+", "_", name).lower() == dist:
                versions[dist] = version
                break
    return versions


def _code_files() -> list[tuple[str, str]]:
    """(name, path) of each file of treeform's code, templates and schemas, in the order
    they are hashed: each folder's files sorted by their path below it."""
    found: list[tuple[str, str]] = []
    for base, suffix in ((_PACKAGE, ".py"), (templates_dir(), ""), (schemas_dir(), "")):
        top = str(base)
        rows = []
        for directory, _, names in os.walk(top):
            for name in names:
                if name.endswith(suffix):
                    path = os.path.join(directory, name)  # noqa: PTH118 (no Path per file)
                    rows.append((path[len(top) + 1 :], path))
        found += sorted(rows, key=lambda row: row[0].split(os.sep))  # noqa: PTH206
    return found


@cache
def code_fingerprint() -> str:
    """A hash of treeform's version, code, templates and schemas, and of the versions of the
    libraries the output depends on. Kept in the cache (`code/`) by the metadata of those
    files (size, mtime and ctime in ns, inode: see fileindex), so that a run reads them
    only after an install or an edit changed one."""
    looked = time.time_ns()
    libraries = sorted(library_versions().items())
    files = _code_files()
    key = hashlib.sha256(__version__.encode())
    settled = True
    for name, path in files:
        try:
            info = os.stat(path)  # noqa: PTH116 (no Path per file)
        except OSError:
            settled = False
            continue
        meta = (info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns)
        key.update(f"{name}\0{meta}\0".encode("utf-8", "surrogateescape"))
        settled = settled and settled_times(meta[1], meta[3], looked - TICK_NS)
    key.update(repr(libraries).encode())
    directory = cache_dir("code")
    noted = directory / key.hexdigest()[:40] if directory is not None else None
    if noted is not None:
        with contextlib.suppress(OSError, UnicodeDecodeError):
            text = noted.read_text(encoding="ascii")
            if len(text) == 64 and all(c in "0123456789abcdef" for c in text):
                return text
    h = hashlib.sha256(__version__.encode())
    for dist, version in libraries:
        h.update(f"{dist}=={version}".encode())
    for name, path in files:
        h.update(name.encode("utf-8", "surrogateescape"))
        with open(path, "rb") as fh:  # noqa: PTH123 (no Path per file)
            h.update(fh.read())
    found = h.hexdigest()
    if noted is not None and settled:  # best effort, as every cache
        tmp = noted.with_name(f".{noted.name}.{os.getpid()}.tmp")
        with contextlib.suppress(OSError):
            tmp.write_text(found, encoding="ascii")
            tmp.replace(noted)
    return found


@cache
def _code_hash() -> hashlib._Hash:
    return hashlib.sha256(code_fingerprint().encode())


def cluster_fingerprint(
    cluster_id: str, defaults_chain: str, source_sha256: str, terraform: bytes = b""
) -> str:
    """A hash of one cluster's id, the bytes of its file (by their sha256, which the source
    index keeps: see fileindex) and of the defaults above it (`defaults_chain`, see
    `tree.Tree.chains`), and of its extra Terraform files (`terraform`, see
    `tree.Tree.read_terraform`), under the current code."""
    h = _code_hash().copy()
    parts = (cluster_id.encode(), defaults_chain.encode(), source_sha256.encode())
    for part in (*parts, terraform) if terraform else parts:
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()
