"""The installed package finds its templates and schemas: build the wheel, install it into a
fresh virtual environment, and render the examples with it."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest
from helpers import ROOT

from generator.pipeline import generate_files


@pytest.mark.slow
def test_wheel_renders_the_examples_like_the_checkout(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("treeform-*.whl")
    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    pip = subprocess.run(
        [str(env / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert pip.returncode == 0, pip.stderr
    out = tmp_path / "out"
    # Run from elsewhere so nothing of the checkout can be picked up by accident.
    proc = subprocess.run(
        [str(env / "bin" / "treeform"), "generate", str(ROOT / "examples"), "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    located = subprocess.run(
        [
            str(env / "bin" / "python"),
            "-c",
            "import generator.resources as r; print(r.templates_dir())",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    ).stdout.strip()
    assert located.startswith(str(env)), located
    expected = generate_files(ROOT / "examples")
    written = {str(p.relative_to(out)): p.read_text() for p in out.rglob("*") if p.is_file()}
    written.pop(".treeform-manifest.json")
    assert written == expected
