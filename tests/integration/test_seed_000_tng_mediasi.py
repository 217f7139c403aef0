"""Seed 000 (Tangerang, SOP Mediasi): one test per seed step (see docs/SOPS.md)."""

from __future__ import annotations

from bot.scheduler.sweep import sweep
from bot.services.workflow import Outcome
from tests.integration.seed_support import (
    HOURS,
    MIN,
    WD,
    at_step,
    check_step,
    kinds_to,
    letter_text,
    wib,
)
from tests.integration.workflow_support import TNG, Env, do, env, open_step, outbox

__all__ = ["env"]  # the fixture, re-used

SOP = "tng_mediasi"


async def _ordered(e: Env, session_day: int = 10) -> int:
    """A case whose Ketua set the session (a week ahead) at the order and finished it."""
    cid, order = await at_step(e, SOP, "order")
    res = await e.wf.schedule_mediation(order.id, TNG["ketua"], wib(session_day, 10), "Ruang A")
    assert res.ok, res
    await do(e, cid, "order", TNG["ketua"])
    return cid


async def test_000_1_order_ketua_sets_the_date_and_the_mediator_is_told(env: Env) -> None:
    cid, order = await at_step(env, SOP, "order")
    assert order.roles == ("ketua",)
    # the Ketua sets the mediation date at the order (the row's remark), not only the admin
    session = wib(10, 10)
    assert (await env.wf.schedule_mediation(order.id, TNG["ketua"], session, "Ruang A")).ok
    assert [m.scheduled_at for m in await env.wf.mediations(cid)] == [session]
    assert await kinds_to(env, "order_received") == []
    await check_step(env, cid, "order", doer=TNG["ketua"],
                     outsiders=(TNG["mediator"], TNG["admin"]), time=HOURS(2))  # fmt: skip
    # "Mediator telah menerima perintah": the mediator is told when ordered
    assert await kinds_to(env, "order_received") == [f"person:{TNG['mediator']}"]


async def test_000_2_invite_letter_to_the_reported_party(env: Env) -> None:
    cid = await _ordered(env)
    invite = await open_step(env, cid, "invite")
    step = env.wf.sops[SOP].step("invite")
    assert step.output_document == "surat_undangan_mediasi" and step.output_to == "terlapor"
    text = await letter_text(env, cid, "surat_undangan_mediasi", TNG["admin"],
                             recipient=step.output_to)  # fmt: skip
    assert "Terlapor: Budi" in text
    # the admin may still move the session the Ketua set, while the invitation is open
    [m] = await env.wf.mediations(cid)
    moved = await env.wf.reschedule_mediation(m.id, TNG["admin"], wib(11, 10))
    assert moved.ok, moved
    # scheduling again at the invitation moves the same session (no second one)
    again = await env.wf.schedule_mediation(invite.id, TNG["admin"], wib(12, 10), "Ruang B")
    assert again.ok and [x.scheduled_at for x in await env.wf.mediations(cid)] == [wib(12, 10)]
    await check_step(env, cid, "invite", doer=TNG["admin"], outsiders=(TNG["mediator"],),
                     time=MIN(30))  # fmt: skip


async def test_000_3_mediate_counts_from_the_session_and_extends_one_day(env: Env) -> None:
    cid = await _ordered(env)  # session Tuesday 10 March 10:00, six working days ahead
    await do(env, cid, "invite", TNG["admin"])
    mediate = await open_step(env, cid, "mediate")
    assert mediate.roles == ("mediator",)
    assert mediate.due_at == wib(11, 10)  # "1 Hari" from the session, not from the invitation
    env.clock.set(wib(10, 9))  # the morning of the session: nothing is overdue
    await sweep(env.svc, env.clock.now())
    assert not [i for i in await outbox(env) if i.kind in ("step_overdue", "step_escalated")
                and i.payload.get("step_id") == mediate.id]  # fmt: skip
    # "waktu tambahan ketika dibutuhkan": one more working day on top of the due time
    assert (await env.wf.request_extension(mediate.id, TNG["mediator"])).ok
    granted = await env.wf.approve_extension(mediate.id, TNG["ketua"], True)
    assert granted.ok and (await open_step(env, cid, "mediate")).due_at == wib(12, 10)
    refused = await env.wf.complete_step(mediate.id, TNG["admin"], "done", "Laporan")
    assert refused.outcome is Outcome.NOT_ALLOWED
    assert (await env.wf.complete_step(mediate.id, TNG["mediator"], "done", "Laporan")).ok


async def test_000_4_case_record_by_the_complaint_officer(env: Env) -> None:
    cid = await _ordered(env)
    await do(env, cid, "invite", TNG["admin"])
    await do(env, cid, "mediate", TNG["mediator"], report="Laporan hasil proses mediasi")
    step = env.wf.sops[SOP].step("case_record")
    assert step.output_document == "rekam_kasus"
    assert "REKAM KASUS" in await letter_text(env, cid, "rekam_kasus", TNG["petugas"])
    await check_step(env, cid, "case_record", doer=TNG["petugas"],
                     outsiders=(TNG["mediator"], TNG["pendamping"]), time=WD(1))  # fmt: skip


async def test_000_5_record_in_system_by_the_admin_ends_the_sop(env: Env) -> None:
    cid = await _ordered(env)
    for key, who in (("invite", "admin"), ("mediate", "mediator"), ("case_record", "petugas")):
        await do(env, cid, key, TNG[who], report="Selesai.")
    await check_step(env, cid, "record_in_system", doer=TNG["admin"],
                     outsiders=(TNG["mediator"],), time=MIN(20))  # fmt: skip
    progress = await env.wf.case_progress(cid)
    assert [p.instance.status for p in progress if p.instance.sop_key == SOP] == ["done"]
