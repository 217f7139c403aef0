"""Time standards of SOP steps: a value and a unit."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Duration", "Unit"]


class Unit(StrEnum):
    """How a duration is counted against the office calendar."""

    MINUTES = "minutes"  # office minutes (only while the office is open)
    HOURS = "hours"  # office hours
    WORKING_DAYS = "working_days"  # skip weekends, public holidays, closed days
    CALENDAR_DAYS = "calendar_days"  # every day counts


@dataclass(frozen=True, slots=True)
class Duration:
    """A time standard such as 2 hours or 5 working days."""

    value: int
    unit: Unit

    def __post_init__(self) -> None:
        if self.value < 0:
            raise ValueError("a duration cannot be negative")

    @property
    def minutes(self) -> int:
        """Nominal length in minutes (office units counted as plain time)."""
        if self.unit is Unit.MINUTES:
            return self.value
        if self.unit is Unit.HOURS:
            return self.value * 60
        return self.value * 24 * 60

    @classmethod
    def parse(cls, value: int, unit: str) -> Duration:
        """Build from TOML-ish input, raising ValueError with a clear text."""
        try:
            u = Unit(unit)
        except ValueError:
            allowed = ", ".join(x.value for x in Unit)
            raise ValueError(f"unknown unit {unit!r} (use one of: {allowed})") from None
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"value must be a whole number, got {value!r}")
        return cls(value, u)

    def __str__(self) -> str:
        return f"{self.value} {self.unit.value}"
