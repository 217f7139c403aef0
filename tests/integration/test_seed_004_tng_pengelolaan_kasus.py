"""Seed 004 (Tangerang, SOP Pengelolaan Kasus): one test per seed step (see docs/SOPS.md)."""

from __future__ import annotations

from bot.services.workflow import Outcome
from bot.services.workflow.steps import NAME_NEXT
from tests.integration.seed_support import HOURS, MIN, WD, check_step, letter_text
from tests.integration.workflow_support import TNG, Env, dispose, do, env, new_case, open_step

__all__ = ["env"]  # the fixture, re-used

SOP = "tng_pengelolaan_kasus"


async def _to(e: Env, key: str) -> int:
    cid = await new_case(e, "TNG")
    await do(e, cid, "first_response", TNG["petugas"])
    for step, who in (("dispose", "ketua"), ("serve", "psikolog"), ("plan", "mk")):
        if step == key:
            return cid
        if step == "dispose":
            await dispose(e, cid, "TNG", TNG["psikolog"])
            continue
        await do(e, cid, step, TNG[who], report="Selesai.")
    return cid


async def test_004_1_dispose_with_the_lembar_disposisi_naming_the_expert(env: Env) -> None:
    cid = await _to(env, "dispose")
    step = env.wf.sops[SOP].step("dispose")
    assert step.output_document == "lembar_disposisi" and step.names_next
    before = await letter_text(env, cid, "lembar_disposisi", TNG["ketua"])
    assert "LEMBAR DISPOSISI" in before and "Konselor Hukum / Psikolog / Mediator" in before
    row = await open_step(env, cid, "dispose")
    calendar = env.svc.calendars["TNG"]
    assert row.due_at == calendar.add(row.opened_at, WD(1))
    # the disposition must name the expert (seed: "Mendisposisikan ... kepada tenaga ahli"):
    # neither a plain Done nor the head's "without its result" finishes it
    plain = await env.wf.complete_step(row.id, TNG["ketua"], report="Disposisi")
    assert plain.outcome is Outcome.INVALID and plain.message == NAME_NEXT
    waived = await env.wf.complete_without_output(row.id, TNG["ketua"], "Tanpa lembar")
    assert waived.outcome is Outcome.INVALID and waived.message == NAME_NEXT
    # the Ketua Harian disposes to a named expert; nobody else, and only to an expert
    denied = await env.wf.dispose_to(row.id, TNG["mk"], TNG["psikolog"])
    assert denied.outcome is Outcome.NOT_ALLOWED
    wrong = await env.wf.dispose_to(row.id, TNG["ketua"], TNG["pendamping"])
    assert wrong.outcome is Outcome.INVALID
    assert (await env.wf.dispose_to(row.id, TNG["ketua"], TNG["psikolog"])).ok
    serve = await open_step(env, cid, "serve")
    assert [t.id for t in await env.wf.tasks_for(TNG["psikolog"])] == [serve.id]
    assert serve.id not in [t.id for t in await env.wf.tasks_for(TNG["serve"])]  # not the others'
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
