"""Fingerprints that let a generate skip the clusters whose output cannot have changed.

A cluster's output is a function of its effective model and of treeform itself (its code,
templates and schema), and its effective model a function of the bytes of its file and of
the `_defaults.yaml` files above it. The fingerprint hashes those bytes and treeform's own,
so that an unchanged cluster is known without even parsing its file; generate records it
per cluster in the output manifest, and the next run reuses the files of a cluster whose
fingerprint is the same and whose files are still as treeform wrote them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
from functools import cache
from pathlib import Path

from treeform import __version__
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


@cache
def code_fingerprint() -> str:
    """A hash of treeform's version, code, templates and schemas, and of the versions of the
    libraries the output depends on."""
    h = hashlib.sha256(__version__.encode())
    for dist, version in sorted(library_versions().items()):
        h.update(f"{dist}=={version}".encode())
    for base, pattern in ((_PACKAGE, "*.py"), (templates_dir(), "*"), (schemas_dir(), "*")):
        for path in sorted(p for p in base.rglob(pattern) if p.is_file()):
            h.update(str(path.relative_to(base)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


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
