"""The SIMFONI record as staff read it in /asesmen: what is filled, what is missing, how."""

from __future__ import annotations

from bot.channels.telegram.handlers.common import esc
from bot.domain.record_entry import PARTY_KEYS, VICTIM_KEYS
from bot.domain.simfoni import UNKNOWN, VOCABULARIES, term
from bot.i18n import Translator
from bot.store.records import CaseRecord

__all__ = ["missing_fields", "record_text"]


def _label(t: Translator, vocabulary: str, code: str) -> str:
    return esc(t.translate(term(vocabulary, code).label))


def missing_fields(record: CaseRecord) -> list[str]:
    """What staff still have to fill, as the words they would type (``korban1.pendidikan``)."""
    out: list[str] = []
    if record.place == UNKNOWN:
        out.append("tempat")
    if not record.region:
        out.append("wilayah")
    for v in record.victims:
        for typed, (column, _) in VICTIM_KEYS.items():
            if getattr(v, column) == UNKNOWN:
                out.append(f"korban{v.ord}.{typed}")
    for p in record.parties:
        for typed, (column, _) in PARTY_KEYS.items():
            if getattr(p, column) == UNKNOWN:
                out.append(f"pelaku{p.ord}.{typed}")
    return out


def _tokens(vocabulary: str) -> str:
    return ", ".join(x.typed for x in VOCABULARIES[vocabulary])


def record_text(t: Translator, number: str, record: CaseRecord) -> str:
    """The record, the fields still missing and an example of the command (HTML)."""
    lines = [
        t.gettext("<b>SIMFONI-PPA record of case {number}</b>", number=esc(number)),
        t.gettext("Place: {place}", place=_label(t, "place", record.place)),
        t.gettext("Region (district/village): {region}", region=esc(record.region or "–")),
        t.gettext(
            "Services given: {services}",
            services=", ".join(_label(t, "service", s) for s in record.services_given) or "–",
        ),
    ]
    for v in record.victims:
        parts = [
            _label(t, "sex", v.sex),
            _label(t, "age_group", v.age_group),
            _label(t, "education", v.education),
            _label(t, "marital", v.marital),
            _label(t, "occupation", v.occupation),
            _label(t, "disability", v.disability),
        ]
        lines.append(t.gettext("Victim {n}: {facts}", n=v.ord, facts=", ".join(parts)))
    for p in record.parties:
        parts = [
            _label(t, "relation", p.relation),
            _label(t, "sex", p.sex),
            _label(t, "age_group", p.age_group),
        ]
        lines.append(t.gettext("Reported party {n}: {facts}", n=p.ord, facts=", ".join(parts)))
    missing = missing_fields(record)
    lines.append("")
    if missing:
        lines.append(t.gettext("Still to fill: {fields}", fields=esc(", ".join(missing))))
    else:
        lines.append(t.gettext("Every field of the record is filled."))
    lines += [
        "",
        t.gettext(
            "To fill or correct, for example: /asesmen {number} korban1.pendidikan=smp "
            "tempat=rumah_tangga wilayah=Cibodas layanan=kesehatan,bantuan_hukum. "
            "The next number adds a victim or a reported party (korban2.jk=p).",
            number=esc(number),
        ),
        "<i>"
        + esc(
            "tempat: {place} | pendidikan: {edu} | status: {mar} | pekerjaan: {occ} | "
            "disabilitas: {dis} | jk: {sex} | usia: {age} | hubungan: {rel} | "
            "layanan: {svc}".format(
                place=_tokens("place"),
                edu=_tokens("education"),
                mar=_tokens("marital"),
                occ=_tokens("occupation"),
                dis=_tokens("disability"),
                sex=_tokens("sex"),
                age=_tokens("age_group") + ", 0-120",
                rel=_tokens("relation"),
                svc=_tokens("service"),
            )
        )
        + "</i>",
    ]
    return "\n".join(lines)
