"""Submitting a complaint: one transaction makes the case, its history and its notices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bot.domain.codes import case_number, new_tracking_code
from bot.domain.consent import CONSENT_TEXTS, CONSENT_VERSION
from bot.domain.identity import Handle
from bot.domain.intake import PARENT_RELATIONS, child_reporter, victim_age_of
from bot.domain.notice import Notice, Recipient
from bot.domain.simfoni import UNKNOWN
from bot.domain.validation import age_group
from bot.services.context import Services
from bot.services.evidence import record_stored
from bot.store.audit import append_audit
from bot.store.cases import NewCase
from bot.store.evidence import add_file
from bot.store.evidence_files import StoredFile, chunks_of
from bot.store.records import PartyRow, VictimRow

__all__ = [
    "Evidence",
    "SubmitResult",
    "attach_evidence",
    "attached_evidence",
    "consent_route",
    "place_and_violence",
    "raise_urgent_alert",
    "submit_complaint",
]


@dataclass(frozen=True)
class Evidence:
    """A file the reporter sent, already downloaded."""

    kind: str
    mime: str
    content: bytes


@dataclass(frozen=True)
class SubmitResult:
    """What the reporter is told after submitting."""

    case_id: int
    number: str
    tracking_code: str
    office_id: str
    urgent: bool
    first_response_due: datetime
    open_now: bool
    next_opening: datetime
    created: bool


def _when(value: Any, today: date) -> str:
    if value == "today":
        return today.isoformat()
    if value == "yesterday":
        return (today - timedelta(days=1)).isoformat()
    return str(value or "")


def _consent_version(answers: dict[str, Any]) -> str | None:
    """The version of the consent text agreed to (the current one if the draft did not say)."""
    if answers.get("consent") != "yes":
        return None
    version = answers.get("consent_version")
    return version if isinstance(version, str) and version in CONSENT_TEXTS else CONSENT_VERSION


def place_and_violence(answers: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    """SIMFONI's place and types of violence (a draft from before: "domestic" is a place)."""
    violence = tuple(str(v) for v in answers.get("violence") or ())
    place = str(answers.get("place") or UNKNOWN)
    if "domestic" in violence:
        violence = tuple(v for v in violence if v != "domestic")
        place = "rumah_tangga" if place == UNKNOWN else place
    return place, violence


def consent_route(child_victim: bool, relation: str) -> str:
    """Whose consent the staff seek: the reporter's, a guardian's, or the child-protection route.

    For a child, a parent or guardian consents (UU 27/2022 Pasal 25), never the reported
    parent or guardian: then the other parent, another guardian or the state's route.
    """
    if not child_victim:
        return "reporter"
    return "child_protection" if relation in PARENT_RELATIONS else "guardian"


async def raise_urgent_alert(svc: Services, *, office_id: str, draft_id: str) -> None:
    """Alert the staff group at once that someone reports immediate danger (any hour)."""
    office = svc.office(office_id)
    now = svc.clock.now()
    notice = Notice(
        kind="urgent_alert",
        recipient=Recipient.staff_group(office.id),
        params={"office_id": office_id},
        dedupe_key=f"urgent:{draft_id}:{office_id}",
        language=office.language,
    )
    async with svc.db.transaction() as conn:
        await svc.outbox.add(conn, notice, at=now)


async def attach_evidence(svc: Services, case_id: int, item_no: int, item: Evidence) -> None:
    """One evidence file already in memory, attached to a stored case as it is (its type
    given); the same item twice (a replayed update) is a no-op. Streams use
    bot/services/evidence.py ``attach_evidence_chunks``."""
    stored = await svc.evidence.put(chunks_of(item.content))
    await record_stored(svc, case_id, item_no, item.kind, item.mime, stored)


async def attached_evidence(svc: Services, case_id: int) -> set[int]:
    """The item numbers of a case's evidence already attached (a replay skips them)."""
    async with svc.db.reading() as conn:
        return await svc.cases.evidence_items(conn, case_id)


async def submit_complaint(
    svc: Services,
    *,
    answers: dict[str, Any],
    evidence: list[Evidence],
    idempotency_key: str,
    mode: str,
    reporter: Handle | None,
    recorded_by: int | None,
    language: str,
) -> SubmitResult:
    """Store the case and queue the staff notice; the same key twice gives the same case."""
    # the files first (written in segments, outside the transaction); removed again when no
    # row comes to refer to them (a replay, an error)
    stored: list[tuple[Evidence, StoredFile]] = []
    kept = False
    try:
        for item in evidence:
            stored.append((item, await svc.evidence.put(chunks_of(item.content))))
        result = await _submit(svc, answers, stored, idempotency_key, mode, reporter,
                               recorded_by, language)  # fmt: skip
        kept = result.created
        return result
    finally:
        if not kept:
            await svc.evidence.discard(s.ref for _, s in stored)


async def _submit(
    svc: Services,
    answers: dict[str, Any],
    evidence: list[tuple[Evidence, StoredFile]],
    idempotency_key: str,
    mode: str,
    reporter: Handle | None,
    recorded_by: int | None,
    language: str,
) -> SubmitResult:
    office = svc.office(str(answers["office"]))
    calendar = svc.calendars[office.id]
    now = svc.clock.now()
    local_now = now.astimezone(office.tz)
    urgent = answers.get("danger") == "yes"
    age_int = victim_age_of(answers)
    reporter_age = answers.get("reporter_age")
    if urgent:
        due = now + timedelta(minutes=office.urgent_response_minutes)
    else:
        due = calendar.add(now, office.first_response)
    async with svc.db.transaction() as conn:
        existing = await svc.cases.id_for_key(conn, idempotency_key)
        if existing is not None:
            row = await svc.cases.get(conn, existing)
            details = await svc.cases.details(conn, existing)
            assert row is not None
            return SubmitResult(
                case_id=row.id,
                number=row.number,
                tracking_code=details["tracking_code"],
                office_id=row.office_id,
                urgent=row.urgent,
                first_response_due=row.first_response_due,
                open_now=calendar.is_open(now),
                next_opening=calendar.next_opening(now),
                created=False,
            )
        seq = await svc.cases.next_number(conn, office.id, local_now.year)
        number = case_number(office.id, local_now.year, seq)
        code = new_tracking_code()
        relation = str(answers.get("relation") or "unknown")
        child = age_int is not None and age_int < 18
        place, violence = place_and_violence(answers)
        route = consent_route(child, relation)
        details = {
            "victim_name": answers.get("victim_name") or "",
            "victim_age": age_int,
            "perpetrator": answers.get("perpetrator") or "",
            "when": _when(answers.get("when"), local_now.date()),
            "where": answers.get("where") or "",
            "story": answers.get("story") or "",
            "notes": answers.get("notes") or [],
            "phone": answers.get("phone") or "",
            "call_time": answers.get("call_time") or "",
            "reporter_age": reporter_age if isinstance(reporter_age, int) else None,
            # a child harmed by a parent/guardian: consent must not go through that parent
            "consent_path": route,
        }
        case_id = await svc.cases.insert(
            conn,
            number,
            NewCase(
                office_id=office.id,
                idempotency_key=idempotency_key,
                tracking_code=code,
                channel=str(answers.get("channel") or "telegram"),
                urgent=urgent,
                child_victim=child,
                victim_sex=str(answers.get("victim_sex") or "unknown"),
                victim_age_group=age_group(age_int),
                disability=answers.get("disability") == "yes",
                categories=violence,
                relation=relation,
                help_wanted=tuple(answers.get("help") or ()),
                reporter_type=str(answers.get("reporter") or "other"),
                notify_mode=str(answers.get("notify") or "normal"),
                language=language,
                received_at=now,
                first_response_due=due,
                reporter=reporter,
                recorded_by=recorded_by,
                details=details,
                consent_version=_consent_version(answers),
                place=place,
                reporter_child=child_reporter(answers),
                consent_route=route,
            ),
        )
        await svc.records.add_victim(
            conn,
            case_id,
            VictimRow(
                1,
                sex=str(answers.get("victim_sex") or UNKNOWN),
                age_group=age_group(age_int),
                disability={"yes": "ya", "no": "tidak"}.get(
                    str(answers.get("disability")), UNKNOWN
                ),
            ),
        )
        others = answers.get("other_victims")
        for _ in range(others if isinstance(others, int) else 0):  # the staff complete them
            await svc.records.add_victim(conn, case_id)
        await svc.records.add_party(
            conn,
            case_id,
            PartyRow(1, relation=relation, sex=str(answers.get("perpetrator_sex") or UNKNOWN)),
        )
        for item, file in evidence:
            await add_file(
                conn, case_id, item.kind, item.mime, svc.evidence.bind(case_id, file), now
            )
        actor = f"staff:{recorded_by}" if recorded_by else "reporter"
        await svc.cases.add_event(
            conn, case_id, now, actor, "received", {"mode": mode, "evidence": len(evidence)}
        )
        await append_audit(
            conn, at=now, actor=actor, action="case_created", case_id=case_id, detail=number
        )
        notice = Notice(
            kind="staff_notice",
            recipient=Recipient.staff_group(office.id),
            params={"case_id": case_id},
            dedupe_key=f"notice:{case_id}",
            language=office.language,
            case_id=case_id,
        )
        await svc.outbox.add(conn, notice, at=now)
    return SubmitResult(
        case_id=case_id,
        number=number,
        tracking_code=code,
        office_id=office.id,
        urgent=urgent,
        first_response_due=due,
        open_now=calendar.is_open(now),
        next_opening=calendar.next_opening(now),
        created=True,
    )
