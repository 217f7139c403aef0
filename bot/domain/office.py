"""Office profiles: hours, time zone, staff group addresses, roster of roles."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.duration import Duration, Unit

__all__ = [
    "DEFAULT_DRAFT_RETENTION_DAYS",
    "JOINABLE_ROLES",
    "OFFICE_FILE_ROLES",
    "STAFF_ROLES",
    "ZONE_ABBREVIATIONS",
    "Office",
    "OnCall",
    "OnCallShift",
    "OpenPeriod",
    "Role",
    "ShelterPolicy",
    "ack_deadline",
    "escalation_chain",
    "joinable_role",
    "on_call_at",
    "roster_overlay",
]


class Role(StrEnum):
    """Roles a staff member can hold in one office."""

    KETUA = "ketua"  # the head: disposes, approves
    # a second level above or beside the head where a seed has two (Pekalongan: Kepala Dinas
    # decides on the Ketua LP-PAR's recommendation; Pasuruan: the Koordinator UPTD PPA orders);
    # an office may give both to one person, the two decisions stay separate steps
    KEPALA_DINAS = "kepala_dinas"
    KOORDINATOR = "koordinator"
    PETUGAS = "petugas"  # complaint officer
    MANAJER_KASUS = "manajer_kasus"
    PENDAMPING = "pendamping"
    MEDIATOR = "mediator"
    KONSELOR_HUKUM = "konselor_hukum"
    PSIKOLOG = "psikolog"
    ADMIN = "admin"


# days an unfinished report (and a visitor's other bot data) is kept after the last message
DEFAULT_DRAFT_RETENTION_DAYS = 7

STAFF_ROLES = frozenset(Role)
# the heads' roles and admin come only from the office file
OFFICE_FILE_ROLES = frozenset({Role.KETUA, Role.KEPALA_DINAS, Role.KOORDINATOR, Role.ADMIN})
JOINABLE_ROLES: tuple[Role, ...] = tuple(r for r in Role if r not in OFFICE_FILE_ROLES)


def joinable_role(role: str) -> Role | None:
    """The role a person may ask for or lose in the bot (None for the heads, admin, nonsense)."""
    try:
        found = Role(role)
    except ValueError:
        return None
    return found if found in JOINABLE_ROLES else None


def roster_overlay(
    roster: Mapping[int, frozenset[Role]], changes: Iterable[tuple[int, str, str]]
) -> dict[int, frozenset[Role]]:
    """The roster after (user_id, role, action) changes in order; office-file roles stay."""
    out = dict(roster)
    for user_id, role_name, action in changes:
        role = joinable_role(role_name)
        if role is None:
            continue
        held = out.get(user_id, frozenset())
        held = held | {role} if action == "add" else held - {role}
        if held:
            out[user_id] = held
        else:
            out.pop(user_id, None)
    return out


ZONE_ABBREVIATIONS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


@dataclass(frozen=True, slots=True)
class OpenPeriod:
    """One stretch of open time in a day (breaks fall between periods)."""

    start: time
    end: time


@dataclass(frozen=True, slots=True)
class OnCallShift:
    """Who is on call on some weekdays between two times (end <= start: past midnight)."""

    days: frozenset[int]  # weekdays the shift starts on (0 = Monday)
    start: time
    end: time
    people: tuple[int, ...]  # in paging order: the first is paged first

    def covers(self, local: datetime) -> bool:
        """Whether the shift runs at this local (office zone) time."""
        now = local.time().replace(tzinfo=None)
        day = local.weekday()
        if self.start < self.end:
            return day in self.days and self.start <= now < self.end
        # a night or a whole day (start == end): from start on its day to end the next day
        yesterday = (day - 1) % 7
        return (day in self.days and now >= self.start) or (
            yesterday in self.days and now < self.end
        )


@dataclass(frozen=True, slots=True)
class OnCall:
    """The office's on-call rota for urgent reports (nights and weekends included)."""

    shifts: tuple[OnCallShift, ...] = ()
    # minutes a paged person has to acknowledge before the next one is paged
    ack_minutes: int = 10


@dataclass(frozen=True, slots=True)
class ShelterPolicy:
    """The office's temporary shelter (rumah aman): places, the longest stay, its partners."""

    capacity: int = 0  # 0: the office has no shelter of its own
    max_stay_days: int = 14
    remind_days_before: int = 2  # the head is reminded this long before a stay ends
    partners: tuple[str, ...] = ()  # partner shelters a full shelter refers to, in order


@dataclass(frozen=True)
class Office:
    """A unit (UPTD PPA / P2TP2A / LP-PAR) and how it works."""

    id: str
    name: str
    city: str
    timezone: str
    # weekday (0 = Monday) -> open periods, sorted, breaks already cut out
    hours: Mapping[int, tuple[OpenPeriod, ...]]
    closed_days: frozenset[date] = frozenset()
    phones: tuple[str, ...] = ()
    whatsapp: tuple[str, ...] = ()
    address: str = ""
    language: str = "id"
    roster: Mapping[int, frozenset[Role]] = field(default_factory=dict)
    # time standard for the first response to a non-urgent complaint
    first_response: Duration = field(default_factory=lambda: Duration(1, Unit.WORKING_DAYS))
    # time standard for the first response to an urgent complaint (wall clock)
    urgent_response_minutes: int = 60
    # service name -> SOP key, e.g. "mediation" -> "tng_mediasi"
    sops: Mapping[str, str] = field(default_factory=dict)
    # office hours an overdue step waits before the head and the group are alerted
    escalation_grace_hours: int = 4
    # days a closed case (and its files) is kept before it is purged
    retention_days: int = 365
    # days an unfinished report is kept after the reporter's last message, then deleted
    draft_retention_days: int = DEFAULT_DRAFT_RETENTION_DAYS
    # days between two reviews of a case's plan by its case manager
    review_days: int = 30
    # working days staff have to answer a data subject's request (see, correct, delete)
    rights_response_days: int = 3
    # channel name -> where that channel reaches the office's staff group (e.g. "telegram" ->
    # the group's id); only the channel reads its own entry
    channels: Mapping[str, str] = field(default_factory=dict)
    # who is paged for an urgent report, by day and hour (see on_call_at)
    on_call: OnCall = field(default_factory=OnCall)
    shelter: ShelterPolicy = field(default_factory=ShelterPolicy)
    # days a referral may go without news before the case manager is reminded to follow up
    referral_follow_up_days: int = 14
    # the WhatsApp Cloud API phone number ID that routes reporters to this office ("" = none;
    # a message to it skips the office question and is answered from the same number)
    whatsapp_number_id: str = ""

    @property
    def tz(self) -> ZoneInfo:
        """The office's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def zone_abbreviation(self) -> str:
        """WIB, WITA or WIT (falls back to the zone name)."""
        return ZONE_ABBREVIATIONS.get(self.timezone, self.timezone)

    def roles_of(self, user_id: int) -> frozenset[Role]:
        """Roles the user holds in this office (empty for strangers)."""
        return self.roster.get(user_id, frozenset())

    def has_role(self, user_id: int, *roles: Role) -> bool:
        """Whether the user holds any of the roles here."""
        held = self.roles_of(user_id)
        return any(r in held for r in roles)

    def is_staff(self, user_id: int) -> bool:
        """Whether the user is on this office's roster at all."""
        return bool(self.roles_of(user_id))

    def people_with(self, role: Role) -> list[int]:
        """User ids holding a role, in a stable order."""
        return sorted(uid for uid, held in self.roster.items() if role in held)

    def channel_address(self, channel: str) -> str | None:
        """Where ``channel`` reaches this office's staff group (None when not set)."""
        return self.channels.get(channel)


def on_call_at(office: Office, at: datetime) -> tuple[int, ...]:
    """The people on call at an instant, in paging order (shifts in file order, no repeats)."""
    local = at.astimezone(office.tz)
    out: list[int] = []
    for shift in office.on_call.shifts:
        if shift.covers(local):
            out += [p for p in shift.people if p not in out]
    return tuple(out)


def escalation_chain(office: Office, at: datetime) -> tuple[tuple[int, ...], ...]:
    """Who is paged at each level: each on-call person in turn, then every head together.

    With nobody on call the heads are paged at once.
    """
    heads = tuple(office.people_with(Role.KETUA))
    levels = [(p,) for p in on_call_at(office, at) if p not in heads]
    return (*levels, heads) if heads else tuple(levels)


def ack_deadline(office: Office, paged_at: datetime) -> datetime:
    """When a page must be acknowledged (wall clock, any hour)."""
    return paged_at + timedelta(minutes=office.on_call.ack_minutes)
