"""Roster changes on top of the office file: join requests the head decides, removals by a head.

The roster lives in the database (bot/store/roster.py): a decision changes it in the same
transaction, so every process reading it sees the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from bot.domain.identity import actor_for
from bot.domain.notice import Notice, Recipient
from bot.domain.office import JOINABLE_ROLES, Office, Role, joinable_role, roster_overlay
from bot.services.context import Services
from bot.store.audit import append_audit
from bot.store.db import Tx
from bot.store.roster import RosterChange
from bot.store.workflow import WorkflowStore

__all__ = [
    "JOINABLE_ROLES",
    "JOIN_COOL_DOWN",
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

# after a refusal, the same person may ask again only after this long
JOIN_COOL_DOWN = timedelta(days=7)

# the roster after changes, kept under its old name
overlay = roster_overlay


class RosterOutcome(Enum):
    """How a roster request or decision went."""

    OK = "ok"
    NOT_ALLOWED = "not_allowed"  # not a head of that office
    NOT_FOUND = "not_found"  # no such request, or the person does not hold that role
    UNKNOWN_OFFICE = "unknown_office"
    BAD_ROLE = "bad_role"  # ketua/admin (file only) or not a role at all
    ALREADY_PENDING = "already_pending"
    OTHER_PENDING = "other_pending"  # another request of this person waits (one at a time)
    COOLING_DOWN = "cooling_down"  # refused recently: ask again after JOIN_COOL_DOWN
    ALREADY_HAS = "already_has"
    ALREADY_DECIDED = "already_decided"
    NO_HEAD = "no_head"  # the office has no head in the bot to decide


@dataclass(frozen=True)
class RosterResult:
    """The outcome and, when there is one, the change it concerns."""

    outcome: RosterOutcome
    change: RosterChange | None = None
    # COOLING_DOWN: from when the person may ask again
    again_at: datetime | None = None


async def get_change(svc: Services, change_id: int) -> RosterChange | None:
    """One roster change by id (None if unknown)."""
    async with svc.db.reading() as conn:
        return await svc.roster.change(conn, change_id)


async def apply_roster_changes(svc: Services) -> None:
    """At start: seed the roster table from the office file, approved changes on top."""
    await svc.load_roster()


def _detail(change_id: int | None, office_id: str, user_id: int, role: str) -> str:
    head = f"change:{change_id} " if change_id is not None else ""
    return f"{head}office:{office_id} user:{user_id} role:{role}"


async def _join_blocked(
    svc: Services, conn: Tx, user_id: int, now: datetime
) -> RosterResult | None:
    """Why this person may not ask to join now (a request waits, or a recent refusal), or None."""
    pending = await svc.roster.pending_of(conn, user_id)
    if pending is not None:
        return RosterResult(RosterOutcome.OTHER_PENDING, pending)
    refused = await svc.roster.last_refused_at(conn, user_id)
    if refused is not None and now < refused + JOIN_COOL_DOWN:
        return RosterResult(RosterOutcome.COOLING_DOWN, again_at=refused + JOIN_COOL_DOWN)
    return None


async def request_join(svc: Services, user_id: int, office_id: str, role: str) -> RosterResult:
    """A person asks to join an office with a role; the office's heads are told by outbox.

    One request per person waits at a time (whatever the office or role), and after a refusal
    the person may ask again only after ``JOIN_COOL_DOWN``.
    """
    office = svc.offices.get(office_id)
    if office is None:
        return RosterResult(RosterOutcome.UNKNOWN_OFFICE)
    wanted = joinable_role(role)
    if wanted is None:
        return RosterResult(RosterOutcome.BAD_ROLE)
    if office.has_role(user_id, wanted):
        return RosterResult(RosterOutcome.ALREADY_HAS)
    heads = office.people_with(Role.KETUA)
    if not heads:
        return RosterResult(RosterOutcome.NO_HEAD)
    now = svc.clock.now()
    async with svc.db.transaction() as conn:
        if await svc.roster.has_pending(conn, office_id, user_id, wanted):
            return RosterResult(RosterOutcome.ALREADY_PENDING)
        blocked = await _join_blocked(svc, conn, user_id, now)
        if blocked is not None:
            return blocked
        change_id = await svc.roster.add_request(conn, office_id, user_id, wanted, now)
        if change_id is None:
            return RosterResult(RosterOutcome.ALREADY_PENDING)
        await append_audit(
            conn,
            at=now,
            actor=actor_for(user_id),
            action="join_request",
            detail=_detail(change_id, office_id, user_id, wanted.value),
        )
        for head in heads:
            to = Recipient.person(head)
            notice = Notice(
                kind="join_requested",
                recipient=to,
                params={"change_id": change_id, "office_id": office_id},
                dedupe_key=f"join_requested:{change_id}:{to.key()}",
                language=office.language,
            )
            await svc.outbox.add(conn, notice, at=now)
        change = await svc.roster.change(conn, change_id)
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
                actor=actor_for(head_id),
                action="denied:roster_remove",
                detail=_detail(None, office_id, user_id, role),
            )
        return RosterResult(RosterOutcome.NOT_ALLOWED)
    gone = joinable_role(role)
    if gone is None:
        return RosterResult(RosterOutcome.BAD_ROLE)
    if not office.has_role(user_id, gone):
        return RosterResult(RosterOutcome.NOT_FOUND)
    async with svc.db.transaction() as conn:
        # a pending request for the same role is moot now (rejected by the store)
        change_id = await svc.roster.add_removal(conn, office_id, user_id, gone, head_id, now)
        await svc.roster.revoke(conn, office_id, user_id, gone)
        await append_audit(
            conn,
            at=now,
            actor=actor_for(head_id),
            action="roster_remove",
            detail=_detail(change_id, office_id, user_id, gone.value),
        )
        if office.roles_of(user_id) <= {gone}:  # nothing left here: hand their work back
            await _hand_back(svc, conn, office, user_id, head_id, now)
        change = await svc.roster.change(conn, change_id)
    await svc.refresh_roster()
    return RosterResult(RosterOutcome.OK, change)


async def _hand_back(
    svc: Services, conn: Tx, office: Office, user_id: int, head_id: int, now: datetime
) -> None:
    """A person off an office's roster: their open steps go back to the head for
    reassignment and nothing still queued about the office's cases reaches them."""
    released = await WorkflowStore(svc.cipher).release_steps(conn, office.id, user_id)
    cancelled = await svc.outbox.cancel_for_person(conn, Recipient.person(user_id).key(), office.id)
    await append_audit(
        conn, at=now, actor=actor_for(head_id), action="steps_released",
        detail=f"{office.id}:{user_id}: {released} steps, {cancelled} messages",
    )  # fmt: skip
    if released:
        for head in office.people_with(Role.KETUA):
            await svc.outbox.add(
                conn,
                Notice(
                    kind="steps_returned", recipient=Recipient.person(head),
                    params={"office_id": office.id, "user_id": user_id, "count": released},
                    language=office.language,
                    dedupe_key=f"steps_returned:{office.id}:{user_id}:{now.isoformat()}:{head}",
                ),
                at=now,
            )  # fmt: skip


async def decide(svc: Services, change_id: int, head_user_id: int, approve: bool) -> RosterResult:
    """A head of the request's office approves or rejects it; anyone else changes nothing."""
    now = svc.clock.now()
    async with svc.db.transaction() as conn:
        change = await svc.roster.change(conn, change_id)
        office = svc.offices.get(change.office_id) if change is not None else None
        await svc.alert_integrity(conn, svc.roster.take_failures())  # a forged request
        if change is None or office is None or not office.has_role(head_user_id, Role.KETUA):
            await append_audit(
                conn,
                at=now,
                actor=actor_for(head_user_id),
                action="denied:join_decide",
                detail=f"change:{change_id}",
            )
            outcome = RosterOutcome.NOT_FOUND if change is None else RosterOutcome.NOT_ALLOWED
            return RosterResult(outcome, change)
        if change.status != "pending":
            return RosterResult(RosterOutcome.ALREADY_DECIDED, change)
        await svc.roster.decide(conn, change_id, approve, head_user_id, now)
        if approve and joinable_role(change.role.value) is not None:
            if change.action == "add":
                await svc.roster.grant(conn, change.office_id, change.user_id, change.role)
            else:
                await svc.roster.revoke(conn, change.office_id, change.user_id, change.role)
        await append_audit(
            conn,
            at=now,
            actor=actor_for(head_user_id),
            action="join_approved" if approve else "join_rejected",
            detail=_detail(change_id, change.office_id, change.user_id, change.role.value),
        )
        notice = Notice(
            kind="join_decided",
            recipient=Recipient.person(change.user_id),
            params={"change_id": change_id, "office_id": change.office_id},
            dedupe_key=f"join_decided:{change_id}",
            language=office.language,
        )
        await svc.outbox.add(conn, notice, at=now)
        decided = await svc.roster.change(conn, change_id)
    if approve:
        await svc.refresh_roster()
    return RosterResult(RosterOutcome.OK, decided)
