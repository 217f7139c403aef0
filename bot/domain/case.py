"""A case and its running SOP steps as the channels see them (no personal data, no store)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["Case", "RunningStep"]


@dataclass(frozen=True)
class Case:
    """A case without its personal details: its number, office and how its reporter is told."""

    id: int
    number: str
    office_id: str
    status: str
    urgent: bool
    notify_mode: str
    language: str


@dataclass(frozen=True)
class RunningStep:
    """One step of a running SOP instance of a case: what, for whom, by when, how it ended."""

    id: int
    case_id: int
    office_id: str
    sop_key: str
    step_key: str
    title: str
    roles: tuple[str, ...]
    status: str
    assignee_user_id: int | None
    opened_at: datetime
    due_at: datetime | None
    urgent: bool
    outcome: str | None = None
    completed_by: int | None = None
    completed_at: datetime | None = None
