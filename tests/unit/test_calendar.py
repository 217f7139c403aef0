"""Office calendar: opening hours, holidays and due times of SOP steps."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import load_offices
from bot.domain.calendar import OfficeCalendar
from bot.domain.duration import Duration, Unit
from bot.domain.office import Office, OpenPeriod

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "offices.example.toml"
WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")
WIT = ZoneInfo("Asia/Jayapura")


def _example(office_id: str) -> Office:
    return next(o for o in load_offices(EXAMPLE) if o.id == office_id)


def _uniform(tz: str, closed: frozenset[date] = frozenset()) -> Office:
    """Mon-Fri 08:00-16:00 with a 12:00-13:00 break, the same every weekday."""
    day = (OpenPeriod(time(8), time(12)), OpenPeriod(time(13), time(16)))
    return Office(
        id="UNI",
        name="Uniform office",
        city="Somewhere",
        timezone=tz,
        channels={"telegram": "-1"},
        hours={wd: day for wd in range(5)},
        closed_days=closed,
    )


PKL = OfficeCalendar(_example("PKL"))
TNG = OfficeCalendar(_example("TNG"))
MKS = OfficeCalendar(_uniform("Asia/Makassar"))
JPR = OfficeCalendar(_uniform("Asia/Jayapura"))


def wib(y: int, mo: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, mo, d, hh, mm, tzinfo=WIB)


def h(n: int) -> Duration:
    return Duration(n, Unit.HOURS)


def m(n: int) -> Duration:
    return Duration(n, Unit.MINUTES)


def wd(n: int) -> Duration:
    return Duration(n, Unit.WORKING_DAYS)


def cd(n: int) -> Duration:
    return Duration(n, Unit.CALENDAR_DAYS)


# 2026-08-10 is a Monday; 2026-08-17 (Monday) is Independence Day.


class TestDays:
    def test_weekdays_and_weekend(self) -> None:
        assert PKL.is_working_day(date(2026, 8, 10))
        assert PKL.is_working_day(date(2026, 8, 14))  # Friday, short hours
        assert not PKL.is_working_day(date(2026, 8, 15))
        assert not PKL.is_working_day(date(2026, 8, 16))

    def test_public_holidays(self) -> None:
        assert not PKL.is_working_day(date(2026, 8, 17))  # Hari Kemerdekaan
        assert not PKL.is_working_day(date(2025, 3, 31))  # Idul Fitri, a Monday
        assert not PKL.is_working_day(date(2025, 4, 1))  # Idul Fitri, second day
        assert PKL.is_working_day(date(2025, 4, 2))

    def test_holidays_are_cached_per_year(self) -> None:
        cal = OfficeCalendar(_example("TNG"))
        first = cal.public_holidays(2026)
        assert date(2026, 8, 17) in first
        assert cal.public_holidays(2026) is first

    def test_closed_days(self) -> None:
        cal = OfficeCalendar(_uniform("Asia/Jakarta", frozenset({date(2026, 8, 12)})))
        assert not cal.is_working_day(date(2026, 8, 12))
        assert cal.is_working_day(date(2026, 8, 11))
        assert not cal.is_open(wib(2026, 8, 12, 10))
        assert cal.add(wib(2026, 8, 11, 10), wd(1)) == wib(2026, 8, 13, 10)

    def test_office_without_hours_is_rejected(self) -> None:
        office = _uniform("Asia/Jakarta")
        with pytest.raises(ValueError, match="no opening hours"):
            OfficeCalendar(replace(office, hours={}))


class TestOpen:
    @pytest.mark.parametrize(
        ("at", "expected"),
        [
            (wib(2026, 8, 10, 8, 59), False),
            (wib(2026, 8, 10, 9), True),
            (wib(2026, 8, 10, 11, 59), True),
            (wib(2026, 8, 10, 12, 15), False),  # break
            (wib(2026, 8, 10, 12, 30), True),
            (wib(2026, 8, 10, 13, 59), True),
            (wib(2026, 8, 10, 14), False),  # closing time is not open
            (wib(2026, 8, 14, 8), True),  # Friday
            (wib(2026, 8, 14, 10, 30), False),
            (wib(2026, 8, 15, 10), False),  # Saturday
            (wib(2026, 8, 17, 10), False),  # holiday
        ],
    )
    def test_pekalongan_hours(self, at: datetime, expected: bool) -> None:
        assert PKL.is_open(at) is expected

    def test_any_zone_is_converted(self) -> None:
        assert PKL.is_open(datetime(2026, 8, 10, 2, 0, tzinfo=UTC))  # 09:00 WIB
        assert not PKL.is_open(datetime(2026, 8, 10, 1, 59, tzinfo=UTC))

    def test_wita_and_wit_are_not_wib(self) -> None:
        at = datetime(2026, 8, 10, 0, 30, tzinfo=UTC)  # 07:30 WIB, 08:30 WITA, 09:30 WIT
        assert MKS.is_open(at)
        assert JPR.is_open(at)
        assert not OfficeCalendar(_uniform("Asia/Jakarta")).is_open(at)
        late = datetime(2026, 8, 10, 7, 30, tzinfo=UTC)  # 14:30 WIB, 15:30 WITA, 16:30 WIT
        assert MKS.is_open(late)
        assert not JPR.is_open(late)

    def test_naive_datetime_is_rejected(self) -> None:
        with pytest.raises(ValueError, match="aware"):
            PKL.is_open(datetime(2026, 8, 10, 10))

    def test_next_opening(self) -> None:
        assert PKL.next_opening(wib(2026, 8, 10, 10, 5)) == wib(2026, 8, 10, 10, 5)
        assert PKL.next_opening(wib(2026, 8, 10, 12, 10)) == wib(2026, 8, 10, 12, 30)
        assert PKL.next_opening(wib(2026, 8, 13, 14)) == wib(2026, 8, 14, 8)
        assert PKL.next_opening(wib(2026, 8, 14, 11)) == wib(2026, 8, 18, 9)  # skips the 17th
        got = JPR.next_opening(datetime(2026, 8, 10, 12, tzinfo=UTC))  # 21:00 WIT
        assert got == datetime(2026, 8, 11, 8, tzinfo=WIT)
        assert got.utcoffset() == timedelta(hours=9)


class TestAddOfficeTime:
    def test_two_hours_half_an_hour_before_closing(self) -> None:
        due = PKL.add(wib(2026, 8, 11, 13, 30), h(2))
        assert due == wib(2026, 8, 12, 10, 30)  # 90 minutes after the next opening

    def test_break_is_skipped(self) -> None:
        assert PKL.add(wib(2026, 8, 10, 11), h(2)) == wib(2026, 8, 10, 13, 30)

    def test_thursday_into_short_friday(self) -> None:
        assert PKL.add(wib(2026, 8, 13, 13, 30), h(2)) == wib(2026, 8, 14, 9, 30)

    def test_holiday_is_skipped(self) -> None:
        # 30 minutes on Friday, Monday 17 August is closed, 90 minutes on Tuesday
        assert PKL.add(wib(2026, 8, 14, 10), h(2)) == wib(2026, 8, 18, 10, 30)

    def test_start_outside_hours_counts_from_next_opening(self) -> None:
        assert PKL.add(wib(2026, 8, 15, 10), m(30)) == wib(2026, 8, 18, 9, 30)

    def test_due_may_be_a_closing_time(self) -> None:
        assert PKL.add(wib(2026, 8, 10, 13, 30), m(30)) == wib(2026, 8, 10, 14)

    def test_wita_office(self) -> None:
        start = datetime(2026, 8, 10, 7, tzinfo=UTC)  # 15:00 WITA
        due = MKS.add(start, h(2))
        assert due == datetime(2026, 8, 11, 9, tzinfo=WITA)
        assert due.tzinfo == WITA

    def test_zero_returns_start(self) -> None:
        start = datetime(2026, 8, 15, 3, tzinfo=UTC)  # Saturday
        for d in (m(0), h(0), wd(0), cd(0)):
            assert PKL.add(start, d) == start
            assert PKL.add(start, d).tzinfo == WIB


class TestAddDays:
    def test_working_days_skip_weekend_and_holiday(self) -> None:
        assert PKL.add(wib(2026, 8, 13, 10), wd(1)) == wib(2026, 8, 14, 10)
        assert PKL.add(wib(2026, 8, 13, 10), wd(2)) == wib(2026, 8, 18, 10)

    def test_idul_fitri(self) -> None:
        # Friday 28 March 2025 + 1 working day: 31 March and 1 April are Idul Fitri
        assert PKL.add(wib(2025, 3, 28, 10), wd(1)) == wib(2025, 4, 2, 10)

    def test_clamped_to_closing_time(self) -> None:
        assert PKL.add(wib(2026, 8, 13, 13), wd(1)) == wib(2026, 8, 14, 10, 30)

    def test_clamped_to_opening_when_before_opening(self) -> None:
        assert PKL.add(wib(2026, 8, 14, 8), wd(1)) == wib(2026, 8, 18, 9)

    def test_clamped_to_break_start(self) -> None:
        # Tangerang: Thursday break 12:00-13:00, Friday break 11:30-13:00
        assert TNG.add(wib(2026, 8, 13, 11, 45), wd(1)) == wib(2026, 8, 14, 11, 30)

    def test_start_outside_hours_begins_at_next_opening(self) -> None:
        assert PKL.add(wib(2026, 8, 10, 12, 10), wd(1)) == wib(2026, 8, 11, 12, 30)
        assert PKL.add(wib(2026, 8, 15, 20), wd(1)) == wib(2026, 8, 19, 9)

    def test_calendar_days_count_every_day(self) -> None:
        assert PKL.add(wib(2026, 8, 14, 10), cd(3)) == wib(2026, 8, 17, 10)

    def test_urgent_is_wall_clock(self) -> None:
        start = wib(2026, 8, 15, 22)
        assert PKL.add(start, h(2), urgent=True) == wib(2026, 8, 16, 0)
        assert PKL.add(start, wd(1), urgent=True) == wib(2026, 8, 16, 22)
        assert PKL.add(start, m(0), urgent=True) == start


class TestMeasure:
    def test_open_minutes_between(self) -> None:
        assert PKL.open_minutes_between(wib(2026, 8, 11, 13, 30), wib(2026, 8, 12, 10, 30)) == 120
        assert PKL.open_minutes_between(wib(2026, 8, 10, 11), wib(2026, 8, 10, 13, 30)) == 120
        assert PKL.open_minutes_between(wib(2026, 8, 12), wib(2026, 8, 11)) == 0

    def test_working_days_between(self) -> None:
        due = wib(2026, 8, 13, 10)
        assert PKL.working_days_between(due, wib(2026, 8, 14, 9)) == 0
        assert PKL.working_days_between(due, wib(2026, 8, 14, 10)) == 1
        assert PKL.working_days_between(due, wib(2026, 8, 17, 23)) == 1
        assert PKL.working_days_between(due, wib(2026, 8, 18, 10)) == 2
        assert PKL.working_days_between(wib(2026, 8, 18), due) == 0


# -- properties ---------------------------------------------------------------

ZONES = st.sampled_from([UTC, WIB, WITA, WIT])
STARTS = st.datetimes(datetime(2025, 1, 1), datetime(2027, 12, 31), timezones=ZONES)
CALENDARS = st.sampled_from([PKL, TNG, MKS, JPR])
OFFICE_UNITS = st.sampled_from([Unit.MINUTES, Unit.HOURS])
FAST = settings(max_examples=200, deadline=None)


def _period_ends(cal: OfficeCalendar, at: datetime) -> set[datetime]:
    return {end for _, end in cal.periods_on(cal.local(at).date())}


@FAST
@given(cal=CALENDARS, start=STARTS, value=st.integers(0, 40), unit=st.sampled_from(list(Unit)))
def test_due_never_before_start(
    cal: OfficeCalendar, start: datetime, value: int, unit: Unit
) -> None:
    d = Duration(value, unit)
    assert cal.add(start, d) >= start
    assert cal.add(start, d, urgent=True) >= start
    assert cal.add(start, d).tzinfo == cal.tz


@FAST
@given(cal=CALENDARS, start=STARTS, value=st.integers(1, 3000), unit=OFFICE_UNITS)
def test_office_time_due_is_inside_hours(
    cal: OfficeCalendar, start: datetime, value: int, unit: Unit
) -> None:
    d = Duration(value, unit)
    due = cal.add(start, d)
    assert cal.is_open(due) or due in _period_ends(cal, due)
    assert cal.open_minutes_between(start, due) == d.minutes


@FAST
@given(
    cal=CALENDARS,
    start=STARTS,
    v1=st.integers(0, 900),
    v2=st.integers(0, 900),
    u1=OFFICE_UNITS,
    u2=OFFICE_UNITS,
)
def test_office_time_adds_up(
    cal: OfficeCalendar, start: datetime, v1: int, v2: int, u1: Unit, u2: Unit
) -> None:
    d1, d2 = Duration(v1, u1), Duration(v2, u2)
    total = Duration(d1.minutes + d2.minutes, Unit.MINUTES)
    assert cal.add(cal.add(start, d1), d2) == cal.add(start, total)


@FAST
@given(cal=st.sampled_from([MKS, JPR]), start=STARTS, n1=st.integers(0, 30), n2=st.integers(0, 30))
def test_working_days_add_up(cal: OfficeCalendar, start: datetime, n1: int, n2: int) -> None:
    assert cal.add(cal.add(start, wd(n1)), wd(n2)) == cal.add(start, wd(n1 + n2))


@FAST
@given(cal=CALENDARS, start=STARTS, n1=st.integers(0, 60), n2=st.integers(0, 60))
def test_calendar_days_add_up(cal: OfficeCalendar, start: datetime, n1: int, n2: int) -> None:
    assert cal.add(cal.add(start, cd(n1)), cd(n2)) == cal.add(start, cd(n1 + n2))


@FAST
@given(cal=CALENDARS, start=STARTS, n=st.integers(1, 30))
def test_working_days_due_is_open_day_and_measured_back(
    cal: OfficeCalendar, start: datetime, n: int
) -> None:
    due = cal.add(start, wd(n))
    assert cal.is_working_day(due.date())
    assert cal.is_open(due) or due in _period_ends(cal, due)
    assert cal.working_days_between(start, due) == n
    assert cal.working_days_between(start, due - timedelta(minutes=1)) == n - 1


@FAST
@given(cal=CALENDARS, at=STARTS)
def test_next_opening_is_open_and_not_earlier(cal: OfficeCalendar, at: datetime) -> None:
    nxt = cal.next_opening(at)
    assert nxt >= at
    assert cal.is_open(nxt)
    assert cal.open_minutes_between(at, nxt) == 0
