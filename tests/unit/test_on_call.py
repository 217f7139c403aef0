"""The on-call rota: shifts by weekday and hour, nights past midnight, the escalation chain."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import ConfigError, load_offices
from bot.domain.office import Office, OnCall, OnCallShift, escalation_chain, on_call_at
from bot.testing.harness import EXAMPLE_OFFICES


def _tng() -> Office:
    return next(o for o in load_offices(EXAMPLE_OFFICES) if o.id == "TNG")


def wib(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in March 2026 given in WIB (UTC+7), as UTC."""
    local = datetime(2026, 3, day, hour, minute, tzinfo=ZoneInfo("Asia/Jakarta"))
    return local.astimezone(UTC)


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (wib(2, 10), (100000002, 100000004)),  # Monday office hours
        (wib(2, 16), (100000004, 100000003)),  # Monday evening: the night shift
        (wib(3, 7, 59), (100000004, 100000003)),  # Tuesday before 08:00: still Monday night
        (wib(7, 7), (100000004, 100000003)),  # Saturday 07:00: Friday's night
        (wib(7, 23), (100000003, 100000004)),  # Saturday 23:00: the weekend shift
        (wib(9, 7), (100000003, 100000004)),  # Monday 07:00: Sunday's whole day runs on
    ],
)
def test_who_is_on_call(when: datetime, expected: tuple[int, ...]) -> None:
    assert on_call_at(_tng(), when) == expected


def test_chain_ends_with_the_head() -> None:
    chain = escalation_chain(_tng(), wib(7, 23))
    assert chain == ((100000003,), (100000004,), (100000001,))


def test_nobody_on_call_pages_the_head_at_once() -> None:
    office = _tng()
    empty = Office(**{**office.__dict__, "on_call": OnCall()})
    assert escalation_chain(empty, wib(7, 23)) == ((100000001,),)


def test_shift_covers_its_window_only() -> None:
    shift = OnCallShift(frozenset({4}), time(16, 0), time(8, 0), (1,))
    office = _tng()
    fri = Office(**{**office.__dict__, "on_call": OnCall((shift,))})
    assert on_call_at(fri, wib(6, 15, 59)) == ()
    assert on_call_at(fri, wib(6, 16)) == (1,)
    assert on_call_at(fri, wib(7, 7, 59)) == (1,)
    assert on_call_at(fri, wib(7, 8)) == ()


def test_on_call_person_must_be_on_the_roster(tmp_path: Path) -> None:
    text = EXAMPLE_OFFICES.read_text(encoding="utf-8").replace(
        'people = ["100000002", "100000004"]', 'people = ["100000002", "999"]'
    )
    path = tmp_path / "offices.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="on_call"):
        load_offices(path)
