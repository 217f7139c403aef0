"""What a letter says: the template context from the case, its history and the request."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from functools import cache
from typing import Any

from babel.dates import format_date, format_datetime

from bot.domain.case_plan import END_OUTCOMES, service_kind
from bot.domain.intake import question
from bot.domain.office import Office
from bot.i18n import I18n, Translator
from bot.services.context import Services
from bot.store import Tx
from bot.store.cases import CaseRow
from bot.store.reports import ReportStore
from bot.store.workflow import WorkflowStore

__all__ = [
    "BLANK",
    "DESTINATIONS",
    "NOTICE_VARIANTS",
    "RECIPIENTS",
    "LetterKind",
    "letter_context",
    "long_date",
]

BLANK = "...................................."


class LetterKind(StrEnum):
    """The letters the SOPs produce (their ``output_document`` keys)."""

    UNDANGAN = "surat_undangan_mediasi"
    PEMBERITAHUAN = "surat_pemberitahuan"
    TUGAS = "surat_tugas"
    RUJUKAN = "surat_rujukan"
    BERITA_ACARA = "berita_acara_mediasi"
    REKAM_KASUS = "rekam_kasus"
    LEMBAR_DISPOSISI = "lembar_disposisi"
    PERSETUJUAN = "surat_pernyataan_persetujuan"
    PERLINDUNGAN = "surat_permohonan_perlindungan"  # PKDRT Pasal 28-29, to the court
    PENERIMAAN = "berita_acara_penerimaan_rumah_aman"  # the shelter admission record


# Surat Pemberitahuan variants: the request was rejected / mediation cannot go ahead
NOTICE_VARIANTS = ("rejected", "cannot_proceed")
# Surat Rujukan destinations -> (label in the subject line, default purpose)
DESTINATIONS: dict[str, tuple[str, str]] = {
    "police": ("Kepolisian", "layanan pelaporan dan pemeriksaan (BAP)"),
    "hospital": ("Rumah Sakit / Visum", "pemeriksaan medis dan visum et repertum"),
    "court": ("Pengadilan", "pendampingan dalam proses persidangan"),
    "psychologist": ("Psikolog", "konsultasi dan pemulihan psikologis"),
    "legal_aid": ("Lembaga Bantuan Hukum", "pendampingan dan bantuan hukum"),
    "social_service": ("Dinas Sosial", "layanan rehabilitasi dan perlindungan sosial"),
    "uptd_ppa": ("UPTD PPA", "pemulangan dan reintegrasi sosial di daerah asal"),
    "partner_shelter": ("Rumah Aman", "penampungan sementara (rumah aman)"),
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
    "service_added": "Layanan ditambahkan ke rencana penanganan",
    "service_ended": "Layanan berakhir",
    "service_carried_on": "Layanan dilanjutkan dengan SOP berikutnya",
    "reviewed": "Rencana penanganan ditinjau",
    "reopened": "Kasus dibuka kembali",
    "referred": "Kasus dirujuk",
    "shelter_admitted": "Diterima di rumah aman",
    "shelter_extended": "Masa tinggal di rumah aman diperpanjang",
    "shelter_checked_in": "Pengecekan harian di rumah aman",
    "shelter_discharged": "Keluar dari rumah aman",
}


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


def _service_result(kind: str, outcome: object) -> str:
    """'Bantuan hukum / Selesai' for the Rekam Kasus (codes the plan does not name stay)."""
    found = service_kind(kind)
    parts = [_indonesian().translate(found.label) if found else kind]
    if outcome:
        label = END_OUTCOMES.get(str(outcome))
        parts.append(_indonesian().translate(label) if label else str(outcome))
    return " / ".join(parts)


async def _chronology(
    tx: Tx, svc: Services, case_id: int, office: Office
) -> tuple[list[dict[str, str]], list[str]]:
    """(case history rows, services delivered) without any free text from the reporter."""
    items: list[tuple[datetime, str, str]] = []
    for at, kind, data in await svc.cases.events(tx, case_id):
        result = str(data.get("number", "")) if kind == "letter" else ""
        if kind in ("service_added", "service_ended"):  # which service, how it ended
            result = _service_result(str(data.get("kind", "")), data.get("outcome"))
        items.append((at, _EVENTS.get(kind, kind), result))
    services: list[str] = []
    for title_id, at, outcome, service in await ReportStore().done_steps(tx, case_id):
        title = _indonesian().translate(title_id)
        items.append((at, title, outcome))
        if service:
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


async def _mediation(tx: Tx, svc: Services, case_id: int) -> tuple[datetime | None, str | None]:
    """The case's latest scheduled or held mediation: time and place."""
    store = WorkflowStore(svc.cipher)
    sessions = [m for m in await store.mediations(tx, case_id) if m.status != "cancelled"]
    if not sessions:
        return None, None
    last = sessions[-1]
    return last.scheduled_at, await store.mediation_location(tx, last.id)


# Surat Undangan addressees, as each seed says: Tangerang the reported party (terlapor),
# Pekalongan the applicant (pemohon), Pasuruan both parties with their companions and the
# mediator (para_pihak); "pelapor" is kept for letters made before.
RECIPIENTS = ("terlapor", "pemohon", "para_pihak", "pelapor")
# the refusing outcome of a step -> the Surat Pemberitahuan variant it calls for
_VARIANT_OF = {"rejected": "rejected", "not_cooperative": "cannot_proceed"}


def _recipient(recipient: str, names: dict[str, str], params: dict[str, Any]) -> tuple[str, str]:
    """(role line, name line) of the invitation's addressee."""
    if recipient == "terlapor":
        return "Terlapor", names["terlapor"]
    if recipient == "pemohon":
        return "Pemohon", names["pelapor"]
    if recipient == "pelapor":
        return "Pelapor", names["pelapor"]
    companion = _text(params, "pendamping_terlapor")
    parts = [
        f"Pelapor/Korban {names['pelapor']} beserta Pendamping {names['pendamping']}",
        f"Terlapor {names['terlapor']} beserta Pendamping {companion}",
        f"Mediator {names['mediator']}",
    ]
    return "Para Pihak", "; ".join(parts)


async def _refusal(tx: Tx, svc: Services, case_id: int) -> tuple[str, str | None] | None:
    """The case's latest refusing decision: (outcome, the reason recorded with it)."""
    store = WorkflowStore(svc.cipher)
    done = [s for s in await store.steps_of_case(tx, case_id) if s.outcome in _VARIANT_OF]
    if not done:
        return None
    last = done[-1]
    report = (await store.step_output(tx, last.id)).report if last.has_report else None
    assert last.outcome is not None
    return last.outcome, report


# the experts of seed 004 ("Tenaga Ahli") as the Lembar Disposisi names their field
_EXPERTS = {"konselor_hukum": "Konselor Hukum", "psikolog": "Psikolog", "mediator": "Mediator"}


async def _expert(tx: Tx, svc: Services, case_id: int, office: Office) -> tuple[str, str]:
    """(field, who) of the expert the case is disposed to: the latest assigned expert step."""
    store = WorkflowStore(svc.cipher)
    for row in reversed(await store.steps_of_case(tx, case_id)):
        if row.assignee_user_id is None or not set(row.roles) & set(_EXPERTS):
            continue
        held = [r.value for r in office.roles_of(row.assignee_user_id) if r.value in _EXPERTS]
        if held:
            return " / ".join(_EXPERTS[r] for r in sorted(held)), BLANK  # name written by hand
    return " / ".join(_EXPERTS.values()) + " (coret yang tidak perlu)", BLANK


async def _agreement(tx: Tx, svc: Services, case_id: int) -> list[str]:
    """The agreement points: the lines of the latest report of a finished mediation step."""
    store = WorkflowStore(svc.cipher)
    held = [s for s in await store.steps_of_case(tx, case_id)
            if s.step_key == "mediate" and s.status == "done" and s.has_report]  # fmt: skip
    if not held:
        return []
    text = (await store.step_output(tx, held[-1].id)).report or ""
    return [line.strip().lstrip("0123456789.)-• ").strip() for line in text.splitlines()
            if line.strip().lstrip("0123456789.)-• ").strip()]  # fmt: skip


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


async def letter_context(
    tx: Tx,
    svc: Services,
    case: CaseRow,
    kind: LetterKind,
    number: str,
    today: date,
    params: dict[str, Any],
) -> dict[str, Any]:
    """The template's fields for a letter about a case (ValueError for a bad parameter)."""
    office = svc.office(case.office_id)
    details = await svc.cases.details(tx, case.id)
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
            stored_at, stored_place = await _mediation(tx, svc, case.id)
            at = at or stored_at
            place = place or stored_place
        local = at.astimezone(office.tz) if at else None
        ctx["mediation_date"] = long_date(local.date()) if local else BLANK
        ctx["mediation_time"] = f"{local:%H.%M} {office.zone_abbreviation}" if local else BLANK
        ctx["mediation_place"] = str(place) if place else BLANK
    if kind is LetterKind.UNDANGAN:
        recipient = _text(params, "recipient", "terlapor")
        if recipient not in RECIPIENTS:
            raise ValueError(f"recipient must be one of {tuple(RECIPIENTS)}, not {recipient!r}")
        ctx["recipient_role"], ctx["recipient_name"] = _recipient(recipient, names, params)
    elif kind is LetterKind.PEMBERITAHUAN:
        decided = await _refusal(tx, svc, case.id)
        default = _VARIANT_OF.get(decided[0], "rejected") if decided else "rejected"
        variant = _text(params, "variant", default)
        if variant not in NOTICE_VARIANTS:
            raise ValueError(f"variant must be one of {NOTICE_VARIANTS}, not {variant!r}")
        ctx["variant"] = variant
        # the reason recorded with the decision (step 3 rejected / step 5 not cooperative)
        recorded = decided[1] if decided and _VARIANT_OF.get(decided[0]) == variant else None
        ctx["reason"] = _text(params, "reason", recorded or BLANK)
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
        agreed = await _agreement(tx, svc, case.id)
        ctx["agreement_points"] = _lines(params, "agreement_points", agreed or [BLANK] * 3)
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
    elif kind is LetterKind.LEMBAR_DISPOSISI:
        field, name = await _expert(tx, svc, case.id, office)
        ctx["expert_field"] = _text(params, "expert_field", field)
        ctx["expert_name"] = _text(params, "expert_name", name)
        ctx["instruction"] = _text(params, "instruction")
    elif kind is LetterKind.PERSETUJUAN:
        ctx["child_victim"] = case.child_victim
        ctx["services_offered"] = _text(
            params, "services", "pendampingan, konseling, bantuan hukum dan layanan lain yang "
            "dibutuhkan sesuai rencana penanganan kasus",
        )  # fmt: skip
    elif kind is LetterKind.REKAM_KASUS:
        chronology, services = await _chronology(tx, svc, case.id, office)
        ctx["chronology"] = chronology
        ctx["services"] = _lines(params, "services", services or ["(belum ada layanan tercatat)"])
        ctx["follow_up"] = _lines(params, "follow_up", [BLANK, BLANK, BLANK])
        ctx["incident_when"] = _incident_when(details.get("when"))
        ctx["incident_where"] = str(details.get("where") or "") or "tempat tidak diketahui"
        ctx["story"] = str(details.get("story") or "")
    return ctx
