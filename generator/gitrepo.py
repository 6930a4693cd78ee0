"""Where the output directory sits in the git repository that holds it (Atlantis's project
dirs are paths from the repository's root). Light on purpose: a generate that finds nothing
changed (see `stamp`) asks it without loading the rest of treeform."""

from __future__ import annotations

import shutil
from pathlib import Path

from treeform.errors import OutputError


def repository_root(start: Path) -> Path | None:
    """The top of the git work tree holding `start` (an existing directory): git's answer
    where git is on PATH, else the nearest directory above holding `.git`; None when there
    is no repository. Raises OutputError when there is one that git cannot read."""
    marker = next((d for d in (start, *start.parents) if (d / ".git").exists()), None)
    if marker is None:
        return None
    if shutil.which("git") is None:
        return marker
    import subprocess  # (only here: a run outside a repository does without it)

    proc = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], cwd=start, capture_output=True, check=False
    )
    if proc.returncode != 0:
        said = proc.stderr.decode(errors="replace").strip().splitlines()
        raise OutputError(
            f"{start}: cannot tell where the output directory sits in its git repository "
            f"(git: {said[0] if said else 'failed'}), so the Atlantis project dirs cannot be "
            "known; set atlantis.outputPath in MODEL/.treeform.yaml"
        )
    return Path(proc.stdout.decode().strip()).resolve()


def path_in_repository(output: Path) -> tuple[str, Path] | None:
    """OUT's path from the root of its git repository ("" at the root) and that root, or
    None when OUT is in no repository. Raises OutputError when OUT is not inside the
    repository that holds its nearest existing directory (a symlink on the way)."""
    absolute = output.absolute()
    probe = absolute
    while not probe.is_dir():
        probe = probe.parent
    root = repository_root(probe.resolve())
    if root is None:
        return None
    try:
        found = (probe.resolve() / absolute.relative_to(probe)).relative_to(root).as_posix()
    except ValueError:
        raise OutputError(
            f"{output}: the output directory is not inside the git repository {root} that "
            "holds it (a symlink?), so the Atlantis project dirs cannot be known; set "
            "atlantis.outputPath in MODEL/.treeform.yaml"
        ) from None
    return ("" if found == "." else found), root
