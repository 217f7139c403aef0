"""The case plan on a real SQLite file: several services at once, outcomes back to the case
manager, the periodic review, and the one decision that closes a case (and the head's reopen)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.domain.notice import Recipient
from bot.domain.sop import load_sop
from bot.reports.letter_context import LetterKind, letter_context
from bot.scheduler.sweep import CASE_REVIEW_DUE, sweep
from bot.services.workflow import Outcome, Workflow
from tests.integration.workflow_support import (
    TNG,
    TNG_GROUP,
    Env,
    case_status,
    close,
    env,
    new_case,
    open_step,
    outbox,
    returned,
    scalar,
)

__all__ = ["env"]  # the fixture, re-used

KONSELOR = 100000006  # konselor_hukum in the example roster


async def services(e: Env, case_id: int) -> list[tuple[str, str, str | None]]:
    plan = await e.wf.case_plan(case_id)
    return [(s.kind, s.status, s.outcome) for s in plan.services]


async def test_two_services_run_at_once_and_each_returns_to_the_case_manager(env: Env) -> None:
    cid = await new_case(env, "TNG")
    before = len(await outbox(env))
    res = await env.wf.add_services(cid, TNG["mk"], [("legal_aid", KONSELOR),
                                                     ("accompaniment", None)])  # fmt: skip
    assert res.ok and len(res.params["services"]) == 2
    assert await services(env, cid) == [("legal_aid", "running", None),
                                        ("accompaniment", "running", None)]  # fmt: skip
    serve, recommend = await open_step(env, cid, "serve"), await open_step(env, cid, "recommend")
    assert serve.assignee_user_id == KONSELOR and serve.sop_key == "layanan_umum"
    assert recommend.sop_key == "tng_pendampingan_korban"
    tasks = [i.recipient for i in (await outbox(env))[before:] if i.kind == "task_assigned"]
    assert Recipient.person(KONSELOR) in tasks and Recipient.person(TNG["psikolog"]) not in tasks
    # the legal aid ends: back to the case manager; the accompaniment runs on
    env.clock.advance(hours=1)
    assert (await env.wf.complete_step(serve.id, KONSELOR, report="Konsultasi hukum")).ok
    await returned(env, cid, "legal_aid", "completed")
    assert await services(env, cid) == [("legal_aid", "ended", "completed"),
                                        ("accompaniment", "running", None)]  # fmt: skip
    assert (await open_step(env, cid, "recommend")).id == recommend.id
    assert await scalar(env, "SELECT COUNT(*) FROM audit_log WHERE action = 'service_added'") == 2


async def test_adding_services_is_checked_and_all_or_nothing(env: Env) -> None:
    cid = await new_case(env, "TNG")
    denied = await env.wf.add_services(cid, TNG["petugas"], [("accompaniment", None)])
    assert denied.outcome is Outcome.NOT_ALLOWED
    assert await scalar(env, "SELECT COUNT(*) FROM audit_log WHERE action = ?",
                        "denied:add_service") == 1  # fmt: skip
    for bad in ([("legal_aid", None)], [("legal_aid", TNG["petugas"])], [("nonsense", None)], []):
        assert (await env.wf.add_services(cid, TNG["mk"], bad)).outcome is Outcome.INVALID, bad
    assert (await env.wf.add_services(cid, TNG["ketua"], [("accompaniment", None)])).ok
    twice = await env.wf.add_services(cid, TNG["mk"], [("health", TNG["pendamping"]),
                                                       ("accompaniment", None)])  # fmt: skip
    assert twice.outcome is Outcome.INVALID
    assert await services(env, cid) == [("accompaniment", "running", None)]


async def test_the_law_still_decides_mediation_on_the_plan(env: Env) -> None:
    cid = await new_case(env, "TNG", violence=["sexual"])
    res = await env.wf.add_services(cid, TNG["mk"], [("legal_aid", KONSELOR), ("mediation", None)])
    assert res.outcome is Outcome.NOT_ELIGIBLE
    assert "Pasal 23" in str(res.params["articles"])
    assert await services(env, cid) == []  # nothing started, not even the legal aid
    sql = "SELECT detail FROM audit_log WHERE action = 'refused:mediation' AND case_id = ?"
    assert await scalar(env, sql, cid) == "sexual_violence"
    civil = await env.wf.add_services(cid, TNG["mk"], [("mediation_civil", None)])
    assert civil.ok
    assert await services(env, cid) == [("mediation_civil", "running", None)]
    assert (await open_step(env, cid, "order")).sop_key == "tng_mediasi"


async def test_a_service_not_achieved_needs_a_reason_and_returns(env: Env) -> None:
    cid = await new_case(env, "TNG")
    assert (await env.wf.add_services(cid, TNG["mk"], [("health", TNG["pendamping"])])).ok
    serve = await open_step(env, cid, "serve")
    bare = await env.wf.complete_step(serve.id, TNG["pendamping"], "not_achieved")
    assert bare.outcome is Outcome.INVALID
    assert (await env.wf.complete_step(serve.id, TNG["pendamping"], "not_achieved",
                                       report="Rumah sakit menolak")).ok  # fmt: skip
    await returned(env, cid, "health", "not_achieved")


async def test_a_failed_mediation_is_ended_by_hand_and_returns(env: Env) -> None:
    cid = await new_case(env, "TNG")
    res = await env.wf.add_services(cid, TNG["mk"], [("mediation", None)])
    (sid,) = res.params["services"]
    assert (await env.wf.end_service(sid, TNG["pendamping"], "failed")).outcome is (
        Outcome.NOT_ALLOWED
    )  # fmt: skip
    assert (await env.wf.end_service(sid, TNG["mk"], "maybe")).outcome is Outcome.INVALID
    assert (await env.wf.end_service(sid, TNG["mk"], "failed")).ok
    await returned(env, cid, "mediation", "failed")
    sql = "SELECT status FROM steps WHERE case_id = ? AND step_key = 'order'"
    assert await scalar(env, sql, cid) == "cancelled"
    assert (await env.wf.end_service(sid, TNG["mk"], "failed")).outcome is Outcome.INVALID


async def test_only_the_decision_closes_and_the_head_reopens(env: Env) -> None:
    cid = await new_case(env, "TNG")
    res = await env.wf.add_services(cid, TNG["mk"], [("psychosocial", TNG["psikolog"])])
    (sid,) = res.params["services"]
    running = await env.wf.close_case(cid, TNG["mk"], "completed")
    assert running.outcome is Outcome.INVALID and running.params["blockers"] == [
        "services_running"
    ]  # fmt: skip
    serve = await open_step(env, cid, "serve")
    assert (await env.wf.complete_step(serve.id, TNG["psikolog"])).ok
    await returned(env, cid, "psychosocial", "completed")
    assert (await env.wf.close_case(cid, TNG["mk"], "because")).outcome is Outcome.INVALID
    assert (await env.wf.close_case(cid, TNG["petugas"], "completed")).outcome is (
        Outcome.NOT_ALLOWED
    )  # fmt: skip
    assert await case_status(env, cid) != "closed"
    await close(env, cid, "completed")
    assert await scalar(env, "SELECT close_reason FROM cases WHERE id = ?", cid) == "completed"
    sql = "SELECT detail FROM audit_log WHERE action = ? AND case_id = ?"
    assert await scalar(env, sql, "case_closed", cid) == "completed"
    assert [i.recipient for i in await outbox(env) if i.kind == "plan_case_closed"] == [TNG_GROUP]
    assert (await env.wf.add_services(cid, TNG["mk"], [("health", TNG["pendamping"])])).outcome is (
        Outcome.INVALID
    )  # fmt: skip
    assert (await env.wf.end_service(sid, TNG["mk"], "failed")).outcome is Outcome.INVALID
    # the case manager cannot reopen; the head can, with a reason from the list
    assert (await env.wf.reopen_case(cid, TNG["mk"], "new_information")).outcome is (
        Outcome.NOT_ALLOWED
    )  # fmt: skip
    assert (await env.wf.reopen_case(cid, TNG["ketua"], "bored")).outcome is Outcome.INVALID
    assert (await env.wf.reopen_case(cid, TNG["ketua"], "new_incident")).ok
    assert await case_status(env, cid) == "in_progress"
    assert await scalar(env, sql, "case_reopened", cid) == "new_incident"
    assert (await env.wf.reopen_case(cid, TNG["ketua"], "new_incident")).outcome is (
        Outcome.INVALID
    )  # fmt: skip
    reopened = [i.recipient for i in await outbox(env) if i.kind == "plan_case_reopened"]
    assert reopened == [Recipient.person(TNG["mk"]), TNG_GROUP]
    assert (await env.wf.add_services(cid, TNG["mk"], [("health", TNG["pendamping"])])).ok


async def reviews(e: Env) -> list[Recipient]:
    return [i.recipient for i in await outbox(e) if i.kind == CASE_REVIEW_DUE]


async def test_the_plan_is_reviewed_every_interval_of_the_office(env: Env) -> None:
    env.svc.offices["TNG"] = replace(env.svc.offices["TNG"], review_days=7)
    cid = await new_case(env, "TNG")
    assert (await env.wf.add_services(cid, TNG["mk"], [("accompaniment", None)])).ok
    env.clock.advance(days=6)
    await sweep(env.svc, env.clock.now())
    assert await reviews(env) == []
    env.clock.advance(days=1, minutes=1)
    await sweep(env.svc, env.clock.now())
    await sweep(env.svc, env.clock.now())  # once per round
    assert await reviews(env) == [Recipient.person(TNG["mk"])]
    # the case manager reviews: the next reminder is one interval from now
    assert (await env.wf.record_review(cid, TNG["mk"])).ok
    assert (await env.wf.record_review(cid, TNG["pendamping"])).outcome is Outcome.NOT_ALLOWED
    env.clock.advance(days=6)
    await sweep(env.svc, env.clock.now())
    assert len(await reviews(env)) == 1
    env.clock.advance(days=1, minutes=1)
    await sweep(env.svc, env.clock.now())
    assert len(await reviews(env)) == 2


async def test_a_closed_case_is_not_reviewed(env: Env) -> None:
    cid = await new_case(env, "TNG")
    res = await env.wf.add_services(cid, TNG["mk"], [("health", TNG["pendamping"])])
    assert (await env.wf.end_service(res.params["services"][0], TNG["mk"], "withdrawn")).ok
    await close(env, cid, "withdrawn")
    env.clock.advance(days=40)
    await sweep(env.svc, env.clock.now())
    assert await reviews(env) == []
    assert await scalar(env, "SELECT COUNT(*) FROM case_reviews WHERE case_id = ?", cid) == 0


_HANDING_OVER = """
key = "x_referral"
title = "A referral that hands over to the accompaniment"

[[steps]]
key = "refer"
title = "Refer"
actors = ["pendamping"]
duration = { value = 1, unit = "working_days" }
output = "Surat rujukan"
transitions = { done = "sop:tng_pendampingan_korban" }
"""


async def test_a_service_whose_sop_hands_over_carries_on_and_returns_once(
    env: Env, tmp_path: Path
) -> None:
    path = tmp_path / "x_referral.toml"
    path.write_text(_HANDING_OVER, encoding="utf-8")
    office = env.svc.offices["TNG"]
    env.svc.offices["TNG"] = replace(office, sops={**office.sops, "accompaniment": "x_referral"})
    wf = Workflow(env.svc, {**env.wf.sops, "x_referral": load_sop(path)})
    cid = await new_case(env, "TNG")
    assert (await wf.add_services(cid, TNG["mk"], [("accompaniment", None)])).ok
    refer = await open_step(env, cid, "refer")
    assert (await wf.complete_step(refer.id, TNG["pendamping"])).ok
    assert await services(env, cid) == [("accompaniment", "running", None)]
    assert [i for i in await outbox(env) if i.kind == "plan_service_ended"] == []
    for key, who in [("recommend", "ketua"), ("inform_client", "pendamping"),
                     ("letters", "petugas"), ("accompany", "pendamping"),
                     ("case_record", "petugas")]:  # fmt: skip
        step = await open_step(env, cid, key)
        assert (await wf.complete_step(step.id, TNG[who], report="Selesai.")).ok, key
    await returned(env, cid, "accompaniment", "completed")
    assert await services(env, cid) == [("accompaniment", "ended", "completed")]


async def test_the_rekam_kasus_lists_the_plan_in_indonesian(env: Env) -> None:
    cid = await new_case(env, "TNG")
    assert (await env.wf.add_services(cid, TNG["mk"], [("legal_aid", KONSELOR)])).ok
    serve = await open_step(env, cid, "serve")
    assert (await env.wf.complete_step(serve.id, KONSELOR)).ok
    async with env.svc.db.reading() as conn:
        case = await env.svc.cases.get(conn, cid)
        assert case is not None
        ctx = await letter_context(conn, env.svc, case, LetterKind.REKAM_KASUS, "1/2026",
                                   env.clock.now().date(), {})  # fmt: skip
    rows = {(r["what"], r["result"]) for r in ctx["chronology"]}
    assert ("Layanan ditambahkan ke rencana penanganan", "Bantuan hukum") in rows
    assert ("Layanan berakhir", "Bantuan hukum / Selesai") in rows
