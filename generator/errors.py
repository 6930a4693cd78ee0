"""The errors a user can meet. Only the CLI turns them into text and exit codes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# Everything a reader of the report (or str.splitlines) takes for a line break.
_LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def one_line(text: str) -> str:
    """`text` with its line breaks escaped (`\\n`), so that one issue stays one line even
    when a file name, a key or a value in it holds one."""
    return _LINE_BREAKS.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


def shown(value: object, limit: int = 60) -> str:
    """A user value quoted for a message, cut short when it is long."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True, order=True)
class Location:
    """Where a value was written: a file (as the user named it), 1-based line and column."""

    file: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, order=True)
class Issue:
    """One problem with the model, in the shape every stage reports."""

    location: Location
    path: str
    message: str

    def __str__(self) -> str:
        field = f" {self.path}:" if self.path else ""
        return one_line(f"{self.location}:{field} {self.message}")


WARNING = "warning: "


def as_warning(issue: Issue) -> Issue:
    """The same place and field as a warning: reported on stderr beside the output, never
    failing a run (the valid clusters' `Cluster.warnings`, `Rendered.warnings`)."""
    return Issue(issue.location, issue.path, WARNING + issue.message)


class TreeformError(Exception):
    """Root of every error meant for a user; the message is complete on its own."""

    exit_code = 1


class ModelError(TreeformError):
    """The model is invalid; carries every issue found, sorted and without repeats."""

    def __init__(self, issues: Iterable[Issue], warnings: Iterable[Issue] = ()) -> None:
        self.issues = sorted(set(issues))
        #: Warnings found on the way (messages starting "warning: "), reported beside.
        self.warnings = sorted(set(warnings))
        super().__init__("\n".join(str(i) for i in self.issues))


class OutputError(TreeformError):
    """The output directory cannot be written as asked (edited files, foreign files, ...)."""


class UsageError(TreeformError):
    """The command was called wrongly (an unknown cluster id, a missing directory, ...)."""

    exit_code = 2
