"""Seed 002 (Pekalongan, Standar Pelayanan Mediasi): one test per seed step (docs/SOPS.md)."""

from __future__ import annotations

from dataclasses import replace

from bot.domain.office import Role
from bot.domain.sop_deadlines import DeadlineState
from bot.services.workflow import Outcome
from tests.integration.seed_support import WD, at_step, check_step, letter_text, wib
from tests.integration.workflow_support import PKL, Env, do, env, open_step

__all__ = ["env"]  # the fixture, re-used

SOP = "pkl_mediasi"
LPPAR, KADIS = 200000001, 200000009  # split: one Ketua LP-PAR, one Kepala Dinas


def _split_heads(e: Env) -> None:
    """Two people for the two levels (the example office gives both to one person)."""
    office = e.svc.offices["PKL"]
    roster = {**office.roster, LPPAR: frozenset({Role.KETUA}),
              KADIS: frozenset({Role.KEPALA_DINAS})}  # fmt: skip
    e.svc.offices["PKL"] = replace(office, roster=roster)


async def _deadlines(e: Env, cid: int) -> dict[str, DeadlineState]:
    return {d.state.deadline.key: d.state for d in await e.wf.sop_deadlines(cid)}


async def test_002_1_request_recorded_and_the_totals_tracked(env: Env) -> None:
    cid, _row = await at_step(env, SOP, "request")
    calendar = env.svc.calendars["PKL"]
    [inst] = [p.instance for p in await env.wf.case_progress(cid) if p.instance.sop_key == SOP]
    states = {d.state.deadline.key: d.state for d in await env.wf.sop_deadlines(cid)}
    assert states["decision"].due_at == calendar.add(inst.started_at, WD(5))
    assert states["completion"].due_at == calendar.add(inst.started_at, WD(14))
    assert not states["decision"].met and not states["completion"].met
    await check_step(env, cid, "request", doer=PKL["petugas"],
                     outsiders=(PKL["mediator"], PKL["admin"]), time=WD(1))  # fmt: skip


async def test_002_2_consider_by_the_ketua_lp_par_only(env: Env) -> None:
    _split_heads(env)
    cid, _ = await at_step(env, SOP, "consider")
    await check_step(env, cid, "consider", doer=LPPAR, outsiders=(KADIS, PKL["admin"]),
                     time=WD(2))  # fmt: skip


async def test_002_3_decide_by_the_kepala_dinas_only(env: Env) -> None:
    _split_heads(env)
    cid, _ = await at_step(env, SOP, "consider")
    await do(env, cid, "consider", LPPAR, report="Rekomendasi: terima")
    decide = await open_step(env, cid, "decide")
    assert decide.roles == ("kepala_dinas",)
    no_reason = await env.wf.decide(decide.id, KADIS, "rejected")
    assert no_reason.outcome is Outcome.INVALID  # a rejection needs its reason
    await check_step(env, cid, "decide", doer=KADIS, outsiders=(LPPAR, PKL["petugas"]),
                     time=WD(1), outcome="accepted")  # fmt: skip
    outcomes = {r.step_key: r.outcome for p in await env.wf.case_progress(cid) for r in p.steps}
    assert outcomes["consider"] == "done" and outcomes["decide"] == "accepted"  # two decisions


async def test_002_4_invite_letter_to_the_applicant(env: Env) -> None:
    cid, _ = await at_step(env, SOP, "invite")
    step = env.wf.sops[SOP].step("invite")
    assert step.output_to == "pemohon"
    text = await letter_text(env, cid, "surat_undangan_mediasi", PKL["admin"],
                             recipient=step.output_to)  # fmt: skip
    assert "Pemohon: Siti Rahma" in text and "Terlapor: Budi" not in text.split("di tempat")[0]
    states = await _deadlines(env, cid)
    decision = states["decision"]
    assert decision.met and not decision.overdue(env.clock.now())
    await check_step(env, cid, "invite", doer=PKL["admin"], outsiders=(PKL["mediator"],),
                     time=WD(1))  # fmt: skip


async def test_002_5_coordinate_not_cooperative_goes_to_the_notice(env: Env) -> None:
    cid, _ = await at_step(env, SOP, "coordinate")
    await check_step(env, cid, "coordinate", doer=PKL["ketua"],
                     outsiders=(PKL["admin"], PKL["mediator"]), time=WD(3),
                     outcome="not_cooperative", report="Terlapor menolak hadir")  # fmt: skip
    await open_step(env, cid, "notify")
    text = await letter_text(env, cid, "surat_pemberitahuan", PKL["admin"])
    assert "TIDAK DAPAT DILAKSANAKAN" in text and "Terlapor menolak hadir" in text


async def test_002_6_notify_carries_the_rejection_reason(env: Env) -> None:
    cid, _ = await at_step(env, SOP, "decide")
    decide = await open_step(env, cid, "decide")
    assert (await env.wf.decide(decide.id, PKL["ketua"], "rejected", "Bukan ranah mediasi")).ok
    text = await letter_text(env, cid, "surat_pemberitahuan", PKL["admin"])
    assert "TIDAK DAPAT DITERIMA" in text and "Alasan / keterangan: Bukan ranah mediasi" in text
    await check_step(env, cid, "notify", doer=PKL["admin"], outsiders=(PKL["mediator"],),
                     time=WD(1))  # fmt: skip
    progress = await env.wf.case_progress(cid)
    assert [p.instance.status for p in progress if p.instance.sop_key == SOP] == ["done"]


async def test_002_7_prepare_by_the_technical_team_secretary(env: Env) -> None:
    cid, _ = await at_step(env, SOP, "prepare")
    await check_step(env, cid, "prepare", doer=PKL["admin"],
                     outsiders=(PKL["mediator"], PKL["petugas"]), time=WD(2))  # fmt: skip


async def test_002_8_mediate_from_the_session_and_completion_met(env: Env) -> None:
    cid, invite = await at_step(env, SOP, "invite")
    session = wib(12, 10)
    assert (await env.wf.schedule_mediation(invite.id, PKL["admin"], session, "Kantor")).ok
    for key, who in (("invite", "admin"), ("coordinate", "ketua"), ("prepare", "admin")):
        await do(env, cid, key, PKL[who], report="Selesai.")
    mediate = await open_step(env, cid, "mediate")
    assert mediate.due_at == env.svc.calendars["PKL"].add(session, WD(4))
    refused = await env.wf.complete_step(mediate.id, PKL["admin"], "done", "x")
    assert refused.outcome is Outcome.NOT_ALLOWED
    assert (await env.wf.complete_step(mediate.id, PKL["mediator"], "done", "Sepakat")).ok
    states = await _deadlines(env, cid)
    completion = states["completion"]
    assert completion.met and not completion.overdue(env.clock.now())
