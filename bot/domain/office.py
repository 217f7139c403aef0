"""Office profiles: hours, time zone, staff group addresses, roster of roles."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
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
    "OpenPeriod",
    "Role",
    "joinable_role",
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
    # channel name -> where that channel reaches the office's staff group (e.g. "telegram" ->
    # the group's id); only the channel reads its own entry
    channels: Mapping[str, str] = field(default_factory=dict)

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
