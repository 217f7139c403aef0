"""Roster changes on top of the office file: join requests the head decides, removals by a head."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

import aiosqlite

from bot.domain.office import Office, Role
from bot.services.context import Services
from bot.store.audit import append_audit

__all__ = [
    "JOINABLE_ROLES",
    "RosterChange",
    "RosterOutcome",
    "RosterResult",
    "apply_roster_changes",
    "decide",
    "get_change",
    "overlay",
    "request_join",
    "request_removal",
]

# ketua and admin come only from the office file
JOINABLE_ROLES: tuple[Role, ...] = tuple(r for r in Role if r not in (Role.KETUA, Role.ADMIN))

_COLUMNS = (
    "id, office_id, user_id, role, action, status, requested_by, requested_at,"
    " decided_by, decided_at"
)


class RosterOutcome(Enum):
    """How a roster request or decision went."""

    OK = "ok"
    NOT_ALLOWED = "not_allowed"  # not a head of that office
    NOT_FOUND = "not_found"  # no such request, or the person does not hold that role
    UNKNOWN_OFFICE = "unknown_office"
    BAD_ROLE = "bad_role"  # ketua/admin (file only) or not a role at all
    ALREADY_PENDING = "already_pending"
    ALREADY_HAS = "already_has"
    ALREADY_DECIDED = "already_decided"
    NO_HEAD = "no_head"  # the office has no head in the bot to decide


@dataclass(frozen=True)
class RosterChange:
    """One row of roster_changes."""

    id: int
    office_id: str
    user_id: int
    role: Role
    action: str
    status: str
    requested_by: int
    requested_at: datetime
    decided_by: int | None
    decided_at: datetime | None


@dataclass(frozen=True)
class RosterResult:
    """The outcome and, when there is one, the change it concerns."""

    outcome: RosterOutcome
    change: RosterChange | None = None


def _row(r: aiosqlite.Row) -> RosterChange:
    return RosterChange(
        id=int(r["id"]),
        office_id=str(r["office_id"]),
        user_id=int(r["user_id"]),
        role=Role(r["role"]),
        action=str(r["action"]),
        status=str(r["status"]),
        requested_by=int(r["requested_by"]),
        requested_at=datetime.fromisoformat(r["requested_at"]),
        decided_by=None if r["decided_by"] is None else int(r["decided_by"]),
        decided_at=None if r["decided_at"] is None else datetime.fromisoformat(r["decided_at"]),
    )


async def _fetch(conn: aiosqlite.Connection, change_id: int) -> RosterChange | None:
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM roster_changes WHERE id = ?", (change_id,)
    ) as cur:
        r = await cur.fetchone()
    return None if r is None else _row(r)


async def get_change(svc: Services, change_id: int) -> RosterChange | None:
    """One roster change by id (None if unknown)."""
    async with svc.db.reading() as conn:
        return await _fetch(conn, change_id)


def _joinable(role: str) -> Role | None:
    try:
        found = Role(role)
    except ValueError:
        return None
    return found if found in JOINABLE_ROLES else None


def overlay(
    roster: Mapping[int, frozenset[Role]], changes: Iterable[tuple[int, str, str]]
) -> dict[int, frozenset[Role]]:
    """The roster after (user_id, role, action) changes in order; ketua/admin are never touched."""
    out = dict(roster)
    for user_id, role_name, action in changes:
        role = _joinable(role_name)
        if role is None:
            continue
        held = out.get(user_id, frozenset())
        held = held | {role} if action == "add" else held - {role}
        if held:
            out[user_id] = held
        else:
            out.pop(user_id, None)
    return out


def _apply(svc: Services, office_id: str, user_id: int, role: Role, action: str) -> None:
    """Change one office's roster in memory (no await: never interleaved)."""
    office = svc.offices.get(office_id)
    if office is None:
        return
    roster = overlay(office.roster, [(user_id, role.value, action)])
    svc.offices[office_id] = dataclasses.replace(office, roster=roster)


async def apply_roster_changes(svc: Services) -> None:
    """At start: put every approved change, oldest first, on the offices read from the file."""
    rows = await svc.db.fetchall(
        "SELECT office_id, user_id, role, action FROM roster_changes"
        " WHERE status = 'approved' ORDER BY decided_at, id"
    )
    by_office: dict[str, list[tuple[int, str, str]]] = {}
    for r in rows:
        by_office.setdefault(str(r[0]), []).append((int(r[1]), str(r[2]), str(r[3])))
    for office_id, changes in by_office.items():
        office: Office | None = svc.offices.get(office_id)
        if office is not None:
            roster = overlay(office.roster, changes)
            svc.offices[office_id] = dataclasses.replace(office, roster=roster)


def _detail(change_id: int | None, office_id: str, user_id: int, role: str) -> str:
    head = f"change:{change_id} " if change_id is not None else ""
    return f"{head}office:{office_id} user:{user_id} role:{role}"


async def request_join(svc: Services, user_id: int, office_id: str, role: str) -> RosterResult:
    """A person asks to join an office with a role; the office's heads are told by outbox."""
    office = svc.offices.get(office_id)
    if office is None:
        return RosterResult(RosterOutcome.UNKNOWN_OFFICE)
    wanted = _joinable(role)
    if wanted is None:
        return RosterResult(RosterOutcome.BAD_ROLE)
    if office.has_role(user_id, wanted):
        return RosterResult(RosterOutcome.ALREADY_HAS)
    heads = office.people_with(Role.KETUA)
    if not heads:
        return RosterResult(RosterOutcome.NO_HEAD)
    now = svc.clock.now()
    async with svc.db.transaction() as conn:
        async with conn.execute(
            "SELECT id FROM roster_changes WHERE office_id = ? AND user_id = ? AND role = ?"
            " AND status = 'pending'",
            (office_id, user_id, wanted.value),
        ) as cur:
            if await cur.fetchone() is not None:
                return RosterResult(RosterOutcome.ALREADY_PENDING)
        try:
            cur2 = await conn.execute(
                "INSERT INTO roster_changes (office_id, user_id, role, action, status,"
                " requested_by, requested_at) VALUES (?,?,?,'add','pending',?,?)",
                (office_id, user_id, wanted.value, user_id, now.isoformat()),
            )
        except sqlite3.IntegrityError:
            return RosterResult(RosterOutcome.ALREADY_PENDING)
        change_id = cur2.lastrowid
        assert change_id is not None
        await append_audit(
            conn,
            at=now,
            actor=f"tg:{user_id}",
            action="join_request",
            detail=_detail(change_id, office_id, user_id, wanted.value),
        )
        for head in heads:
            await svc.outbox.enqueue(
                conn,
                chat_id=head,
                kind="join_requested",
                payload={"change_id": change_id, "office_id": office_id},
                at=now,
                language=office.language,
                dedupe_key=f"join_requested:{change_id}:{head}",
            )
        change = await _fetch(conn, change_id)
    return RosterResult(RosterOutcome.OK, change)


async def request_removal(
    svc: Services, head_id: int, office_id: str, user_id: int, role: str
) -> RosterResult:
    """A head takes a role away at once; recorded as an approved change and audited."""
    office = svc.offices.get(office_id)
    now = svc.clock.now()
    if office is None or not office.has_role(head_id, Role.KETUA):
        async with svc.db.transaction() as conn:
            await append_audit(
                conn,
                at=now,
                actor=f"tg:{head_id}",
                action="denied:roster_remove",
                detail=_detail(None, office_id, user_id, role),
            )
        return RosterResult(RosterOutcome.NOT_ALLOWED)
    gone = _joinable(role)
    if gone is None:
        return RosterResult(RosterOutcome.BAD_ROLE)
    if not office.has_role(user_id, gone):
        return RosterResult(RosterOutcome.NOT_FOUND)
    async with svc.db.transaction() as conn:
        cur = await conn.execute(
            "INSERT INTO roster_changes (office_id, user_id, role, action, status, requested_by,"
            " requested_at, decided_by, decided_at) VALUES (?,?,?,'remove','approved',?,?,?,?)",
            (office_id, user_id, gone.value, head_id, now.isoformat(), head_id, now.isoformat()),
        )
        change_id = cur.lastrowid
        assert change_id is not None
        # a pending request for the same role is moot now
        await conn.execute(
            "UPDATE roster_changes SET status = 'rejected', decided_by = ?, decided_at = ?"
            " WHERE office_id = ? AND user_id = ? AND role = ? AND status = 'pending'",
            (head_id, now.isoformat(), office_id, user_id, gone.value),
        )
        await append_audit(
            conn,
            at=now,
            actor=f"tg:{head_id}",
            action="roster_remove",
            detail=_detail(change_id, office_id, user_id, gone.value),
        )
        change = await _fetch(conn, change_id)
    _apply(svc, office_id, user_id, gone, "remove")
    return RosterResult(RosterOutcome.OK, change)


async def decide(svc: Services, change_id: int, head_user_id: int, approve: bool) -> RosterResult:
    """A head of the request's office approves or rejects it; anyone else changes nothing."""
    now = svc.clock.now()
    async with svc.db.transaction() as conn:
        change = await _fetch(conn, change_id)
        office = svc.offices.get(change.office_id) if change is not None else None
        if change is None or office is None or not office.has_role(head_user_id, Role.KETUA):
            await append_audit(
                conn,
                at=now,
                actor=f"tg:{head_user_id}",
                action="denied:join_decide",
                detail=f"change:{change_id}",
            )
            outcome = RosterOutcome.NOT_FOUND if change is None else RosterOutcome.NOT_ALLOWED
            return RosterResult(outcome, change)
        if change.status != "pending":
            return RosterResult(RosterOutcome.ALREADY_DECIDED, change)
        status = "approved" if approve else "rejected"
        await conn.execute(
            "UPDATE roster_changes SET status = ?, decided_by = ?, decided_at = ?"
            " WHERE id = ? AND status = 'pending'",
            (status, head_user_id, now.isoformat(), change_id),
        )
        await append_audit(
            conn,
            at=now,
            actor=f"tg:{head_user_id}",
            action="join_approved" if approve else "join_rejected",
            detail=_detail(change_id, change.office_id, change.user_id, change.role.value),
        )
        await svc.outbox.enqueue(
            conn,
            chat_id=change.user_id,
            kind="join_decided",
            payload={"change_id": change_id, "office_id": change.office_id},
            at=now,
            language=office.language,
            dedupe_key=f"join_decided:{change_id}",
        )
        decided = await _fetch(conn, change_id)
    if approve:
        _apply(svc, change.office_id, change.user_id, change.role, change.action)
    return RosterResult(RosterOutcome.OK, decided)
