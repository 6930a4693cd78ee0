"""The code fingerprint covers the libraries the output's bytes depend on: an upgrade of one
of them re-renders every cluster rather than trusting files an older library wrote."""

from __future__ import annotations

import importlib.metadata
import os
import time
from pathlib import Path
from typing import IO

import pytest
from treeform import fingerprint


def test_the_library_versions_are_the_installed_ones() -> None:
    found = fingerprint.library_versions()
    assert set(found) == set(fingerprint.OUTPUT_LIBRARIES.values())
    for dist, version in found.items():
        assert version == importlib.metadata.version(dist), dist


def test_another_library_version_is_another_fingerprint(monkeypatch: pytest.MonkeyPatch) -> None:
    fingerprint.code_fingerprint.cache_clear()
    try:
        before = fingerprint.code_fingerprint()
        upgraded = {**fingerprint.library_versions(), "jinja2": "3.1.999"}
        monkeypatch.setattr(fingerprint, "library_versions", lambda: upgraded)
        fingerprint.code_fingerprint.cache_clear()
        assert fingerprint.code_fingerprint() != before
    finally:
        fingerprint.code_fingerprint.cache_clear()


def test_the_fingerprint_is_kept_by_the_metadata_of_the_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run reads treeform's files only when one changed: the fingerprint is kept in the
    cache by their metadata, noted once they are older than a clock tick; an edit that puts
    size and mtime back is another fingerprint (its ctime)."""
    monkeypatch.setenv("TREEFORM_CACHE_DIR", str(tmp_path / "cache"))
    code = tmp_path / "code.py"
    code.write_text("x = 1\n")
    monkeypatch.setattr(fingerprint, "_code_files", lambda: [("code.py", str(code))])
    opened: list[str] = []

    def counting_open(path: str, mode: str) -> IO[bytes]:
        opened.append(path)
        return open(path, mode)  # noqa: PTH123

    monkeypatch.setattr(fingerprint, "open", counting_open, raising=False)

    def fresh() -> str:
        fingerprint.code_fingerprint.cache_clear()
        return fingerprint.code_fingerprint()

    try:
        first = fresh()  # too recent to be noted
        time.sleep(0.05)
        assert fresh() == first
        assert len(opened) == 2
        assert fresh() == first
        assert len(opened) == 2  # from the cache
        before = code.stat()
        code.write_text("x = 2\n")
        os.utime(code, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert fresh() != first
    finally:
        fingerprint.code_fingerprint.cache_clear()
