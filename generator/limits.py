"""Limits on what a model may hold, so that a hostile or mistaken tree fails fast instead of
eating the machine. Each can be raised by an environment variable, read when it is used."""

from __future__ import annotations

import os
from dataclasses import dataclass

from treeform.errors import UsageError


@dataclass(frozen=True)
class Limit:
    """One limit: its environment variable, its default, and what it counts."""

    env: str
    default: int

    def value(self) -> int:
        raw = os.environ.get(self.env, "").strip()
        if not raw:
            return self.default
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value < 1:
            raise UsageError(f"{self.env}={raw!r}: the limit must be a positive whole number")
        return value

    def hint(self, needed: int = 0) -> str:
        """How to raise the limit, for the error that meets it."""
        example = max(self.value() * 4, needed)
        return f"to raise it, set the environment variable {self.env} (e.g. {self.env}={example})"


#: Bytes of one YAML file.
FILE_BYTES = Limit("TREEFORM_MAX_FILE_BYTES", 1024 * 1024)
#: Values one YAML file expands to, aliases counted each time they are used.
YAML_NODES = Limit("TREEFORM_MAX_YAML_NODES", 50_000)
#: Levels of nesting of mappings and lists in one file.
DEPTH = Limit("TREEFORM_MAX_DEPTH", 64)
#: Clusters in one tree.
CLUSTERS = Limit("TREEFORM_MAX_CLUSTERS", 20_000)

ALL = (FILE_BYTES, YAML_NODES, DEPTH, CLUSTERS)


def signature() -> str:
    """The limits that differ from their defaults ("" when none does), for fingerprints: a
    cluster found valid under some limits is read again under others, so that a lowered
    limit applies on every run, whatever was remembered."""
    return "".join(f"\0{lim.env}={lim.value()}" for lim in ALL if lim.value() != lim.default)
