"""Letters of the plan's record services: the Surat Rujukan attached to a referral, the court
protection-order request (PKDRT Pasal 28-29) and the shelter admission record; numbered and
stored like every letter (bot/reports/letters.py), the referral keeps its letter's number."""

from __future__ import annotations

from typing import Any

from bot.domain.identity import actor_for
from bot.reports.letter_context import BLANK, DESTINATIONS, LetterKind, long_date
from bot.services.context import Services
from bot.store import Tx
from bot.store.audit import append_audit
from bot.store.cases import CaseRow
from bot.store.letters import Letter
from bot.store.referrals import ReferralStore
from bot.store.shelter import ShelterStore

__all__ = ["PROTECTIONS", "record_context", "referral_letter", "stay_letter"]

# what a protection order may order (UU 23/2004 Pasal 31; the court decides), by default
PROTECTIONS = [
    "larangan bagi terlapor mendekati korban dalam jarak dan waktu tertentu",
    "larangan bagi terlapor menghubungi korban, langsung maupun melalui orang lain",
    "pembatasan gerak terlapor dan perlindungan korban di tempat tinggalnya",
]


def _text(params: dict[str, Any], key: str, default: str = BLANK) -> str:
    value = params.get(key)
    return str(value) if value not in (None, "") else default


async def _protection(
    tx: Tx, svc: Services, case: CaseRow, params: dict[str, Any]
) -> dict[str, Any]:
    office = svc.office(case.office_id)
    store = ReferralStore(svc.cipher)
    report, temporary = BLANK, "belum tercatat"
    for row in await store.of_case(tx, case.id):
        if row.kind != "police":
            continue
        report = str((await store.facts(tx, row.id)).get("report_number") or report)
        if row.protection_requested_at is not None:
            when = row.protection_requested_at.astimezone(office.tz).date()
            temporary = f"telah dimohonkan pada {long_date(when)}"
    protections = params.get("protections")
    return {
        "to_name": _text(params, "to_name", f"Pengadilan Negeri {office.city}"),
        "report_number": report,
        "temporary_protection": temporary,
        "reason": _text(params, "reason"),
        "protections": [str(p) for p in protections] if protections else PROTECTIONS,
    }


async def _admission(
    tx: Tx, svc: Services, case: CaseRow, params: dict[str, Any]
) -> dict[str, Any]:
    office = svc.office(case.office_id)
    shelters = ShelterStore(svc.cipher)
    stays = await shelters.of_case(tx, case.id)
    stay = next((s for s in stays if s.id == params.get("stay_id")), stays[-1] if stays else None)
    if stay is None:
        raise ValueError("the case has no shelter stay")
    plan = await shelters.plan(tx, stay.id)
    return {
        "stay_id": stay.id,
        "admitted_date": long_date(stay.admitted_at.astimezone(office.tz).date()),
        "ends_date": long_date(stay.ends_at.astimezone(office.tz).date()),
        "safety_plan": str(plan.get("safety_plan") or "") or BLANK,
    }


async def record_context(
    tx: Tx, svc: Services, case: CaseRow, kind: LetterKind, params: dict[str, Any]
) -> dict[str, Any]:
    """The fields of the record services' letters (empty for every other kind)."""
    if kind is LetterKind.PERLINDUNGAN:
        return await _protection(tx, svc, case, params)
    if kind is LetterKind.PENERIMAAN:
        return await _admission(tx, svc, case, params)
    return {}


async def referral_letter(svc: Services, referral_id: int, person_id: int) -> Letter:
    """The referral's letter: the court protection-order request for a protection service's
    referral, else the Surat Rujukan to its institution; its number is kept with the referral.

    LookupError: no such referral; PermissionError: not staff of the case's office.
    """
    from bot.reports.letters import generate_letter

    store = ReferralStore(svc.cipher)
    async with svc.db.reading() as conn:
        row = await store.get(conn, referral_id)
        facts = await store.facts(conn, referral_id) if row else {}
    if row is None:
        raise LookupError(referral_id)
    institution = str(facts.get("institution") or "")
    if facts.get("request") == "protection_order":
        kind, params = LetterKind.PERLINDUNGAN, {"to_name": institution or None}
    else:
        destination = row.kind if row.kind in DESTINATIONS else "social_service"
        kind, params = LetterKind.RUJUKAN, {"destination": destination, "to_name": institution}
    letter = await generate_letter(svc, row.case_id, kind.value, actor_user_id=person_id,
                                   params=params)  # fmt: skip
    now = svc.clock.now()
    async with svc.db.transaction() as conn:
        facts = await store.facts(conn, referral_id)
        facts["letter_number"] = letter.number
        await store.save_facts(conn, referral_id, facts)
        await store.touch(conn, referral_id, now)
        await append_audit(conn, at=now, actor=actor_for(person_id), action="referral_letter",
                           case_id=row.case_id,
                           detail=f"referral {referral_id}: {letter.number}")  # fmt: skip
    return letter


async def stay_letter(svc: Services, stay_id: int, person_id: int) -> Letter:
    """The shelter admission record of a stay (LookupError: no such stay)."""
    from bot.reports.letters import generate_letter

    async with svc.db.reading() as conn:
        stay = await ShelterStore(svc.cipher).get(conn, stay_id)
    if stay is None:
        raise LookupError(stay_id)
    return await generate_letter(svc, stay.case_id, LetterKind.PENERIMAAN.value,
                                 actor_user_id=person_id, params={"stay_id": stay_id})  # fmt: skip
