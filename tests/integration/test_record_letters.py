"""The letters of the plan's record services: the Surat Rujukan kept with a referral, the court
protection-order request (PKDRT Pasal 28-29) and the shelter admission record, each numbered
with the office's letterhead and stored with the case."""

from __future__ import annotations

import io

from docx import Document

from bot.reports.letters import list_letters
from bot.reports.record_letters import referral_letter, stay_letter
from bot.services import referrals, shelter
from bot.store.referrals import ReferralStore
from tests.integration.workflow_support import TNG, Env, env, new_case, scalar

__all__ = ["env"]  # the fixture, re-used


def text_of(content: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(content)).paragraphs)


async def facts(e: Env, rid: int) -> dict[str, object]:
    async with e.svc.db.reading() as conn:
        return await ReferralStore(e.svc.cipher).facts(conn, rid)


async def test_a_referral_keeps_its_surat_rujukan(env: Env) -> None:
    e = env
    cid = await new_case(e, "TNG")
    assert (await e.wf.add_services(cid, TNG["mk"], [("referral.legal_aid", TNG["pendamping"])])).ok
    rid = int(await scalar(e, "SELECT id FROM referrals WHERE case_id = ?", cid))
    letter = await referral_letter(e.svc, rid, TNG["pendamping"])
    assert letter.kind == "surat_rujukan" and "/RUJ/PPA-TNG/" in letter.number
    text = text_of(letter.content)
    assert "Lembaga Bantuan Hukum" in text and "UPTD PPA KOTA TANGERANG" in text
    assert "Siti Rahma" in text and "{{" not in text and "{%" not in text
    assert (await facts(e, rid))["letter_number"] == letter.number
    sql = "SELECT detail FROM audit_log WHERE action = 'referral_letter'"
    assert await scalar(e, sql) == f"referral {rid}: {letter.number}"


async def test_the_protection_order_request_to_the_court(env: Env) -> None:
    e = env
    cid = await new_case(e, "TNG")  # the husband: KDRT
    police = await referrals.refer(e.svc, cid, TNG["pendamping"], "police", "Polres Tangerang")
    assert police.referral_id is not None
    assert (await referrals.record_police_report(e.svc, police.referral_id, TNG["pendamping"],
                                                 "LP/B/123/III/2026")).ok  # fmt: skip
    assert (await e.wf.add_services(cid, TNG["mk"], [("protection", TNG["pendamping"])])).ok
    rid = int(await scalar(e, "SELECT id FROM referrals WHERE case_id = ? AND kind = 'court'",
                           cid))  # fmt: skip
    letter = await referral_letter(e.svc, rid, TNG["pendamping"])
    assert letter.kind == "surat_permohonan_perlindungan" and "/PPP/PPA-TNG/" in letter.number
    text = text_of(letter.content)
    assert "Pasal 28 dan Pasal 29" in text and "Undang-Undang Nomor 23 Tahun 2004" in text
    assert "Ketua Pengadilan Negeri" in text and "LP/B/123/III/2026" in text
    assert "Budi" in text and "Siti Rahma" in text and "{{" not in text


async def test_the_shelter_admission_record(env: Env) -> None:
    e = env
    cid = await new_case(e, "TNG")
    stay = await shelter.admit(e.svc, cid, TNG["ketua"], "Tidak keluar tanpa pendamping")
    assert stay.stay_id is not None
    letter = await stay_letter(e.svc, stay.stay_id, TNG["ketua"])
    assert letter.kind == "berita_acara_penerimaan_rumah_aman" and "/BARA/" in letter.number
    text = text_of(letter.content)
    assert "BERITA ACARA PENERIMAAN DI RUMAH AMAN" in text
    assert "Tidak keluar tanpa pendamping" in text and "Senin, 2 Maret 2026" in text
    assert [x.kind for x in await list_letters(e.svc, cid)] == [letter.kind]
