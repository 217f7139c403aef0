"""Where an SOP instance stands against its SOP-level deadlines (pure: no store, no channel)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.domain.calendar import OfficeCalendar
from bot.domain.sop_model import END, Deadline

__all__ = ["DeadlineState", "deadline_state"]


@dataclass(frozen=True)
class DeadlineState:
    """One deadline of one instance: when it falls due and when (if yet) it was met."""

    deadline: Deadline
    due_at: datetime
    met_at: datetime | None

    @property
    def met(self) -> bool:
        """Whether the instance reached the deadline's step or end."""
        return self.met_at is not None

    def overdue(self, now: datetime) -> bool:
        """Missed: not met by its due time, or met after it."""
        return (self.met_at or now) > self.due_at


def deadline_state(
    deadline: Deadline, calendar: OfficeCalendar, *, started_at: datetime,
    ended_at: datetime | None, first_opened: Mapping[str, datetime], urgent: bool = False,
) -> DeadlineState:  # fmt: skip
    """The deadline counted from the instance's start (office calendar, as any step)."""
    due = calendar.add(started_at, deadline.within, urgent=urgent)
    reached = [first_opened[k] for k in deadline.until if k != END and k in first_opened]
    if END in deadline.until and ended_at is not None:
        reached.append(ended_at)
    return DeadlineState(deadline, due, min(reached) if reached else None)
