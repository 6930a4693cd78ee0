"""`atlantis.yaml` (repo config version 3): one Atlantis project per Terraform root module.

Atlantis plans a project when a pull request changes a file its `autoplan.when_modified`
patterns match (relative to the project's dir). Each cluster's root module is one project,
named after the cluster id, in a fixed order (sorted by dir), so the file is deterministic.
Reference: https://www.runatlantis.io/docs/repo-level-atlantis-yaml
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from pathlib import Path, PurePosixPath
from typing import Any

from treeform.errors import OutputError
from treeform.gitrepo import path_in_repository
from treeform.render import to_yaml
from treeform.settings import AtlantisSettings

ATLANTIS_FILE = "atlantis.yaml"
#: Files in a module directory that Atlantis should plan for beside the generated ones:
#: the dependency lock file a team commits after `terraform init`.
_EXTRA_PATTERNS = (".terraform.lock.hcl",)


def owner_of(path: str, cluster_ids: AbstractSet[str]) -> str | None:
    """The cluster whose output holds `path`: the longest cluster id that is a directory
    prefix of it (ids may nest: `aws/prod` and `aws/prod/payments`)."""
    parts = path.split("/")
    for i in range(len(parts) - 1, 0, -1):
        candidate = "/".join(parts[:i])
        if candidate in cluster_ids:
            return candidate
    return None


def _projects(
    paths: Iterable[str], cluster_ids: Iterable[str], settings: AtlantisSettings
) -> list[tuple[str, str, tuple[str, ...]]]:
    """(name, dir, when_modified) of each project, sorted. `paths` is read twice (once for
    the module directories, once for their files) and never copied: a large tree's paths
    are not all held at once. Equal pattern lists are shared."""
    ids = set(cluster_ids)
    prefix = PurePosixPath(settings.output_path) if settings.output_path else None
    modules = {p.rpartition("/")[0] for p in paths if p.endswith(".tf")}
    patterns: dict[str, set[str]] = {d: set(_EXTRA_PATTERNS) for d in modules}
    for path in paths:  # each path counts for every module directory above it
        parts = path.split("/")
        for i in range(len(parts) - 1, 0, -1):
            directory = "/".join(parts[:i])
            if directory in patterns:
                patterns[directory].add(_pattern(path[len(directory) + 1 :]))
    shared: dict[tuple[str, ...], tuple[str, ...]] = {}
    projects = []
    for directory in modules:
        owner = owner_of(directory, ids)
        if owner is None:
            continue
        name = owner if directory == f"{owner}/terraform" else directory
        when = tuple(sorted(patterns.pop(directory)))
        shown = str(prefix / directory) if prefix else directory
        projects.append((name, shown, shared.setdefault(when, when)))
    projects.sort(key=lambda p: (p[0], p[1]))
    return projects


def _pattern(rel: str) -> str:
    """The pattern matching a file of a module directory (`rel` below it): `*.tf` for a
    file in it (by suffix, as PurePosixPath names it), `sub/**` for one below it."""
    sub, slash, _ = rel.partition("/")
    if slash:
        return f"{sub}/**"
    dot = rel.rfind(".")
    return f"*{rel[dot:]}" if 0 < dot < len(rel) - 1 else rel


def _project(
    name: str, directory: str, when: tuple[str, ...], settings: AtlantisSettings
) -> dict[str, Any]:
    project: dict[str, Any] = {
        "name": name,
        "dir": directory,
        "autoplan": {"enabled": True, "when_modified": list(when)},
    }
    project.update(_project_settings(settings))
    return project


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
    # Plans are read-only and every project has a state of its own, so they may run side by
    # side; applies stay one at a time (Atlantis' default).
    projects = [_project(*p, settings) for p in _projects(list(paths), cluster_ids, settings)]
    return {"version": 3, "parallel_plan": True, "projects": projects}


def atlantis_fingerprint(
    paths: Iterable[str], cluster_ids: Iterable[str], settings: AtlantisSettings
) -> str:
    """A hash of everything `render_atlantis` reads (and of treeform's own code), the paths
    in the order given (a generate's: the tree's): a generate whose hash is the one recorded
    by the last keeps atlantis.yaml as it is."""
    from treeform.fingerprint import code_fingerprint

    h = hashlib.sha256(code_fingerprint().encode())
    h.update(repr((settings.enabled, settings.output_path)).encode())
    h.update(repr(sorted(_project_settings(settings).items())).encode())
    h.update(b"\0".join(p.encode() for p in sorted(set(cluster_ids))))
    h.update(b"\1")
    batch = iter(paths)
    while chunk := list(itertools.islice(batch, 4096)):  # a piece at a time: memory
        h.update("\0".join(chunk).encode())
        h.update(b"\0")
    h.update(b"\1")
    return h.hexdigest()


#: Projects per piece of YAML: the text of a large tree's file is made a piece at a time.
_PROJECTS_PER_PIECE = 256


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
    projects = _projects(paths, cluster_ids, settings)
    if not projects:
        return header + to_yaml({"version": 3, "parallel_plan": True, "projects": []})
    # A block sequence's items are written alike whatever their neighbours: the YAML of
    # the whole list is that of its pieces, one after the other.
    pieces = [header, to_yaml({"version": 3, "parallel_plan": True}), "projects:\n"]
    for start in range(0, len(projects), _PROJECTS_PER_PIECE):
        chunk = projects[start : start + _PROJECTS_PER_PIECE]
        pieces.append(to_yaml([_project(*p, settings) for p in chunk]))
    return "".join(pieces)


def locate_output(settings: AtlantisSettings, output: Path) -> AtlantisSettings:
    """The settings with `output_path` (OUT's path from the repository root) found from git
    when `outputPath` is not set, and checked against git when it is. OUT outside any
    repository is taken as the root of one (a repository of generated output); a later run
    inside the repository, as pre-commit's or CI's `generate --check`, finds the real path."""
    if not settings.enabled:
        return settings
    located = path_in_repository(output)
    if located is None:
        return settings
    found, root = located
    if settings.output_path_set and settings.output_path != found:
        raise OutputError(
            f"{output}: atlantis.outputPath is {settings.output_path or '.'!r}, but the output "
            f"directory is {found or '.'!r} in the git repository {root}; Atlantis would look "
            "for the projects in the wrong place: correct atlantis.outputPath (or leave it out "
            "to take the path from git)"
        )
    return dataclasses.replace(settings, output_path=found)
