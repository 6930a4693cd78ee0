"""`treeform schema`: the schema of a model file, derived from the cluster schema. Every
file of the examples (cluster files and `_defaults.yaml`) validates against it, as an editor
would check it; a typo in a field name does not, nor does a wrong type or value."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from helpers import ROOT
from treeform.cli import cli
from treeform.fileschema import file_schema, file_schema_of
from treeform.validate import cluster_schema
from treeform.yamlload import load_yaml

EXAMPLE_FILES = sorted(
    p
    for p in (ROOT / "examples").rglob("*")
    if p.suffix in (".yaml", ".yml") and not any(part.startswith(".") for part in p.parts)
)


def _errors(data: Any, schema: dict[str, Any] | None = None) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema or file_schema())
    return sorted(
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)
    )


def _file(path: Path) -> Any:
    return load_yaml(path.read_bytes(), str(path)).data


def test_the_examples_include_defaults_and_cluster_files() -> None:
    names = {p.name for p in EXAMPLE_FILES}
    assert "_defaults.yaml" in names and len(names) > 5


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_example_file_validates_against_the_file_schema(path: Path) -> None:
    assert _errors(_file(path)) == []


def test_the_file_schema_is_itself_a_valid_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(file_schema())


def test_the_cli_prints_the_file_schema_and_with_effective_the_cluster_schema() -> None:
    printed = CliRunner().invoke(cli, ["schema"], catch_exceptions=False)
    effective = CliRunner().invoke(cli, ["schema", "--effective"], catch_exceptions=False)
    assert json.loads(printed.output) == file_schema()
    assert json.loads(effective.output) == cluster_schema()
    assert json.loads(printed.output) != cluster_schema()


def test_an_example_cluster_file_is_not_a_whole_cluster() -> None:
    # The reason for two schemas: a cluster file sets a few fields, its defaults the rest.
    payments = _file(ROOT / "examples/aws/prod/payments.yaml")
    assert _errors(payments, cluster_schema()) != []


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"kubernetesVersoin": "1.33"}, ""),  # a typo at the top
        ({"network": {"cidrr": "10.0.0.0/16"}}, "network"),
        ({"nodePools": {"general": {"machinType": "m6i.large"}}}, "nodePools.general"),
        ({"nodePools": {"general": {"taints": [{"key": "a", "efect": "NoSchedule"}]}}}, ""),
        ({"eks": {"eksclt": True}}, "eks"),
        ({"aws": {"acountId": "123456789012"}}, "aws"),
    ],
)
def test_a_typo_in_a_field_name_is_an_error(data: dict[str, Any], where: str) -> None:
    errors = _errors(data)
    assert errors, data
    assert any("Additional properties are not allowed" in e or "not valid" in e for e in errors)


@pytest.mark.parametrize(
    "data",
    [
        {"cloud": "aws-cloud"},  # enums are kept
        {"nodePools": {"general": {"minSize": "three"}}},
        {"nodePools": {"Bad_Name": {"minSize": 1}}},  # names of pools
        {"zones": [None]},  # a list is replaced whole: no null items
        {"nodePools": {"general": {"taints": [{"key": "dedicated"}]}}},  # a whole taint
    ],
)
def test_types_values_and_whole_list_items_are_still_checked(data: dict[str, Any]) -> None:
    assert _errors(data), data


def test_every_field_is_optional_and_null_removes_an_inherited_key() -> None:
    assert _errors({}) == []
    assert _errors({"nodePools": {"general": {"maxSize": 9}}}) == []  # one field of a pool
    assert _errors({"backend": {"bucket": "state"}}) == []  # type set in a _defaults.yaml
    removals = {
        "zones": None,
        "network": {"podCidr": None},
        "nodePools": {"batch": None, "general": {"labels": {"team": None}, "taints": None}},
        "tags": {"team": None},
        "eks": None,
    }
    assert _errors(removals) == []


def test_descriptions_and_enums_are_kept_for_completion() -> None:
    schema, cluster = file_schema(), cluster_schema()
    cloud = schema["properties"]["cloud"]
    assert cloud["enum"] == [*cluster["properties"]["cloud"]["enum"], None]
    machine = schema["$defs"]["file_nodePool"]["properties"]["machineType"]
    original = cluster["$defs"]["nodePool"]["properties"]["machineType"]
    assert machine["description"] == original["description"]
    assert machine["type"] == ["string", "null"] and machine["pattern"] == original["pattern"]


def test_the_file_schema_follows_a_field_added_to_the_cluster_schema() -> None:
    cluster = json.loads(json.dumps(cluster_schema()))
    cluster["$defs"]["nodePool"]["properties"]["newField"] = {
        "type": "string",
        "enum": ["a", "b"],
        "description": "added",
    }
    cluster["$defs"]["nodePool"]["oneOf"] = [{"required": ["machineType"]}, {"not": {}}]
    derived = file_schema_of(cluster)
    assert _errors({"nodePools": {"p": {"newField": "a"}}}, derived) == []
    assert _errors({"nodePools": {"p": {"newField": None}}}, derived) == []
    assert _errors({"nodePools": {"p": {"newField": "c"}}}, derived) != []
    assert _errors({"nodePools": {"p": {"newFeild": "a"}}}, derived) != []
