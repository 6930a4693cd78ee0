"""`atlantis.yaml` (repo config version 3): one Atlantis project per Terraform root module.

Atlantis plans a project when a pull request changes a file its `autoplan.when_modified`
patterns match (relative to the project's dir). Each cluster's root module is one project,
named after the cluster id, in a fixed order (sorted by dir), so the file is deterministic.
Reference: https://www.runatlantis.io/docs/repo-level-atlantis-yaml
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import subprocess
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from pathlib import Path, PurePosixPath
from typing import Any

from treeform.errors import OutputError
from treeform.render import to_yaml
from treeform.settings import AtlantisSettings

ATLANTIS_FILE = "atlantis.yaml"
#: Files in a module directory that Atlantis should plan for beside the generated ones:
#: the dependency lock file a team commits after `terraform init`.
_EXTRA_PATTERNS = (".terraform.lock.hcl",)


def terraform_dirs(paths: Iterable[str]) -> dict[str, list[str]]:
    """Directory -> the files in or below it, for every directory holding `*.tf` files."""
    paths = sorted(set(paths))
    dirs = {p.rpartition("/")[0] for p in paths if p.endswith(".tf")}
    found: dict[str, list[str]] = {d: [] for d in sorted(dirs)}
    for path in paths:  # each path goes to every module directory above it
        parts = path.split("/")
        for i in range(len(parts) - 1, 0, -1):
            directory = "/".join(parts[:i])
            if directory in found:
                found[directory].append(path)
    return found


def owner_of(path: str, cluster_ids: AbstractSet[str]) -> str | None:
    """The cluster whose output holds `path`: the longest cluster id that is a directory
    prefix of it (ids may nest: `aws/prod` and `aws/prod/payments`)."""
    parts = path.split("/")
    for i in range(len(parts) - 1, 0, -1):
        candidate = "/".join(parts[:i])
        if candidate in cluster_ids:
            return candidate
    return None


def _when_modified(directory: str, files: list[str]) -> list[str]:
    """Patterns matching the files of a module directory: `*.tf` for the files in it (by
    suffix, as PurePosixPath names it), `sub/**` for those below it."""
    patterns = set(_EXTRA_PATTERNS)
    cut = len(directory) + 1
    for path in files:
        rel = path[cut:]
        sub, slash, _ = rel.partition("/")
        if slash:
            patterns.add(f"{sub}/**")
            continue
        dot = rel.rfind(".")
        patterns.add(f"*{rel[dot:]}" if 0 < dot < len(rel) - 1 else rel)
    return sorted(patterns)


def _project_settings(settings: AtlantisSettings) -> dict[str, Any]:
    """The keys `MODEL/.treeform.yaml` sets on every project."""
    out: dict[str, Any] = {}
    if settings.terraform_version is not None:
        out["terraform_version"] = settings.terraform_version
    if settings.workflow is not None:
        out["workflow"] = settings.workflow
    for kind in ("plan", "apply", "import"):
        value = getattr(settings, f"{kind}_requirements")
        if value is not None:
            out[f"{kind}_requirements"] = list(value)
    return out


def atlantis_config(
    paths: Iterable[str], cluster_ids: Iterable[str], settings: AtlantisSettings
) -> dict[str, Any]:
    """The repo config for the output files at `paths` (relative to the output root)."""
    ids = set(cluster_ids)
    prefix = PurePosixPath(settings.output_path) if settings.output_path else None
    projects = []
    for directory, files in terraform_dirs(paths).items():
        owner = owner_of(directory, ids)
        if owner is None:
            continue
        name = owner if directory == f"{owner}/terraform" else directory
        project: dict[str, Any] = {
            "name": name,
            "dir": str(prefix / directory) if prefix else directory,
            "autoplan": {"enabled": True, "when_modified": _when_modified(directory, files)},
        }
        project.update(_project_settings(settings))
        projects.append(project)
    # Plans are read-only and every project has a state of its own, so they may run side by
    # side; applies stay one at a time (Atlantis' default).
    projects.sort(key=lambda p: (p["name"], p["dir"]))
    return {"version": 3, "parallel_plan": True, "projects": projects}


def atlantis_fingerprint(
    paths: Iterable[str], cluster_ids: Iterable[str], settings: AtlantisSettings
) -> str:
    """A hash of everything `render_atlantis` reads (and of treeform's own code): a generate
    whose hash is the one recorded by the last keeps atlantis.yaml as it is."""
    from treeform.fingerprint import code_fingerprint

    h = hashlib.sha256(code_fingerprint().encode())
    h.update(repr((settings.enabled, settings.output_path)).encode())
    h.update(repr(sorted(_project_settings(settings).items())).encode())
    for group in (sorted(set(cluster_ids)), sorted(set(paths))):
        h.update(b"\0".join(p.encode() for p in group))
        h.update(b"\1")
    return h.hexdigest()


def _comment_text(text: str) -> str:
    """`text` as it may stand in a YAML comment: a line break (U+2028 too, which ends a
    line for YAML 1.1 readers) or a control character would end the comment and start
    configuration, so each is written as an escape."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def render_atlantis(
    paths: Iterable[str], cluster_ids: Iterable[str], settings: AtlantisSettings
) -> str:
    """atlantis.yaml: a comment (the only text not made by the YAML emitter, and escaped),
    then the repo config, emitted."""
    shown = _comment_text(settings.output_path)
    header = (
        "# Generated by treeform from the model; edit the model, not this file.\n"
        "# Atlantis reads atlantis.yaml at the repository root"
        + (
            f"; this one sits in {shown}/, so set repo_config_file: "
            f"{shown}/atlantis.yaml in the server-side repos.yaml.\n"
            if settings.output_path
            else ".\n"
        )
    )
    return header + to_yaml(atlantis_config(paths, cluster_ids, settings))


def _repository_root(start: Path) -> Path | None:
    """The top of the git work tree holding `start` (an existing directory): git's answer
    where git is on PATH, else the nearest directory above holding `.git`; None when there
    is no repository. Raises OutputError when there is one that git cannot read."""
    marker = next((d for d in (start, *start.parents) if (d / ".git").exists()), None)
    if marker is None:
        return None
    if shutil.which("git") is None:
        return marker
    proc = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], cwd=start, capture_output=True, check=False
    )
    if proc.returncode != 0:
        said = proc.stderr.decode(errors="replace").strip().splitlines()
        raise OutputError(
            f"{start}: cannot tell where the output directory sits in its git repository "
            f"(git: {said[0] if said else 'failed'}), so the Atlantis project dirs cannot be "
            "known; set atlantis.outputPath in MODEL/.treeform.yaml"
        )
    return Path(proc.stdout.decode().strip()).resolve()


def locate_output(settings: AtlantisSettings, output: Path) -> AtlantisSettings:
    """The settings with `output_path` (OUT's path from the repository root) found from git
    when `outputPath` is not set, and checked against git when it is. OUT outside any
    repository is taken as the root of one (a repository of generated output); a later run
    inside the repository, as pre-commit's or CI's `generate --check`, finds the real path."""
    if not settings.enabled:
        return settings
    absolute = output.absolute()
    probe = absolute
    while not probe.is_dir():
        probe = probe.parent
    root = _repository_root(probe.resolve())
    if root is None:
        return settings
    try:
        found = (probe.resolve() / absolute.relative_to(probe)).relative_to(root).as_posix()
    except ValueError:
        raise OutputError(
            f"{output}: the output directory is not inside the git repository {root} that "
            "holds it (a symlink?), so the Atlantis project dirs cannot be known; set "
            "atlantis.outputPath in MODEL/.treeform.yaml"
        ) from None
    found = "" if found == "." else found
    if settings.output_path_set and settings.output_path != found:
        raise OutputError(
            f"{output}: atlantis.outputPath is {settings.output_path or '.'!r}, but the output "
            f"directory is {found or '.'!r} in the git repository {root}; Atlantis would look "
            "for the projects in the wrong place: correct atlantis.outputPath (or leave it out "
            "to take the path from git)"
        )
    return dataclasses.replace(settings, output_path=found)
