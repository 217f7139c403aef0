"""The SOP runtime on a real SQLite file: permissions, extensions, due times, atomicity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain.duration import Duration, Unit
from bot.domain.identity import Handle
from bot.domain.notice import Recipient
from bot.services.submit import submit_and_start
from bot.services.workflow import Outcome
from tests.integration.workflow_support import (
    PKL,
    TNG,
    TNG_GROUP,
    WIB,
    Env,
    case_management,
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

__all__ = ["env"]  # the fixture, re-used


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
    assert [r[0] for r in rows] == [f"person:{TNG['pendamping']}", f"person:{PKL['petugas']}",
                                    "person:999", f"person:{TNG['petugas']}"]  # fmt: skip
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
    await dispose(env, cid, "TNG")
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
    await returned(env, cid, "intake", "completed")
    await close(env, cid, "referred")
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
