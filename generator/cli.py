"""The `treeform` command. Imports stay inside the commands so `--version` and `--help`
start fast; only this module turns errors into messages and exit codes."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from generator import __version__

EPILOG = """\b
Examples:
  treeform validate examples
  treeform generate examples -o output
  treeform generate examples -o output --check
  treeform diff examples -o output
  treeform explain examples aws/prod/payments nodePools
"""

MODEL_ARG = click.argument(
    "model", type=click.Path(file_okay=False, path_type=Path), metavar="MODEL"
)
OUT_OPT = click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(path_type=Path),
    default=Path("output"),
    show_default=True,
    help="The output directory.",
)


def _fail(exc: Exception) -> None:
    from generator.errors import TreeformError

    assert isinstance(exc, TreeformError)
    click.echo(str(exc), err=True)
    sys.exit(exc.exit_code)


def _run(fn: Any, *args: Any, **kwargs: Any) -> Any:
    from generator.errors import ModelError, TreeformError

    try:
        return fn(*args, **kwargs)
    except ModelError as exc:
        click.echo(str(exc), err=True)
        n = len(exc.issues)
        click.echo(f"{n} error{'s' if n != 1 else ''}", err=True)
        sys.exit(1)
    except TreeformError as exc:
        _fail(exc)


@click.group(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="treeform")
def cli() -> None:
    """Render a tree of Kubernetes cluster models into Terraform, kOps and eksctl.

    MODEL is a directory of YAML: `_defaults.yaml` files apply to every cluster below them,
    every other `*.yaml` file is one cluster. See the README for the fields.
    """


@cli.command()
@MODEL_ARG
def validate(model: Path) -> None:
    """Check MODEL; exit 1 listing every error."""
    from generator.pipeline import load_clusters

    clusters = _run(load_clusters, model, str(model))
    click.echo(f"{model}: {len(clusters)} cluster{'s' if len(clusters) != 1 else ''} valid")


def _make_plan(model: Path, output: Path) -> Any:
    from generator.pipeline import render_for_output
    from generator.writer import plan_output

    rendered = render_for_output(model, output, str(model))
    return plan_output(output, rendered.files, rendered.clusters)


def _plan(model: Path, output: Path) -> Any:
    return _run(_make_plan, model, output)


@cli.command()
@MODEL_ARG
@OUT_OPT
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if OUTPUT differs.")
@click.option("--force", is_flag=True, help="Overwrite files edited by hand or not ours.")
def generate(model: Path, output: Path, check: bool, force: bool) -> None:
    """Render every cluster of MODEL into OUTPUT (nothing is written for an invalid model)."""
    from generator.writer import output_lock, write_output

    if not check:

        def locked_generate() -> Any:
            with output_lock(output):
                plan = _make_plan(model, output)
                write_output(plan, force=force)
                return plan

        plan = _run(locked_generate)
        click.echo(f"{output}: {plan.summary()}")
        return
    plan = _plan(model, output)
    if check:
        if plan.changed:
            for label, paths in (
                ("create", plan.create),
                ("update", plan.update),
                ("remove", plan.remove),
            ):
                for rel in paths:
                    click.echo(f"would {label} {output / rel}", err=True)
            click.echo(f"{output}: not up to date with {model} ({plan.summary()})", err=True)
            sys.exit(1)
        click.echo(f"{output}: up to date")


@cli.command()
@MODEL_ARG
@OUT_OPT
def diff(model: Path, output: Path) -> None:
    """Show what generate would change in OUTPUT, as a unified diff."""
    from generator.writer import unified_diff

    plan = _plan(model, output)
    click.echo(unified_diff(plan), nl=False)


@cli.command()
@MODEL_ARG
@click.argument("cluster_id", metavar="ID")
@click.argument("field", required=False)
def explain(model: Path, cluster_id: str, field: str | None) -> None:
    """Show the effective values of cluster ID, each with the FILE:LINE that set it."""
    from generator.errors import UsageError
    from generator.explain import explain_cluster
    from generator.tree import load_model

    def run() -> str:
        raws = {raw.id: raw for raw in load_model(model, str(model))}
        raw = raws.get(cluster_id.removesuffix(".yaml").removesuffix(".yml"))
        if raw is None:
            raise UsageError(
                f"no cluster {cluster_id!r} in {model}; clusters: {', '.join(sorted(raws))}"
            )
        return explain_cluster(raw, field)

    click.echo(_run(run), nl=False)


@cli.command()
def schema() -> None:
    """Print the JSON Schema of a cluster (for editors)."""
    from generator.validate import cluster_schema

    click.echo(json.dumps(cluster_schema(), indent=2))


def main() -> None:
    cli(prog_name="treeform")
