"""Seed 001 (Tangerang, SOP Pendampingan Korban): one test per seed step (see docs/SOPS.md)."""

from __future__ import annotations

from bot.domain.duration import Duration, Unit
from tests.integration.seed_support import HOURS, MIN, WD, at_step, check_step, letter_text
from tests.integration.workflow_support import TNG, Env, env, open_step

__all__ = ["env"]  # the fixture, re-used

SOP = "tng_pendampingan_korban"


async def test_001_1_recommend_by_the_ketua(env: Env) -> None:
    cid, row = await at_step(env, SOP, "recommend")
    assert row.roles == ("ketua",)
    assert env.wf.sops[SOP].step("recommend").alt_duration == Duration(2, Unit.HOURS)
    await check_step(env, cid, "recommend", doer=TNG["ketua"],
                     outsiders=(TNG["pendamping"], TNG["petugas"]), time=HOURS(1))  # fmt: skip


async def test_001_2_inform_client_by_the_companion(env: Env) -> None:
    cid, row = await at_step(env, SOP, "inform_client")
    assert row.roles == ("pendamping",)
    await check_step(env, cid, "inform_client", doer=TNG["pendamping"],
                     outsiders=(TNG["petugas"], TNG["mediator"]), time=HOURS(1))  # fmt: skip


async def test_001_3_letters_surat_tugas_and_rujukan_and_one_day_more(env: Env) -> None:
    cid, row = await at_step(env, SOP, "letters")
    step = env.wf.sops[SOP].step("letters")
    # "Surat Tugas dan atau Surat Rujukan": both letters are this step's outputs
    assert step.documents == ("surat_tugas", "surat_rujukan")
    assert "SURAT TUGAS" in await letter_text(env, cid, "surat_tugas", TNG["petugas"])
    referral = await letter_text(env, cid, "surat_rujukan", TNG["petugas"], destination="hospital")
    assert "visum" in referral.lower()
    # "1 Hari / waktu tambahan ketika dibutuhkan": an extension grants a working day, not 10 min
    assert row.due_at is not None
    assert (await env.wf.request_extension(row.id, TNG["petugas"])).ok
    assert (await env.wf.approve_extension(row.id, TNG["ketua"], True)).ok
    calendar = env.svc.calendars["TNG"]
    extended = await open_step(env, cid, "letters")
    assert extended.due_at == calendar.add(max(row.due_at, env.clock.now()), WD(1))
    assert (await env.wf.complete_step(row.id, TNG["petugas"], "done", "ST dan Rujukan")).ok


async def test_001_3_time_standard_is_ten_minutes(env: Env) -> None:
    cid, _ = await at_step(env, SOP, "letters")
    await check_step(env, cid, "letters", doer=TNG["petugas"],
                     outsiders=(TNG["pendamping"],), time=MIN(10))  # fmt: skip


async def test_001_4_accompany_by_the_companion(env: Env) -> None:
    cid, _row = await at_step(env, SOP, "accompany")
    assert env.wf.sops[SOP].step("accompany").inputs == (
        "Berkas Kasus", "Surat Perintah Tugas", "Surat Rujukan")  # fmt: skip
    await check_step(env, cid, "accompany", doer=TNG["pendamping"],
                     outsiders=(TNG["petugas"], TNG["ketua"]), time=WD(2))  # fmt: skip


async def test_001_5_case_record_ends_the_accompaniment(env: Env) -> None:
    cid, _row = await at_step(env, SOP, "case_record")
    assert env.wf.sops[SOP].step("case_record").output_document == "rekam_kasus"
    await check_step(env, cid, "case_record", doer=TNG["petugas"],
                     outsiders=(TNG["pendamping"],), time=MIN(20))  # fmt: skip
    progress = await env.wf.case_progress(cid)
    assert [p.instance.status for p in progress if p.instance.sop_key == SOP] == ["done"]
