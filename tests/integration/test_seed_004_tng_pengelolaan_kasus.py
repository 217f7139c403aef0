"""Seed 004 (Tangerang, SOP Pengelolaan Kasus): one test per seed step (see docs/SOPS.md)."""

from __future__ import annotations

from tests.integration.seed_support import HOURS, MIN, WD, check_step, letter_text
from tests.integration.workflow_support import TNG, Env, do, env, new_case, open_step

__all__ = ["env"]  # the fixture, re-used

SOP = "tng_pengelolaan_kasus"


async def _to(e: Env, key: str) -> int:
    cid = await new_case(e, "TNG")
    await do(e, cid, "first_response", TNG["petugas"])
    for step, who in (("dispose", "ketua"), ("serve", "psikolog"), ("plan", "mk")):
        if step == key:
            return cid
        await do(e, cid, step, TNG[who], report="Selesai.")
    return cid


async def test_004_1_dispose_with_the_lembar_disposisi_naming_the_expert(env: Env) -> None:
    cid = await _to(env, "dispose")
    assert env.wf.sops[SOP].step("dispose").output_document == "lembar_disposisi"
    before = await letter_text(env, cid, "lembar_disposisi", TNG["ketua"])
    assert "LEMBAR DISPOSISI" in before and "Konselor Hukum / Psikolog / Mediator" in before
    await check_step(env, cid, "dispose", doer=TNG["ketua"],
                     outsiders=(TNG["petugas"], TNG["mk"]), time=WD(1))  # fmt: skip
    serve = await open_step(env, cid, "serve")
    assert (await env.wf.dispose(cid, TNG["ketua"], serve.id, TNG["psikolog"])).ok
    named = await letter_text(env, cid, "lembar_disposisi", TNG["ketua"])
    assert "Bidang\t: Psikolog" in named


async def test_004_2_serve_with_the_signed_consent_and_repeat(env: Env) -> None:
    cid = await _to(env, "serve")
    step = env.wf.sops[SOP].step("serve")
    assert "Surat pernyataan persetujuan" in step.inputs
    assert step.documents == ("laporan", "surat_pernyataan_persetujuan")
    consent = await letter_text(env, cid, "surat_pernyataan_persetujuan", TNG["psikolog"])
    assert "SURAT PERNYATAAN PERSETUJUAN" in consent and "Siti Rahma" in consent
    assert "orang tua / wali" not in consent  # an adult victim signs herself
    # "dapat dilakukan lebih dari satu kali": repeat opens the service again
    await check_step(env, cid, "serve", doer=TNG["psikolog"],
                     outsiders=(TNG["ketua"], TNG["petugas"]), time=HOURS(6),
                     outcome="repeat")  # fmt: skip
    await check_step(env, cid, "serve", doer=TNG["serve"], outsiders=(TNG["pendamping"],),
                     time=HOURS(6))  # fmt: skip


async def test_004_3_plan_by_the_case_manager(env: Env) -> None:
    cid = await _to(env, "plan")
    assert env.wf.sops[SOP].step("plan").output_document == "rekam_kasus"
    await check_step(env, cid, "plan", doer=TNG["mk"],
                     outsiders=(TNG["pendamping"], TNG["psikolog"]), time=WD(1))  # fmt: skip


async def test_004_4_record_in_system_returns_to_the_case_manager(env: Env) -> None:
    cid = await _to(env, "record_in_system")
    await check_step(env, cid, "record_in_system", doer=TNG["admin"],
                     outsiders=(TNG["mk"],), time=MIN(20))  # fmt: skip
    # the glue's case-management step is open again for the choice of the follow-up service
    assert (await open_step(env, cid, "case_management")).status == "open"
