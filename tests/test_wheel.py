"""The installed package finds its templates and schemas: build the wheel, install it into a
fresh virtual environment, and render the examples with it."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest
from helpers import ROOT
from treeform.pipeline import generate_files

EDGE = """\
cloud: digitalocean
engine: doks
region: nyc1
kubernetesVersion: "1.35"
nodePools:
  general: {machineType: s-2vcpu-4gb, minSize: 1, maxSize: 3}
"""


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
            "import treeform.resources as r; print(r.templates_dir())",
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
    # The import name is `treeform`: nothing called `generator` is installed, `python -m
    # treeform` runs, and a user repository with a `generator.py` of its own keeps working
    # with the auto-loaded pytest plugin.
    py = str(env / "bin" / "python")
    site = subprocess.run(
        [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert not (Path(site) / "generator").exists()
    assert not (Path(site) / "generator.py").exists()
    version = subprocess.run(
        [py, "-m", "treeform", "--version"], capture_output=True, text=True, cwd=tmp_path
    )
    assert version.returncode == 0 and "treeform" in version.stdout, version.stderr
    user = tmp_path / "user-repo"
    (user / "clusters").mkdir(parents=True)
    (user / "generator.py").write_text("RAISE = 'a module of the user, unrelated to treeform'\n")
    (user / "clusters" / "edge.yaml").write_text(EDGE)
    (user / "test_user.py").write_text(
        "import generator\n\n"
        "def test_render(treeform_render):\n"
        "    files = treeform_render('clusters')\n"
        "    assert any(p.endswith('.tf') for p in files)\n"
        "    assert generator.RAISE\n"
    )
    pip = subprocess.run(
        [py, "-m", "pip", "install", "--quiet", "pytest"], capture_output=True, text=True
    )
    assert pip.returncode == 0, pip.stderr
    run = subprocess.run(
        [py, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        cwd=user,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout
