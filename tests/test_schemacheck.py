"""The compiled yes/no schema check must agree with jsonschema on every instance: on the
project's schema (every example, every invalid case, mutations of both, random values) and
on small schemas of one keyword each; and it must refuse a keyword it does not know."""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from helpers import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st
from treeform import validate
from treeform.schemacheck import UnsupportedSchema, compile_schema, json_equal, json_unique
from treeform.tree import RawCluster, load_model, load_tree

BUDGET = settings().max_examples
INVALID = ROOT / "tests" / "cases" / "invalid"


def _project_check() -> Any:
    return compile_schema(validate.cluster_schema(), validate._ecma_regex)


FAST = _project_check()
FULL = validate._validator()


def _agree(instance: Any) -> bool:
    """Whether the fast check and jsonschema agree on `instance` (and what they answer)."""
    full = FULL.is_valid(instance)
    assert FAST(instance) == full, instance
    return bool(full)


def _examples() -> list[RawCluster]:
    return load_model(ROOT / "examples")


def _invalid_cases() -> Iterator[RawCluster]:
    for case in sorted(INVALID.iterdir()):
        model = case / "model"
        if model.is_dir():
            raws, _ = load_tree(model)
            yield from raws


EXAMPLES = [raw.data for raw in _examples()]
CASES = [raw.data for raw in _invalid_cases()]

# --- the project's schema -------------------------------------------------------------


def test_the_project_schema_compiles_and_validate_uses_it() -> None:
    assert validate._is_valid() is not None


def test_every_example_is_valid_to_both() -> None:
    assert EXAMPLES
    assert all(_agree(data) for data in EXAMPLES)


def test_the_invalid_cases_agree() -> None:
    answers = [_agree(data) for data in CASES]
    assert False in answers  # the corpus does reach the slow path


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if prefix:
        yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _shape(path: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(0 if isinstance(p, int) else p for p in path)


def _targets() -> list[tuple[dict[str, Any], tuple[Any, ...]]]:
    """Each place of the examples once (list items and the same field of other examples
    count once), with the model it is in."""
    seen: set[tuple[Any, ...]] = set()
    out = []
    for data in EXAMPLES:
        for path in _paths(data):
            if _shape(path) not in seen:
                seen.add(_shape(path))
                out.append((data, path))
    return out


TARGETS = _targets()

#: Wrong types, bool against int, integral and other floats, bounds, lengths, patterns.
REPLACEMENTS: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1,
    1.0,
    2.5,
    3.0,
    10**6,
    float("nan"),
    "",
    "x",
    "Bad_Value\n",
    "é" * 300,
    "1.30",
    [],
    ["a", "a"],
    [1, 1.0],
    {},
    {"unknownField": 1},
]


def _replaced(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    out = copy.deepcopy(data)
    parent = out
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    return out


def _deleted(data: Any, path: tuple[Any, ...]) -> Any:
    out = copy.deepcopy(data)
    parent = out
    for part in path[:-1]:
        parent = parent[part]
    del parent[path[-1]]
    return out


def test_every_replacement_at_every_place_agrees() -> None:
    answers = {_agree(_replaced(data, path, v)) for data, path in TARGETS for v in REPLACEMENTS}
    assert answers == {True, False}


def test_deleting_any_field_agrees() -> None:
    answers = {_agree(_deleted(data, path)) for data, path in TARGETS}
    assert answers == {True, False}


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def test_an_unknown_key_in_any_mapping_agrees() -> None:
    answers = set()
    for data, path in TARGETS:
        if isinstance(_at(data, path), dict):
            for key in ("unknownField", "", 7, None, "UPPER CASE", "a" * 200):
                answers.add(_agree(_replaced(data, (*path, key), "x")))
    for key in ("unknownField", 7):
        answers.add(_agree({**EXAMPLES[0], key: "x"}))
    assert answers == {True, False}


def test_a_repeated_item_in_any_list_agrees() -> None:
    answers = set()
    for data, path in TARGETS:
        parent = _at(data, path)
        if isinstance(parent, list) and parent:
            answers.add(_agree(_replaced(data, path, [*parent, parent[0]])))
            answers.add(_agree(_replaced(data, path, [])))
    assert False in answers


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["", "aws", "eks", "10.0.0.0/16", "1.30", "web\n", "general", "s3"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=12) | st.integers(0, 3), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=max(50, BUDGET))
@given(st.sampled_from(range(len(TARGETS))), JSON)
def test_random_values_at_random_places_agree(target: int, value: Any) -> None:
    data, path = TARGETS[target]
    _agree(_replaced(data, path, value))


@settings(max_examples=max(20, BUDGET // 2))
@given(JSON)
def test_random_values_as_a_whole_cluster_agree(value: Any) -> None:
    _agree(value)


# --- one keyword at a time, against jsonschema's own Draft 2020-12 validator -------------

NAN = float("nan")
VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    2,
    0.0,
    1.0,
    1.5,
    -0.5,
    2.0,
    10**20,
    NAN,
    float("inf"),
    "",
    "a",
    "ab",
    "abc",
    "é",
    "éé",
    "😀😀",
    "a\n",
    "A",
    "7",
    [],
    [1],
    [1, 1],
    [1, 1.0],
    [1, True],
    [0, False],
    [True, True],
    ["a", "a"],
    ["a", "b"],
    [[1], [1.0]],
    [[1], [True]],
    [{"a": 1}, {"a": 1.0}],
    [{"a": 1}, {"a": True}],
    [1, "1"],
    [NAN, NAN],
    [None, None],
    {},
    {"a": 1},
    {"a": "x"},
    {"a": 1, "b": 2},
    {"b": 1},
    {"a": True},
    {"": 1},
    {1: "x"},
    {"long-key-name": 1},
]

SCHEMAS: list[Any] = [
    True,
    False,
    {},
    {"type": "integer"},
    {"type": "number"},
    {"type": "string"},
    {"type": "boolean"},
    {"type": "null"},
    {"type": "array"},
    {"type": "object"},
    {"type": ["string", "null"]},
    {"type": ["integer", "boolean"]},
    {"minLength": 2},
    {"maxLength": 1},
    {"type": "string", "minLength": 1, "maxLength": 2},
    {"pattern": "^[a-z]+$"},
    {"pattern": "b"},
    {"type": "string", "pattern": "^[a-z]*\\Z"},
    {"minimum": 1},
    {"maximum": 1},
    {"exclusiveMinimum": 0},
    {"type": "integer", "minimum": 0, "maximum": 10**6},
    {"type": "number", "anyOf": [{"const": -1}, {"exclusiveMinimum": 0}]},
    {"enum": ["a", "b", "ab"]},
    {"enum": [1, None, "a"]},
    {"enum": [True]},
    {"enum": [[1], {"a": 1}]},
    {"const": 1},
    {"const": 1.0},
    {"const": False},
    {"const": [1, {"a": 1}]},
    {"anyOf": [{"type": "string"}, {"minimum": 2}]},
    {"items": {"type": "integer"}},
    {"items": False},
    {"items": True},
    {"minItems": 1},
    {"maxItems": 1},
    {"uniqueItems": True},
    {"uniqueItems": False},
    {"type": "array", "items": {"type": "string"}, "uniqueItems": True, "minItems": 1},
    {"properties": {"a": {"type": "integer"}}},
    {"properties": {"a": {"type": "integer"}}, "additionalProperties": False},
    {"additionalProperties": False},
    {"additionalProperties": {"type": "integer"}},
    {"properties": {"a": {}}, "additionalProperties": {"type": "string"}},
    {"required": ["a"]},
    {"required": ["a", "b"]},
    {"maxProperties": 1},
    {"propertyNames": {"maxLength": 3}},
    {"propertyNames": {"pattern": "^[a-z]$"}},
    {"propertyNames": {"type": "string"}},
    {"propertyNames": False},
    {"$ref": "#/$defs/small", "$defs": {"small": {"type": "integer", "maximum": 1}}},
    {
        "$defs": {"tree": {"type": "object", "additionalProperties": {"$ref": "#/$defs/tree"}}},
        "$ref": "#/$defs/tree",
    },
    {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://example.com/s.json",
        "title": "t",
        "description": "d",
        "default": 1,
        "examples": [1],
        "x-message": "m",
        "type": "integer",
    },
]


@pytest.mark.parametrize("schema", SCHEMAS, ids=[str(i) for i in range(len(SCHEMAS))])
def test_one_keyword_agrees_with_jsonschema(schema: Any) -> None:
    fast = compile_schema(schema)
    full = jsonschema.Draft202012Validator(schema)
    for value in VALUES:
        assert fast(value) == full.is_valid(value), value


@settings(max_examples=max(50, BUDGET))
@given(st.sampled_from(SCHEMAS), JSON)
def test_random_values_agree_on_every_small_schema(schema: Any, value: Any) -> None:
    assert compile_schema(schema)(value) == jsonschema.Draft202012Validator(schema).is_valid(value)


def test_type_semantics() -> None:
    integer = compile_schema({"type": "integer"})
    assert (integer(1), integer(1.0), integer(1.5), integer(True), integer("1")) == (
        True,
        True,
        False,
        False,
        False,
    )
    number = compile_schema({"type": "number"})
    assert (number(1), number(0.5), number(False)) == (True, True, False)


def test_equality_semantics() -> None:
    assert json_equal(1, 1.0)
    assert not json_equal(True, 1)
    assert not json_equal([0], [False])
    assert json_equal({"a": [1]}, {"a": [1.0]})
    assert not json_unique([1, 1.0])
    assert json_unique([1, True])
    assert json_unique([0, False, "0"])
    assert not json_unique([{"a": 1}, {"a": 1}])
    nan = float("nan")
    assert json_unique([nan, float("nan")]) and math.isnan(nan)


def test_lengths_count_code_points() -> None:
    assert compile_schema({"maxLength": 2})("😀é")
    assert not compile_schema({"maxLength": 1})("😀é")


def test_patterns_search_unless_anchored() -> None:
    assert compile_schema({"pattern": "b"})("abc")
    assert not compile_schema({"pattern": "^b"})("abc")
    # The project reads `$` as the end of the string, as ECMA-262 does.
    ecma = compile_schema({"pattern": "^[a-z]+$"}, validate._ecma_regex)
    assert not ecma("web\n")
    assert compile_schema({"pattern": "^[a-z]+$"})("web\n")


# --- refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "schema",
    [
        {"patternProperties": {"^a": {}}},
        {"type": "object", "properties": {"a": {"format": "ipv4"}}},
        {"oneOf": [{}, {}]},
        {"allOf": [{}]},
        {"not": {}},
        {"prefixItems": [{}]},
        {"exclusiveMaximum": 1},
        {"multipleOf": 2},
        {"unevaluatedProperties": False},
        {"$defs": {"unused": {"if": {}, "then": {}}}},
        {"$ref": "other.json#/$defs/a"},
        {"$ref": "#/properties/a"},
        {"$ref": "#/$defs/missing", "$defs": {}},
        {"properties": {"a": {"$id": "https://example.com/a"}}},
        {"$schema": "http://json-schema.org/draft-07/schema#"},
        {"type": "integr"},
        {"minLength": "1"},
        {"comment": "a typo of $comment"},
    ],
)
def test_an_unknown_keyword_refuses_to_compile(schema: Any) -> None:
    with pytest.raises(UnsupportedSchema):
        compile_schema(schema)


def test_validate_falls_back_to_jsonschema_when_the_schema_does_not_compile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*_: Any) -> Any:
        raise UnsupportedSchema("test")

    raws = _examples()
    bad = RawCluster(raws[0].id, raws[0].file, {**raws[0].data, "zones": 3}, raws[0].provenance)
    with_fast = list(validate._schema_issues(bad))
    monkeypatch.setattr(validate, "compile_schema", refuse)
    validate._is_valid.cache_clear()
    try:
        assert validate._is_valid() is None
        assert list(validate._schema_issues(raws[0])) == []
        assert list(validate._schema_issues(bad)) == with_fast != []
    finally:
        validate._is_valid.cache_clear()
