"""The SOP runtime on a real SQLite file: the five seed SOPs end to end, office by office."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.notice import Recipient
from bot.services.workflow import Outcome
from bot.store.audit import verify_chain
from tests.integration.workflow_support import (
    PKL,
    PSR,
    TNG,
    TNG_GROUP,
    WIB,
    Env,
    case_management,
    case_status,
    close,
    dispose,
    do,
    env,
    milestones,
    new_case,
    open_step,
    outbox,
    returned,
    scalar,
)
from tests.stores import stored_bytes

__all__ = ["env"]  # the fixture, re-used


# -- Tangerang -------------------------------------------------------------------


async def test_tng_mediasi_end_to_end(env: Env) -> None:
    cid = await new_case(env, "TNG")
    await case_management(env, cid, "TNG", "mediation")
    for key, who in [("order", "ketua"), ("invite", "admin"), ("mediate", "mediator"),
                     ("case_record", "petugas")]:  # fmt: skip
        await do(env, cid, key, TNG[who])
        assert await case_status(env, cid) != "closed"
    await do(env, cid, "record_in_system", TNG["admin"])
    await returned(env, cid, "mediation", "completed")
    await close(env, cid)
    progress = await env.wf.case_progress(cid)
    assert [(p.instance.sop_key, p.instance.status) for p in progress] == [
        ("glue_first_response", "done"), ("tng_pengelolaan_kasus", "done"), ("tng_mediasi", "done")
    ]  # fmt: skip
    assert progress[1].instance.parent_step_id == progress[0].steps[1].id
    assert [s.step_key for s in progress[2].steps] == [
        "order", "invite", "mediate", "case_record", "record_in_system"
    ]  # fmt: skip
    assert all(s.status == "done" and s.completed_by for p in progress for s in p.steps)
    assert progress[0].steps[1].outcome == "mediation"
    assert await milestones(env, cid) == [
        "case_management_started", "mediation_started", "case_closed"
    ]  # fmt: skip
    assert await scalar(env, "SELECT COUNT(*) FROM step_events WHERE actor LIKE 'person:%'") > 10
    async with env.svc.db.reading() as conn:
        assert (await verify_chain(conn))[1] is None


async def test_tng_pendampingan_records_encrypted_output(env: Env) -> None:
    cid = await new_case(env, "TNG")
    await case_management(env, cid, "TNG", "accompaniment")
    await do(env, cid, "recommend", TNG["ketua"])
    await do(env, cid, "inform_client", TNG["pendamping"])
    await do(
        env, cid, "letters", TNG["petugas"], file=("surat_tugas.pdf", "application/pdf", b"%PDF-1")
    )
    await do(env, cid, "accompany", TNG["pendamping"], report="Visum di RSUD Siti Rahma")
    await do(env, cid, "case_record", TNG["petugas"])
    await returned(env, cid, "accompaniment", "completed")
    steps = {s.step_key: s for p in await env.wf.case_progress(cid) for s in p.steps}
    async with env.svc.db.reading() as conn:
        out = await env.wf.store.step_output(conn, steps["accompany"].id)
        letter = await env.wf.store.step_output(conn, steps["letters"].id)
    assert out.report == "Visum di RSUD Siti Rahma" and out.file is None
    assert (letter.file, letter.file_name, letter.file_mime) == (
        b"%PDF-1", "surat_tugas.pdf", "application/pdf"
    )  # fmt: skip
    raw = stored_bytes(env.svc.db.path)
    assert b"case_record" in raw  # a plain column of the same database was read
    assert b"Siti Rahma" not in raw and b"surat_tugas" not in raw


async def test_tng_pengelolaan_kasus_disposition_and_repeat(env: Env) -> None:
    cid = await new_case(env, "TNG")
    await do(env, cid, "first_response", TNG["petugas"])
    await dispose(env, cid, "TNG", TNG["psikolog"])  # the disposition names the expert
    serve = await open_step(env, cid, "serve")
    assert serve.assignee_user_id == TNG["psikolog"]
    await do(env, cid, "serve", TNG["psikolog"], "repeat", report="Konseling pertama")
    again = await open_step(env, cid, "serve")
    assert again.id != serve.id and again.assignee_user_id is None
    # the repeated service is given by the head (the assignment use case)
    before = len(await outbox(env))
    assert (await env.wf.dispose(cid, TNG["mk"], again.id, TNG["psikolog"])).outcome is (
        Outcome.NOT_ALLOWED
    )  # fmt: skip
    bad = await env.wf.dispose(cid, TNG["ketua"], again.id, TNG["pendamping"])
    assert bad.outcome is Outcome.INVALID
    assert len(await outbox(env)) == before
    assert (await env.wf.dispose(cid, TNG["ketua"], again.id, TNG["psikolog"])).ok
    assert (await env.wf.dispose(cid, TNG["ketua"], again.id, TNG["serve"])).outcome is (
        Outcome.INVALID
    )  # fmt: skip
    new = [i for i in (await outbox(env))[before:]]
    assert {(i.kind, i.recipient) for i in new} == {
        ("task_assigned", Recipient.person(TNG["psikolog"])), ("disposition", TNG_GROUP)
    }  # fmt: skip
    assert [t.id for t in await env.wf.tasks_for(TNG["psikolog"])] == [again.id]
    assert again.id not in [t.id for t in await env.wf.tasks_for(TNG["serve"])]
    assert (await env.wf.hand_over(again.id, TNG["ketua"], TNG["serve"])).ok
    await do(env, cid, "serve", TNG["serve"])
    await do(env, cid, "plan", TNG["mk"])
    await do(env, cid, "record_in_system", TNG["admin"])
    await do(env, cid, "case_management", TNG["mk"], "done")
    await returned(env, cid, "intake", "completed")
    assert await scalar(env, "SELECT COUNT(*) FROM audit_log WHERE action = 'denied:dispose'") == 1


# -- Pekalongan ------------------------------------------------------------------


async def pkl_to_decision(e: Env) -> int:
    cid = await new_case(e, "PKL")
    await case_management(e, cid, "PKL", "mediation")
    await do(e, cid, "request", PKL["petugas"])
    await do(e, cid, "consider", PKL["ketua"])
    return cid


async def test_pkl_accepted(env: Env) -> None:
    cid = await pkl_to_decision(env)
    decide = await open_step(env, cid, "decide")
    assert (await env.wf.decide(decide.id, PKL["admin"], "accepted")).outcome is Outcome.NOT_ALLOWED
    assert (await env.wf.decide(decide.id, PKL["ketua"], "maybe")).outcome is Outcome.INVALID
    assert (await env.wf.decide(decide.id, PKL["ketua"], "accepted")).ok
    outs = [i for i in await outbox(env) if i.kind == "step_decided"]
    assert [i.payload["outcome"] for i in outs] == ["accepted"]
    for key, who in [("invite", "admin"), ("coordinate", "ketua"), ("prepare", "admin"),
                     ("mediate", "mediator")]:  # fmt: skip
        await do(env, cid, key, PKL[who])
    await returned(env, cid, "mediation", "completed")
    keys = [s.step_key for p in await env.wf.case_progress(cid) for s in p.steps]
    assert "notify" not in keys and keys[-1] == "mediate"


async def test_pkl_rejected_sends_notification_letter(env: Env) -> None:
    cid = await pkl_to_decision(env)
    decide = await open_step(env, cid, "decide")
    assert (await env.wf.decide(decide.id, PKL["ketua"], "rejected")).outcome is Outcome.INVALID
    assert (await open_step(env, cid, "decide")).status == "open"
    assert (await env.wf.decide(decide.id, PKL["ketua"], "rejected", "Bukan ranah mediasi")).ok
    notify = await open_step(env, cid, "notify")
    assert notify.roles == ("admin", "kepala_dinas")
    await do(env, cid, "notify", PKL["admin"], file=("pemberitahuan.pdf", "application/pdf", b"x"))
    await returned(env, cid, "mediation", "rejected")
    async with env.svc.db.reading() as conn:
        out = await env.wf.store.step_output(conn, decide.id)
    assert out.report == "Bukan ranah mediasi"


async def test_pkl_not_cooperative(env: Env) -> None:
    cid = await pkl_to_decision(env)
    await do(env, cid, "decide", PKL["ketua"], "accepted")
    await do(env, cid, "invite", PKL["admin"])
    coordinate = await open_step(env, cid, "coordinate")
    assert (await env.wf.decide(coordinate.id, PKL["ketua"], "not_cooperative", "RT menolak")).ok
    await do(env, cid, "notify", PKL["ketua"])
    await returned(env, cid, "mediation", "not_cooperative")
    keys = [s.step_key for p in await env.wf.case_progress(cid) for s in p.steps]
    assert keys[-3:] == ["invite", "coordinate", "notify"]


# -- Pasuruan --------------------------------------------------------------------


async def test_psr_guardian_rule_then_termination_by_case_manager(env: Env) -> None:
    cid = await new_case(env, "PSR")  # an adult victim: a child's case is never mediated
    await case_management(env, cid, "PSR", "mediation")
    for key in ("assess", "assess_parties", "report_plan", "brief_mediator"):
        # the coordinator (here the head's second role) closes report_plan
        await do(env, cid, key, PSR["ketua" if key == "report_plan" else "pendamping"])
    invite = await open_step(env, cid, "invite")
    child = await env.wf.record_party(cid, PSR["pendamping"], "korban", True, False, False, False)
    assert child.ok
    assert (await env.wf.record_party(cid, PKL["ketua"], "terlapor", False, False, False, False)
            ).outcome is Outcome.NOT_ALLOWED  # fmt: skip
    await env.wf.record_party(cid, PSR["pendamping"], "terlapor", False, True, False, True)
    when = datetime(2026, 3, 12, 10, 0, tzinfo=WIB)
    refused = await env.wf.schedule_mediation(invite.id, PSR["pendamping"], when, "Kantor UPTD")
    assert refused.outcome is Outcome.RULE_FAILED
    assert refused.params["rules"] == ["child_party_needs_guardian"]
    blocked = await env.wf.complete_step(invite.id, PSR["pendamping"])
    assert blocked.outcome is Outcome.RULE_FAILED
    fixed = await env.wf.record_party(cid, PSR["pendamping"], "korban", True, False, True, False,
                                      party_id=child.params["party_id"])  # fmt: skip
    assert fixed.ok
    saturday = datetime(2026, 3, 14, 10, 0, tzinfo=WIB)
    assert (await env.wf.schedule_mediation(invite.id, PSR["pendamping"], saturday, "Kantor")
            ).outcome is Outcome.INVALID  # fmt: skip
    past = env.clock.now() - timedelta(hours=1)
    assert (await env.wf.schedule_mediation(invite.id, PSR["pendamping"], past, "Kantor")
            ).outcome is Outcome.INVALID  # fmt: skip
    ok = await env.wf.schedule_mediation(invite.id, PSR["pendamping"], when, "Kantor UPTD")
    assert ok.ok
    async with env.svc.db.reading() as conn:
        sessions = await env.wf.store.mediations(conn, cid)
        assert await env.wf.store.mediation_location(conn, sessions[0].id) == "Kantor UPTD"
    assert sessions[0].scheduled_at == when
    await do(env, cid, "invite", PSR["admin"])
    await do(env, cid, "mediate", PSR["mediator"])
    await do(env, cid, "report_result", PSR["pendamping"])
    await do(env, cid, "monitor", PSR["pendamping"])
    report = await open_step(env, cid, "report_monitoring")
    denied = await env.wf.complete_step(report.id, PSR["pendamping"], "terminate")
    assert denied.outcome is Outcome.NOT_ALLOWED
    await do(env, cid, "report_monitoring", PSR["mk"], "continue_monitoring")
    await do(env, cid, "monitor", PSR["pendamping"])
    report = await open_step(env, cid, "report_monitoring")
    assert (await env.wf.decide(report.id, PSR["mk"], "terminate", "Kesepakatan dijalankan")).ok
    await do(env, cid, "document", PSR["pendamping"])
    await returned(env, cid, "mediation", "completed")
    assert "mediation_scheduled" in await milestones(env, cid)
    denials = "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'denied:%' AND case_id = ?"
    assert await scalar(env, denials, cid) == 2


async def test_psr_special_needs_rule(env: Env) -> None:
    cid = await new_case(env, "PSR")
    await case_management(env, cid, "PSR", "mediation")
    for key in ("assess", "assess_parties", "report_plan", "brief_mediator"):
        # the coordinator (here the head's second role) closes report_plan
        await do(env, cid, key, PSR["ketua" if key == "report_plan" else "pendamping"])
    invite = await open_step(env, cid, "invite")
    await env.wf.record_party(cid, PSR["pendamping"], "korban", False, True, False, False)
    when = datetime(2026, 3, 12, 10, 0, tzinfo=WIB)
    res = await env.wf.schedule_mediation(invite.id, PSR["pendamping"], when, "Kantor")
    assert res.params["rules"] == ["special_needs_party_needs_companion", "parties_not_recorded"]


async def test_psr_not_mediable_returns_to_the_case_manager(env: Env) -> None:
    cid = await new_case(env, "PSR")
    await case_management(env, cid, "PSR", "mediation")
    assess = await open_step(env, cid, "assess")
    assert (await env.wf.decide(assess.id, PSR["pendamping"], "not_mediable", "KDRT berat")).ok
    await returned(env, cid, "mediation", "not_mediable")
