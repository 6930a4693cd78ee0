"""The model's maintenance window in the forms the clouds take it: a weekly (or daily) window
at a time of day in a fixed UTC offset, and exclusions as RFC 3339 times."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from treeform.model import Maintenance

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: A Monday: recurring windows that need a first occurrence start from the week it begins.
_REFERENCE_MONDAY = datetime.date(2025, 1, 6)


def _offset(text: str) -> datetime.timezone:
    sign = -1 if text.startswith("-") else 1
    hours, minutes = text[1:].split(":")
    return datetime.timezone(sign * datetime.timedelta(hours=int(hours), minutes=int(minutes)))


@dataclass(frozen=True)
class UtcWindow:
    """A window moved to UTC: its weekday there (None: daily) and its start and end."""

    weekday: str | None
    start: datetime.datetime
    end: datetime.datetime


def utc_window(m: Maintenance) -> UtcWindow:
    """The window in UTC; a weekly window may fall on another day there."""
    day = 0 if m.day == "daily" else WEEKDAYS.index(m.day)
    hour, minute = (int(p) for p in m.start.split(":"))
    local = datetime.datetime.combine(
        _REFERENCE_MONDAY + datetime.timedelta(days=day),
        datetime.time(hour, minute),
        tzinfo=_offset(m.utc_offset),
    )
    start = local.astimezone(datetime.UTC)
    weekday = None if m.day == "daily" else WEEKDAYS[start.weekday()]
    return UtcWindow(weekday, start, start + datetime.timedelta(hours=m.hours))


def rfc3339_utc(text: str) -> str:
    """An RFC 3339 time with any offset as the same instant in UTC (`...Z`), as the clouds
    read them back."""
    instant = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return instant.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def duration(start: str, end: str) -> datetime.timedelta:
    return datetime.datetime.fromisoformat(end.replace("Z", "+00:00")) - (
        datetime.datetime.fromisoformat(start.replace("Z", "+00:00"))
    )
