"""Moving a mediation session by buttons from /kasus (head or admin): the session, the step
held at it and its reminders follow the new time; others get no button and a forged one is
refused."""

from __future__ import annotations

from datetime import datetime

from bot.clock import FakeClock
from bot.scheduler.sweep import mediation_schedule, sweep
from bot.testing.harness import Harness
from tests.telegram.flows import press
from tests.telegram.sop_support import (
    GROUPS,
    IDS,
    do_step,
    open_step,
    scalar,
    schedule,
    sent,
    to_service,
    tx,
    wh,
)
from tests.telegram.test_case_plan_flows import kasus

__all__ = ["wh"]  # the fixture, re-used from test_sop_flows


async def _session(h: Harness, case: int) -> tuple[int, datetime]:
    row = await h.rt.db.fetchone(
        "SELECT id, scheduled_at FROM mediations WHERE case_id = ?", (case,)
    )
    assert row is not None
    return int(row[0]), datetime.fromisoformat(str(row[1]))


async def test_the_head_moves_the_session_and_the_step_and_reminders_follow(
    wh: Harness, clock: FakeClock
) -> None:
    h, ids, group = wh, IDS["TNG"], GROUPS["TNG"]
    case = await to_service(h, "TNG", "mediation")
    await do_step(h, case, "order", ids["ketua"], report="Mediator diperintahkan.")
    await schedule(h, case, "invite", ids["admin"], "Ruang mediasi")
    await do_step(h, case, "invite", ids["admin"], report="Undangan terkirim.")
    mid, first = await _session(h, case)
    mediate = await open_step(h, case, "mediate")
    due_before = await scalar(h, "SELECT due_at FROM steps WHERE id = ?", mediate)
    # a companion with no part in the mediation sees no button
    await kasus(h, ids["pendamping"], case)
    assert not any(f"mv:{mid}" in m.callback_data for m in h.fake.messages(ids["pendamping"]))
    # the head: /kasus -> move -> a later day -> a time
    await kasus(h, ids["ketua"], case)
    days = await press(h, ids["ketua"], f"mv:{mid}")
    day = [d for m in days for d in m.callback_data if d.startswith(f"mw:{mid}:")][-1]
    slots = await press(h, ids["ketua"], day)
    slot = next(d for m in slots for d in m.callback_data if d.startswith(f"mx:{mid}:"))
    # the same slot forged by the companion changes nothing
    pendamping = ids["pendamping"]
    await h.click_data(pendamping, pendamping, h.fake.last_message_id(pendamping), slot)
    assert (await _session(h, case))[1] == first
    last = [a for a in h.fake.callback_answers if a.user_id == pendamping][-1]
    assert last.text == tx(h, "That button is not valid any more.") and last.show_alert
    denied = "SELECT COUNT(*) FROM audit_log WHERE action = 'denied:reschedule_mediation'"
    assert await scalar(h, denied) == 1
    await press(h, ids["ketua"], slot)
    _, moved = await _session(h, case)
    assert moved > first and moved.strftime("%Y%m%d") != first.strftime("%Y%m%d")
    said = h.last_text(ids["ketua"])
    assert said.startswith("📅") and await sent(h, "mediation_scheduled", group) == 2
    # the step held at the session follows it: no overdue alert at its old due time
    due_after = await scalar(h, "SELECT due_at FROM steps WHERE id = ?", mediate)
    assert datetime.fromisoformat(str(due_after)) > moved > datetime.fromisoformat(due_before)
    audit = "SELECT COUNT(*) FROM audit_log WHERE action = 'reschedule_mediation'"
    assert await scalar(h, audit) == 1
    # the reminders come for the new time (the previous working day, two hours before)
    calendar = h.rt.services.calendars["TNG"]
    clock.set(mediation_schedule(moved, calendar)["day_before"])
    await sweep(h.rt.services, clock.now())
    rows = await h.rt.db.fetchall(
        "SELECT COUNT(*) FROM outbox WHERE kind = 'mediation_reminder'", ()
    )
    assert int(rows[0][0]) >= 1
    overdue = "SELECT COUNT(*) FROM outbox WHERE kind = 'step_overdue'"
    assert await scalar(h, overdue) == 0
