"""The fast yes/no schema check (jsonschema-rs) must agree with jsonschema, which words the
errors, on every instance: on the project's schema (every example, every invalid case,
mutations of both, random values) and on small schemas of one keyword each. Where an instance
is not JSON (a mapping key that is not a string), the fast check says "ask jsonschema"."""

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
from treeform.tree import RawCluster, load_model, load_tree

BUDGET = settings().max_examples
INVALID = ROOT / "tests" / "cases" / "invalid"


FAST = validate._is_valid()
FULL = validate._validator()


def _json(value: Any) -> bool:
    """Whether `value` is JSON: mappings keyed by strings only and finite numbers, all the
    way down (YAML also has `.nan`, `.inf` and other keys, which jsonschema-rs cannot read)."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_json(v) for v in value)
    return not isinstance(value, float) or math.isfinite(value)


def _same(fast: Any, full: Any, instance: Any) -> None:
    """The fast check never calls an invalid instance valid, and on JSON it is exact;
    elsewhere it may say no, and jsonschema then decides."""
    answer = fast(instance)
    if answer:
        assert full.is_valid(instance), instance
    if _json(instance):
        assert answer == full.is_valid(instance), instance


def _agree(instance: Any) -> bool:
    """Whether the fast check and jsonschema agree on `instance` (and what they answer)."""
    _same(FAST, FULL, instance)
    return bool(FULL.is_valid(instance))


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


def test_validate_asks_the_fast_check_first_and_jsonschema_only_when_it_says_no(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    raws = _examples()
    bad = RawCluster(raws[0].id, raws[0].file, {**raws[0].data, "zones": 3}, raws[0].provenance)
    issues = list(validate._schema_issues(bad))
    assert issues and "zones" in issues[0].path
    asked: list[Any] = []
    monkeypatch.setattr(validate, "_validator", lambda: asked.append(1) or FULL)
    assert list(validate._schema_issues(raws[0])) == [] and asked == []
    assert list(validate._schema_issues(bad)) == issues and asked == [1]


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
    {"type": "string", "pattern": "^[a-z]*$"},
    {"type": "number", "minimum": 1},
    {"type": "number", "maximum": 1},
    {"type": "number", "exclusiveMinimum": 0},
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
    fast = validate.yes_no_check(schema)
    full = _jsonschema(schema)
    for value in VALUES:
        _same(fast, full, value)


@settings(max_examples=max(50, BUDGET))
@given(st.sampled_from(SCHEMAS), JSON)
def test_random_values_agree_on_every_small_schema(schema: Any, value: Any) -> None:
    _same(validate.yes_no_check(schema), _jsonschema(schema), value)


def _jsonschema(schema: Any) -> Any:
    """jsonschema with the project's ECMA-262 reading of `$` (see validate._validator)."""
    extended = jsonschema.validators.extend(
        jsonschema.Draft202012Validator, {"pattern": validate._pattern}
    )
    return extended(schema)


def _check(schema: Any) -> Any:
    return validate.yes_no_check(schema)


def test_type_semantics() -> None:
    integer = _check({"type": "integer"})
    assert (integer(1), integer(1.0), integer(1.5), integer(True), integer("1")) == (
        True,
        True,
        False,
        False,
        False,
    )
    number = _check({"type": "number"})
    assert (number(1), number(0.5), number(False)) == (True, True, False)


def test_equality_semantics() -> None:
    unique = _check({"uniqueItems": True})
    assert not unique([1, 1.0])
    assert unique([1, True]) and unique([0, False, "0"])
    assert not unique([{"a": 1}, {"a": 1}])
    assert not unique([{"a": [1]}, {"a": [1.0]}])
    assert not _check({"enum": [1]})(True) and _check({"enum": [1]})(1.0)
    assert not _check({"const": [0]})([False])
    nan = float("nan")
    assert unique([nan, float("nan")]) and math.isnan(nan)


def test_lengths_count_code_points() -> None:
    assert _check({"maxLength": 2})("😀é")
    assert not _check({"maxLength": 1})("😀é")


def test_patterns_search_unless_anchored_and_dollar_is_the_end() -> None:
    assert _check({"pattern": "b"})("abc")
    assert not _check({"pattern": "^b"})("abc")
    # `$` is the end of the string, as in ECMA-262 (and `_ecma_regex`), not before a "\n".
    assert not _check({"pattern": "^[a-z]+$"})("web\n")
    assert not validate._ecma_regex("^[a-z]+$").search("web\n")


def test_a_mapping_key_that_is_not_a_string_goes_to_jsonschema() -> None:
    raws = _examples()
    odd = RawCluster(
        raws[0].id, raws[0].file, {**raws[0].data, "tags": {1: "x"}}, raws[0].provenance
    )
    assert FAST(odd.data) is False
    # jsonschema answers instead: as many issues as it finds errors (here none).
    assert len(list(validate._schema_issues(odd))) == len(list(FULL.iter_errors(odd.data)))


def _subschemas(schema: Any, typed: Any = None) -> Iterator[tuple[Any, Any]]:
    """Every subschema with the `type` in force there (its own, or its parent's in anyOf)."""
    if isinstance(schema, dict):
        typed = schema.get("type", typed)
        yield schema, typed
        for key, value in schema.items():
            yield from _subschemas(value, typed if key == "anyOf" else None)
    elif isinstance(schema, list):
        for value in schema:
            yield from _subschemas(value, typed)


def test_every_number_bound_in_the_schema_sits_beside_a_number_type() -> None:
    # jsonschema-rs reads `.nan` and `.inf` as no number at all: a bound with no type beside
    # it would let them pass the fast check, where jsonschema (rightly) refuses `.inf`.
    bounds = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
    for sub, typed in _subschemas(validate.cluster_schema()):
        if bounds & sub.keys():
            assert typed in ("integer", "number"), sub
