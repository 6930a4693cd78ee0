"""The code fingerprint covers the libraries the output's bytes depend on: an upgrade of one
of them re-renders every cluster rather than trusting files an older library wrote."""

from __future__ import annotations

import importlib.metadata

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
