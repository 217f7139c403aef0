"""Staff free text reaches letters too: the use cases clean it like the reporter's answers."""

from __future__ import annotations

from tests.integration.workflow_support import TNG, Env, env, new_case, open_step

__all__ = ["env"]  # the fixture, re-used


async def test_staff_reports_drop_hidden_characters(env: Env) -> None:
    cid = await new_case(env, "TNG")
    step = await open_step(env, cid, "first_response")
    dirty = "Pelapor\u202e sudah\u200b dihubungi\ufeff"
    res = await env.wf.complete_step(step.id, TNG["petugas"], "done", dirty)
    assert res.ok, res
    async with env.svc.db.reading() as conn:
        out = await env.wf.store.step_output(conn, step.id)
    assert out.report == "Pelapor sudah dihubungi"
