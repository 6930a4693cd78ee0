"""Settings of a whole model tree (not of a cluster): `MODEL/.treeform.yaml`.

The tree walker ignores names starting with `.`, so this file is never read as a cluster.
It holds what concerns the output as a whole, so that every run (a person's, pre-commit's,
CI's) agrees without repeating flags:

    atlantis:
      enabled: true        # false: no atlantis.yaml
      outputPath: output   # where the output directory sits in the repository (default: from git)
      terraformVersion: 1.10.5          # terraform_version of every project
      workflow: treeform                # a workflow the Atlantis server defines
      planRequirements: [approved]      # and applyRequirements, importRequirements
    # or simply `atlantis: false`
    versions:              # minors to add to an engine's version table
      eks: ["1.37"]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from treeform.errors import Issue, Location, ModelError
from treeform.layout import SETTINGS_FILE
from treeform.yamlload import YamlProblem, format_path, load_yaml, read_yaml_file

#: What Atlantis can require before a plan, apply or import (repo config version 3).
REQUIREMENTS = ("approved", "mergeable", "undiverged")

_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "atlantis": {
            # true | false | a mapping; the branches are told apart by type (`if`), so an
            # error inside the mapping is reported at its own key.
            "if": {"type": "object"},
            "then": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "enabled": {"type": "boolean"},
                    "outputPath": {
                        "type": "string",
                        # `$` also matches before a final newline (Python's re, as jsonschema
                        # uses it): the `not` refuses every line break wherever it is.
                        "pattern": "^[^\\x00-\\x1f\\x7f\\u0085\\u2028\\u2029]+$",
                        "not": {"pattern": "[\\n\\r\\u0085\\u2028\\u2029]"},
                    },
                    # A specific version (Atlantis installs it), as Terraform numbers them.
                    "terraformVersion": {
                        "type": "string",
                        "pattern": "^v?[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.]+)?\\Z",
                    },
                    # The name of a workflow the Atlantis server defines.
                    "workflow": {
                        "type": "string",
                        "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]*\\Z",
                        "maxLength": 100,
                    },
                    **{
                        f"{kind}Requirements": {
                            "type": "array",
                            "uniqueItems": True,
                            "items": {"enum": list(REQUIREMENTS)},
                        }
                        for kind in ("plan", "apply", "import")
                    },
                },
            },
            "else": {"type": "boolean"},
        },
        # Checked by `_versions`, key by key, for messages that name the engines.
        "versions": {},
    },
}


#: What ends a line for a YAML, JSON or shell reader: never in a setting.
_LINE_BREAKS = frozenset("\n\r\x85\u2028\u2029")


def _line_break_issues(value: Any, path: tuple[Any, ...], doc: Any, shown: str) -> list[Issue]:
    """A line break in any setting (its value or its key), whatever its schema says: settings
    are written into generated files (atlantis.yaml)."""
    issues = []
    if isinstance(value, str) and not _LINE_BREAKS.isdisjoint(value):
        issues.append(
            Issue(
                doc.values.get(path, Location(shown)),
                format_path(path),
                "a line break (\\n, \\r, U+0085, U+2028, U+2029) is not allowed in a setting",
            )
        )
    elif isinstance(value, dict):
        for key, item in value.items():
            if not _LINE_BREAKS.isdisjoint(key):
                issues.append(
                    Issue(
                        doc.keys.get((*path, key), Location(shown)),
                        format_path(path),
                        "a line break is not allowed in a setting's name",
                    )
                )
                continue
            issues.extend(_line_break_issues(item, (*path, key), doc, shown))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            issues.extend(_line_break_issues(item, (*path, i), doc, shown))
    return issues


@dataclass(frozen=True)
class AtlantisSettings:
    enabled: bool = True
    #: The output directory's path from the repository root ("" when it is the root).
    output_path: str = ""
    #: Whether `outputPath` was set (otherwise it is found from git, see atlantis.py).
    output_path_set: bool = False
    #: `terraform_version`, `workflow` and `plan/apply/import_requirements` of every project.
    terraform_version: str | None = None
    workflow: str | None = None
    plan_requirements: tuple[str, ...] | None = None
    apply_requirements: tuple[str, ...] | None = None
    import_requirements: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Settings:
    atlantis: AtlantisSettings = field(default_factory=AtlantisSettings)
    #: Minors added to engines' version tables, by engine name.
    versions: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False)


def load_settings(root: Path, root_display: str | None = None) -> Settings:
    """The settings of the model tree at `root`; defaults when it has no settings file."""
    path = root / SETTINGS_FILE
    shown = f"{(root_display if root_display is not None else str(root)).rstrip('/')}/"
    shown = SETTINGS_FILE if shown in ("/", "./") else shown + SETTINGS_FILE
    try:
        raw = read_yaml_file(path, shown)
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        raise ModelError([Issue(Location(shown), "", f"cannot read: {exc.strerror}")]) from None
    except YamlProblem as problem:
        raise ModelError([problem.issue]) from None
    try:
        doc = load_yaml(raw, shown)
    except YamlProblem as problem:
        raise ModelError([problem.issue]) from None
    import jsonschema  # only for a tree with a settings file

    data = doc.data if doc.data is not None else {}
    issues = _line_break_issues(data, (), doc, shown)
    broken = {issue.path for issue in issues}  # said once, not again by the schema
    for error in jsonschema.Draft202012Validator(_SCHEMA).iter_errors(data):
        where = tuple(error.absolute_path)
        if format_path(where) in broken:
            continue
        if error.validator == "additionalProperties":
            for key in sorted(set(error.instance) - set(error.schema.get("properties", {}))):
                child = (*where, key)
                issues.append(
                    Issue(
                        doc.keys.get(child, Location(shown)),
                        format_path(child),
                        f"unknown setting {key!r}; known: "
                        f"{', '.join(sorted(error.schema.get('properties', {})))}",
                    )
                )
            continue
        message = (
            "must be true, false or a mapping of enabled, outputPath, terraformVersion, "
            "workflow and planRequirements/applyRequirements/importRequirements"
            if where == ("atlantis",) and error.validator == "type"
            else str(error.message)
        )
        issues.append(Issue(doc.values.get(where, Location(shown)), format_path(where), message))
    has_versions = isinstance(data, dict) and "versions" in data
    versions = _versions(data["versions"], doc, shown, issues) if has_versions else {}
    if issues:
        raise ModelError(issues)
    atlantis = data.get("atlantis", True)
    if isinstance(atlantis, bool):
        return Settings(AtlantisSettings(enabled=atlantis), versions)
    output_path = str(PurePosixPath(atlantis.get("outputPath", ".")))
    if output_path.startswith(("/", "..")) or "/../" in output_path:
        raise ModelError(
            [
                Issue(
                    doc.values.get(("atlantis", "outputPath"), Location(shown)),
                    "atlantis.outputPath",
                    "must be a relative path inside the repository",
                )
            ]
        )
    version = atlantis.get("terraformVersion")
    if version is not None and _too_old(version):
        raise ModelError(
            [
                Issue(
                    doc.values.get(("atlantis", "terraformVersion"), Location(shown)),
                    "atlantis.terraformVersion",
                    f"Terraform {version} is older than {MIN_TERRAFORM}, which every generated "
                    "module requires (required_version)",
                )
            ]
        )

    def requirements(kind: str) -> tuple[str, ...] | None:
        value = atlantis.get(f"{kind}Requirements")
        return None if value is None else tuple(value)

    return Settings(
        AtlantisSettings(
            enabled=atlantis.get("enabled", True),
            output_path="" if output_path == "." else output_path,
            output_path_set="outputPath" in atlantis,
            terraform_version=version,
            workflow=atlantis.get("workflow"),
            plan_requirements=requirements("plan"),
            apply_requirements=requirements("apply"),
            import_requirements=requirements("import"),
        ),
        versions,
    )


_MINOR = re.compile(r"[0-9]+\.[0-9]+\Z")


def _older(minor: str, than: str) -> bool:
    """Whether `minor` is `than` or older."""
    return tuple(map(int, minor.split("."))) <= tuple(map(int, than.split(".")))


def _versions(value: Any, doc: Any, shown: str, issues: list[Issue]) -> dict[str, tuple[str, ...]]:
    """`versions: {ENGINE: ["1.37", ...]}`: minors added to engines' version tables."""
    from treeform.providers import PROVIDERS

    engines = {name: e for p in PROVIDERS.values() for name, e in p.engines.items()}
    where = doc.values.get(("versions",), Location(shown))
    if not isinstance(value, dict):
        issues.append(
            Issue(where, "versions", 'must be a mapping of engine to minors, e.g. {eks: ["1.37"]}')
        )
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for engine, minors in value.items():
        path = ("versions", engine)
        if engine not in engines:
            issues.append(
                Issue(
                    doc.keys.get(path, where),
                    format_path(path),
                    f"unknown engine {str(engine)!r}; known: {', '.join(sorted(engines))}",
                )
            )
            continue
        if not isinstance(minors, list) or not minors:
            issues.append(
                Issue(
                    doc.values.get(path, where),
                    format_path(path),
                    'must be a non-empty list of minor versions, e.g. ["1.37"]',
                )
            )
            continue
        table = engines[engine].versions
        newest = max(table, key=lambda v: tuple(int(p) for p in v.split(".")))
        for i, minor in enumerate(minors):
            if isinstance(minor, str) and _MINOR.match(minor) and _older(minor, newest):
                issues.append(
                    Issue(
                        doc.values.get((*path, i), where),
                        format_path((*path, i)),
                        f"{minor} is not newer than {engine}'s table (newest {newest}, as of "
                        f"{engines[engine].versions_taken}): only newer minors can be added, "
                        "the ones the cloud retired stay out",
                    )
                )
            elif not isinstance(minor, str) or not _MINOR.match(minor):
                hint = (
                    " (quote it: YAML reads 1.30 as the number 1.3)"
                    if isinstance(minor, float)
                    else ""
                )
                issues.append(
                    Issue(
                        doc.values.get((*path, i), where),
                        format_path((*path, i)),
                        f'{minor!r} is not a minor version like "1.37"{hint}',
                    )
                )
        out[engine] = tuple(m for m in minors if isinstance(m, str) and _MINOR.match(m))
    return out


#: The oldest Terraform the generated modules accept (S3 native locking); see
#: providers/common.py TERRAFORM_VERSION.
MIN_TERRAFORM = "1.10.0"


def _too_old(version: str) -> bool:
    def key(text: str) -> tuple[int, ...]:
        return tuple(int(p) for p in text.lstrip("v").split("-")[0].split("."))

    return key(version) < key(MIN_TERRAFORM)
