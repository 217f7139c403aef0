"""The case plan through the Application: services added from /kasus run at once, each ends
back with the case manager, only the close decision closes, the head reopens, reviews remind."""

from __future__ import annotations

import re

from bot.clock import FakeClock
from bot.presentation.progress import reporter_progress
from bot.scheduler.sweep import sweep
from bot.testing.harness import Harness
from tests.telegram.flows import press
from tests.telegram.sop_support import (
    GROUPS,
    IDS,
    case_closed,
    close_by_button,
    do_step,
    returned,
    scalar,
    to_service,
    tx,
    wh,
)

__all__ = ["wh"]  # the fixture, re-used from test_sop_flows

KONSELOR = 100000006  # konselor_hukum of TNG in the example roster


def plain(text: str) -> str:
    """A message id rendered as the reader sees it (tags stripped)."""
    return re.sub(r"<[^>]+>", "", text)


def plan_block(text: str) -> str:
    """The case plan's lines of a /kasus answer."""
    return text.split("🗂", 1)[1].split("\n\n", 1)[0]


async def running(h: Harness, case: int) -> list[str]:
    sql = "SELECT kind FROM case_services WHERE case_id = ? AND status = 'running' ORDER BY id"
    return [str(r[0]) for r in await h.rt.db.fetchall(sql, (case,))]


async def kasus(h: Harness, user: int, case: int) -> str:
    number = str(await scalar(h, "SELECT number FROM cases WHERE id = ?", case))
    out = await h.send(user, f"/kasus {number}")
    return out[-1].plain_text or ""


async def test_two_services_at_once_each_back_to_the_case_manager_then_close_and_reopen(
    wh: Harness,
) -> None:
    h, ids = wh, IDS["TNG"]
    mk, head = ids["mk"], ids["ketua"]
    case = await to_service(h, "TNG", "accompaniment")  # the choice is the plan's first service
    assert await running(h, case) == ["accompaniment"]
    text = await kasus(h, mk, case)
    assert plain(tx(h, "🗂 <b>Case plan</b>")) in text
    # the case manager adds legal aid and names the legal counsellor
    await press(h, mk, f"pa:{case}")
    out = await press(h, mk, f"pk:{case}:legal_aid")
    konselor = await h.person(KONSELOR)
    assert f"pk:{case}:legal_aid:{konselor}" in [d for m in out for d in m.callback_data]
    await press(h, mk, f"pk:{case}:legal_aid:{konselor}")
    assert await running(h, case) == ["accompaniment", "legal_aid"]
    task = tx(h, "Give the service and report its outcome to the case manager")
    assert any(task in t for t in h.texts(KONSELOR))
    text = await kasus(h, mk, case)
    assert plan_block(text).count("▶ ") == 2  # two services running at once
    assert tx(h, "Legal aid") in text and tx(h, "Accompaniment") in text
    # the legal aid ends: its outcome goes back to the case manager, the case stays open
    await do_step(h, case, "serve", KONSELOR, report="Konsultasi hukum selesai.")
    await returned(h, case, "TNG", "Legal aid", "Completed")
    assert await running(h, case) == ["accompaniment"]
    # closing while the accompaniment runs is refused, with the reason
    await h.send(mk, f"/kasus {await scalar(h, 'SELECT number FROM cases WHERE id = ?', case)}")
    await press(h, mk, f"pc:{case}")
    await press(h, mk, f"pc:{case}:completed")
    assert not await case_closed(h, case)
    assert tx(h, "End every running service before closing the case.") in h.last_text(mk)
    # the accompaniment is ended by hand (the client withdrew): back to the case manager
    sid = int(await scalar(h, "SELECT id FROM case_services WHERE case_id = ? AND kind = ?",
                           case, "accompaniment"))  # fmt: skip
    await kasus(h, mk, case)
    await press(h, mk, f"pe:{sid}")
    await press(h, mk, f"pe:{sid}:withdrawn")
    await returned(h, case, "TNG", "Accompaniment", "Withdrawn by the client")
    # only the decision closes
    await close_by_button(h, case, mk)
    closed = tx(h, "🏁 Case <b>{number}</b> was closed: {reason}.",
                number="PPA-TNG-2026-00001", reason=tx(h, "The plan is completed"))  # fmt: skip
    assert plain(closed) in h.texts(GROUPS["TNG"])
    text = await kasus(h, mk, case)
    assert tx(h, "🏁 Case closed: {reason}", reason=tx(h, "The plan is completed")) in text
    # the case manager has no reopen button, and a forged one changes nothing
    assert f"po:{case}" not in h.fake.last_message(mk).callback_data
    await h.click_data(mk, mk, h.fake.last_message_id(mk), f"po:{case}:new_information")
    assert await case_closed(h, case)
    denied = "SELECT COUNT(*) FROM audit_log WHERE action = 'denied:reopen_case'"
    assert await scalar(h, denied) == 1
    # the head reopens with a reason; the plan is shown again, open
    await kasus(h, head, case)
    await press(h, head, f"po:{case}")
    await press(h, head, f"po:{case}:new_information")
    assert not await case_closed(h, case)
    reopened = tx(h, "↩ Case <b>{number}</b> was reopened by the head: {reason}. See /kasus "
                  "{number}.", number="PPA-TNG-2026-00001",
                  reason=tx(h, "New information"))  # fmt: skip
    assert plain(reopened) in h.texts(mk)
    text = await kasus(h, mk, case)
    assert f"pa:{case}" in h.fake.last_message(mk).callback_data  # services can be added again
    block = plan_block(text)
    assert block.count("✅ ") == 2 and "▶ " not in block and "🏁" not in block


async def test_a_refused_mediation_on_the_plan_is_explained(wh: Harness) -> None:
    h, ids = wh, IDS["TNG"]
    case = await to_service(h, "TNG", "accompaniment", violence=("sexual",))
    await kasus(h, ids["mk"], case)
    await press(h, ids["mk"], f"pa:{case}")
    await press(h, ids["mk"], f"pk:{case}:mediation")
    assert "Pasal 23" in h.last_text(ids["mk"])
    assert await running(h, case) == ["accompaniment"]


async def test_the_review_reminds_the_case_manager(wh: Harness, clock: FakeClock) -> None:
    h, ids = wh, IDS["TNG"]
    case = await to_service(h, "TNG", "accompaniment")
    clock.advance(days=31)
    await sweep(h.rt.services, clock.now())
    await h.pump()
    number = str(await scalar(h, "SELECT number FROM cases WHERE id = ?", case))
    said = tx(h, "🔁 Time to review the plan of case <b>{number}</b>: are its services still "
              "the right ones? See /kasus {number}.", number=number)  # fmt: skip
    assert plain(said) in h.texts(ids["mk"])
    await press(h, ids["mk"], f"pv:{case}")
    assert tx(h, "🔁 Review recorded.") in h.last_text(ids["mk"])
    sql = "SELECT COUNT(*) FROM audit_log WHERE action = 'case_reviewed' AND case_id = ?"
    assert await scalar(h, sql, case) == 1


async def reporter_sees(h: Harness, case: int) -> str:
    deps = h.rt.application.bot_data["deps"]
    async with h.rt.db.reading() as conn:
        row = await h.rt.services.cases.get(conn, case)
    assert row is not None
    return await reporter_progress(h.rt.services, deps.workflow, row, h.rt.i18n.get("en"))


async def test_the_reporter_sees_the_team_at_work_on_the_plan(wh: Harness) -> None:
    h, ids = wh, IDS["TNG"]
    mk = ids["mk"]
    case = await to_service(h, "TNG", "accompaniment")
    await kasus(h, mk, case)
    await press(h, mk, f"pa:{case}")
    await press(h, mk, f"pk:{case}:health")
    await press(h, mk, f"pk:{case}:health:{await h.person(ids['pendamping'])}")
    sid = int(await scalar(h, "SELECT id FROM case_services WHERE case_id = ? AND kind = ?",
                           case, "accompaniment"))  # fmt: skip
    await kasus(h, mk, case)
    await press(h, mk, f"pe:{sid}")
    await press(h, mk, f"pe:{sid}:completed")
    during = await reporter_sees(h, case)  # a service without an SOP: never named to her
    assert "planning the help" in during and "visum" not in during.lower()
    await do_step(h, case, "serve", ids["pendamping"], report="Visum dilakukan.")
    assert await running(h, case) == []
    assert "planning the help" in await reporter_sees(h, case)  # between services, still open


async def test_the_typed_commands_add_several_services_close_and_reopen(wh: Harness) -> None:
    h, ids = wh, IDS["TNG"]
    mk, head = ids["mk"], ids["ketua"]
    case = await to_service(h, "TNG", "mediation", choose=False)  # no service yet
    number = str(await scalar(h, "SELECT number FROM cases WHERE id = ?", case))
    await h.send(mk, f"/layanan {number} terbang")
    assert "/layanan" in h.last_text(mk) and await running(h, case) == []
    await h.send(ids["petugas"], f"/layanan {number} pendampingan")
    assert await running(h, case) == []  # a complaint officer does not plan services
    await h.send(mk, f"/layanan {number} pendampingan bantuan_hukum={KONSELOR} visum="
                     f"{ids['pendamping']}")  # fmt: skip
    assert await running(h, case) == ["accompaniment", "legal_aid", "health"]
    await h.send(mk, f"/tutup {number} selesai")
    assert tx(h, "End every running service before closing the case.") in h.last_text(mk)
    for kind in ("accompaniment", "legal_aid", "health"):
        sid = int(await scalar(h, "SELECT id FROM case_services WHERE case_id = ? AND kind = ?",
                               case, kind))  # fmt: skip
        await kasus(h, mk, case)
        await press(h, mk, f"pe:{sid}")
        await press(h, mk, f"pe:{sid}:completed")
    assert await running(h, case) == []
    # the intake's own choice is still open: closing cancels it, nothing else closes
    await h.send(mk, f"/tutup {number} selesai")
    assert await case_closed(h, case)
    await h.send(mk, f"/bukakembali {number} info_baru")
    assert await case_closed(h, case)  # only the head reopens
    await h.send(head, f"/bukakembali {number} info_baru")
    assert not await case_closed(h, case)
    assert tx(h, "↩ The case is open again.") in h.last_text(head)


async def test_pasuruan_not_mediable_returns_to_the_case_manager(wh: Harness) -> None:
    h, ids = wh, IDS["PSR"]
    case = await to_service(h, "PSR", "mediation")
    await do_step(h, case, "assess", ids["pendamping"], outcome="not_mediable",
                  report="Relasi kuasa terlalu timpang.")  # fmt: skip
    await returned(h, case, "PSR", "Mediation", "Cannot be mediated")
    assert await running(h, case) == []


async def test_a_failed_mediation_is_ended_by_the_case_manager_and_returns(wh: Harness) -> None:
    h, ids = wh, IDS["TNG"]
    case = await to_service(h, "TNG", "mediation")
    await do_step(h, case, "order", ids["ketua"], report="Mediator diperintahkan.")
    sid = int(await scalar(h, "SELECT id FROM case_services WHERE case_id = ?", case))
    await kasus(h, ids["mk"], case)
    await press(h, ids["mk"], f"pe:{sid}")
    await press(h, ids["mk"], f"pe:{sid}:failed")
    await returned(h, case, "TNG", "Mediation", "Did not succeed")
    sql = "SELECT COUNT(*) FROM steps WHERE case_id = ? AND status IN ('open', 'waiting')"
    assert await scalar(h, sql, case) == 0  # its open steps were cancelled
