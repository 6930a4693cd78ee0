"""Turn a synthetic treeform model tree into a comparable Kapitan inventory: one class per
`_defaults.yaml` (org, engine, environment), one target per cluster, compiled with the
templates in bench/templates/ (jinja2 input type).

    python bench/kapitan_inventory.py MODEL KAPITAN_DIR
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent


def class_name(directory: Path, model: Path) -> str:
    rel = directory.relative_to(model)
    return "org" if str(rel) == "." else "org." + ".".join(rel.parts)


def main(model: Path, root: Path) -> None:
    classes = root / "inventory" / "classes"
    targets = root / "inventory" / "targets"
    shutil.rmtree(root, ignore_errors=True)
    classes.mkdir(parents=True)
    targets.mkdir(parents=True)
    shutil.copytree(HERE / "templates", root / "templates")
    for path in sorted(model.rglob("_defaults.yaml")):
        name = class_name(path.parent, model)
        data = yaml.safe_load(path.read_text()) or {}
        parent = [] if name == "org" else [class_name(path.parent.parent, model)]
        doc = {"classes": parent, "parameters": {"cluster": data}}
        (classes / f"{name}.yml").write_text(yaml.safe_dump(doc, sort_keys=False))
    for path in sorted(model.rglob("*.yaml")):
        if path.name == "_defaults.yaml":
            continue
        cluster_id = str(path.relative_to(model))[: -len(".yaml")]
        data = yaml.safe_load(path.read_text()) or {}
        data.setdefault("name", path.stem)
        data["id"] = cluster_id
        target = cluster_id.replace("/", "-")
        doc = {
            "classes": [class_name(path.parent, model)],
            "parameters": {
                "cluster": data,
                "kapitan": {
                    "vars": {"target": target},
                    "compile": [
                        {
                            "output_path": "terraform",
                            "input_type": "jinja2",
                            "input_paths": ["templates"],
                            "suffix_remove": True,
                        }
                    ],
                },
            },
        }
        (targets / f"{target}.yml").write_text(yaml.safe_dump(doc, sort_keys=False))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
