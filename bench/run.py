"""treeform's benchmark: start-up, validate and generate on synthetic trees of 1, 100 and
1,000 clusters, against a hand-written floor and against Kapitan, and on a large tree of
10,000 clusters (fewer runs), written to bench/RESULTS.md. Run it with `make bench` (which
installs Kapitan into bench/.venv-kapitan).

    python bench/run.py [--sizes 1,100,1000] [--reps 5] [--out bench/RESULTS.md]
    python bench/run.py --large-only [--large 10000] [--large-reps 2]   # that section only

Each figure is a whole process: several runs after a warm-up, wall time as median and
min-max, peak resident memory of the process (largest of its runs). Not part of `make test`.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import io
import os
import platform
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from synth import write_tree  # noqa: E402

# The console script users run, from the same environment as this interpreter.
_SCRIPT = Path(sys.executable).parent / "treeform"
TREEFORM = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "treeform"]
KAPITAN = HERE / ".venv-kapitan" / "bin" / "kapitan"


@dataclass
class Figure:
    name: str
    clusters: int
    walls: list[float]
    rss_kb: int
    #: Kapitan: its time over treeform's, per pair of runs taken in turns.
    ratios: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.walls)

    def cell(self) -> str:
        return f"{self.median:.3f} ({min(self.walls):.3f}-{max(self.walls):.3f})"


def run_once(
    cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> tuple[float, int, int]:
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **env} if env else None,
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.decode()[-2000:]}")
    return wall, usage.ru_maxrss, proc.returncode


def measure(
    name: str,
    clusters: int,
    cmd: list[str],
    reps: int,
    setup: Callable[[], None] | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> Figure:
    walls, rss = [], 0
    for i in range(reps + 1):
        if setup:
            setup()
        wall, maxrss, _ = run_once(cmd, cwd, env)
        if i:  # the first run warms the caches and is not counted
            walls.append(wall)
            rss = max(rss, maxrss)
    print(f"  {name:<28} N={clusters:<5} {statistics.median(walls):.3f}s  {rss // 1024} MiB")
    return Figure(name, clusters, walls, rss)


def rmtree(path: Path) -> Callable[[], None]:
    return lambda: shutil.rmtree(path, ignore_errors=True)


#: A generate with nothing changed that finds no stamp (see treeform.stamp): the whole
#: incremental run, which then notes one.
NO_STAMP = "generate (nothing changed, no stamp)"


def unstamped(model: Path, out: Path) -> Callable[[], None]:
    from treeform.stamp import forget

    return lambda: forget(model, out)


def toggler(model: Path) -> Callable[[], None]:
    """Change one field of one cluster, a different value every call."""
    import yaml

    target = sorted(p for p in model.rglob("c*.yaml"))[0]
    data = yaml.safe_load(target.read_text())
    counter = [0]

    def toggle() -> None:
        counter[0] += 1
        data["tags"]["revision"] = str(counter[0])
        target.write_text(yaml.safe_dump(data, sort_keys=False))

    return toggle


def bench_size(n: int, reps: int, work: Path) -> list[Figure]:
    model, out, floor_out = work / f"model{n}", work / f"out{n}", work / f"floor{n}"
    write_tree(n, model)
    figures = [
        measure(
            "validate (no cache)",
            n,
            [*TREEFORM, "validate", str(model)],
            reps,
            env={"TREEFORM_CACHE_DIR": ""},
        ),
        measure("validate (nothing changed)", n, [*TREEFORM, "validate", str(model)], reps),
        measure(
            "generate (empty output)",
            n,
            [*TREEFORM, "generate", str(model), "-o", str(out)],
            reps,
            setup=rmtree(out),
        ),
        measure(
            "generate (nothing changed)",
            n,
            [*TREEFORM, "generate", str(model), "-o", str(out)],
            reps,
        ),
        measure(
            NO_STAMP,
            n,
            [*TREEFORM, "generate", str(model), "-o", str(out)],
            reps,
            setup=unstamped(model, out),
        ),
        measure(
            "generate --check",
            n,
            [*TREEFORM, "generate", str(model), "-o", str(out), "--check"],
            reps,
        ),
    ]
    if n > 1:
        toggle = toggler(model)
        figures.append(
            measure(
                "generate (one cluster changed)",
                n,
                [*TREEFORM, "generate", str(model), "-o", str(out)],
                reps,
                setup=toggle,
            )
        )
    figures.append(
        measure(
            "floor (validate + render)",
            n,
            [sys.executable, str(HERE / "floor.py"), str(model), str(floor_out)],
            reps,
            setup=rmtree(floor_out),
        )
    )
    if KAPITAN.exists() and n > 1:
        kap = work / f"kapitan{n}"
        subprocess.run(
            [sys.executable, str(HERE / "kapitan_inventory.py"), str(model), str(kap)], check=True
        )
        figures += side_by_side(n, model, work / f"pair{n}", kap, max(3, reps // 2))
    return figures


def bench_large(n: int, reps: int, work: Path, small: Figure | None) -> list[Figure]:
    """The same figures for a large tree (fewer runs: each costs a minute on two cores),
    and, unless given (`small`), the first generate of 1,000 clusters again, in the same
    run, for the ratio of their peak memory."""
    model, out, floor_out = work / f"model{n}", work / f"out{n}", work / f"floor{n}"
    write_tree(n, model)
    generate = [*TREEFORM, "generate", str(model), "-o", str(out)]
    figures = [
        measure(
            "validate (no cache)",
            n,
            [*TREEFORM, "validate", str(model)],
            reps,
            env={"TREEFORM_CACHE_DIR": ""},
        ),
        measure("validate (nothing changed)", n, [*TREEFORM, "validate", str(model)], reps),
        measure("generate (empty output)", n, generate, reps, setup=rmtree(out)),
        measure("generate (nothing changed)", n, generate, reps),
        measure(NO_STAMP, n, generate, reps, setup=unstamped(model, out)),
        measure("generate --check", n, [*generate, "--check"], reps),
        measure("generate (one cluster changed)", n, generate, reps, setup=toggler(model)),
        measure(
            "floor (validate + render)",
            n,
            [sys.executable, str(HERE / "floor.py"), str(model), str(floor_out)],
            reps,
            setup=rmtree(floor_out),
        ),
    ]
    shutil.rmtree(floor_out, ignore_errors=True)
    if small is None:
        small_model, small_out = work / "model1000", work / "out1000"
        if not small_model.exists():
            write_tree(1000, small_model)
        small = measure(
            "generate (empty output)",
            1000,
            [*TREEFORM, "generate", str(small_model), "-o", str(small_out)],
            max(reps, 2),
            setup=rmtree(small_out),
        )
    return [*figures, small]


def large_section(n: int, figures: list[Figure], reps: int) -> list[str]:
    """The large tree's table and the ratios of its targets."""
    by = {(f.name, f.clusters): f for f in figures}
    lines = [
        f"## {n:,} clusters",
        "",
        f"{reps} run(s) after a warm-up each (a first generate of {n:,} clusters takes a "
        "minute of both cores); peak RSS: the largest process of the run (treeform or a "
        "worker), `wait4`'s `ru_maxrss`.",
        "",
        "| N | what | wall s | clusters/s | peak RSS MiB |",
        "|---|---|---|---|---|",
    ]
    for f in figures:
        rate = f"{f.clusters / f.median:.0f}" if f.median else "-"
        lines.append(f"| {f.clusters} | {f.name} | {f.cell()} | {rate} | {f.rss_kb // 1024} |")
    first = by.get(("generate (empty output)", n))
    same = by.get(("generate (nothing changed)", n))
    one = by.get(("generate (one cluster changed)", n))
    whole = by.get((NO_STAMP, n))
    floor = by.get(("floor (validate + render)", n))
    small = by.get(("generate (empty output)", 1000))
    lines += ["", "| ratio | value |", "|---|---|"]
    if first and same:
        lines.append(
            f"| first generate / nothing changed at {n:,} (target ≥ 20) | "
            f"{first.median / same.median:.1f} |"
        )
    if first and whole:
        lines.append(
            f"| first generate / nothing changed without the stamp at {n:,} | "
            f"{first.median / whole.median:.1f} |"
        )
    if first and one:
        lines.append(f"| first generate / one changed at {n:,} | {first.median / one.median:.1f} |")
    if first and floor:
        lines.append(f"| generate / floor at {n:,} | {first.median / floor.median:.2f} |")
    if first and small:
        lines.append(
            f"| peak RSS of a first generate, {n:,} / 1,000 clusters (target ≤ 1.5) | "
            f"{first.rss_kb / small.rss_kb:.2f} ({first.rss_kb // 1024} / "
            f"{small.rss_kb // 1024} MiB) |"
        )
    return lines


def replace_section(text: str, title: str, section: list[str]) -> str:
    """`text` (a RESULTS.md) with its `## title` section replaced by `section` (added
    before "## Where the time goes" when it has none)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line == title), None)
    if start is None:
        at = next(
            (i for i, line in enumerate(lines) if line.startswith("## Where the time goes")),
            len(lines),
        )
        lines[at:at] = [*section, ""]
    else:
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        lines[start:end] = [*section, ""]
    return "\n".join(lines).rstrip() + "\n"


def with_notes(text: str) -> str:
    """`text` (a RESULTS.md) with the notes at its end (from "## What was done") replaced
    by bench/NOTES.md as it is now."""
    notes = HERE / "NOTES.md"
    lines = text.splitlines()
    at = next((i for i, line in enumerate(lines) if line.startswith("## What was done")), None)
    if at is None or not notes.exists():
        return text
    return "\n".join([*lines[:at], notes.read_text().rstrip(), ""])


def side_by_side(n: int, model: Path, out: Path, kap: Path, pairs: int) -> list[Figure]:
    """treeform's first generate and Kapitan's compile, run in turns (a warm-up each, then
    `pairs` pairs), so that both meet the same moods of a shared machine; the ratio is the
    median of the pairs' ratios."""
    ours = [*TREEFORM, "generate", str(model), "-o", str(out)]
    theirs = [str(KAPITAN), "compile"]
    walls: tuple[list[float], list[float]] = ([], [])
    rss = [0, 0]
    for i in range(pairs + 1):
        for k, (cmd, cwd, target) in enumerate(
            ((ours, None, out), (theirs, kap, kap / "compiled"))
        ):
            shutil.rmtree(target, ignore_errors=True)
            wall, maxrss, _ = run_once(cmd, cwd)
            if i:
                walls[k].append(wall)
                rss[k] = max(rss[k], maxrss)
    gen = Figure("generate (turns with Kapitan)", n, walls[0], rss[0])
    kapitan = Figure("kapitan compile", n, walls[1], rss[1])
    kapitan.ratios = [b / a for a, b in zip(walls[0], walls[1], strict=True)]
    for f in (gen, kapitan):
        print(f"  {f.name:<28} N={n:<5} {f.median:.3f}s  {f.rss_kb // 1024} MiB")
    return [gen, kapitan]


def profile(work: Path) -> str:
    """cProfile of a 1,000-cluster generate into an empty directory, top functions."""
    from treeform.runner import write_generated

    model, out = work / "model1000", work / "profile-out"
    shutil.rmtree(out, ignore_errors=True)
    prof = cProfile.Profile()
    prof.enable()
    write_generated(model, out, jobs=1)
    prof.disable()
    text = io.StringIO()
    pstats.Stats(prof, stream=text).strip_dirs().sort_stats("tottime").print_stats(15)
    lines = text.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    return "\n".join(lines[start:]).rstrip()


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.system()} {platform.release()}"
    )


def report(
    figures: list[Figure],
    startup: list[Figure],
    prof: str,
    reps: int,
    fs: str,
    disk: list[Figure],
) -> str:
    by = {(f.name, f.clusters): f for f in figures}
    sizes = sorted({f.clusters for f in figures})
    lines = [
        "# treeform benchmark results",
        "",
        f"- date: {datetime.date.today().isoformat()}",
        f"- machine: {machine()}",
        f"- Python {platform.python_version()}; each figure: {reps} runs after a warm-up "
        "(Kapitan: fewer, in turns with a treeform generate), wall seconds as median (min-max), "
        "peak RSS of the largest run",
        f"- trees and outputs on {fs} (the disk runs at the end: on the disk)",
        "- rerun: `make bench` (or `python bench/run.py --sizes 1,100,1000 --reps 5`)",
        "",
        "## Start-up",
        "",
        "| command | wall s | peak RSS MiB |",
        "|---|---|---|",
    ]
    for f in startup:
        lines.append(f"| `treeform {f.name}` | {f.cell()} | {f.rss_kb // 1024} |")
    lines += [
        "",
        "## Trees of N clusters",
        "",
        "| N | what | wall s | clusters/s | peak RSS MiB |",
        "|---|---|---|---|---|",
    ]
    for n in sizes:
        for f in [f for f in figures if f.clusters == n]:
            rate = f"{n / f.median:.0f}" if f.median else "-"
            lines.append(f"| {n} | {f.name} | {f.cell()} | {rate} | {f.rss_kb // 1024} |")
    lines += ["", "## Ratios", "", "| N | ratio | value |", "|---|---|---|"]
    for n in sizes:
        gen = by.get(("generate (empty output)", n))
        floor = by.get(("floor (validate + render)", n))
        same = by.get(("generate (nothing changed)", n))
        one = by.get(("generate (one cluster changed)", n))
        whole = by.get((NO_STAMP, n))
        kap = by.get(("kapitan compile", n))
        turns = by.get(("generate (turns with Kapitan)", n))
        if gen and floor:
            lines.append(
                f"| {n} | generate / floor (target ≤ 2) | {gen.median / floor.median:.2f} |"
            )
        if gen and same:
            lines.append(
                f"| {n} | first generate / nothing changed (target ≥ 3) | "
                f"{gen.median / same.median:.2f} |"
            )
        if gen and whole:
            lines.append(
                f"| {n} | first generate / nothing changed without the stamp | "
                f"{gen.median / whole.median:.2f} |"
            )
        if gen and one:
            lines.append(
                f"| {n} | first generate / one changed (target ≥ 3) | "
                f"{gen.median / one.median:.2f} |"
            )
        if turns and kap and kap.ratios:
            lines.append(
                f"| {n} | Kapitan compile / treeform generate, run in turns (target ≥ 10 at "
                f"1000) | {statistics.median(kap.ratios):.2f} "
                f"({min(kap.ratios):.2f}-{max(kap.ratios):.2f}) |"
            )
    if disk:
        lines += [
            "",
            "## On the disk (1,000 clusters)",
            "",
            "| what | wall s | clusters/s | peak RSS MiB |",
            "|---|---|---|---|",
        ]
        for f in disk:
            rate = f"{f.clusters / f.median:.0f}" if f.median else "-"
            lines.append(f"| {f.name} | {f.cell()} | {rate} | {f.rss_kb // 1024} |")
        d = {f.name: f for f in disk}
        gen, floor, kap = (
            d.get("generate (empty output)"),
            d.get("floor (validate + render)"),
            d.get("kapitan compile"),
        )
        if gen and floor:
            lines.append(f"\ngenerate / floor on the disk: {gen.median / floor.median:.2f}")
        if kap and kap.ratios:
            lines.append(
                "\nKapitan compile / treeform generate on the disk, run in turns: "
                f"{statistics.median(kap.ratios):.2f} "
                f"({min(kap.ratios):.2f}-{max(kap.ratios):.2f})"
            )
    lines += [
        "",
        "## Where the time goes (1,000 clusters, one process, cProfile)",
        "",
        "```",
        prof,
        "```",
        "",
    ]
    notes = HERE / "NOTES.md"
    if notes.exists():
        lines += [notes.read_text().rstrip(), ""]
    return "\n".join(lines)


def default_work_dir() -> Path | None:
    """tmpfs when the machine has it: the tools' own work is measured, not the disk's
    (creating 9,000 files on a shared virtual disk varies from 0.3 s to 4 s by itself)."""
    shm = Path("/dev/shm")
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else None


def filesystem(path: Path) -> str:
    try:
        best = ("", "?")
        for line in Path("/proc/mounts").read_text().splitlines():
            _, mount, kind, *_ = line.split()
            if str(path).startswith(mount) and len(mount) > len(best[0]):
                best = (mount, kind)
        return best[1]
    except OSError:
        return "?"


def on_disk(reps: int) -> list[Figure]:
    """The 1,000-cluster first generate, floor and Kapitan again, on the disk."""
    with tempfile.TemporaryDirectory(prefix="treeform-bench-disk-") as tmp:
        work = Path(tmp)
        model, out, floor_out = work / "model", work / "out", work / "floor"
        write_tree(1000, model)
        figures = [
            measure(
                "generate (empty output)",
                1000,
                [*TREEFORM, "generate", str(model), "-o", str(out)],
                reps,
                setup=rmtree(out),
            ),
            measure(
                "floor (validate + render)",
                1000,
                [sys.executable, str(HERE / "floor.py"), str(model), str(floor_out)],
                reps,
                setup=rmtree(floor_out),
            ),
        ]
        if KAPITAN.exists():
            kap = work / "kapitan"
            subprocess.run(
                [sys.executable, str(HERE / "kapitan_inventory.py"), str(model), str(kap)],
                check=True,
            )
            figures += side_by_side(1000, model, work / "pair", kap, max(3, reps // 2))
        return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,100,1000")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=default_work_dir(),
        help="where the trees and outputs go (default: /dev/shm when there is one)",
    )
    parser.add_argument(
        "--no-disk", action="store_true", help="skip the 1,000-cluster runs on the disk"
    )
    parser.add_argument(
        "--large", type=int, default=10_000, help="the large tree (0: none; default 10000)"
    )
    parser.add_argument("--large-reps", type=int, default=2, help="runs per large figure")
    parser.add_argument(
        "--large-only",
        action="store_true",
        help="measure only the large tree (and a 1,000-cluster first generate for the "
        "memory ratio) and replace its section of --out, leaving the rest as it is",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.large_only:
        with tempfile.TemporaryDirectory(prefix="treeform-bench-", dir=args.work_dir) as tmp:
            work = Path(tmp)
            print(f"work in {work} ({filesystem(work)}); N = {args.large}")
            large = bench_large(args.large, args.large_reps, work, None)
        section = large_section(args.large, large, args.large_reps)
        old = args.out.read_text() if args.out.exists() else "# treeform benchmark results\n"
        args.out.write_text(with_notes(replace_section(old, section[0], section)))
        print(f"wrote {args.out}")
        return
    with tempfile.TemporaryDirectory(prefix="treeform-bench-", dir=args.work_dir) as tmp:
        work = Path(tmp)
        print(f"work in {work} ({filesystem(work)})")
        print("start-up")
        startup = [
            measure("--version", 0, [*TREEFORM, "--version"], args.reps * 2),
            measure("--help", 0, [*TREEFORM, "--help"], args.reps * 2),
        ]
        figures = []
        for n in sizes:
            print(f"N = {n}")
            figures += bench_size(n, args.reps, work)
        large: list[Figure] = []
        if args.large:
            print(f"N = {args.large}")
            small = next(
                (f for f in figures if f.name == "generate (empty output)" and f.clusters == 1000),
                None,
            )
            large = bench_large(args.large, args.large_reps, work, small)
        prof = profile(work) if 1000 in sizes else "(run with 1000 in --sizes)"
        disk: list[Figure] = []
        if not args.no_disk and 1000 in sizes and filesystem(work) == "tmpfs":
            print(f"N = 1000 on the disk ({filesystem(Path(tempfile.gettempdir()))})")
            disk = on_disk(max(3, args.reps - 2))
        text = report(figures, startup, prof, args.reps, filesystem(work), disk)
        if large:
            section = large_section(args.large, large, args.large_reps)
            text = replace_section(text, section[0], section)
        args.out.write_text(text)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
