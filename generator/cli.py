"""The `treeform` command. Imports stay inside the commands so `--version` and `--help`
start fast; only this module turns errors into messages and exit codes."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from treeform import __version__

EPILOG = """\b
Examples:
  treeform validate examples
  treeform generate examples -o output
  treeform generate examples -o output --check
  treeform diff examples -o output --format markdown --base origin/main
  treeform generate examples -o output --only 'aws/prod/*'
  treeform explain examples aws/prod/payments nodePools
  treeform new aws/prod/orders --cloud aws --engine eks examples
  treeform import kops cluster.yaml igs.yaml --id aws/prod/legacy examples
"""

#: Show a progress bar (on a terminal) when generate renders at least this many clusters.
PROGRESS_MIN_CLUSTERS = 20

MODEL_ARG = click.argument(
    "model", type=click.Path(file_okay=False, path_type=Path), metavar="MODEL"
)


def _output_path(_ctx: click.Context, _param: Any, value: str) -> Path:
    """`-o ''` would be the working directory: refused, not guessed."""
    if not value.strip():
        raise click.BadParameter("the output directory must be named (it is empty)")
    return Path(value)


OUT_OPT = click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(path_type=str),
    default="output",
    show_default=True,
    callback=_output_path,
    help="The output directory.",
)


def _model_of(ctx: click.Context) -> Any:
    """The MODEL of the command line being completed. Completing an option's value (`--only
    <TAB>`) leaves the option without one, so click's parse stops before MODEL: parse the
    words again (click's shells pass them in COMP_WORDS) without that dangling option."""
    import os

    from click.shell_completion import split_arg_string

    model = ctx.params.get("model")
    if model is not None or "COMP_WORDS" not in os.environ:
        return model
    try:
        words = split_arg_string(os.environ["COMP_WORDS"])
        cword = int(os.environ.get("COMP_CWORD", len(words)))
        before, after = words[:cword], words[cword + 1 :]  # without the word being completed
        if before and before[-1].startswith("-"):
            before = before[:-1]  # the option whose value is being completed
        name = ctx.info_name or ""
        args = [*before, *after]
        args = args[args.index(name) + 1 :] if name in args else args[1:]
        again = ctx.command.make_context(name, args, parent=ctx.parent, resilient_parsing=True)
    except (ValueError, click.ClickException):
        return None
    return again.params.get("model")


def _apart(model: Path, output: Path) -> None:
    """The output is read as files treeform owns and the model as clusters: neither may
    hold the other (an output inside the model would be read as clusters)."""
    from treeform.errors import UsageError

    try:
        real_model, real_output = model.resolve(), output.resolve()
    except (OSError, RuntimeError):
        return  # the commands say what is wrong with the paths themselves
    if real_output == real_model or real_output.is_relative_to(real_model):
        _fail(UsageError(f"{output}: the output directory is inside the model {model}"))
    if real_model.is_relative_to(real_output):
        _fail(UsageError(f"{model}: the model is inside the output directory {output}"))


def _complete_cluster_ids(ctx: click.Context, _param: Any, incomplete: str) -> list[Any]:
    """Shell completion of cluster ids from the MODEL given on the command line."""
    from click.shell_completion import CompletionItem
    from treeform.tree import load_tree

    model = _model_of(ctx)
    if model is None:
        return []
    try:
        raws, _ = load_tree(Path(model))
    except Exception:  # completion must never fail loudly
        return []
    return [CompletionItem(r.id) for r in raws if r.id.startswith(incomplete)]


ONLY_OPT = click.option(
    "--only",
    "only",
    multiple=True,
    metavar="ID|GLOB",
    shell_complete=_complete_cluster_ids,
    help="Only these clusters (an id or a shell glob such as 'aws/prod/*'; repeatable).",
)
ATLANTIS_OPT = click.option(
    "--atlantis/--no-atlantis",
    default=None,
    help="Write atlantis.yaml at the output root (default: yes, unless MODEL/.treeform.yaml "
    "says `atlantis: false`).",
)


def _stderr_is_tty() -> bool:
    return sys.stderr.isatty()


def _stderr_shows_escapes() -> bool:
    """Whether stderr is a terminal that can show a progress bar (cursor moves, `\r`)."""
    import os

    return _stderr_is_tty() and os.environ.get("TERM") != "dumb"


class _PlainProgress:
    """A progress report without escape codes, for --progress where no bar can be drawn:
    one line at each quarter."""

    def __init__(self, count: int) -> None:
        self.count, self.done, self.said = count, 0, 0

    def __enter__(self) -> _PlainProgress:
        click.echo(f"rendering {self.count} clusters", err=True)
        return self

    def __exit__(self, *_: object) -> None:
        pass

    def update(self, n: int) -> None:
        self.done += n
        quarter = self.done * 4 // max(self.count, 1)
        if quarter > self.said:
            self.said = quarter
            click.echo(f"rendering: {self.done}/{self.count}", err=True)


def _printable(text: str) -> str:
    """A message with the undecodable bytes of file names (surrogate escapes) as `\\xff`."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _fail(exc: Exception) -> None:
    from treeform.errors import TreeformError

    assert isinstance(exc, TreeformError)
    click.echo(_printable(str(exc)), err=True)
    sys.exit(exc.exit_code)


def _run(fn: Any, *args: Any, **kwargs: Any) -> Any:
    from treeform.errors import ModelError, TreeformError

    try:
        result = fn(*args, **kwargs)
    except ModelError as exc:
        _warn(exc.warnings)
        click.echo(_printable(str(exc)), err=True)
        n = len(exc.issues)
        click.echo(f"{n} error{'s' if n != 1 else ''}", err=True)
        sys.exit(1)
    except TreeformError as exc:
        _fail(exc)
    except OSError as exc:  # a full disk, a read-only file system, ...: never a traceback
        where = _printable(str(exc.filename)) + ": " if exc.filename else ""
        click.echo(f"{where}{exc.strerror or exc}", err=True)
        sys.exit(1)
    except RuntimeError as exc:
        # Workers were started only if their module was imported (a run with nothing to
        # render imports neither).
        pool = sys.modules.get("concurrent.futures.process")
        if pool is None or not isinstance(exc, pool.BrokenProcessPool):
            raise
        click.echo(
            "a worker process died (killed, or out of memory); nothing was written", err=True
        )
        sys.exit(1)
    _warn(getattr(result, "warnings", ()))
    return result


def _warn(warnings: Any) -> None:
    """Warnings (FILE:LINE:COLUMN: FIELD: warning: ...) on stderr; they fail nothing."""
    for warning in warnings:
        click.echo(_printable(str(warning)), err=True)


@click.group(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="treeform")
def cli() -> None:
    """Render a tree of Kubernetes cluster models into Terraform, kOps and eksctl.

    MODEL is a directory of YAML: `_defaults.yaml` files apply to every cluster below them,
    every other `*.yaml` file is one cluster. See the README for the fields.
    """


@cli.command()
@MODEL_ARG
@ONLY_OPT
def validate(model: Path, only: tuple[str, ...]) -> None:
    """Check MODEL; exit 1 listing every error."""
    from treeform.runner import check_model

    warnings: list[Any] = []
    clusters = _run(check_model, model, str(model), only=only, warnings=warnings)
    _warn(warnings)
    click.echo(f"{model}: {len(clusters)} cluster{'s' if len(clusters) != 1 else ''} valid")


def _options(
    model: Path,
    atlantis: bool | None = None,
    progress: bool | None = False,
    output: Path | None = None,
) -> dict[str, Any]:
    """The settings and progress bar of a run of the pipeline over MODEL, writing OUTPUT
    (the real one, also when a --base copy is compared: Atlantis dirs are found from it)."""
    import contextlib
    import dataclasses

    from treeform.atlantis import locate_output
    from treeform.settings import load_settings

    settings = load_settings(model, str(model))
    if atlantis is not None:
        settings = dataclasses.replace(
            settings, atlantis=dataclasses.replace(settings.atlantis, enabled=atlantis)
        )
    if output is not None:
        settings = dataclasses.replace(settings, atlantis=locate_output(settings.atlantis, output))

    def progress_bar(count: int) -> Any:
        # None: a bar where the terminal can draw one; True: always some progress (plain
        # lines where no bar can be drawn); False: none.
        if progress is False or count < PROGRESS_MIN_CLUSTERS:
            return contextlib.nullcontext()
        if _stderr_shows_escapes():
            return click.progressbar(length=count, label="rendering", file=sys.stderr)
        return _PlainProgress(count) if progress else contextlib.nullcontext()

    return {"settings": settings, "progress": progress_bar}


def _make_plan(
    model: Path,
    output: Path,
    only: tuple[str, ...] = (),
    atlantis: bool | None = None,
    for_diff: bool = True,
    real_output: Path | None = None,
) -> Any:
    """What generate would do to OUTPUT (compared, nothing written): a `Rendered` whose plan
    has the texts and old bytes of every file `for_diff`. OUTPUT may be a copy of the real
    output directory (`diff --base`), which `real_output` then names."""
    from treeform.runner import render_for_output
    from treeform.staging import Stager

    stager = Stager.dry(output, for_diff=for_diff)
    try:
        options = _options(model, atlantis, output=real_output or output)
        return render_for_output(model, output, str(model), only=only, stager=stager, **options)
    finally:
        stager.close()


def _counted(clusters: list[Any]) -> str:
    return f"{len(clusters)} cluster{'s' if len(clusters) != 1 else ''}"


@cli.command()
@MODEL_ARG
@OUT_OPT
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if OUTPUT differs.")
@click.option("--force", is_flag=True, help="Overwrite files edited by hand or not ours.")
@ONLY_OPT
@ATLANTIS_OPT
@click.option(
    "--progress/--no-progress",
    default=None,
    help=f"A progress bar on stderr while rendering {PROGRESS_MIN_CLUSTERS} clusters or more "
    "(default: only on a terminal that can draw one, not under TERM=dumb; --progress elsewhere "
    "prints plain lines).",
)
def generate(
    model: Path,
    output: Path,
    check: bool,
    force: bool,
    only: tuple[str, ...],
    atlantis: bool | None,
    progress: bool | None,
) -> None:
    """Render every cluster of MODEL into OUTPUT (nothing is written for an invalid model).

    With --only, the other clusters' files are left as they are."""
    _apart(model, output)
    if not check:
        stamp = None
        if not only:  # a run over the whole tree: said from its stamp when nothing changed
            from treeform.stamp import Stamp

            stamp = Stamp.of(model, output, atlantis)
            said = stamp.said_again() if stamp is not None else None
            if said is not None:
                click.echo(f"{output}: {said}")
                return
        from treeform.runner import write_generated

        rendered = _run(
            lambda: write_generated(
                model,
                output,
                str(model),
                only=only,
                force=force,
                **_options(model, atlantis, progress=progress, output=output),
            )
        )
        click.echo(f"{output}: {_counted(rendered.selected)}, {rendered.plan.summary()}")
        if stamp is not None:
            from treeform.staging import summary

            # What a run that changes nothing says next, of the files this one left.
            files = len(rendered.look.numbers) // 4 if rendered.look is not None else 0
            stamp.after(rendered, f"{_counted(rendered.selected)}, {summary(0, 0, 0, files)}")
        return
    from treeform.layout import MANIFEST
    from treeform.manifest import manifest_is_current

    rendered = _run(_make_plan, model, output, only, atlantis, False)
    plan, clusters = rendered.plan, rendered.selected
    stale_manifest = not manifest_is_current(output, plan)
    if plan.changed or stale_manifest:
        for label, paths in (
            ("create", plan.create),
            ("update", plan.update),
            ("remove", plan.remove),
        ):
            for rel in paths:
                click.echo(f"would {label} {output / rel}", err=True)
        if stale_manifest:
            click.echo(f"would update {output / MANIFEST} (it is stale)", err=True)
        click.echo(f"{output}: not up to date with {model} ({plan.summary()})", err=True)
        sys.exit(1)
    click.echo(f"{output}: up to date ({_counted(clusters)})")


@cli.command()
@MODEL_ARG
@OUT_OPT
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="text: one unified diff; markdown: a pull-request summary; json: for machines.",
)
@click.option(
    "--base",
    metavar="REV",
    help="Compare with OUTPUT as committed at git revision REV (e.g. origin/main) instead "
    "of OUTPUT on disk.",
)
@click.option(
    "--max-chars",
    type=click.IntRange(min=2000),
    default=60_000,
    show_default=True,
    help="markdown: leave out file diffs (saying so) beyond this size.",
)
@ONLY_OPT
@ATLANTIS_OPT
def diff(
    model: Path,
    output: Path,
    fmt: str,
    base: str | None,
    max_chars: int,
    only: tuple[str, ...],
    atlantis: bool | None,
) -> None:
    """Show what generate would change in OUTPUT (or what MODEL changes since --base REV)."""
    import tempfile

    from treeform.review import (
        output_at_revision,
        review_plan,
        to_json,
        to_markdown,
        unified_diff,
    )

    _apart(model, output)
    with tempfile.TemporaryDirectory(prefix="treeform-base-") as tmp:
        old = output if base is None else _run(output_at_revision, output, base, Path(tmp))
        rendered = _run(_make_plan, model, old, only, atlantis, True, output)
        if fmt == "text":
            click.echo(unified_diff(rendered.plan), nl=False)
            return
        review = review_plan(rendered.plan, rendered.selected, rendered.provenance, base)
        click.echo(
            to_markdown(review, max_chars) if fmt == "markdown" else to_json(review), nl=False
        )


@cli.command()
@MODEL_ARG
@click.argument("cluster_id", metavar="ID", shell_complete=_complete_cluster_ids)
@click.argument("field", required=False)
def explain(model: Path, cluster_id: str, field: str | None) -> None:
    """Show the effective values of cluster ID, each with the FILE:LINE that set it."""
    from treeform.errors import UsageError
    from treeform.explain import explain_cluster
    from treeform.tree import load_model

    def run() -> str:
        raws = {raw.id: raw for raw in load_model(model, str(model))}
        raw = raws.get(cluster_id.removesuffix(".yaml").removesuffix(".yml"))
        if raw is None:
            raise UsageError(
                f"no cluster {cluster_id!r} in {model}; clusters: {', '.join(sorted(raws))}"
            )
        return explain_cluster(raw, field)

    click.echo(_run(run), nl=False)


def _complete_clouds(_ctx: click.Context, _param: Any, incomplete: str) -> list[str]:
    from treeform.providers import PROVIDERS

    return [name for name in sorted(PROVIDERS) if name.startswith(incomplete)]


def _complete_engines(ctx: click.Context, _param: Any, incomplete: str) -> list[str]:
    """The engines of the --cloud given (of every cloud before it is given)."""
    from treeform.providers import PROVIDERS

    cloud = ctx.params.get("cloud")
    providers = [PROVIDERS[cloud]] if cloud in PROVIDERS else list(PROVIDERS.values())
    names = {engine for provider in providers for engine in provider.engines}
    return [name for name in sorted(names) if name.startswith(incomplete)]


@cli.command()
@click.argument("cluster_id", metavar="ID")
@click.argument(
    "model",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    metavar="[MODEL]",
)
@click.option(
    "--cloud", required=True, shell_complete=_complete_clouds, help="The cloud (aws, gcp, ...)."
)
@click.option(
    "--engine",
    required=True,
    shell_complete=_complete_engines,
    help="The engine (eks, gke, kops, ...).",
)
@click.option(
    "--schema",
    "schema_ref",
    metavar="URL|PATH",
    help="The $schema the editor line names (default: MODEL/.treeform/model-file.schema.json, "
    "written by this command).",
)
def new(cluster_id: str, model: Path, cloud: str, engine: str, schema_ref: str | None) -> None:
    """Create MODEL/ID.yaml: a commented cluster file for CLOUD and ENGINE, with the
    `# yaml-language-server: $schema=` line that gives editors completion and checks."""
    from treeform.errors import UsageError
    from treeform.scaffold import create_cluster_file
    from treeform.tree import load_tree
    from treeform.validate import validate_model

    if cluster_id.startswith("/") or ".." in cluster_id.split("/"):
        _fail(
            UsageError(
                f"{cluster_id!r} is not a cluster id: it is a path relative to MODEL, "
                "without a leading '/' or '..'"
            )
        )

    target, extra = _run(create_cluster_file, model, cluster_id, cloud, engine, schema_ref)
    for path in extra:
        click.echo(f"created the model root {path}/" if path == model else f"wrote {path}")
    click.echo(f"created {target}")

    def check() -> None:
        raws, issues = load_tree(model, str(model))
        chosen = target.relative_to(model).with_suffix("").as_posix()
        validate_model([r for r in raws if r.id == chosen], issues)

    _run(check)
    click.echo(f"{target}: valid; edit it, then `treeform generate {model}`")


@cli.group("import")
def import_group() -> None:
    """Write a model file from a cluster's existing kOps or eksctl manifests."""


def _import(
    tool: str, paths: tuple[Path, ...], cluster_id: str, strict: bool, dry_run: bool, force: bool
) -> None:
    from treeform.errors import UsageError
    from treeform.importers import import_cluster

    # FILE... [MODEL]: the last argument is the model tree when it is a directory.
    files, model = list(paths), Path()
    if len(files) > 1 and files[-1].is_dir():
        model = files.pop()
    for path in files:
        if path.is_dir():
            _fail(UsageError(f"{path}: a directory; FILE... are kOps or eksctl YAML files"))
    outcome = _run(
        import_cluster,
        tool,
        files,
        model,
        cluster_id,
        strict=strict,
        force=force,
        dry_run=dry_run,
    )
    for issue in outcome.unexpressed:
        click.echo(f"warning: {issue}", err=True)
    if outcome.unexpressed:
        n = len(outcome.unexpressed)
        click.echo(
            f"{n} field{'s' if n != 1 else ''} of the input the model cannot express "
            "(listed at the top of the file); --strict makes them errors",
            err=True,
        )
    if dry_run:
        click.echo(outcome.text, nl=False)
    else:
        click.echo(f"wrote {outcome.target}: valid; `treeform generate {model}` renders it")


def _import_options(fn: Any) -> Any:
    for option in reversed(
        (
            click.argument(
                "paths",
                nargs=-1,
                required=True,
                type=click.Path(path_type=Path),
                metavar="FILE... [MODEL]",
            ),
            click.option(
                "--id", "cluster_id", required=True, metavar="ID", help="The new cluster's id."
            ),
            click.option(
                "--dry-run", is_flag=True, help="Print the model file instead of writing it."
            ),
            click.option("--force", is_flag=True, help="Overwrite MODEL/ID.yaml if it exists."),
        )
    ):
        fn = option(fn)
    return fn


@import_group.command("kops")
@_import_options
@click.option(
    "--strict",
    is_flag=True,
    help="Fail, listing each field, where the model cannot express the input.",
)
def import_kops(
    paths: tuple[Path, ...], cluster_id: str, dry_run: bool, force: bool, strict: bool
) -> None:
    """Write MODEL/ID.yaml from kOps Cluster and InstanceGroup documents: FILE... is one
    multi-document file or several, as `kops get ... -o yaml` writes them; MODEL (the last
    argument, when it is a directory) defaults to the current directory.

    What the model cannot say goes into the escape hatch (kops.clusterSpec,
    nodePools.<p>.kops.spec) where it can, else it is listed (an error with --strict)."""
    _import("kops", paths, cluster_id, strict, dry_run, force)


@import_group.command("eksctl")
@_import_options
def import_eksctl(paths: tuple[Path, ...], cluster_id: str, dry_run: bool, force: bool) -> None:
    """Write MODEL/ID.yaml (engine eks, eks.eksctl: true) from an eksctl ClusterConfig
    FILE; MODEL (the last argument, when it is a directory) defaults to the current
    directory.

    Any field the model cannot express is an error, listed by field."""
    _import("eksctl", paths, cluster_id, True, dry_run, force)


@cli.command()
@click.option(
    "--effective",
    is_flag=True,
    help="The schema of a merged cluster (what validate checks) instead of a model file's.",
)
def schema(effective: bool) -> None:
    """Print the JSON Schema of a model file (for editors): every field optional, null
    removes an inherited key, unknown fields are errors. --effective: of a merged cluster."""
    from treeform.fileschema import file_schema
    from treeform.validate import cluster_schema

    click.echo(json.dumps(cluster_schema() if effective else file_schema(), indent=2))


def _terminated(signum: int, _frame: Any) -> None:
    """SIGTERM (a cancelled CI job) is handled as Ctrl-C: a generate rolls back, the lock is
    released; a worker process just ends (its parent rolls its files back)."""
    import os

    if os.getpid() != _MAIN_PID:
        os._exit(128 + signum)
    raise KeyboardInterrupt


_MAIN_PID = 0


def main() -> None:
    import os
    import signal

    global _MAIN_PID
    _MAIN_PID = os.getpid()
    signal.signal(signal.SIGTERM, _terminated)
    cli(prog_name="treeform")
