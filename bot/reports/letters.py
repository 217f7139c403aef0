"""Official letters from editable DOCX templates (docxtpl), numbered, stored encrypted."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate

from bot.reports.letter_context import (
    BLANK,
    DESTINATIONS,
    NOTICE_VARIANTS,
    LetterKind,
    letter_context,
    long_date,
)
from bot.reports.numbering import allocate, letter_number
from bot.reports.record_letters import record_context
from bot.services.context import Services
from bot.store.audit import append_audit
from bot.store.letters import Letter, LetterInfo, LetterStore

__all__ = [
    "BLANK",
    "DESTINATIONS",
    "NOTICE_VARIANTS",
    "TEMPLATES_DIR",
    "Letter",
    "LetterInfo",
    "LetterKind",
    "generate_letter",
    "list_letters",
    "load_letter",
    "long_date",
]

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def _template(office_id: str, kind: str) -> Path:
    """The office's own template if it has one (templates/<OFFICE>/<kind>.docx), else shared."""
    own = TEMPLATES_DIR / office_id / f"{kind}.docx"
    return own if own.exists() else TEMPLATES_DIR / f"{kind}.docx"


def _render(template: Path, context: dict[str, Any]) -> bytes:
    tpl = DocxTemplate(str(template))
    tpl.render(context, autoescape=True)
    buf = io.BytesIO()
    tpl.save(buf)
    return buf.getvalue()


async def generate_letter(
    svc: Services,
    case_id: int,
    kind: str,
    *,
    actor_user_id: int,
    params: dict[str, Any] | None = None,
) -> Letter:
    """Number, render, store (encrypted, with the case) and audit a letter.

    Raises LookupError for an unknown case, PermissionError when the actor is not on the
    roster of the case's office, ValueError for an unknown kind or a bad parameter.
    """
    letter_kind = LetterKind(kind)
    params = dict(params or {})
    now = svc.clock.now()
    async with svc.db.transaction() as conn:
        case = await svc.cases.get(conn, case_id)
        if case is None:
            raise LookupError(case_id)
        office = svc.office(case.office_id)
        if not office.is_staff(actor_user_id):
            raise PermissionError("only the office's staff can make its letters")
        local = now.astimezone(office.tz)
        seq = await allocate(conn, office.id, letter_kind.value, local.year)
        number = letter_number(office.id, letter_kind.value, seq, local.month, local.year)
        context = await letter_context(conn, svc, case, letter_kind, number, local.date(), params)
        context.update(await record_context(conn, svc, case, letter_kind, params))
        letter = Letter(
            id=0,
            case_id=case.id,
            kind=letter_kind.value,
            number=number,
            year=local.year,
            office_id=office.id,
            created_at=now,
            created_by=actor_user_id,
            content=_render(_template(office.id, letter_kind.value), context),
        )
        letter_id = await LetterStore(svc.cipher).insert(conn, letter)
        actor = f"staff:{actor_user_id}"
        await svc.cases.add_event(
            conn, case.id, now, actor, "letter", {"kind": letter_kind.value, "number": number}
        )
        await append_audit(
            conn,
            at=now,
            actor=actor,
            action="letter_generated",
            case_id=case.id,
            detail=json.dumps({"kind": letter_kind.value, "number": number}),
        )
    return dataclasses.replace(letter, id=letter_id)


async def list_letters(svc: Services, case_id: int) -> list[LetterInfo]:
    """A case's letters, oldest first (without their content)."""
    async with svc.db.reading() as conn:
        return await LetterStore(svc.cipher).of_case(conn, case_id)


async def load_letter(svc: Services, letter_id: int) -> Letter:
    """A stored letter with its decrypted DOCX (LookupError if there is none)."""
    async with svc.db.reading() as conn:
        letter = await LetterStore(svc.cipher).get(conn, letter_id)
    if letter is None:
        raise LookupError(letter_id)
    return letter
