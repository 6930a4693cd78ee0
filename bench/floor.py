"""The floor: the same work as a generate, written as the plainest loop, with no framework.

Read every YAML file (libyaml), merge the `_defaults.yaml` chain, validate each cluster with
one compiled JSON Schema validator (treeform's own schema), render a comparable set of
templates (bench/templates/) with one cached Jinja environment, and write the files.
No provenance, no semantic rules, no escaping filters, no manifest: a lower bound.

    python bench/floor.py MODEL OUT
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import jinja2
import jsonschema
import yaml

HERE = Path(__file__).resolve().parent


def merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            if value is None:
                out.pop(key, None)
            else:
                out[key] = merge(out.get(key), value)
        return out
    return over


def main(model: Path, out: Path) -> int:
    schema = json.loads((HERE.parent / "schemas" / "cluster.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    templates = [env.get_template(p.name) for p in sorted((HERE / "templates").glob("*.j2"))]
    defaults: dict[Path, Any] = {}
    clusters: list[tuple[str, Any]] = []
    for path in sorted(model.rglob("*.yaml")):
        data = yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
        if path.name == "_defaults.yaml":
            defaults[path.parent] = data
        else:
            clusters.append((str(path.relative_to(model))[: -len(".yaml")], data))
    bad = 0
    for cluster_id, data in clusters:
        effective: Any = {}
        directory = model
        for part in [model, *Path(cluster_id).parents[::-1][1:]]:
            directory = part if part == model else model / part
            effective = merge(effective, defaults.get(directory, {}))
        effective = merge(effective, data)
        effective.setdefault("name", cluster_id.rsplit("/", 1)[-1])
        errors = list(validator.iter_errors(effective))
        if errors:
            bad += 1
            continue
        context = {"inventory": {"parameters": {"cluster": {**effective, "id": cluster_id}}}}
        target = out / cluster_id / "terraform"
        target.mkdir(parents=True, exist_ok=True)
        for template in templates:
            assert template.name is not None
            (target / template.name.removesuffix(".j2")).write_text(template.render(context))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
