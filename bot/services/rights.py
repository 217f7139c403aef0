"""A data subject's rights by tracking code: see what we hold, ask for a copy, a correction or
an erasure. Each request is a staff task with a deadline (office calendar), answered and
audited; an erasure waits for a legal hold to end (UU 27/2022 Pasal 5-13, 15)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.domain.identity import Handle, actor_for
from bot.domain.notice import Notice, Recipient
from bot.domain.office import Role
from bot.domain.rights import (
    HOLD_REASONS,
    Answer,
    RequestKind,
    legal_hold,
    own_answers,
    response_time,
)
from bot.services.context import Services
from bot.store.audit import append_audit
from bot.store.purge import case_tables, delete_case
from bot.store.rights import RightsRequest, RightsStore

__all__ = [
    "ANSWER_ROLES",
    "MAX_CORRECTION",
    "OwnView",
    "RequestResult",
    "RightsOutcome",
    "answer_request",
    "check_answerer",
    "find_request",
    "make_request",
    "request_detail",
    "see_own_data",
    "set_legal_hold",
]

# who answers a data subject's request (and may erase a case): the head and the case managers
ANSWER_ROLES = (Role.KETUA, Role.MANAJER_KASUS)
MAX_CORRECTION = 1000
REPORTER_ACTOR = "reporter"


# what staff answering DONE writes into the case's notes (the staff read them with the details)
_NOTES = {
    RequestKind.CORRECT: "correction asked by the reporter:",
    RequestKind.RESTRICT: (
        "PROCESSING RESTRICTED at the reporter's request (UU 27/2022 Pasal 11): keep the data, "
        "use it for nothing new (no referral, letter or sharing) until she agrees again or the "
        "law requires it."
    ),
    RequestKind.WITHDRAW: (
        "CONSENT WITHDRAWN by the reporter (UU 27/2022 Pasal 9): act further only where the "
        "unit's legal duty requires it (child protection, a court order); ask her first "
        "otherwise."
    ),
}
_EVENTS = {
    RequestKind.RESTRICT: "processing_restricted",
    RequestKind.WITHDRAW: "consent_withdrawn",
}


class RightsOutcome(StrEnum):
    """How a rights action ended."""

    OK = "ok"
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"
    ALREADY_ANSWERED = "already_answered"
    HOLD = "hold"  # an erasure cannot be done now: a legal hold


@dataclass(frozen=True)
class OwnView:
    """What the code holder may see: her own answers, and whether more is held."""

    number: str
    office_id: str
    received_at: datetime
    consent_version: str | None
    answers: list[tuple[str, Any]]
    more_held: bool
    evidence: int
    requests: list[RightsRequest] = field(default_factory=list)


@dataclass(frozen=True)
class RequestResult:
    """A request made (or the open one of the same kind found again)."""

    outcome: RightsOutcome
    request: RightsRequest | None = None
    created: bool = False


def _store(svc: Services) -> RightsStore:
    return RightsStore(svc.cipher)


async def see_own_data(svc: Services, case_id: int) -> OwnView | None:
    """The code holder's own answers (never the reported party's data); audited."""
    now = svc.clock.now()
    async with svc.db.transaction() as conn:
        case = await svc.cases.get(conn, case_id)
        if case is None:
            return None
        details = await svc.cases.details(conn, case_id)
        columns = {
            "notify_mode": case.notify_mode,
            "help_wanted": case.help_wanted,
            "victim_sex": case.victim_sex,
            "categories": case.categories,
        }
        answers, more = own_answers(case.reporter_type, details, columns)
        evidence = await svc.cases.evidence_count(conn, case_id)
        requests = await _store(svc).of_case(conn, case_id)
        await append_audit(conn, at=now, actor=REPORTER_ACTOR, action="subject_access",
                           case_id=case_id)  # fmt: skip
    return OwnView(case.number, case.office_id, case.received_at, case.consent_version,
                   answers, more, evidence if case.reporter_type == "victim" else 0,
                   requests)  # fmt: skip


async def make_request(
    svc: Services, case_id: int, kind: RequestKind, *, requester: Handle | None, text: str = ""
) -> RequestResult:
    """Record a request as a staff task due in the office's working days (default 3), tell
    the office's staff.

    The same kind asked again while one is open gives the open one. An erasure asked while a
    legal hold runs is still recorded, with the hold, so that staff answer it.
    """
    now = svc.clock.now()
    store = _store(svc)
    async with svc.db.transaction() as conn:
        case = await svc.cases.get(conn, case_id)
        if case is None:
            return RequestResult(RightsOutcome.NOT_FOUND)
        open_ids = await store.open_of_case(conn, case_id, kind.value)
        if open_ids:
            return RequestResult(RightsOutcome.OK, await store.get(conn, open_ids[0]))
        office = svc.office(case.office_id)
        due = svc.calendars[office.id].add(now, response_time(office.rights_response_days))
        hold = None
        if kind is RequestKind.ERASE:
            hold = legal_hold(case.legal_hold, await store.open_step_keys(conn, case_id))
        detail: dict[str, Any] = {"text": text[:MAX_CORRECTION]}
        if requester is not None:
            detail["requester"] = requester.to_json()
        rid = await store.add(conn, case_id=case_id, number=case.number, office_id=office.id,
                              kind=kind.value, at=now, due_at=due, hold=hold,
                              detail=detail)  # fmt: skip
        await svc.cases.add_event(conn, case_id, now, REPORTER_ACTOR, "rights_request",
                                  {"kind": kind.value, "request_id": rid})  # fmt: skip
        await append_audit(conn, at=now, actor=REPORTER_ACTOR, action=f"rights_request:{kind}",
                           case_id=case_id, detail=f"request {rid}")  # fmt: skip
        await svc.outbox.add(
            conn,
            Notice(
                kind="rights_request",
                recipient=Recipient.staff_group(office.id),
                params={"request_id": rid},
                dedupe_key=f"rights_request:{rid}",
                language=office.language,
            ),
            at=now,
        )
        request = await store.get(conn, rid)
    return RequestResult(RightsOutcome.OK, request, created=True)


async def find_request(svc: Services, request_id: int) -> RightsRequest | None:
    """A request by id (no personal data)."""
    async with svc.db.reading() as conn:
        return await _store(svc).get(conn, request_id)


async def request_detail(
    svc: Services, request_id: int, user_id: int
) -> tuple[RightsOutcome, RightsRequest | None, str]:
    """A correction's text for staff who may read the case's identity; audited."""
    from bot.services.staff import Outcome, check_identity_access

    async with svc.db.reading() as conn:
        request = await _store(svc).get(conn, request_id)
    if request is None:
        return RightsOutcome.NOT_FOUND, None, ""
    access = await check_identity_access(svc, request.case_id, user_id, denied="denied:read")
    if access.outcome is not Outcome.OK:
        return RightsOutcome.NOT_ALLOWED, request, ""
    async with svc.db.transaction() as conn:
        text = str((await _store(svc).detail(conn, request_id)).get("text") or "")
        await append_audit(conn, at=svc.clock.now(), actor=actor_for(user_id),
                           action="read_rights_request", case_id=request.case_id,
                           detail=f"request {request_id}")  # fmt: skip
    return RightsOutcome.OK, request, text


async def check_answerer(svc: Services, request_id: int, user_id: int) -> RightsOutcome:
    """Whether the user may answer the request (before a confirmation); refusals audited."""
    async with svc.db.transaction() as conn:
        request = await _store(svc).get(conn, request_id)
        office = svc.offices.get(request.office_id) if request is not None else None
        if request is None or office is None:
            return RightsOutcome.NOT_FOUND
        if not office.has_role(user_id, *ANSWER_ROLES):
            await append_audit(conn, at=svc.clock.now(), actor=actor_for(user_id),
                               action="denied:rights_answer", case_id=request.case_id,
                               detail=f"request {request_id}")  # fmt: skip
            return RightsOutcome.NOT_ALLOWED
        return RightsOutcome.OK if request.status == "open" else RightsOutcome.ALREADY_ANSWERED


async def answer_request(
    svc: Services, request_id: int, user_id: int, answer: Answer
) -> tuple[RightsOutcome, RightsRequest | None]:
    """The head or a case manager of the case's office answers; the answer is audited.

    ``DONE`` on a correction adds the reporter's text to the case's notes; on an erasure it
    deletes the case and every row that belongs to it (as the retention purge does), unless
    a legal hold runs (then ``HOLD`` and nothing changes). The requester is told, in neutral
    words, to look with /status (never while she asked for no messages; not after an
    erasure, which leaves nothing tying her chat to the case).
    """
    now, actor = svc.clock.now(), actor_for(user_id)
    store = _store(svc)
    erased_files: list[str] = []
    async with svc.db.transaction() as conn:
        request = await store.get(conn, request_id)
        office = svc.offices.get(request.office_id) if request is not None else None
        if request is None or office is None:
            return RightsOutcome.NOT_FOUND, None
        if not office.has_role(user_id, *ANSWER_ROLES):
            await append_audit(conn, at=now, actor=actor, action="denied:rights_answer",
                               case_id=request.case_id, detail=f"request {request_id}")  # fmt: skip
            return RightsOutcome.NOT_ALLOWED, request
        if request.status != "open":
            return RightsOutcome.ALREADY_ANSWERED, request
        case = await svc.cases.get(conn, request.case_id)
        detail = await store.detail(conn, request_id)
        if case is not None and answer is Answer.DONE:
            if request.kind == RequestKind.ERASE:
                steps = await store.open_step_keys(conn, case.id)
                if legal_hold(case.legal_hold, steps) is not None:
                    return RightsOutcome.HOLD, request
                erased_files = await delete_case(conn, case.id, await case_tables(conn))
                for other in await store.open_of_case(conn, case.id):
                    if other != request_id:  # nothing left to copy or correct
                        await store.answer(conn, other, status="done", answer="erased",
                                           by=actor, at=now)  # fmt: skip
                await append_audit(conn, at=now, actor=actor, action="erase", case_id=case.id,
                                   detail=f"{case.number} request {request_id}")  # fmt: skip
            elif request.kind in _NOTES:
                details = await svc.cases.details(conn, case.id)
                day = now.astimezone(office.tz).date().isoformat()
                note = f"[{day}] {_NOTES[RequestKind(request.kind)]}"
                if request.kind == RequestKind.CORRECT:
                    note += f" {detail.get('text', '')}"
                details["notes"] = [*(details.get("notes") or []), note]
                await svc.cases.replace_details(conn, case.id, details)
                if request.kind in _EVENTS:
                    await svc.cases.add_event(conn, case.id, now, actor,
                                              _EVENTS[RequestKind(request.kind)],
                                              {"request_id": request_id})  # fmt: skip
        status = "done" if answer is Answer.DONE else "refused"
        await store.answer(conn, request_id, status=status, answer=answer.value, by=actor, at=now)
        await append_audit(conn, at=now, actor=actor, action=f"rights_answer:{request.kind}",
                           case_id=request.case_id,
                           detail=f"request {request_id}: {answer.value}")  # fmt: skip
        requester = detail.get("requester")
        erased = request.kind == RequestKind.ERASE and answer is Answer.DONE
        # an erased case leaves no row tying a chat to it: she was told at her request that
        # /status will not find the code once it is deleted. Other answers go with the case
        # (``case_id``: purged with it).
        if isinstance(requester, dict) and case is not None and not erased:
            if case.notify_mode != "none":
                handle = Handle.from_json(requester)
                notice = Notice(
                    kind="rights_answered",
                    recipient=Recipient.address(handle.channel, handle.address),
                    params={"request_id": request_id},
                    language=case.language,
                    dedupe_key=f"rights_answered:{request_id}",
                    case_id=case.id,
                )
                await svc.outbox.add(conn, notice, at=now)
        answered = await store.get(conn, request_id)
    await svc.evidence.discard(erased_files)  # the rows are gone: now their files
    return RightsOutcome.OK, answered


async def set_legal_hold(
    svc: Services, number: str, user_id: int, reason: str | None
) -> tuple[RightsOutcome, str | None]:
    """The head or a case manager flags (a HOLD_REASONS code) or lifts (None) a legal hold."""
    now, actor = svc.clock.now(), actor_for(user_id)
    async with svc.db.transaction() as conn:
        case = await svc.cases.by_number(conn, number)
        office = svc.offices.get(case.office_id) if case is not None else None
        if case is None or office is None or not office.is_staff(user_id):
            return RightsOutcome.NOT_FOUND, None
        if not office.has_role(user_id, *ANSWER_ROLES):
            await append_audit(conn, at=now, actor=actor, action="denied:legal_hold",
                               case_id=case.id)  # fmt: skip
            return RightsOutcome.NOT_ALLOWED, None
        if reason is not None and reason not in HOLD_REASONS:
            raise ValueError(f"unknown hold reason {reason!r}")
        await svc.cases.set_legal_hold(conn, case.id, reason)
        await append_audit(conn, at=now, actor=actor,
                           action="legal_hold" if reason else "legal_hold_lifted",
                           case_id=case.id, detail=reason or "")  # fmt: skip
    return RightsOutcome.OK, case.number
