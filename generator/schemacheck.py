"""A yes/no JSON Schema check, compiled once into a tree of closures.

`jsonschema` builds an error object (and a validator per level) for every value it visits,
which makes it slow on the common case of a valid cluster. `compile_schema` turns a schema
into one function that answers only "is this instance valid?"; the full validator then runs
only on the clusters it rejects, to say why.

The compiler knows exactly the Draft 2020-12 keywords the cluster schema uses, with
`jsonschema`'s semantics (bool is not a number; 1 == 1.0 but True != 1 in enum, const and
uniqueItems; an integral float is an integer). Any other keyword makes it refuse
(`UnsupportedSchema`), so a schema change can never be skipped silently: the caller then
falls back to the full validator.
"""

from __future__ import annotations

import itertools
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

Check = Callable[[Any], bool]
PatternCompiler = Callable[[str], "re.Pattern[str]"]

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"

#: Keywords that never change whether an instance is valid (`x-*` keys are ours too).
_ANNOTATIONS = frozenset({"description", "title", "default", "examples"})
_STRING_KEYWORDS = frozenset({"minLength", "maxLength", "pattern"})
_NUMBER_KEYWORDS = frozenset({"minimum", "maximum", "exclusiveMinimum"})
_ARRAY_KEYWORDS = frozenset({"items", "minItems", "maxItems", "uniqueItems"})
_OBJECT_KEYWORDS = frozenset(
    {"properties", "additionalProperties", "required", "maxProperties", "propertyNames"}
)
_OTHER_KEYWORDS = frozenset({"type", "enum", "const", "anyOf", "$ref"})
_KNOWN = _STRING_KEYWORDS | _NUMBER_KEYWORDS | _ARRAY_KEYWORDS | _OBJECT_KEYWORDS | _OTHER_KEYWORDS
_ROOT_ONLY = frozenset({"$schema", "$id", "$defs"})
_DEF_REF = re.compile(r"#/\$defs/([A-Za-z0-9_.-]+)\Z")


class UnsupportedSchema(ValueError):
    """The schema uses something this compiler does not know; use the full validator."""


# --- JSON Schema's notions of type and equality, as jsonschema implements them ------------


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, numbers.Number)


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


_TYPES: dict[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": _is_number,
    "integer": _is_integer,
}

_TRUE = object()
_FALSE = object()


def _unbool(value: Any) -> Any:
    """True and False as values no number equals (jsonschema's `unbool`)."""
    if value is True:
        return _TRUE
    if value is False:
        return _FALSE
    return value


def json_equal(one: Any, two: Any) -> bool:
    """Equality as JSON Schema means it: 1 == 1.0, True != 1, recursively."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(json_equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return len(one) == len(two) and all(
            key in two and json_equal(value, two[key]) for key, value in one.items()
        )
    return bool(_unbool(one) == _unbool(two))


def json_unique(items: list[Any]) -> bool:
    """Whether no two items are equal (as jsonschema's `uniq` decides it: sorted neighbours
    when the items sort, every pair otherwise)."""
    if all(type(item) is str for item in items):
        return len(set(items)) == len(items)
    try:
        ordered = sorted(_unbool(item) for item in items)
        return not any(json_equal(a, b) for a, b in itertools.pairwise(ordered))
    except (NotImplementedError, TypeError):
        seen: list[Any] = []
        for item in items:
            item = _unbool(item)
            if any(json_equal(other, item) for other in seen):
                return False
            seen.append(item)
        return True


# --- the compiler -------------------------------------------------------------------------


def _always(value: Any) -> bool:
    return True


def _never(value: Any) -> bool:
    return False


def _every(checks: list[Check]) -> Check:
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda v: first(v) and second(v)
    every = tuple(checks)

    def check(value: Any) -> bool:
        for one in every:
            if not one(value):
                return False
        return True

    return check


def _count(schema: Mapping[str, Any], keyword: str) -> int | None:
    value = schema.get(keyword)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UnsupportedSchema(f"{keyword} must be a non-negative integer, not {value!r}")
    return value


def _number(schema: Mapping[str, Any], keyword: str) -> Any:
    value = schema[keyword]
    if not _is_number(value):
        raise UnsupportedSchema(f"{keyword} must be a number, not {value!r}")
    return value


class _Compiler:
    def __init__(self, root: Mapping[str, Any], compile_pattern: PatternCompiler) -> None:
        self.compile_pattern = compile_pattern
        defs = root.get("$defs", {})
        if not isinstance(defs, dict):
            raise UnsupportedSchema("$defs must be an object")
        self.defs: dict[str, Any] = defs
        self.compiled: dict[str, Check] = {}
        self.compiling: set[str] = set()

    def ref(self, ref: Any) -> Check:
        match = _DEF_REF.match(ref) if isinstance(ref, str) else None
        if match is None or match[1] not in self.defs:
            raise UnsupportedSchema(f"$ref {ref!r} is not a '#/$defs/<name>' of this schema")
        return self.definition(match[1])

    def definition(self, name: str) -> Check:
        if name in self.compiled:
            return self.compiled[name]
        if name in self.compiling:
            # A recursive definition: look it up when called, once it is compiled.
            return lambda v: self.compiled[name](v)
        self.compiling.add(name)
        check = self.node(self.defs[name])
        self.compiling.discard(name)
        self.compiled[name] = check
        return check

    def node(self, schema: Any, root: bool = False) -> Check:
        if schema is True:
            return _always
        if schema is False:
            return _never
        if not isinstance(schema, dict):
            raise UnsupportedSchema(f"a schema must be an object or a boolean, not {schema!r}")
        for keyword in schema:
            if keyword in _KNOWN or keyword in _ANNOTATIONS or keyword.startswith("x-"):
                continue
            if root and keyword in _ROOT_ONLY:
                continue
            raise UnsupportedSchema(f"unsupported keyword {keyword!r}")
        if root and schema.get("$schema", DRAFT_2020_12) != DRAFT_2020_12:
            raise UnsupportedSchema(f"unsupported $schema {schema['$schema']!r}")

        kinds: list[tuple[Check, Check]] = []
        for guard, build in (
            (_TYPES["string"], self.string),
            (_is_number, self.number),
            (_TYPES["array"], self.array),
            (_TYPES["object"], self.object),
        ):
            built = build(schema)
            if built is not None:
                kinds.append((guard, built))

        checks: list[Check] = []
        types = schema.get("type")
        if types is not None:
            names = [types] if isinstance(types, str) else types
            if (
                not isinstance(names, list)
                or not names
                or not all(isinstance(n, str) and n in _TYPES for n in names)
            ):
                raise UnsupportedSchema(f"unsupported type {types!r}")
            if len(names) == 1 and len(kinds) == 1 and kinds[0][0] is _TYPES.get(names[0]):
                # One type and its own keywords: test the type once.
                checks.append(_every(list(kinds.pop())))
            elif len(names) == 1:
                checks.append(_TYPES[names[0]])
            else:
                any_type = tuple(_TYPES[n] for n in names)
                checks.append(lambda v: any(t(v) for t in any_type))
        for guard, check in kinds:
            checks.append(self._guarded(guard, check))
        if "enum" in schema:
            checks.append(self.enum(schema["enum"]))
        if "const" in schema:
            const = schema["const"]
            checks.append(lambda v: json_equal(v, const))
        if "anyOf" in schema:
            options = schema["anyOf"]
            if not isinstance(options, list) or not options:
                raise UnsupportedSchema("anyOf must be a non-empty list")
            compiled = tuple(self.node(option) for option in options)
            checks.append(lambda v: any(option(v) for option in compiled))
        if "$ref" in schema:
            checks.append(self.ref(schema["$ref"]))
        return _every(checks)

    @staticmethod
    def _guarded(guard: Check, check: Check) -> Check:
        return lambda v: not guard(v) or check(v)

    @staticmethod
    def enum(options: Any) -> Check:
        if not isinstance(options, list):
            raise UnsupportedSchema("enum must be a list")
        values = tuple(options)
        if all(type(o) is str for o in values):
            strings = frozenset(values)
            return lambda v: (
                v in strings if type(v) is str else any(json_equal(o, v) for o in values)
            )
        return lambda v: any(json_equal(o, v) for o in values)

    def string(self, schema: Mapping[str, Any]) -> Check | None:
        if not _STRING_KEYWORDS & schema.keys():
            return None
        shortest = _count(schema, "minLength") or 0
        longest = _count(schema, "maxLength")
        pattern = schema.get("pattern")
        if pattern is not None and not isinstance(pattern, str):
            raise UnsupportedSchema(f"pattern must be a string, not {pattern!r}")
        search = self.compile_pattern(pattern).search if pattern is not None else None
        if longest is None:
            longest = -1

        def check(value: str) -> bool:
            size = len(value)  # code points, as JSON Schema counts
            if size < shortest or (longest >= 0 and size > longest):
                return False
            return search is None or search(value) is not None

        return check

    def number(self, schema: Mapping[str, Any]) -> Check | None:
        checks: list[Check] = []
        if "minimum" in schema:
            low = _number(schema, "minimum")
            checks.append(lambda v: not v < low)
        if "maximum" in schema:
            high = _number(schema, "maximum")
            checks.append(lambda v: not v > high)
        if "exclusiveMinimum" in schema:
            above = _number(schema, "exclusiveMinimum")
            checks.append(lambda v: not v <= above)
        return _every(checks) if checks else None

    def array(self, schema: Mapping[str, Any]) -> Check | None:
        if not _ARRAY_KEYWORDS & schema.keys():
            return None
        item = self.node(schema["items"]) if "items" in schema else None
        fewest = _count(schema, "minItems") or 0
        most = _count(schema, "maxItems")
        most = -1 if most is None else most
        unique = schema.get("uniqueItems", False)
        if not isinstance(unique, bool):
            raise UnsupportedSchema("uniqueItems must be a boolean")

        def check(value: list[Any]) -> bool:
            size = len(value)
            if size < fewest or (most >= 0 and size > most):
                return False
            if unique and size > 1 and not json_unique(value):
                return False
            if item is not None:
                for each in value:
                    if not item(each):
                        return False
            return True

        return check

    def object(self, schema: Mapping[str, Any]) -> Check | None:
        if not _OBJECT_KEYWORDS & schema.keys():
            return None
        properties = schema.get("properties", {})
        if not isinstance(properties, dict):
            raise UnsupportedSchema("properties must be an object")
        known = {name: self.node(sub) for name, sub in properties.items()}
        extra_schema = schema.get("additionalProperties", True)
        closed = extra_schema is False
        extra = None if isinstance(extra_schema, bool) else self.node(extra_schema)
        if extra is _always:
            extra = None
        required = schema.get("required", [])
        if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
            raise UnsupportedSchema("required must be a list of strings")
        needed = tuple(required)
        most = _count(schema, "maxProperties")
        most = -1 if most is None else most
        names = self.node(schema["propertyNames"]) if "propertyNames" in schema else None
        if names is _always:
            names = None

        def check(value: dict[Any, Any]) -> bool:
            if most >= 0 and len(value) > most:
                return False
            for name in needed:
                if name not in value:
                    return False
            for key, item in value.items():
                sub = known.get(key)
                if sub is not None:
                    if not sub(item):
                        return False
                elif closed or (extra is not None and not extra(item)):
                    return False
                if names is not None and not names(key):
                    return False
            return True

        return check


def compile_schema(
    schema: Mapping[str, Any] | bool, compile_pattern: PatternCompiler = re.compile
) -> Check:
    """A function that tells whether an instance is valid against `schema` (Draft 2020-12),
    exactly as `jsonschema` would; `compile_pattern` reads a `pattern` (jsonschema uses
    Python's `re` with search semantics). Raises UnsupportedSchema for any keyword it does
    not know, and for a `$ref` other than to the schema's own `$defs`."""
    compiler = _Compiler(schema if isinstance(schema, Mapping) else {}, compile_pattern)
    check = compiler.node(schema, root=True)
    for name in compiler.defs:
        compiler.definition(name)  # refuse an unknown keyword even where nothing refers
    return check
