"""Bring rendered HCL into `terraform fmt` form: indentation and `=` alignment.

Templates only need to be right in content; this pass applies the two layout rules of
hclwrite's formatter that templates cannot know in advance (where a user value decides the
width): indent two spaces per open bracket, and align the `=` of consecutive single-line
attributes. Blank lines are collapsed to one, trailing space removed. The tests hold every
rendered module to Terraform's own `fmt`.
"""

from __future__ import annotations

from functools import lru_cache

_OPEN = "{[("
_CLOSE = "}])"


@lru_cache(maxsize=1 << 16)
def _scan(line: str) -> tuple[int, int | None, int]:
    """Net bracket change, index of the first assignment `=` (or None), and the bracket
    change from that `=` to the end of the line."""
    net = 0
    eq: int | None = None
    net_at_eq = 0
    i = 0
    n = len(line)
    # A stack of contexts: "s" inside a quoted string, "e" inside ${ } / %{ } of a string.
    stack: list[str] = []
    while i < n:
        c = line[i]
        if stack and stack[-1] == "s":
            if c == "\\":
                i += 2
                continue
            if c == '"':
                stack.pop()
            elif c in "$%" and line.startswith(c * 2 + "{", i):
                i += 3
                continue
            elif c in "$%" and i + 1 < n and line[i + 1] == "{":
                stack.append("e")
                net += 1
                i += 2
                continue
            i += 1
            continue
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
    return net, eq, net - net_at_eq


def format_hcl(text: str) -> str:
    # Only "\n" ends a line in HCL (str.splitlines would also split at U+0085 and others).
    lines = [ln.strip(" \t\r") for ln in text.split("\n")]
    # Collapse runs of blank lines; no blank line right after an opening or before a
    # closing brace.
    kept: list[str] = []
    for ln in lines:
        if not ln and (not kept or not kept[-1] or kept[-1].endswith(("{", "["))):
            continue
        if ln.startswith(("}", "]")) and kept and not kept[-1]:
            kept.pop()
        kept.append(ln)
    while kept and not kept[-1]:
        kept.pop()

    indents: list[int] = []
    laid: list[tuple[int, str, int | None]] = []  # (indent, text, eq index if alignable)
    for ln in kept:
        if not ln:
            laid.append((0, "", None))
            continue
        net, eq, after_eq = _scan(ln)
        level = len(indents)
        if net > 0:
            indents.append(net)
        elif net < 0:
            closed = -net
            while closed > 0 and indents:
                if closed > indents[-1]:
                    closed -= indents.pop()
                elif closed < indents[-1]:
                    indents[-1] -= closed
                    closed = 0
                else:
                    indents.pop()
                    closed = 0
            level = len(indents)
        laid.append((level, ln, eq if eq is not None and after_eq == 0 else None))

    out: list[str] = []
    i = 0
    while i < len(laid):
        level, ln, eq = laid[i]
        if eq is None:
            out.append(" " * (2 * level) + ln if ln else "")
            i += 1
            continue
        j = i
        while j < len(laid) and laid[j][2] is not None:
            j += 1
        chain = []
        for lvl, text, idx in laid[i:j]:
            assert idx is not None
            lead = " " * (2 * lvl) + text[:idx].rstrip()
            chain.append((lead, text[idx + 1 :].strip()))
        # Leads are ASCII: the `hcl_key` filter escapes any other character of a key.
        width = max(len(lead) for lead, _ in chain)
        for lead, rest in chain:
            out.append(f"{lead.ljust(width)} = {rest}")
        i = j
    return "\n".join(out) + "\n"
