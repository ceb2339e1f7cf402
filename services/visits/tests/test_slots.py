"""The slot rules alone: hours, time off, buffers, notice, horizon, time zones (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.visits.slots import (
    BookingRules,
    Intervals,
    WeeklyHours,
    free_starts,
    hours_problem,
    parse_hhmm,
    within_hours,
)

BA = ZoneInfo("America/Argentina/Buenos_Aires")
EVERY_DAY_9_TO_13 = [WeeklyHours(weekday=d, start_minute=9 * 60, end_minute=13 * 60) for d in range(1, 8)]


def rules(**minutes: int) -> BookingRules:
    values = {"visit": 60, "buffer_before": 0, "buffer_after": 0, "notice": 0, "step": 0, **minutes}
    return BookingRules(
        visit=timedelta(minutes=values["visit"]),
        buffer_before=timedelta(minutes=values["buffer_before"]),
        buffer_after=timedelta(minutes=values["buffer_after"]),
        notice=timedelta(minutes=values["notice"]),
        horizon=timedelta(days=365),
        step=timedelta(minutes=values["step"] or values["visit"]),
    )


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=BA).astimezone(UTC)


def starts(**kwargs: object) -> list[datetime]:
    values: dict[str, object] = {
        "hours": EVERY_DAY_9_TO_13,
        "time_off": Intervals([]),
        "busy": Intervals([]),
        "rules": rules(),
        "tz": BA,
        "window_from": local(2030, 1, 31, 0, 0),
        "window_to": local(2030, 2, 2, 0, 0),
        "now": local(2030, 1, 1, 0, 0),
    }
    values.update(kwargs)
    return free_starts(**values)  # type: ignore[arg-type]


def test_hours_in_the_tenants_zone_across_a_month_boundary() -> None:
    found = starts()
    assert found == [local(2030, 1, 31, h) for h in (9, 10, 11, 12)] + [local(2030, 2, 1, h) for h in (9, 10, 11, 12)]
    # Buenos Aires is UTC-3 all year: 09:00 local is 12:00 UTC.
    assert found[0] == datetime(2030, 1, 31, 12, 0, tzinfo=UTC)


def test_existing_visits_block_with_both_sides_buffers() -> None:
    busy = Intervals([(local(2030, 1, 31, 10, 0), local(2030, 1, 31, 11, 30))])
    found = starts(busy=busy, rules=rules(buffer_after=30), window_to=local(2030, 2, 1, 0, 0))
    # 09:00 would block 09:00-10:30 and 11:00 would block 11:00-12:30: both touch the visit's 10:00-11:30.
    assert found == [local(2030, 1, 31, 12)]
    before = starts(busy=busy, rules=rules(buffer_before=30, step=30), window_to=local(2030, 2, 1, 0, 0))
    # 09:00 blocks 08:30-10:00, up to where the visit's time starts; 11:30 would block from 11:00; 12:00
    # blocks from 11:30, exactly where it ends.
    assert before == [local(2030, 1, 31, 9, 0), local(2030, 1, 31, 12, 0)]


def test_half_open_back_to_back_and_microsecond_overlap() -> None:
    window = {"window_to": local(2030, 2, 1, 0, 0)}
    ends_at_ten = Intervals([(local(2030, 1, 31, 9), local(2030, 1, 31, 10))])
    assert local(2030, 1, 31, 10) in starts(busy=ends_at_ten, **window)
    one_micro_more = Intervals([(local(2030, 1, 31, 9), local(2030, 1, 31, 10) + timedelta(microseconds=1))])
    assert local(2030, 1, 31, 10) not in starts(busy=one_micro_more, **window)


def test_time_off_notice_and_horizon() -> None:
    off = Intervals([(local(2030, 2, 1, 10, 30), local(2030, 2, 1, 11, 0))])
    found = starts(time_off=off, now=local(2030, 1, 31, 10, 1), rules=rules(notice=60))
    assert found == [local(2030, 1, 31, 12), local(2030, 2, 1, 9), local(2030, 2, 1, 11), local(2030, 2, 1, 12)]
    short = rules()
    short = BookingRules(
        visit=short.visit,
        buffer_before=short.buffer_before,
        buffer_after=short.buffer_after,
        notice=short.notice,
        horizon=timedelta(hours=26),
        step=short.step,
    )
    assert starts(rules=short, now=local(2030, 1, 31, 8, 0)) == [local(2030, 1, 31, h) for h in (9, 10, 11, 12)] + [
        local(2030, 2, 1, 9),
        local(2030, 2, 1, 10),
    ]


def test_a_step_that_does_not_fit_leaves_the_end_of_the_block_out() -> None:
    found = starts(rules=rules(visit=90), window_to=local(2030, 2, 1, 0, 0))
    assert found == [local(2030, 1, 31, 9), local(2030, 1, 31, 10, 30)]


def test_midnight_ending_blocks_and_within_hours() -> None:
    evenings = [WeeklyHours(weekday=4, start_minute=22 * 60, end_minute=24 * 60)]
    # 2030-01-31 is a Thursday.
    assert starts(hours=evenings) == [local(2030, 1, 31, 22), local(2030, 1, 31, 23)]
    assert within_hours(evenings, BA, local(2030, 1, 31, 23), local(2030, 2, 1, 0))
    assert not within_hours(evenings, BA, local(2030, 1, 31, 23, 30), local(2030, 2, 1, 0, 30))


def test_other_time_zones_and_dst() -> None:
    madrid = ZoneInfo("Europe/Madrid")
    mornings = [WeeklyHours(weekday=7, start_minute=9 * 60, end_minute=10 * 60)]
    # 2030-03-31 is the Sunday Madrid moves to summer time: 09:00 local is 07:00 UTC, a week before 08:00 UTC.
    found = starts(
        hours=mornings,
        tz=madrid,
        window_from=datetime(2030, 3, 24, tzinfo=UTC),
        window_to=datetime(2030, 4, 1, tzinfo=UTC),
    )
    assert found == [datetime(2030, 3, 24, 8, tzinfo=UTC), datetime(2030, 3, 31, 7, tzinfo=UTC)]


@pytest.mark.parametrize(
    ("hours", "problem"),
    [
        ([WeeklyHours(1, 600, 540)], (0, "end")),
        ([WeeklyHours(1, 540, 540)], (0, "end")),
        ([WeeklyHours(8, 540, 600)], (0, "weekday")),
        ([WeeklyHours(2, 540, 720), WeeklyHours(1, 540, 600), WeeklyHours(2, 700, 800)], (2, "start")),
    ],
)
def test_bad_hours(hours: list[WeeklyHours], problem: tuple[int, str]) -> None:
    found = hours_problem(hours)
    assert found is not None and found[:2] == problem


def test_good_hours_and_hhmm() -> None:
    assert hours_problem([WeeklyHours(1, 540, 780), WeeklyHours(1, 780, 1080), WeeklyHours(2, 540, 780)]) is None
    assert parse_hhmm("24:00", allow_midnight_end=True) == 1440
    for bad in ("24:00", "9:00", "09:60", "ab:cd", "0900", "25:00"):
        with pytest.raises(ValueError):
            parse_hhmm(bad, allow_midnight_end=False)
