"""Office calendar: working days, opening hours and due times of SOP steps."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays

from bot.domain.duration import Duration, Unit
from bot.domain.office import Office

__all__ = ["MAX_CLOSED_STRETCH_DAYS", "OfficeCalendar"]

# Longest run of consecutive days without any open period before we give up.
MAX_CLOSED_STRETCH_DAYS = 3 * 366

_Period = tuple[datetime, datetime]


def _aware(at: datetime) -> datetime:
    """Reject naive datetimes: every instant must carry its zone."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"an aware datetime is required, got naive {at.isoformat()}")
    return at


class OfficeCalendar:
    """When one office is open, and when an SOP step started at some instant is due.

    Open periods are half-open intervals [start, end): the office is open at
    09:00 but no longer open at the closing time 14:00.
    """

    def __init__(self, office: Office) -> None:
        if not any(office.hours.get(wd) for wd in range(7)):
            raise ValueError(f"office {office.id} has no opening hours on any weekday")
        self.office = office
        self.tz: ZoneInfo = office.tz
        self._holidays: dict[int, frozenset[date]] = {}
        # open periods per day asked (the sweep asks the same days for every open step)
        self._periods: dict[date, tuple[_Period, ...]] = {}

    # -- days ---------------------------------------------------------------

    def public_holidays(self, year: int) -> frozenset[date]:
        """Indonesian public holidays of a year (cached per year)."""
        cached = self._holidays.get(year)
        if cached is None:
            cached = frozenset(holidays.country_holidays("ID", years=year).keys())
            self._holidays[year] = cached
        return cached

    def is_working_day(self, d: date) -> bool:
        """Whether the office works that day (hours set, no holiday, not closed)."""
        if isinstance(d, datetime):
            d = d.date()
        return (
            bool(self.office.hours.get(d.weekday()))
            and d not in self.public_holidays(d.year)
            and d not in self.office.closed_days
        )

    def periods_on(self, d: date) -> list[_Period]:
        """Open periods of a day as aware datetimes in the office zone (empty if closed)."""
        if isinstance(d, datetime):
            d = d.date()
        cached = self._periods.get(d)
        if cached is None:
            cached = (
                ()
                if not self.is_working_day(d)
                else tuple(
                    (
                        datetime.combine(d, p.start, tzinfo=self.tz),
                        datetime.combine(d, p.end, tzinfo=self.tz),
                    )
                    for p in self.office.hours[d.weekday()]
                )
            )
            if len(self._periods) > 4096:  # days far apart: start again rather than grow
                self._periods.clear()
            self._periods[d] = cached
        return list(cached)

    def _periods_from(self, local: datetime) -> Iterator[_Period]:
        """Open periods ending after `local`, in order, without end."""
        d = local.date()
        closed = 0
        while True:
            found = False
            for start, end in self.periods_on(d):
                if end > local:
                    found = True
                    yield start, end
            closed = 0 if found else closed + 1
            if closed > MAX_CLOSED_STRETCH_DAYS:
                raise ValueError(
                    f"office {self.office.id} is closed for more than "
                    f"{MAX_CLOSED_STRETCH_DAYS} days after {local.date().isoformat()}"
                )
            d += timedelta(days=1)

    def _working_days_after(self, d: date) -> Iterator[date]:
        """Working days strictly after `d`, in order."""
        closed = 0
        while True:
            d += timedelta(days=1)
            if self.is_working_day(d):
                closed = 0
                yield d
            else:
                closed += 1
                if closed > MAX_CLOSED_STRETCH_DAYS:
                    raise ValueError(f"office {self.office.id} has no working day ahead")

    # -- instants -----------------------------------------------------------

    def local(self, at: datetime) -> datetime:
        """The instant in the office's zone."""
        return _aware(at).astimezone(self.tz)

    def is_open(self, at: datetime) -> bool:
        """Whether the office is open at that instant (any zone)."""
        local = self.local(at)
        return any(start <= local < end for start, end in self.periods_on(local.date()))

    def next_opening(self, at: datetime) -> datetime:
        """`at` itself (in the office zone) if open, else the start of the next open period."""
        local = self.local(at)
        start, _ = next(self._periods_from(local))
        return max(start, local)

    def add(self, start: datetime, duration: Duration, *, urgent: bool = False) -> datetime:
        """Due time of a step of `duration` started at `start` (aware, office zone).

        - urgent: plain elapsed time, working days counted as 24 hours;
        - minutes / hours: only open office time counts; a start outside hours
          starts counting at the next opening; the result may be a period end;
        - working days: from the next opening at or after `start`, the same
          local clock time on the N-th following working day. When that clock
          time is not open that day, it is clamped into the day's hours: to the
          latest open moment before it (the closing time when it is after
          closing, the start of the break when it falls in a break), or to the
          day's first opening when it is before opening;
        - calendar days: N times 24 hours of elapsed time.
        A value of 0 returns `start` unchanged (as the same instant in the office zone).
        """
        local = self.local(start)
        if duration.value == 0:
            return local
        if urgent:
            return (local + timedelta(minutes=duration.minutes)).astimezone(self.tz)
        if duration.unit is Unit.CALENDAR_DAYS:
            return (local + timedelta(days=duration.value)).astimezone(self.tz)
        if duration.unit is Unit.WORKING_DAYS:
            return self._add_working_days(local, duration.value)
        return self._add_open_minutes(local, timedelta(minutes=duration.minutes))

    def _add_open_minutes(self, local: datetime, remaining: timedelta) -> datetime:
        for start, end in self._periods_from(local):
            begin = max(start, local)
            available = end - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        raise AssertionError("unreachable")  # pragma: no cover

    def _add_working_days(self, local: datetime, days: int) -> datetime:
        anchor = self.next_opening(local)
        target = anchor.date()
        for i, d in enumerate(self._working_days_after(target), start=1):
            if i == days:
                target = d
                break
        return self._clamp(datetime.combine(target, anchor.timetz()))

    def _clamp(self, wanted: datetime) -> datetime:
        """The open moment of `wanted`'s (working) day matching the clamping rule of add."""
        periods = self.periods_on(wanted.date())
        best = periods[0][0]
        for start, end in periods:
            if start <= wanted < end:
                return wanted
            if end <= wanted:
                best = end
        return best

    # -- measuring ----------------------------------------------------------

    def open_minutes_between(self, a: datetime, b: datetime) -> int:
        """Whole office minutes between two instants (0 if b <= a)."""
        lo, hi = self.local(a), self.local(b)
        if hi <= lo:
            return 0
        total = timedelta()
        for start, end in self._periods_from(lo):
            if start >= hi:
                break
            total += min(end, hi) - max(start, lo)
        return int(total.total_seconds() // 60)

    def working_days_between(self, a: datetime, b: datetime) -> int:
        """Largest n such that n working days added to `a` are due no later than `b`."""
        lo, hi = self.local(a), self.local(b)
        if hi <= lo:
            return 0
        anchor = self.next_opening(lo)
        if anchor.date() >= hi.date():
            return 0
        n = 0
        for d in self._working_days_after(anchor.date()):
            if d > hi.date():
                break
            n += 1
        if n and self._add_working_days(lo, n) > hi:
            n -= 1
        return n
