"""Letters from the DOCX templates: content, numbering, encrypted storage, audit, sending."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from docx import Document

from bot.channels.telegram.handlers.reports import send_letter
from bot.clock import FakeClock
from bot.reports import LetterKind, generate_letter, list_letters, load_letter
from bot.reports.numbering import letter_number, roman
from bot.store.audit import verify_chain
from bot.testing.harness import Harness
from tests.telegram.flows import full_report

TNG_ADMIN = 100000002  # petugas + admin in config/offices.example.toml
TNG_KETUA = 100000001
PKL_PETUGAS = 200000002
STRANGER = 999999999
ROLES = ("Pelapor", "Korban", "Terlapor", "Pendamping", "Mediator", "Manajer Kasus")
LONG_DATE = re.compile(
    r"\b(Senin|Selasa|Rabu|Kamis|Jumat|Sabtu|Minggu), \d{1,2} (Januari|Februari|Maret|April|Mei"
    r"|Juni|Juli|Agustus|September|Oktober|November|Desember) \d{4}\b"
)


@pytest.fixture
async def h(
    tmp_path: Path,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    db_target: str | Path,
) -> AsyncIterator[Harness]:
    """The offline bot with the letters tables."""
    harness = await Harness.create(tmp_path, clock=clock, database=db_target)
    try:
        yield harness
    finally:
        await harness.stop()


async def _case(h: Harness, user: int = 555001, office_id: str = "TNG") -> tuple[int, str]:
    await full_report(h, user, office_id=office_id)
    row = await h.rt.db.fetchone("SELECT id, number FROM cases ORDER BY id DESC LIMIT 1")
    assert row is not None
    return int(row["id"]), str(row["number"])


def _text(content: bytes) -> str:
    doc = Document(io.BytesIO(content))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


EVERY_LETTER: list[tuple[LetterKind, dict[str, Any]]] = [
    (LetterKind.UNDANGAN, {"mediation_at": "2026-03-09T09:00", "place": "Ruang Mediasi"}),
    (LetterKind.PEMBERITAHUAN, {"variant": "rejected", "reason": "Bukan kasus mediasi"}),
    (LetterKind.PEMBERITAHUAN, {"variant": "cannot_proceed"}),
    (LetterKind.TUGAS, {"pendamping": "Rina Pendamping", "place": "Polres"}),
    (LetterKind.RUJUKAN, {"destination": "police"}),
    (LetterKind.RUJUKAN, {"destination": "hospital"}),
    (LetterKind.RUJUKAN, {"destination": "court"}),
    (LetterKind.RUJUKAN, {"destination": "psychologist"}),
    (LetterKind.BERITA_ACARA, {"agreement_points": ["Terlapor berhenti memukul", "Konseling"]}),
    (LetterKind.REKAM_KASUS, {"follow_up": ["Konseling psikologis lanjutan"]}),
]


async def test_every_letter_has_number_roles_and_indonesian_date(h: Harness) -> None:
    case_id, number = await _case(h)
    svc = h.rt.services
    for kind, params in EVERY_LETTER:
        letter = await generate_letter(
            svc, case_id, kind, actor_user_id=await h.person(TNG_ADMIN), params=params
        )
        assert letter.content[:4] == b"PK\x03\x04", kind
        assert letter.filename.endswith(".docx") and "/" not in letter.filename
        text = _text(letter.content)
        assert number in text, kind
        assert letter.number in text, kind
        for role in ROLES:
            assert role in text, (kind, role)
        assert LONG_DATE.search(text), kind
        assert "Senin, 2 Maret 2026" in text, kind  # the fake clock's day, through Babel
        # names from the decrypted case details; letterhead from the office profile
        assert "Melati" in text and "Budi Santoso" in text, kind
        assert "UPTD PPA KOTA TANGERANG" in text and "021-55764955" in text, kind
        assert "{{" not in text and "{%" not in text, kind
    letters = await list_letters(svc, case_id)
    assert [x.kind for x in letters] == [k.value for k, _ in EVERY_LETTER]


async def test_letter_variants_and_minutes(h: Harness) -> None:
    case_id, _ = await _case(h)
    svc = h.rt.services

    async def text(kind: LetterKind, **params: object) -> str:
        letter = await generate_letter(
            svc, case_id, kind, actor_user_id=await h.person(TNG_ADMIN), params=params
        )
        return _text(letter.content)

    assert "TIDAK DAPAT DITERIMA" in await text(LetterKind.PEMBERITAHUAN, variant="rejected")
    refused = await text(LetterKind.PEMBERITAHUAN, variant="cannot_proceed")
    assert "TIDAK DAPAT DILAKSANAKAN" in refused and "DITERIMA" not in refused
    assert "Kepolisian" in await text(LetterKind.RUJUKAN, destination="police")
    assert "visum" in await text(LetterKind.RUJUKAN, destination="hospital")
    assert "Pengadilan" in await text(LetterKind.RUJUKAN, destination="court")
    assert "Psikolog" in await text(LetterKind.RUJUKAN, destination="psychologist")
    invite = await text(
        LetterKind.UNDANGAN, mediation_at="2026-03-10T13:30", place="Kantor UPTD PPA"
    )
    assert "Selasa, 10 Maret 2026" in invite and "13.30 WIB" in invite
    assert "Kantor UPTD PPA" in invite
    minutes = await text(
        LetterKind.BERITA_ACARA,
        agreement_points=["Terlapor meminta maaf", "Terlapor tidak mengulangi"],
        mediator="Dewi Mediator",
    )
    assert "1. Terlapor meminta maaf" in minutes and "2. Terlapor tidak mengulangi" in minutes
    m = re.search(r"dibuat rangkap (\d+), masing-masing pihak mendapat salinan", minutes)
    assert m is not None
    doc = Document(
        io.BytesIO((await load_letter(svc, (await list_letters(svc, case_id))[-1].id)).content)
    )
    signature_rows = [r.cells[1].text for r in doc.tables[-1].rows[1:]]
    assert int(m[1]) == len(signature_rows)
    for role in ("Pelapor", "Korban", "Terlapor", "Pendamping Korban", "Mediator", "Manajer Kasus"):
        assert role in signature_rows
    # the victim is 15: a parent or guardian signs too
    assert "Orang Tua / Wali Korban" in signature_rows
    assert "Dewi Mediator" in minutes
    record = await text(LetterKind.REKAM_KASUS, follow_up=["Rujukan psikolog"])
    assert "Kronologi" in record and "Pengaduan diterima" in record
    assert "1. Rujukan psikolog" in record and "Rencana Tindak Lanjut" in record


async def test_numbers_increase_per_office_kind_and_year(h: Harness, clock: FakeClock) -> None:
    tng_case, _ = await _case(h, 555001, "TNG")
    pkl_case, _ = await _case(h, 555002, "PKL")
    svc = h.rt.services

    async def num(case_id: int, kind: LetterKind, user: int, **params: object) -> str:
        letter = await generate_letter(
            svc, case_id, kind, actor_user_id=await h.person(user), params=params
        )
        return letter.number

    assert await num(tng_case, LetterKind.UNDANGAN, TNG_ADMIN) == "001/UND/PPA-TNG/III/2026"
    assert await num(tng_case, LetterKind.UNDANGAN, TNG_ADMIN) == "002/UND/PPA-TNG/III/2026"
    assert await num(tng_case, LetterKind.TUGAS, TNG_ADMIN) == "001/ST/PPA-TNG/III/2026"
    assert await num(pkl_case, LetterKind.UNDANGAN, PKL_PETUGAS) == "001/UND/PPA-PKL/III/2026"
    clock.set(datetime(2026, 11, 2, 3, 0, tzinfo=UTC))
    assert await num(tng_case, LetterKind.UNDANGAN, TNG_ADMIN) == "003/UND/PPA-TNG/XI/2026"
    clock.set(datetime(2027, 1, 4, 3, 0, tzinfo=UTC))
    assert await num(tng_case, LetterKind.UNDANGAN, TNG_ADMIN) == "001/UND/PPA-TNG/I/2027"
    # a refused letter does not use up a number
    with pytest.raises(ValueError):
        await num(tng_case, LetterKind.RUJUKAN, TNG_ADMIN, destination="dukun")
    assert await num(tng_case, LetterKind.RUJUKAN, TNG_ADMIN, destination="court") == (
        "001/RUJ/PPA-TNG/I/2027"
    )


def test_roman_months_and_number_format() -> None:
    assert [roman(m) for m in (1, 3, 4, 9, 12)] == ["I", "III", "IV", "IX", "XII"]
    assert letter_number("TNG", "surat_undangan_mediasi", 1, 3, 2026) == "001/UND/PPA-TNG/III/2026"
    with pytest.raises(ValueError):
        letter_number("TNG", "surat_tugas", 1, 13, 2026)


async def test_stored_encrypted_audited_and_only_for_staff(h: Harness) -> None:
    case_id, _ = await _case(h)
    svc = h.rt.services
    letter = await generate_letter(
        svc, case_id, LetterKind.TUGAS, actor_user_id=await h.person(TNG_KETUA), params={}
    )
    row = await h.rt.db.fetchone("SELECT * FROM letters WHERE id = ?", (letter.id,))
    assert row is not None
    assert row["content_enc"] != letter.content and not row["content_enc"].startswith(b"PK")
    assert (
        row["created_by"] == await h.person(TNG_KETUA)
        and row["office_id"] == "TNG"
        and row["year"] == 2026
    )
    loaded = await load_letter(svc, letter.id)
    assert loaded.content == letter.content and loaded.number == letter.number
    audit = await h.rt.db.fetchall("SELECT * FROM audit_log WHERE action = 'letter_generated'")
    assert len(audit) == 1 and audit[0]["case_id"] == case_id
    assert letter.number in audit[0]["detail"] and "Melati" not in audit[0]["detail"]
    assert (await verify_chain(h.rt.db.conn))[1] is None
    with pytest.raises(PermissionError):
        await generate_letter(
            svc, case_id, LetterKind.TUGAS, actor_user_id=await h.person(STRANGER), params={}
        )
    with pytest.raises(PermissionError):  # staff of another office
        await generate_letter(
            svc, case_id, LetterKind.TUGAS, actor_user_id=await h.person(PKL_PETUGAS)
        )
    with pytest.raises(LookupError):
        await load_letter(svc, 424242)
    assert len(await list_letters(svc, case_id)) == 1


async def test_send_letter_sends_the_docx(h: Harness) -> None:
    case_id, _ = await _case(h)
    letter = await generate_letter(
        h.rt.services,
        case_id,
        LetterKind.REKAM_KASUS,
        actor_user_id=await h.person(TNG_ADMIN),
        params={},
    )
    await h.send(TNG_ADMIN, "/start")  # the staff member has opened a chat with the bot
    await send_letter(h.rt.application.bot, TNG_ADMIN, await load_letter(h.rt.services, letter.id))
    sent = h.fake.last_message(TNG_ADMIN)
    assert sent.kind == "document" and sent.document is not None
    assert sent.document[0] == letter.filename
    assert sent.document[1] == letter.content
