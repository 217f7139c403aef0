"""Outputs the seeds name are needed to finish a step; only the head closes it without them,
giving the reason (audited)."""

from __future__ import annotations

from bot.reports import generate_letter
from bot.services.workflow import Outcome
from tests.integration.workflow_support import (
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


async def _at_dispose(e: Env) -> int:
    cid = await new_case(e, "TNG")
    await do(e, cid, "first_response", TNG["petugas"])
    return cid


async def test_output_needed_then_a_report_a_file_or_the_letter_is_enough(env: Env) -> None:
    cid = await _at_dispose(env)
    await dispose(env, cid, "TNG", TNG["psikolog"])  # the disposition names the expert
    serve = await open_step(env, cid, "serve")
    bare = await env.wf.complete_step(serve.id, TNG["psikolog"])
    assert bare.outcome is Outcome.INVALID and bare.params["output"].startswith("Laporan")
    assert (await open_step(env, cid, "serve")).status == "open"
    # a file is the result
    file = ("laporan.pdf", "application/pdf", b"%PDF-1.4 laporan")
    assert (await env.wf.complete_step(serve.id, TNG["psikolog"], file=file)).ok
    # the Rekam Kasus made at the step is its result
    plan = await open_step(env, cid, "plan")
    assert (await env.wf.complete_step(plan.id, TNG["mk"])).outcome is Outcome.INVALID
    await generate_letter(env.svc, cid, "rekam_kasus", actor_user_id=TNG["mk"])
    assert (await env.wf.complete_step(plan.id, TNG["mk"])).ok


async def test_only_the_head_closes_without_the_output_with_a_reason(env: Env) -> None:
    cid = await _at_dispose(env)
    await dispose(env, cid, "TNG", TNG["psikolog"])
    serve = await open_step(env, cid, "serve")
    refused = await env.wf.complete_without_output(serve.id, TNG["psikolog"], "Tidak sempat")
    assert refused.outcome is Outcome.NOT_ALLOWED
    no_reason = await env.wf.complete_without_output(serve.id, TNG["ketua"], "  ")
    assert no_reason.outcome is Outcome.INVALID
    assert (await env.wf.complete_without_output(serve.id, TNG["ketua"], "Klien pindah kota")).ok
    sql = "SELECT COUNT(*) FROM audit_log WHERE action = 'done_without_output'"
    assert await scalar(env, sql) == 1
    assert (await open_step(env, cid, "plan")).status == "open"
    # a step whose seed names no output document has nothing to waive
    first = await new_case(env, "TNG", key="k2")
    step = await open_step(env, first, "first_response")
    nothing = await env.wf.complete_without_output(step.id, TNG["ketua"], "Tidak perlu")
    assert nothing.outcome is Outcome.INVALID
