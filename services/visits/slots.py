"""Bookable times: weekly hours in the tenant's time zone, time off, buffers, notice and horizon (no I/O)."""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """One working block: ISO weekday (1 = Monday), minutes after local midnight, [start, end)."""

    weekday: int
    start_minute: int
    end_minute: int


@dataclass(frozen=True, slots=True)
class BookingRules:
    """A project's rules for leads booking a visit."""

    visit: timedelta
    buffer_before: timedelta
    buffer_after: timedelta
    notice: timedelta
    horizon: timedelta
    step: timedelta

    def blocked(self, start: datetime) -> tuple[datetime, datetime]:
        """The time a visit starting at `start` takes from the agent's calendar, buffers included."""
        return start - self.buffer_before, start + self.visit + self.buffer_after


class Intervals:
    """Sorted half-open [start, end) intervals, asked whether anything overlaps a given one."""

    def __init__(self, intervals: Iterable[tuple[datetime, datetime]]) -> None:
        merged: list[tuple[datetime, datetime]] = []
        for start, end in sorted(intervals):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        self._starts = [start for start, _ in merged]
        self._ends = [end for _, end in merged]

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """True when some interval shares an instant with [start, end)."""
        # Merged intervals are disjoint and sorted by start and end alike: the first that ends after
        # `start` is the only candidate.
        index = bisect.bisect_right(self._ends, start)
        return index < len(self._starts) and self._starts[index] < end


def parse_hhmm(value: str, *, allow_midnight_end: bool) -> int:
    """Minutes after midnight of "HH:MM" ("24:00" only as an end); ValueError otherwise."""
    hours, sep, minutes = value.partition(":")
    if not sep or len(hours) != 2 or len(minutes) != 2 or not (hours + minutes).isdigit():
        raise ValueError(f"{value!r} is not HH:MM")
    total = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or total > MINUTES_PER_DAY or (total == MINUTES_PER_DAY and not allow_midnight_end):
        raise ValueError(f"{value!r} is not a time of day")
    return total


def format_hhmm(minutes: int) -> str:
    """ "HH:MM" of minutes after midnight (1440 is "24:00")."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def hours_problem(hours: Sequence[WeeklyHours]) -> tuple[int, str, str] | None:
    """Why a week of hours can't be stored: (index of the block, its attribute at fault, message); None if fine."""
    for index, block in enumerate(hours):
        if not 1 <= block.weekday <= 7:
            return index, "weekday", f"weekday {block.weekday} is not 1 (Monday) to 7 (Sunday)"
        if block.end_minute <= block.start_minute:
            return index, "end", f"{format_hhmm(block.end_minute)} does not end after {format_hhmm(block.start_minute)}"
    ordered = sorted(range(len(hours)), key=lambda i: (hours[i].weekday, hours[i].start_minute))
    for before, after in itertools.pairwise(ordered):
        first, second = hours[before], hours[after]
        if first.weekday == second.weekday and second.start_minute < first.end_minute:
            return (
                after,
                "start",
                f"{format_hhmm(second.start_minute)}-{format_hhmm(second.end_minute)} overlaps "
                f"{format_hhmm(first.start_minute)}-{format_hhmm(first.end_minute)} on weekday {first.weekday}",
            )
    return None


def _at(day: date, minute: int, tz: ZoneInfo) -> datetime:
    """The instant of `minute` after local midnight of `day` (1440 is the next midnight), in UTC."""
    if minute == MINUTES_PER_DAY:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz).astimezone(UTC)


def working_blocks(
    hours: Sequence[WeeklyHours], tz: ZoneInfo, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The working blocks (UTC) of the days that touch [start, end), in order."""
    by_day: dict[int, list[WeeklyHours]] = {}
    for block in hours:
        by_day.setdefault(block.weekday, []).append(block)
    first = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date()
    blocks = []
    day = first
    while day <= last:
        for block in sorted(by_day.get(day.isoweekday(), ()), key=lambda b: b.start_minute):
            blocks.append((_at(day, block.start_minute, tz), _at(day, block.end_minute, tz)))
        day += timedelta(days=1)
    return blocks


def within_hours(hours: Sequence[WeeklyHours], tz: ZoneInfo, start: datetime, end: datetime) -> bool:
    """True when [start, end) lies inside one working block."""
    return any(b_start <= start and end <= b_end for b_start, b_end in working_blocks(hours, tz, start, end))


def free_starts(
    *,
    hours: Sequence[WeeklyHours],
    time_off: Intervals,
    busy: Intervals,
    rules: BookingRules,
    tz: ZoneInfo,
    window_from: datetime,
    window_to: datetime,
    now: datetime,
) -> list[datetime]:
    """Starts in [window_from, window_to) a lead may book: inside a working block, off no time off, with the
    visit and its buffers clear of every other visit's blocked time, after the notice and within the horizon."""
    earliest = max(window_from, now + rules.notice)
    latest = min(window_to, now + rules.horizon + timedelta(microseconds=1))
    if earliest >= latest:
        return []
    starts = []
    for block_start, block_end in working_blocks(hours, tz, earliest, latest):
        start = block_start
        while start + rules.visit <= block_end and start < latest:
            end = start + rules.visit
            if start >= earliest and not time_off.overlaps(start, end) and not busy.overlaps(*rules.blocked(start)):
                starts.append(start)
            start += rules.step
    return sorted(set(starts))
