"""Fingerprints that let a generate skip the clusters whose output cannot have changed.

A cluster's output is a function of its effective model and of treeform itself (its code,
templates and schema). The fingerprint hashes both; generate records it per cluster in the
output manifest, and the next run reuses the files of a cluster whose fingerprint is the
same and whose files are still as treeform wrote them.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from generator import __version__
from generator.resources import schemas_dir, templates_dir
from generator.tree import RawCluster

_PACKAGE = Path(__file__).resolve().parent


@cache
def code_fingerprint() -> str:
    """A hash of treeform's version, code, templates and schemas."""
    h = hashlib.sha256(__version__.encode())
    for base, pattern in ((_PACKAGE, "*.py"), (templates_dir(), "*"), (schemas_dir(), "*")):
        for path in sorted(p for p in base.rglob(pattern) if p.is_file()):
            h.update(str(path.relative_to(base)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def cluster_fingerprint(raw: RawCluster) -> str:
    """A hash of one cluster's id and effective model, under the current code."""
    h = hashlib.sha256(code_fingerprint().encode())
    h.update(raw.id.encode())
    h.update(json.dumps(raw.data, sort_keys=True, ensure_ascii=False, default=str).encode())
    return h.hexdigest()
