"""The SOP runtime on a real SQLite file: the five seed SOPs end to end, rules, roles, times."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FakeClock
from bot.config import load_offices
from bot.crypto import Cipher, generate_key
from bot.domain.duration import Duration, Unit
from bot.domain.identity import Handle
from bot.domain.notice import Recipient
from bot.domain.office import Role
from bot.services.context import Services
from bot.services.intake import submit_complaint
from bot.services.submit import submit_and_start
from bot.services.workflow import Outcome, Workflow, WorkflowResult, load_sops
from bot.store.audit import verify_chain
from bot.store.db import Database
from bot.store.outbox import OutboxItem
from bot.store.workflow import StepRow

__all__: list[str] = []

ROOT = Path(__file__).resolve().parents[2]
WIB = ZoneInfo("Asia/Jakarta")
MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=WIB)  # no public holiday in the first half of March

# roster of config/offices.example.toml
TNG = {"ketua": 100000001, "petugas": 100000002, "admin": 100000002, "mk": 100000003,
       "pendamping": 100000004, "mediator": 100000005, "serve": 100000006,
       "psikolog": 100000007}  # fmt: skip
PKL = {"ketua": 200000001, "petugas": 200000002, "admin": 200000003, "mk": 200000004,
       "pendamping": 200000004, "mediator": 200000005, "serve": 200000005}  # fmt: skip
PSR = {"ketua": 300000001, "petugas": 300000002, "admin": 300000007, "mk": 300000003,
       "pendamping": 300000004, "mediator": 300000005, "serve": 300000006}  # fmt: skip
IDS = {"TNG": TNG, "PKL": PKL, "PSR": PSR}
TNG_GROUP = Recipient.staff_group("TNG")


@dataclass
class Env:
    svc: Services
    clock: FakeClock
    wf: Workflow


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    """A migrated database file, the example offices, the shipped SOPs, a fake clock."""
    db = await Database.open(tmp_path / "ppa.sqlite3")
    offices = {o.id: o for o in load_offices(ROOT / "config" / "offices.example.toml")}
    # the example PSR roster has no admin, whom tng_pengelolaan_kasus needs (record_in_system)
    roster = {**offices["PSR"].roster, PSR["admin"]: frozenset({Role.ADMIN})}
    offices["PSR"] = replace(offices["PSR"], roster=roster)
    clock = FakeClock(MONDAY_9.astimezone(UTC))
    svc = Services(db, clock, Cipher(generate_key()), offices)
    try:
        yield Env(svc, clock, Workflow(svc, load_sops(ROOT / "bot" / "sops")))
    finally:
        await db.close()


async def new_case(e: Env, office: str, key: str = "k1", **over: Any) -> int:
    answers: dict[str, Any] = {
        "danger": "no", "office": office, "reporter": "victim", "victim_name": "Siti Rahma",
        "victim_age": 30, "victim_sex": "female", "disability": "no",
        "violence": ["psychological"], "relation": "spouse", "perpetrator": "Budi",
        "when": "today", "where": "rumah", "story": "Cerita rahasia", "phone": "081234567890",
        "call_time": "any", "help": ["mediation"], "notify": "normal", "consent": "yes", **over,
    }  # fmt: skip
    res = await submit_complaint(
        e.svc, answers=answers, evidence=[], idempotency_key=key, mode="reporter",
        reporter=Handle("telegram", str(555)), recorded_by=None, language="id",
    )  # fmt: skip
    started = await e.wf.start_intake(res.case_id, "system")
    assert started.ok
    return res.case_id


async def open_step(e: Env, case_id: int, key: str) -> StepRow:
    async with e.svc.db.reading() as conn:
        rows = await e.wf.store.open_steps_for_case(conn, case_id)
    found = [r for r in rows if r.step_key == key]
    assert len(found) == 1, (key, [r.step_key for r in rows])
    return found[0]


async def do(
    e: Env, case_id: int, key: str, user: int, outcome: str = "done", **kw: Any
) -> WorkflowResult:
    step = await open_step(e, case_id, key)
    e.clock.advance(minutes=15)
    res = await e.wf.complete_step(step.id, user, outcome, **kw)
    assert res.outcome is Outcome.OK, (key, res)
    return res


async def case_management(e: Env, case_id: int, office: str, choice: str) -> None:
    ids = IDS[office]
    await do(e, case_id, "first_response", ids["petugas"])
    await do(e, case_id, "dispose", ids["ketua"])
    await do(e, case_id, "serve", ids["serve"])
    await do(e, case_id, "plan", ids["mk"])
    await do(e, case_id, "record_in_system", ids["admin"])
    await do(e, case_id, "case_management", ids["mk"], choice)


async def outbox(e: Env) -> list[OutboxItem]:
    async with e.svc.db.reading() as conn:
        return await e.svc.outbox.due(conn, datetime(2100, 1, 1, tzinfo=UTC), limit=10_000)


def _file_bytes(path: str) -> bytes:
    return Path(path).read_bytes()


async def scalar(e: Env, sql: str, *params: Any) -> Any:
    row = await e.svc.db.fetchone(sql, params)
    assert row is not None
    return row[0]


async def case_status(e: Env, case_id: int) -> str:
    return str(await scalar(e, "SELECT status FROM cases WHERE id = ?", case_id))


async def milestones(e: Env, case_id: int) -> list[str]:
    return [i.payload["milestone"] for i in await outbox(e)
            if i.kind == "reporter_milestone" and i.case_id == case_id]  # fmt: skip


# -- Tangerang -------------------------------------------------------------------


async def test_tng_mediasi_end_to_end(env: Env) -> None:
    cid = await new_case(env, "TNG")
    await case_management(env, cid, "TNG", "mediation")
    for key, who in [("order", "ketua"), ("invite", "admin"), ("mediate", "mediator"),
                     ("case_record", "petugas")]:  # fmt: skip
        await do(env, cid, key, TNG[who])
        assert await case_status(env, cid) != "closed"
    await do(env, cid, "record_in_system", TNG["admin"])
    assert await case_status(env, cid) == "closed"
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
    assert await scalar(env, "SELECT COUNT(*) FROM step_events WHERE actor LIKE 'tg:%'") > 10
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
    assert await case_status(env, cid) == "closed"
    steps = {s.step_key: s for p in await env.wf.case_progress(cid) for s in p.steps}
    async with env.svc.db.reading() as conn:
        out = await env.wf.store.step_output(conn, steps["accompany"].id)
        letter = await env.wf.store.step_output(conn, steps["letters"].id)
    assert out.report == "Visum di RSUD Siti Rahma" and out.file is None
    assert (letter.file, letter.file_name, letter.file_mime) == (
        b"%PDF-1", "surat_tugas.pdf", "application/pdf"
    )  # fmt: skip
    raw = _file_bytes(env.svc.db.path) + _file_bytes(env.svc.db.path + "-wal")
    assert b"Siti Rahma" not in raw and b"surat_tugas" not in raw


async def test_tng_pengelolaan_kasus_disposition_and_repeat(env: Env) -> None:
    cid = await new_case(env, "TNG")
    await do(env, cid, "first_response", TNG["petugas"])
    await do(env, cid, "dispose", TNG["ketua"])
    serve = await open_step(env, cid, "serve")
    before = len(await outbox(env))
    assert (await env.wf.dispose(cid, TNG["mk"], serve.id, TNG["psikolog"])).outcome is (
        Outcome.NOT_ALLOWED
    )  # fmt: skip
    bad = await env.wf.dispose(cid, TNG["ketua"], serve.id, TNG["pendamping"])
    assert bad.outcome is Outcome.INVALID
    assert len(await outbox(env)) == before
    assert (await env.wf.dispose(cid, TNG["ketua"], serve.id, TNG["psikolog"])).ok
    assert (await env.wf.dispose(cid, TNG["ketua"], serve.id, TNG["serve"])).outcome is (
        Outcome.INVALID
    )  # fmt: skip
    new = [i for i in (await outbox(env))[before:]]
    assert {(i.kind, i.recipient) for i in new} == {
        ("task_assigned", Recipient.person(TNG["psikolog"])), ("disposition", TNG_GROUP)
    }  # fmt: skip
    assert [t.id for t in await env.wf.tasks_for(TNG["psikolog"])] == [serve.id]
    assert serve.id not in [t.id for t in await env.wf.tasks_for(TNG["serve"])]
    await do(env, cid, "serve", TNG["psikolog"], "repeat", report="Konseling pertama")
    again = await open_step(env, cid, "serve")
    assert again.id != serve.id and again.assignee_user_id is None
    assert (await env.wf.hand_over(again.id, TNG["ketua"], TNG["serve"])).ok
    await do(env, cid, "serve", TNG["serve"])
    await do(env, cid, "plan", TNG["mk"])
    await do(env, cid, "record_in_system", TNG["admin"])
    await do(env, cid, "case_management", TNG["mk"], "done")
    assert await case_status(env, cid) == "closed"
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
    assert await case_status(env, cid) == "closed"
    keys = [s.step_key for p in await env.wf.case_progress(cid) for s in p.steps]
    assert "notify" not in keys and keys[-1] == "mediate"


async def test_pkl_rejected_sends_notification_letter(env: Env) -> None:
    cid = await pkl_to_decision(env)
    decide = await open_step(env, cid, "decide")
    assert (await env.wf.decide(decide.id, PKL["ketua"], "rejected")).outcome is Outcome.INVALID
    assert (await open_step(env, cid, "decide")).status == "open"
    assert (await env.wf.decide(decide.id, PKL["ketua"], "rejected", "Bukan ranah mediasi")).ok
    notify = await open_step(env, cid, "notify")
    assert notify.roles == ("admin", "ketua")
    await do(env, cid, "notify", PKL["admin"], file=("pemberitahuan.pdf", "application/pdf", b"x"))
    assert await case_status(env, cid) == "closed"
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
    assert await case_status(env, cid) == "closed"
    keys = [s.step_key for p in await env.wf.case_progress(cid) for s in p.steps]
    assert keys[-3:] == ["invite", "coordinate", "notify"]


# -- Pasuruan --------------------------------------------------------------------


async def test_psr_guardian_rule_then_termination_by_case_manager(env: Env) -> None:
    cid = await new_case(env, "PSR")  # an adult victim: a child's case is never mediated
    await case_management(env, cid, "PSR", "mediation")
    for key in ("assess", "assess_parties", "report_plan", "brief_mediator"):
        await do(env, cid, key, PSR["pendamping"])
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
    assert await case_status(env, cid) == "closed"
    assert "mediation_scheduled" in await milestones(env, cid)
    denials = "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'denied:%' AND case_id = ?"
    assert await scalar(env, denials, cid) == 2


async def test_psr_special_needs_rule(env: Env) -> None:
    cid = await new_case(env, "PSR")
    await case_management(env, cid, "PSR", "mediation")
    for key in ("assess", "assess_parties", "report_plan", "brief_mediator"):
        await do(env, cid, key, PSR["pendamping"])
    invite = await open_step(env, cid, "invite")
    await env.wf.record_party(cid, PSR["pendamping"], "korban", False, True, False, False)
    when = datetime(2026, 3, 12, 10, 0, tzinfo=WIB)
    res = await env.wf.schedule_mediation(invite.id, PSR["pendamping"], when, "Kantor")
    assert res.params["rules"] == ["special_needs_party_needs_companion"]


async def test_psr_not_mediable_ends_case(env: Env) -> None:
    cid = await new_case(env, "PSR")
    await case_management(env, cid, "PSR", "mediation")
    assess = await open_step(env, cid, "assess")
    assert (await env.wf.decide(assess.id, PSR["pendamping"], "not_mediable", "KDRT berat")).ok
    assert await case_status(env, cid) == "closed"


# -- permissions, extensions, times, atomicity -----------------------------------


async def test_wrong_role_or_office_changes_nothing_and_is_audited(env: Env) -> None:
    cid = await new_case(env, "TNG")
    step = await open_step(env, cid, "first_response")
    counts = "SELECT (SELECT COUNT(*) FROM steps), (SELECT COUNT(*) FROM outbox)"
    before = tuple(await env.svc.db.fetchone(counts) or ())
    for user in (TNG["pendamping"], PKL["petugas"], 999):
        res = await env.wf.complete_step(step.id, user)
        assert res.outcome is Outcome.NOT_ALLOWED
    assert (await env.wf.complete_step(424242, TNG["petugas"])).outcome is Outcome.NOT_FOUND
    assert tuple(await env.svc.db.fetchone(counts) or ()) == before
    assert (await open_step(env, cid, "first_response")).status == "open"
    rows = await env.svc.db.fetchall(
        "SELECT actor FROM audit_log WHERE action = 'denied:complete_step' ORDER BY id"
    )
    assert [r[0] for r in rows] == [f"tg:{TNG['pendamping']}", f"tg:{PKL['petugas']}",
                                    "tg:999", f"tg:{TNG['petugas']}"]  # fmt: skip
    assert await env.wf.tasks_for(PKL["petugas"]) == []
    assert [t.id for t in await env.wf.tasks_for(TNG["petugas"])] == [step.id]


async def test_extension_only_where_extendable(env: Env) -> None:
    cid = await new_case(env, "TNG")
    await case_management(env, cid, "TNG", "mediation")
    order = await open_step(env, cid, "order")
    assert (await env.wf.request_extension(order.id, TNG["ketua"])).outcome is Outcome.INVALID
    await do(env, cid, "order", TNG["ketua"])
    await do(env, cid, "invite", TNG["admin"])
    mediate = await open_step(env, cid, "mediate")
    assert (await env.wf.approve_extension(mediate.id, TNG["ketua"], True)).outcome is (
        Outcome.INVALID
    )  # fmt: skip
    assert (await env.wf.request_extension(mediate.id, TNG["admin"])).outcome is (
        Outcome.NOT_ALLOWED
    )  # fmt: skip
    assert (await env.wf.request_extension(mediate.id, TNG["mediator"])).ok
    assert (await env.wf.request_extension(mediate.id, TNG["mediator"])).outcome is (
        Outcome.INVALID
    )  # fmt: skip
    assert (await env.wf.approve_extension(mediate.id, TNG["mk"], True)).outcome is (
        Outcome.NOT_ALLOWED
    )  # fmt: skip
    env.clock.advance(hours=1)
    res = await env.wf.approve_extension(mediate.id, TNG["ketua"], True)
    assert res.ok
    assert mediate.due_at is not None  # one more working day on top of the current due time
    expected = env.svc.calendars["TNG"].add(mediate.due_at, Duration(1, Unit.WORKING_DAYS))
    after = await open_step(env, cid, "mediate")
    assert after.due_at == expected and after.extended_count == 1
    assert after.due_at is not None and mediate.due_at is not None
    assert after.due_at > mediate.due_at
    kinds = {(i.kind, i.recipient) for i in await outbox(env)}
    assert ("extension_requested", Recipient.person(TNG["ketua"])) in kinds
    assert ("extension_decided", Recipient.person(TNG["mediator"])) in kinds
    events = [e.kind for e in await _events(env, mediate.id)]
    assert events == ["opened", "extension_requested", "extension_approved"]


async def _events(e: Env, step_id: int) -> list[Any]:
    async with e.svc.db.reading() as conn:
        return list(await e.wf.store.events(conn, step_id))


async def test_due_times_follow_the_calendar(env: Env) -> None:
    cid = await new_case(env, "TNG")
    first = await open_step(env, cid, "first_response")
    assert first.due_at == datetime(2026, 3, 3, 9, 0, tzinfo=WIB)  # 1 working day
    await do(env, cid, "first_response", TNG["petugas"])
    await do(env, cid, "dispose", TNG["ketua"])
    await do(env, cid, "serve", TNG["serve"])
    await do(env, cid, "plan", TNG["mk"])
    await do(env, cid, "record_in_system", TNG["admin"])
    cm = await open_step(env, cid, "case_management")
    env.clock.set(datetime(2026, 3, 2, 15, 30, tzinfo=WIB).astimezone(UTC))
    assert (await env.wf.complete_step(cm.id, TNG["mk"], "mediation")).ok
    order = await open_step(env, cid, "order")
    # 2 office hours ordered 30 minutes before closing: 30 min today + 90 min from 08:00
    assert order.due_at == datetime(2026, 3, 3, 9, 30, tzinfo=WIB)
    urgent = await new_case(env, "TNG", "k2", danger="yes")
    step = await open_step(env, urgent, "first_response")
    assert step.due_at == env.clock.now() + timedelta(minutes=60) and step.urgent


async def test_outbox_is_written_in_the_same_transaction(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = await new_case(env, "TNG")
    step = await open_step(env, cid, "first_response")
    opened = [i for i in await outbox(env) if i.case_id == cid and i.kind != "staff_notice"]
    assert {i.kind for i in opened} == {"task_assigned", "step_opened"}
    assert {i.recipient for i in opened if i.kind == "task_assigned"} == {
        Recipient.person(TNG["petugas"])
    }
    assert {i.recipient for i in opened if i.kind == "step_opened"} == {TNG_GROUP}
    assert all(i.payload == {"step_id": step.id} for i in opened if i.kind == "task_assigned")

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("outbox down")

    monkeypatch.setattr(env.svc.outbox, "add", broken)
    with pytest.raises(RuntimeError):
        await env.wf.complete_step(step.id, TNG["petugas"])
    monkeypatch.undo()
    assert (await open_step(env, cid, "first_response")).status == "open"
    assert await scalar(env, "SELECT COUNT(*) FROM steps WHERE case_id = ?", cid) == 1
    assert await scalar(env, "SELECT COUNT(*) FROM sop_instances WHERE case_id = ?", cid) == 1
    await do(env, cid, "first_response", TNG["petugas"])
    assert await scalar(env, "SELECT COUNT(*) FROM sop_instances WHERE case_id = ?", cid) == 2


async def test_start_intake_once_and_reporter_silence(env: Env) -> None:
    cid = await new_case(env, "PKL", notify="none")
    again = await env.wf.start_intake(cid, "system")
    assert again.ok and again.opened == ()
    assert await scalar(env, "SELECT COUNT(*) FROM sop_instances WHERE case_id = ?", cid) == 1
    await case_management(env, cid, "PKL", "done")
    assert await case_status(env, cid) == "closed"
    assert await milestones(env, cid) == []
    async with env.svc.db.reading() as conn:
        assert await env.wf.store.cancel_open_steps(conn, cid, env.clock.now()) == 0


async def test_submit_and_start_makes_one_case_and_starts_its_sop_once(env: Env) -> None:
    answers: dict[str, Any] = {
        "danger": "no", "office": "TNG", "reporter": "victim", "victim_age": 30,
        "victim_sex": "female", "disability": "no", "violence": ["psychological"],
        "relation": "spouse", "help": ["mediation"], "notify": "normal", "consent": "yes",
    }  # fmt: skip
    kw: dict[str, Any] = dict(
        answers=answers, evidence=[], idempotency_key="same", mode="reporter",
        reporter=Handle("telegram", str(555)), recorded_by=None, language="id", actor="tg:555",
    )  # fmt: skip
    first, started = await submit_and_start(env.wf, **kw)
    assert first.created and started.ok and len(started.opened) == 1
    again, restarted = await submit_and_start(env.wf, **kw)
    assert again.case_id == first.case_id and not again.created
    assert restarted.ok and restarted.opened == ()
    assert await scalar(env, "SELECT COUNT(*) FROM cases") == 1
    assert await scalar(env, "SELECT COUNT(*) FROM sop_instances") == 1
    assert (await open_step(env, first.case_id, "first_response")).id == started.opened[0]
