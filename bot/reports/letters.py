"""Official letters from editable DOCX templates (docxtpl), numbered, stored encrypted."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import aiosqlite
from babel.dates import format_date, format_datetime
from docxtpl import DocxTemplate

from bot.domain.intake import question
from bot.domain.office import Office
from bot.i18n import I18n, Translator
from bot.reports.numbering import allocate, letter_number
from bot.services.context import Services
from bot.store.audit import append_audit
from bot.store.cases import CaseRow
from bot.store.workflow import WorkflowStore

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
BLANK = "...................................."
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class LetterKind(StrEnum):
    """The letters the SOPs produce (their ``output_document`` keys)."""

    UNDANGAN = "surat_undangan_mediasi"
    PEMBERITAHUAN = "surat_pemberitahuan"
    TUGAS = "surat_tugas"
    RUJUKAN = "surat_rujukan"
    BERITA_ACARA = "berita_acara_mediasi"
    REKAM_KASUS = "rekam_kasus"


# Surat Pemberitahuan variants: the request was rejected / mediation cannot go ahead
NOTICE_VARIANTS = ("rejected", "cannot_proceed")
# Surat Rujukan destinations -> (label in the subject line, default purpose)
DESTINATIONS: dict[str, tuple[str, str]] = {
    "police": ("Kepolisian", "layanan pelaporan dan pemeriksaan (BAP)"),
    "hospital": ("Rumah Sakit / Visum", "pemeriksaan medis dan visum et repertum"),
    "court": ("Pengadilan", "pendampingan dalam proses persidangan"),
    "psychologist": ("Psikolog", "konsultasi dan pemulihan psikologis"),
}
_STATUS = {"new": "Baru", "in_progress": "Dalam penanganan", "closed": "Selesai"}
_SEX = {"female": "perempuan", "male": "laki-laki"}
_EVENTS = {
    "received": "Pengaduan diterima",
    "taken": "Pengaduan ditangani petugas",
    "closed": "Kasus ditutup",
    "sop_started": "SOP dimulai",
    "sop_ended": "SOP selesai",
    "party_recorded": "Data pihak mediasi dicatat",
    "letter": "Surat dibuat",
}


@dataclass(frozen=True)
class LetterInfo:
    """A stored letter without its content."""

    id: int
    case_id: int
    kind: str
    number: str
    year: int
    office_id: str
    created_at: datetime
    created_by: int

    @property
    def filename(self) -> str:
        """A file name safe on every system, e.g. 'surat_tugas_001-ST-PPA-TNG-III-2026.docx'."""
        return f"{self.kind}_{self.number.replace('/', '-')}.docx"

    @property
    def mime(self) -> str:
        """The DOCX media type."""
        return DOCX_MIME


@dataclass(frozen=True)
class Letter(LetterInfo):
    """A stored letter with its DOCX bytes (personal data: handle with care)."""

    content: bytes


def long_date(d: date) -> str:
    """'Senin, 2 Maret 2026'."""
    return str(format_date(d, "EEEE, d MMMM y", locale="id"))


@cache
def _indonesian() -> Translator:
    return I18n().get("id")


def _label(key: str, value: str) -> str:
    for option in question(key).options:
        if option.value == value:
            return _indonesian().translate(option.label)
    return value


def _labels(key: str, values: tuple[str, ...]) -> str:
    return ", ".join(_label(key, v) for v in values) or "-"


def _ctx(case_id: int, number: str) -> bytes:
    return f"letter:{case_id}:{number}".encode()


def _when(value: Any, office: Office) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=office.tz)
    if isinstance(value, str) and value:
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=office.tz)
    return None


def _text(params: dict[str, Any], key: str, default: str = BLANK) -> str:
    value = params.get(key)
    return str(value) if value not in (None, "") else default


def _lines(params: dict[str, Any], key: str, default: list[str]) -> list[str]:
    value = params.get(key)
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list | tuple) and value:
        return [str(v) for v in value]
    return default


def _incident_when(value: Any) -> str:
    """An ISO date as a long date; other text (e.g. 'ongoing') as given."""
    text = str(value or "")
    if not text:
        return "waktu tidak diketahui"
    if text == "ongoing":
        return "berulang / masih berlangsung"
    try:
        return long_date(date.fromisoformat(text))
    except ValueError:
        return text


def _template(office_id: str, kind: str) -> Path:
    """The office's own template if it has one (templates/<OFFICE>/<kind>.docx), else shared."""
    own = TEMPLATES_DIR / office_id / f"{kind}.docx"
    return own if own.exists() else TEMPLATES_DIR / f"{kind}.docx"


async def _chronology(
    conn: aiosqlite.Connection, case_id: int, office: Office
) -> tuple[list[dict[str, str]], list[str]]:
    """(case history rows, services delivered) without any free text from the reporter."""
    items: list[tuple[datetime, str, str]] = []
    async with conn.execute(
        "SELECT at, kind, data FROM case_events WHERE case_id = ? ORDER BY id", (case_id,)
    ) as cur:
        for r in await cur.fetchall():
            data = json.loads(r["data"] or "{}")
            result = str(data.get("number", "")) if r["kind"] == "letter" else ""
            at = datetime.fromisoformat(r["at"])
            items.append((at, _EVENTS.get(r["kind"], r["kind"]), result))
    services: list[str] = []
    async with conn.execute(
        "SELECT s.title, s.completed_at, s.outcome, i.service FROM steps s"
        " JOIN sop_instances i ON i.id = s.instance_id"
        " WHERE s.case_id = ? AND s.status = 'done' AND s.completed_at IS NOT NULL",
        (case_id,),
    ) as cur:
        for r in await cur.fetchall():
            at = datetime.fromisoformat(r["completed_at"])
            title = _indonesian().translate(r["title"])
            items.append((at, title, r["outcome"] or ""))
            if r["service"]:
                services.append(f"{title} ({long_date(at.astimezone(office.tz).date())})")
    items.sort(key=lambda x: x[0])
    rows = [
        {
            "at": str(format_datetime(at.astimezone(office.tz), "d MMM y HH.mm", locale="id")),
            "what": what,
            "result": result,
        }
        for at, what, result in items
    ]
    return rows, services


async def _mediation(
    conn: aiosqlite.Connection, svc: Services, case_id: int
) -> tuple[datetime | None, str | None]:
    """The case's latest scheduled or held mediation: time and place."""
    store = WorkflowStore(svc.cipher)
    sessions = [m for m in await store.mediations(conn, case_id) if m.status != "cancelled"]
    if not sessions:
        return None, None
    last = sessions[-1]
    return last.scheduled_at, await store.mediation_location(conn, last.id)


def _names(case: CaseRow, details: dict[str, Any], params: dict[str, Any]) -> dict[str, str]:
    korban = str(details.get("victim_name") or "") or BLANK
    pelapor = str(details.get("reporter_name") or "")
    if not pelapor and case.reporter_type == "victim":
        pelapor = korban
    names = {
        "korban": korban,
        "pelapor": pelapor or BLANK,
        "terlapor": str(details.get("perpetrator") or "") or BLANK,
        "pendamping": BLANK,
        "mediator": BLANK,
        "manajer_kasus": BLANK,
        "ketua": BLANK,
    }
    for key in names:
        if params.get(key):
            names[key] = str(params[key])
    return names


async def _context(
    conn: aiosqlite.Connection,
    svc: Services,
    case: CaseRow,
    kind: LetterKind,
    number: str,
    today: date,
    params: dict[str, Any],
) -> dict[str, Any]:
    office = svc.office(case.office_id)
    details = await svc.cases.details(conn, case.id)
    names = _names(case, details, params)
    age = details.get("victim_age")
    ctx: dict[str, Any] = {
        "office": {
            "name": office.name,
            "name_upper": office.name.upper(),
            "city": office.city,
            "city_upper": office.city.upper(),
            "address": office.address or office.city,
            "phones": ", ".join(office.phones) or "-",
            "whatsapp_line": f" | WhatsApp {', '.join(office.whatsapp)}" if office.whatsapp else "",
        },
        "letter_number": number,
        "letter_date": long_date(today),
        "signer_title": _text(params, "signer_title", "Kepala"),
        "case_number": case.number,
        "received_date": long_date(case.received_at.astimezone(office.tz).date()),
        "categories": _labels("violence", case.categories),
        "relation": _label("relation", case.relation),
        "help_wanted": _labels("help", case.help_wanted),
        "channel": _label("channel", case.channel) if case.channel != "telegram" else "Telegram",
        "victim_age": f"{age} tahun" if isinstance(age, int) else "umur tidak diketahui",
        "victim_sex": _SEX.get(case.victim_sex, "jenis kelamin tidak disebutkan"),
        "disability_text": ", penyandang disabilitas" if case.disability else "",
        "status": _STATUS.get(case.status, case.status),
        **names,
    }
    if kind in (LetterKind.UNDANGAN, LetterKind.BERITA_ACARA):
        at, place = _when(params.get("mediation_at"), office), params.get("place")
        if at is None or not place:
            stored_at, stored_place = await _mediation(conn, svc, case.id)
            at = at or stored_at
            place = place or stored_place
        local = at.astimezone(office.tz) if at else None
        ctx["mediation_date"] = long_date(local.date()) if local else BLANK
        ctx["mediation_time"] = f"{local:%H.%M} {office.zone_abbreviation}" if local else BLANK
        ctx["mediation_place"] = str(place) if place else BLANK
    if kind is LetterKind.UNDANGAN:
        recipient = _text(params, "recipient", "terlapor")
        if recipient not in ("terlapor", "pelapor"):
            raise ValueError(f"recipient must be terlapor or pelapor, not {recipient!r}")
        ctx["recipient_role"] = "Terlapor" if recipient == "terlapor" else "Pelapor"
        ctx["recipient_name"] = names[recipient]
    elif kind is LetterKind.PEMBERITAHUAN:
        variant = _text(params, "variant", "rejected")
        if variant not in NOTICE_VARIANTS:
            raise ValueError(f"variant must be one of {NOTICE_VARIANTS}, not {variant!r}")
        ctx["variant"] = variant
        ctx["reason"] = _text(params, "reason")
    elif kind is LetterKind.TUGAS:
        task_at = _when(params.get("task_at"), office)
        ctx["task"] = _text(params, "task", "pendampingan korban")
        ctx["task_date"] = long_date(task_at.astimezone(office.tz).date()) if task_at else BLANK
        ctx["task_place"] = _text(params, "place")
    elif kind is LetterKind.RUJUKAN:
        destination = _text(params, "destination", "")
        if destination not in DESTINATIONS:
            raise ValueError(f"destination must be one of {tuple(DESTINATIONS)}")
        label, purpose = DESTINATIONS[destination]
        ctx["destination"] = destination
        ctx["destination_label"] = label
        ctx["to_name"] = _text(params, "to_name")
        ctx["purpose"] = _text(params, "purpose", purpose)
    elif kind is LetterKind.BERITA_ACARA:
        ctx["agreement_points"] = _lines(params, "agreement_points", [BLANK, BLANK, BLANK])
        signatories = [
            {"role": "Pelapor", "name": names["pelapor"]},
            {"role": "Korban", "name": names["korban"]},
            {"role": "Terlapor", "name": names["terlapor"]},
        ]
        if case.child_victim:
            signatories.append({"role": "Orang Tua / Wali Korban", "name": BLANK})
        signatories += [
            {"role": "Pendamping Korban", "name": names["pendamping"]},
            {"role": "Pendamping Terlapor", "name": _text(params, "pendamping_terlapor")},
        ]
        for extra in params.get("extra_signatories") or ():
            signatories.append(
                {"role": str(extra.get("role") or "Pihak"), "name": str(extra.get("name") or BLANK)}
            )
        signatories += [
            {"role": "Mediator", "name": names["mediator"]},
            {"role": "Manajer Kasus", "name": names["manajer_kasus"]},
        ]
        ctx["signatories"] = signatories
        copies = params.get("copies")
        ctx["copies"] = int(copies) if copies else len(signatories)
    elif kind is LetterKind.REKAM_KASUS:
        chronology, services = await _chronology(conn, case.id, office)
        ctx["chronology"] = chronology
        ctx["services"] = _lines(params, "services", services or ["(belum ada layanan tercatat)"])
        ctx["follow_up"] = _lines(params, "follow_up", [BLANK, BLANK, BLANK])
        ctx["incident_when"] = _incident_when(details.get("when"))
        ctx["incident_where"] = str(details.get("where") or "") or "tempat tidak diketahui"
        ctx["story"] = str(details.get("story") or "")
    return ctx


def _render(template: Path, context: dict[str, Any]) -> bytes:
    tpl = DocxTemplate(str(template))
    tpl.render(context, autoescape=True)
    buf = io.BytesIO()
    tpl.save(buf)
    return buf.getvalue()


def _info(r: aiosqlite.Row) -> LetterInfo:
    return LetterInfo(
        id=r["id"],
        case_id=r["case_id"],
        kind=r["kind"],
        number=r["number"],
        year=r["year"],
        office_id=r["office_id"],
        created_at=datetime.fromisoformat(r["created_at"]),
        created_by=r["created_by"],
    )


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
        context = await _context(conn, svc, case, letter_kind, number, local.date(), params)
        content = _render(_template(office.id, letter_kind.value), context)
        cur = await conn.execute(
            "INSERT INTO letters (case_id, kind, number, year, office_id, created_at, created_by,"
            " content_enc) VALUES (?,?,?,?,?,?,?,?)",
            (
                case.id,
                letter_kind.value,
                number,
                local.year,
                office.id,
                now.isoformat(),
                actor_user_id,
                svc.cipher.encrypt(content, context=_ctx(case.id, number)),
            ),
        )
        assert cur.lastrowid is not None
        letter_id = int(cur.lastrowid)
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
    return Letter(
        id=letter_id,
        case_id=case.id,
        kind=letter_kind.value,
        number=number,
        year=local.year,
        office_id=office.id,
        created_at=now,
        created_by=actor_user_id,
        content=content,
    )


async def list_letters(svc: Services, case_id: int) -> list[LetterInfo]:
    """A case's letters, oldest first (without their content)."""
    rows = await svc.db.fetchall(
        "SELECT id, case_id, kind, number, year, office_id, created_at, created_by"
        " FROM letters WHERE case_id = ? ORDER BY id",
        (case_id,),
    )
    return [_info(r) for r in rows]


async def load_letter(svc: Services, letter_id: int) -> Letter:
    """A stored letter with its decrypted DOCX (LookupError if there is none)."""
    row = await svc.db.fetchone("SELECT * FROM letters WHERE id = ?", (letter_id,))
    if row is None:
        raise LookupError(letter_id)
    info = _info(row)
    content = svc.cipher.decrypt(row["content_enc"], context=_ctx(info.case_id, info.number))
    return Letter(**{**info.__dict__, "content": content})
