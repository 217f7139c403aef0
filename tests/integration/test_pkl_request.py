"""Pekalongan seed 002 item 1: the procedure starts at the applicant's request, recorded on a
case; the duplicate mediation at the end of case management is refused (the plan's check)."""

from __future__ import annotations

from bot.services.workflow import Outcome
from bot.services.workflow.requests import NOT_ON_REQUEST
from bot.services.workflow.steps import ON_THE_PLAN
from tests.integration.seed_support import WD
from tests.integration.workflow_support import (
    IDS,
    PKL,
    TNG,
    Env,
    dispose,
    do,
    env,
    new_case,
    open_step,
    scalar,
)

__all__ = ["env"]  # the fixture, re-used


async def _instance(e: Env, cid: int, sop: str) -> list[int]:
    return [p.instance.id for p in await e.wf.case_progress(cid) if p.instance.sop_key == sop]


async def test_the_request_starts_pkl_mediasi_and_its_totals_count_from_it(env: Env) -> None:
    cid = await new_case(env, "PKL")
    env.clock.advance(hours=2)
    asked = env.clock.now()
    res = await env.wf.record_request(cid, PKL["petugas"], "mediation", "Permohonan lisan")
    assert res.ok and res.params["recorded"] is True, res
    plan = await env.wf.case_plan(cid)
    assert [(s.kind, s.status) for s in plan.services] == [("mediation", "running")]
    [inst] = [p.instance for p in await env.wf.case_progress(cid)
              if p.instance.sop_key == "pkl_mediasi"]  # fmt: skip
    assert inst.started_at == asked
    # the recording is the request step, done by the complaint officer; the Ketua LP-PAR is next
    steps = {r.step_key: r for p in await env.wf.case_progress(cid) for r in p.steps
             if p.instance.id == inst.id}  # fmt: skip
    assert steps["request"].status == "done" and steps["request"].completed_by == PKL["petugas"]
    consider = await open_step(env, cid, "consider")
    assert consider.roles == ("ketua",)
    await open_step(env, cid, "first_response")  # the intake goes on beside it
    calendar = env.svc.calendars["PKL"]
    states = {d.state.deadline.key: d.state for d in await env.wf.sop_deadlines(cid)}
    assert states["decision"].due_at == calendar.add(asked, WD(5))
    assert states["completion"].due_at == calendar.add(asked, WD(14))
    audit = "SELECT COUNT(*) FROM audit_log WHERE action = 'request_recorded' AND case_id = ?"
    assert await scalar(env, audit, cid) == 1


async def test_a_case_manager_records_it_and_the_officer_passes_it_on(env: Env) -> None:
    cid = await new_case(env, "PKL")
    res = await env.wf.record_request(cid, PKL["mk"], "mediation")
    assert res.ok and res.params["recorded"] is False
    request = await open_step(env, cid, "request")  # the complaint officer's step stays open
    assert (await env.wf.complete_step(request.id, PKL["petugas"], report="Diteruskan")).ok
    await open_step(env, cid, "consider")


async def test_the_request_is_refused_where_the_law_or_the_office_says_no(env: Env) -> None:
    tpks = await new_case(env, "PKL", violence=["sexual"])
    refused = await env.wf.record_request(tpks, PKL["petugas"], "mediation")
    assert refused.outcome is Outcome.NOT_ELIGIBLE and "23" in refused.params["articles"]
    assert await _instance(env, tpks, "pkl_mediasi") == []
    sql = "SELECT COUNT(*) FROM audit_log WHERE action = 'refused:mediation' AND case_id = ?"
    assert await scalar(env, sql, tpks) == 1
    other = await new_case(env, "PKL", key="k2")
    outsider = await env.wf.record_request(other, PKL["mediator"], "mediation")
    assert outsider.outcome is Outcome.NOT_ALLOWED
    assert (await env.wf.record_request(other, PKL["petugas"], "mediation")).ok
    twice = await env.wf.record_request(other, PKL["petugas"], "mediation")
    assert twice.outcome is Outcome.INVALID  # already running
    tng = await new_case(env, "TNG", key="k3")
    res = await env.wf.record_request(tng, TNG["petugas"], "mediation")
    assert res.outcome is Outcome.INVALID and res.message == NOT_ON_REQUEST


async def test_case_management_cannot_choose_a_mediation_already_on_the_plan(env: Env) -> None:
    cid = await new_case(env, "PKL")
    assert (await env.wf.record_request(cid, PKL["petugas"], "mediation")).ok
    ids = IDS["PKL"]
    await do(env, cid, "first_response", ids["petugas"])
    await dispose(env, cid, "PKL")
    await do(env, cid, "serve", ids["serve"])
    await do(env, cid, "plan", ids["mk"])
    await do(env, cid, "record_in_system", ids["admin"])
    choice = await open_step(env, cid, "case_management")
    dup = await env.wf.complete_step(choice.id, ids["mk"], "mediation", "Mediasi")
    assert dup.outcome is Outcome.INVALID and dup.message == ON_THE_PLAN
    assert len(await _instance(env, cid, "pkl_mediasi")) == 1
    assert (await open_step(env, cid, "case_management")).id == choice.id  # still open
    ok = await env.wf.complete_step(choice.id, ids["mk"], "accompaniment", "Pendampingan")
    assert ok.ok
    plan = await env.wf.case_plan(cid)
    assert sorted(s.kind for s in plan.services) == ["accompaniment", "mediation"]
