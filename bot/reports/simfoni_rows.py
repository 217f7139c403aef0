"""A case and its victims as SIMFONI-PPA's columns and Indonesian values (no personal data)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from bot.domain.simfoni import SERVICE_OF_SOP, term
from bot.store.db import Row
from bot.store.records import CaseRecord, PartyRow, VictimRow

__all__ = ["CHANNELS", "STATUSES", "incident_value", "simfoni_case", "simfoni_victim"]

CHANNELS = {
    "telegram": "Telegram",
    "whatsapp": "WhatsApp",
    "phone": "Telepon",
    "walk_in": "Datang langsung",
}
STATUSES = {"new": "Baru", "in_progress": "Dalam proses", "closed": "Selesai"}
_SEP = "; "


def _terms(vocabulary: str, codes: Iterable[str]) -> str:
    return _SEP.join(dict.fromkeys(term(vocabulary, c).simfoni for c in codes))


def incident_value(when: str) -> str:
    """The incident date as stored (ISO), 'Berulang' for ongoing, 'Tidak diketahui' if unknown."""
    if when == "ongoing":
        return "Berulang"
    return when or "Tidak diketahui"


def simfoni_case(
    c: Row,
    record: CaseRecord,
    started: Sequence[str],
    *,
    incident: str,
    received: str,
    closed: str,
    city: str,
) -> dict[str, Any]:
    """The columns shared by every victim of a case."""
    services = ["pengaduan", *record.services_given]
    services += [SERVICE_OF_SOP[s] for s in started if s in SERVICE_OF_SOP]
    return {
        "No. Registrasi": c["number"],
        "Tanggal Pengaduan": received,
        "Tanggal Kejadian": incident_value(incident),
        "Tanggal Selesai": closed,
        "Sumber Pengaduan": CHANNELS.get(c["channel"], c["channel"]),
        "Kabupaten/Kota": city,
        "Kecamatan/Desa": record.region,
        "Tempat Kejadian": term("place", record.place).simfoni,
        "Bentuk Kekerasan": _terms("violence", json.loads(c["categories"])),
        "Layanan yang Diterima": _terms("service", services),
        "Status Kasus": STATUSES.get(c["status"], c["status"]),
    }


def simfoni_victim(victim: VictimRow, parties: Sequence[PartyRow]) -> dict[str, Any]:
    """One victim's columns, with the case's reported parties (several joined with '; ')."""
    return {
        "Korban Ke": victim.ord,
        "Jenis Kelamin Korban": term("sex", victim.sex).simfoni,
        "Kelompok Umur Korban": term("age_group", victim.age_group).simfoni,
        "Pendidikan Korban": term("education", victim.education).simfoni,
        "Status Perkawinan Korban": term("marital", victim.marital).simfoni,
        "Pekerjaan Korban": term("occupation", victim.occupation).simfoni,
        "Disabilitas Korban": term("disability", victim.disability).simfoni,
        "Hubungan Pelaku dengan Korban": _SEP.join(
            term("relation", p.relation).simfoni for p in parties
        ),
        "Jenis Kelamin Pelaku": _SEP.join(term("sex", p.sex).simfoni for p in parties),
        "Kelompok Umur Pelaku": _SEP.join(term("age_group", p.age_group).simfoni for p in parties),
    }
