"""Where templates and schemas live: beside the package in a checkout, inside it in a wheel.

The wheel carries them as `treeform/_data/{templates,schemas}` (see pyproject.toml); a
checkout or an editable install reads the top-level folders. One resolver serves both.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"treeform is installed without its {name}/ folder")


def templates_dir() -> Path:
    return data_dir("templates")


def schemas_dir() -> Path:
    return data_dir("schemas")
