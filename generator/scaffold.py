"""`treeform new ID --cloud C --engine E [MODEL]`: a commented cluster file to start from.

Fields that a `_defaults.yaml` above already sets are written as comments that name the
file, so the new cluster inherits them until someone uncomments one. The first line points
the YAML language server (VS Code, Neovim, JetBrains...) at the schema of a model file (every
field optional, `null` removes an inherited key; `treeform schema`), which is written beside
the model as `.treeform/model-file.schema.json` (the tree ignores names starting with `.`), so
editors complete and check fields offline.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from treeform.capabilities import HONOURED_BY
from treeform.errors import OutputError, UsageError
from treeform.fileschema import file_schema
from treeform.providers import PROVIDERS
from treeform.render import to_yaml
from treeform.tree import DEFAULTS_FILE
from treeform.validate import cluster_schema
from treeform.yamlload import YamlProblem, load_yaml, read_yaml_file

SCHEMA_PATH = ".treeform/model-file.schema.json"
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_SEGMENT = re.compile(r"^[A-Za-z0-9][-A-Za-z0-9_.]*\Z")


def _inherited(model: Path, cluster_id: str) -> dict[str, str]:
    """Top-level field -> the `_defaults.yaml` (shown path) that sets it for `cluster_id`."""
    parts = cluster_id.split("/")[:-1]
    found: dict[str, str] = {}
    for depth in range(len(parts) + 1):
        rel = "/".join([*parts[:depth], DEFAULTS_FILE])
        path = model / rel
        if not path.is_file():
            continue
        try:
            data = load_yaml(read_yaml_file(path, str(path)), str(path)).data
        except (OSError, YamlProblem):
            continue
        for key, value in (data or {}).items() if isinstance(data, dict) else ():
            if value is None:
                found.pop(key, None)
            else:
                found[key] = rel
    return found


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def _field(text: str, comment: str = "") -> list[str]:
    lines = text.rstrip("\n").split("\n")
    if comment:
        lines[0] += f"  # {comment}"
    return lines


def _commented(lines: list[str]) -> list[str]:
    return [f"# {line}" for line in lines]


def scaffold_cluster(
    cluster_id: str, cloud: str, engine_name: str, schema_ref: str, inherited: dict[str, str]
) -> str:
    """The text of a new cluster file."""
    provider = PROVIDERS[cloud]
    engine = provider.engines[engine_name]
    # The engine's example: a region and a general-purpose machine type to start from.
    region, machine = engine.example.region, engine.example.machine_type
    version = max(engine.versions, key=_version_key)
    defs = cluster_schema()["$defs"]
    account = sorted(defs.get(f"cloud_{cloud}", {}).get("properties", {}))
    settings = sorted(defs.get(f"engine_{engine_name}", {}).get("properties", {}))
    stem = cluster_id.rsplit("/", 1)[-1]
    out = [
        f"# yaml-language-server: $schema={schema_ref}",
        f"# Cluster {cluster_id}: its id is this file's path in the model tree.",
        "# A field that a _defaults.yaml above sets is inherited; set it here to override it.",
        f"# `treeform explain MODEL {cluster_id}` shows each effective value and who set it.",
        "",
        *_commented(_field(to_yaml({"name": stem}), "defaults to the file name")),
        *_field(to_yaml({"cloud": cloud})),
        *_field(to_yaml({"engine": engine_name})),
    ]
    optional: list[tuple[str, Any, str]] = [
        ("region", region, ""),
        ("zones", list(provider.regions[region][:3]), "absent: the first three of the region"),
        (
            "kubernetesVersion",
            version,
            f"{engine_name} offers {', '.join(engine.versions)}; node pools follow it",
        ),
        ("highAvailability", True, "the control plane survives the loss of a zone"),
        ("network", {"cidr": "10.0.0.0/16", "topology": "private"}, "private: nodes behind NAT"),
        ("apiServer", {"public": False}, "private endpoint only"),
        (
            "nodePools",
            {"general": {"machineType": machine, "minSize": 2, "maxSize": 5}},
            f"or machineTypes: [..]; image, diskType: docs/engines/{engine_name}.md",
        ),
        (
            "addons",
            [],
            f"{engine_name} knows: {', '.join(sorted(engine.addons))}"
            + (
                "; an entry may be {name, version, configuration}"
                if engine_name in HONOURED_BY["addons[].version"]
                else ""
            ),
        ),
        ("tags", {"team": "CHANGE-ME"}, "become the cloud's tags or labels"),
        (
            "backend",
            {"type": "local"},
            "where the Terraform state lives: s3 | gcs | azurerm | cloud | ...",
        ),
    ]
    # The day-2 fields, where the engine honours them (treeform.capabilities).
    day2: list[tuple[str, Any, str]] = [
        (
            "maintenance",
            {"day": "sunday", "start": "02:00", "hours": 4, "timeZone": "UTC"},
            "when the cloud may upgrade; exclusions: [{name, start, end}]",
        ),
        (
            "access",
            [{"principal": "CHANGE-ME", "role": "view"}],
            "role: cluster-admin | admin | edit | view; namespaces: [..]",
        ),
        ("encryption", {"secretsKey": "CHANGE-ME"}, "your own key for Kubernetes secrets"),
        (
            "autoprovisioning",
            {"enabled": True},
            "nodes made for pending pods; GKE also needs cpu and memoryGb limits",
        ),
    ]
    optional += [f for f in day2 if engine_name in HONOURED_BY.get(f[0], frozenset())]
    commented_by_default = {"zones", "addons", "tags", "backend", *(f[0] for f in day2)}
    for key, value, note in optional:
        lines = _field(to_yaml({key: value}), note)
        if key in inherited:
            out += [f"# {key}: inherited from {inherited[key]}", *_commented(lines)]
        elif key in commented_by_default:
            out += _commented(lines)
        else:
            out += lines
    if account:
        out.append(f"# {cloud}:  # account settings: {', '.join(account)}")
    if settings:
        out.append(f"# {engine_name}:  # engine settings: {', '.join(settings)}")
    return "\n".join(out) + "\n"


def check_cluster_id(cluster_id: str) -> str:
    """A cluster id as `new` and `import` take it (`aws/prod/payments`, a trailing `.yaml`
    allowed): relative path segments, the last one the cluster's name; else a UsageError."""
    cluster_id = cluster_id.strip("/").removesuffix(".yaml").removesuffix(".yml")
    segments = cluster_id.split("/")
    if not cluster_id or any(not _SEGMENT.match(s) for s in segments):
        raise UsageError(
            f"{cluster_id!r} is not a cluster id: use path segments of letters, digits, "
            "'-', '_' and '.', not starting with '.' or '_' (e.g. aws/prod/payments)"
        )
    if not _LABEL.match(segments[-1]):
        raise UsageError(
            f"the file name {segments[-1]!r} is the cluster's name: use lowercase letters, "
            "digits and '-' (a DNS label)"
        )
    return cluster_id


def create_cluster_file(
    model: Path, cluster_id: str, cloud: str, engine: str, schema: str | None = None
) -> tuple[Path, list[Path]]:
    """Write the new cluster file (and the schema for editors); the paths written."""
    cluster_id = check_cluster_id(cluster_id)
    provider = PROVIDERS.get(cloud)
    if provider is None:
        raise UsageError(f"unknown cloud {cloud!r}; known: {', '.join(sorted(PROVIDERS))}")
    if engine not in provider.engines:
        raise UsageError(
            f"engine {engine!r} does not run on {cloud}; {cloud} engines: "
            f"{', '.join(sorted(provider.engines)) or 'none in this treeform'}"
        )
    if model.exists() and not model.is_dir():
        raise UsageError(f"{model}: the model root is not a directory")
    target = model / f"{cluster_id}.yaml"
    if target.exists() or target.with_suffix(".yml").exists():
        raise OutputError(f"{target}: the cluster exists already")
    written = []
    if not model.exists():  # a new tree: its root is created with its first cluster
        model.mkdir(parents=True)
        written.append(model)
    if schema is None:
        schema_file = model / SCHEMA_PATH
        text = json.dumps(file_schema(), indent=2) + "\n"
        if not schema_file.is_file() or schema_file.read_text(encoding="utf-8") != text:
            schema_file.parent.mkdir(parents=True, exist_ok=True)
            schema_file.write_text(text, encoding="utf-8")
            written.append(schema_file)
        schema = Path(os.path.relpath(schema_file, target.parent)).as_posix()
    if "\n" in schema or "\r" in schema:
        raise UsageError("--schema must be one line")
    text = scaffold_cluster(cluster_id, cloud, engine, schema, _inherited(model, cluster_id))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target, written
