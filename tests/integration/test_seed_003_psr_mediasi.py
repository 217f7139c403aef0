"""Seed 003 (Pasuruan, Layanan Mediasi): one test per seed step (see docs/SOPS.md)."""

from __future__ import annotations

from dataclasses import replace

from bot.domain.office import Role
from bot.services.workflow import Outcome
from tests.integration.seed_support import CD, at_step, check_step, letter_text, wib
from tests.integration.workflow_support import PSR, Env, do, env, open_step

__all__ = ["env"]  # the fixture, re-used

SOP = "psr_mediasi"
HEAD_ONLY, COORDINATOR = 300000001, 300000009  # split: head of the unit, coordinator


async def _scheduled(e: Env) -> tuple[int, int]:
    """A case at `mediate`, its session on Thursday 12 March 10:00."""
    cid, invite = await at_step(e, SOP, "invite")
    for role in ("korban", "terlapor"):
        assert (await e.wf.record_party(cid, PSR["pendamping"], role, False, False, False,
                                        False)).ok  # fmt: skip
    assert (await e.wf.schedule_mediation(invite.id, PSR["pendamping"], wib(12, 10), "UPTD")).ok
    await do(e, cid, "invite", PSR["pendamping"])
    return cid, (await open_step(e, cid, "mediate")).id


async def test_003_1_assess_by_the_companion(env: Env) -> None:
    cid, row = await at_step(env, SOP, "assess")
    assert row.roles == ("pendamping",)
    await check_step(env, cid, "assess", doer=PSR["pendamping"],
                     outsiders=(PSR["mediator"], PSR["petugas"]), time=CD(1))  # fmt: skip
    [state] = [d.state for d in await env.wf.sop_deadlines(cid)]  # "14 Hari" tracked
    [inst] = [p.instance for p in await env.wf.case_progress(cid) if p.instance.sop_key == SOP]
    assert state.deadline.key == "completion"
    assert state.due_at == env.svc.calendars["PSR"].add(inst.started_at, CD(14))


async def test_003_2_assess_both_parties(env: Env) -> None:
    cid, _ = await at_step(env, SOP, "assess_parties")
    await check_step(env, cid, "assess_parties", doer=PSR["pendamping"],
                     outsiders=(PSR["mediator"],), time=CD(2))  # fmt: skip


async def test_003_3_report_plan_closed_only_by_the_coordinator(env: Env) -> None:
    office = env.svc.offices["PSR"]
    roster = {**office.roster, HEAD_ONLY: frozenset({Role.KETUA}),
              COORDINATOR: frozenset({Role.KOORDINATOR})}  # fmt: skip
    env.svc.offices["PSR"] = replace(office, roster=roster)
    cid, row = await at_step(env, SOP, "report_plan")
    assert row.roles == ("pendamping", "koordinator")
    # the companion reports, the coordinator orders: decided_by gates "done" too
    await check_step(env, cid, "report_plan", doer=COORDINATOR,
                     outsiders=(PSR["pendamping"], HEAD_ONLY), time=CD(1))  # fmt: skip


async def test_003_4_brief_the_certified_mediator(env: Env) -> None:
    cid, _ = await at_step(env, SOP, "brief_mediator")
    await check_step(env, cid, "brief_mediator", doer=PSR["pendamping"],
                     outsiders=(PSR["mediator"],), time=CD(1))  # fmt: skip


async def test_003_5_invite_both_parties_rules_fail_closed(env: Env) -> None:
    cid, invite = await at_step(env, SOP, "invite", disability="yes")
    p, when = PSR["pendamping"], wib(12, 10)
    res = await env.wf.schedule_mediation(invite.id, p, when, "UPTD")
    assert res.outcome is Outcome.RULE_FAILED and "parties_not_recorded" in res.params["rules"]
    # the victim is recorded without special needs, but the intake says she has a disability
    assert (await env.wf.record_party(cid, p, "korban", False, False, False, False)).ok
    # a child party (the couple's child) whose only companion is the reported parent
    child = await env.wf.record_party(cid, p, "pelapor", True, False, True, False,
                                      guardian_is_terlapor=True)  # fmt: skip
    assert (await env.wf.record_party(cid, p, "terlapor", False, False, False, False)).ok
    res = await env.wf.schedule_mediation(invite.id, p, when, "UPTD")
    assert res.outcome is Outcome.RULE_FAILED
    assert set(res.params["rules"]) == {"guardian_is_reported_party",
                                        "special_needs_party_needs_companion"}  # fmt: skip
    [victim] = [x for x in await env.wf.parties(cid) if x.role == "korban"]
    assert (await env.wf.record_party(cid, p, "korban", False, False, False, True,
                                      party_id=victim.id)).ok  # fmt: skip
    assert (await env.wf.record_party(cid, p, "pelapor", True, False, True, False,
                                      party_id=child.params["party_id"])).ok  # fmt: skip
    assert (await env.wf.schedule_mediation(invite.id, p, when, "UPTD")).ok
    step = env.wf.sops[SOP].step("invite")
    assert step.output_to == "para_pihak"
    text = await letter_text(env, cid, "surat_undangan_mediasi", p, recipient=step.output_to)
    assert "Para Pihak:" in text and "Terlapor Budi beserta Pendamping" in text
    assert "Mediator" in text.split("Hari, tanggal")[0]
    await check_step(env, cid, "invite", doer=PSR["pendamping"], outsiders=(PSR["mediator"],),
                     time=CD(2))  # fmt: skip


async def test_003_6_mediate_at_the_session_with_the_agreement(env: Env) -> None:
    cid, mediate = await _scheduled(env)
    row = await open_step(env, cid, "mediate")
    assert row.due_at == wib(13, 10)  # one day from the session
    refused = await env.wf.complete_step(mediate, PSR["petugas"], "done", "x")
    assert refused.outcome is Outcome.NOT_ALLOWED
    bare = await env.wf.complete_step(mediate, PSR["mediator"], "done")
    assert bare.outcome is Outcome.INVALID  # the Berita Acara is this step's result
    points = "1. Nafkah anak dibayar tiap bulan\n2. Tidak ada kekerasan lagi"
    assert (await env.wf.complete_step(mediate, PSR["mediator"], "done", points)).ok
    text = await letter_text(env, cid, "berita_acara_mediasi", PSR["pendamping"])
    assert "1. Nafkah anak dibayar tiap bulan" in text and "2. Tidak ada kekerasan lagi" in text


async def test_003_7_report_the_berita_acara(env: Env) -> None:
    cid, _ = await _scheduled(env)
    await do(env, cid, "mediate", PSR["mediator"], report="Sepakat")
    step = env.wf.sops[SOP].step("report_result")
    assert step.documents == ("laporan", "berita_acara_mediasi")
    await check_step(env, cid, "report_result", doer=PSR["pendamping"],
                     outsiders=(PSR["mediator"],), time=CD(1))  # fmt: skip


async def test_003_8_monitor_the_agreement(env: Env) -> None:
    cid, _ = await at_step(env, SOP, "monitor")
    await check_step(env, cid, "monitor", doer=PSR["pendamping"],
                     outsiders=(PSR["mediator"], PSR["mk"]), time=CD(3))  # fmt: skip


async def test_003_9_case_manager_decides_termination(env: Env) -> None:
    cid, _ = await at_step(env, SOP, "report_monitoring")
    await check_step(env, cid, "report_monitoring", doer=PSR["mk"],
                     outsiders=(PSR["pendamping"],), time=CD(1),
                     outcome="continue_monitoring")  # fmt: skip
    await do(env, cid, "monitor", PSR["pendamping"])
    await check_step(env, cid, "report_monitoring", doer=PSR["mk"],
                     outsiders=(PSR["pendamping"],), time=CD(1), outcome="terminate")  # fmt: skip
    assert (await open_step(env, cid, "document")).status == "open"


async def test_003_10_document_and_the_14_days_met(env: Env) -> None:
    cid, _ = await at_step(env, SOP, "document")
    await check_step(env, cid, "document", doer=PSR["pendamping"],
                     outsiders=(PSR["mediator"],), time=CD(1))  # fmt: skip
    [state] = [d.state for d in await env.wf.sop_deadlines(cid)]
    assert state.met and not state.overdue(env.clock.now())
