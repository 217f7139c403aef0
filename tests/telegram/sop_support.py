"""Helpers for driving the SOPs through the Application: staff, cases, steps, buttons."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.channels.telegram.addresses import TelegramAddresses
from bot.clock import FakeClock
from bot.domain.notice import Recipient
from bot.testing.fake_telegram import SentMessage
from bot.testing.harness import Harness
from tests.telegram.flows import full_report, press

GROUPS = {"TNG": -1001000000001, "PKL": -1001000000002, "PSR": -1001000000003}
IDS: dict[str, dict[str, int]] = {
    "TNG": {"ketua": 100000001, "petugas": 100000002, "admin": 100000002, "mk": 100000003,
            "pendamping": 100000004, "mediator": 100000005, "serve": 100000007},
    "PKL": {"ketua": 200000001, "petugas": 200000002, "admin": 200000003, "mk": 200000004,
            "pendamping": 200000004, "mediator": 200000005, "serve": 200000005},
    "PSR": {"ketua": 300000001, "petugas": 300000002, "admin": 300000007, "mk": 300000003,
            "pendamping": 300000004, "mediator": 300000005, "serve": 300000006},
}  # fmt: skip


@pytest.fixture
async def wh(tmp_path: Path, db_target: str | Path, clock: FakeClock) -> AsyncIterator[Harness]:
    """The harness with every example staff member started (on each store under test)."""
    h = await Harness.create(tmp_path, clock=clock, database=db_target)
    try:
        for uid in h.rt.services.file_staff():
            await h.send(uid, "/start")
        yield h
    finally:
        await h.stop()


# -- helpers ----------------------------------------------------------------------------------


async def scalar(h: Harness, sql: str, *params: Any) -> Any:
    """One value from the database."""
    row = await h.rt.db.fetchone(sql, params)
    assert row is not None
    return row[0]


async def open_step(h: Harness, case_id: int, key: str) -> int:
    """The id of the case's open step with that key."""
    sql = "SELECT id FROM steps WHERE case_id = ? AND step_key = ? AND status = 'open'"
    return int(await scalar(h, sql + " ORDER BY id DESC", case_id, key))


def tx(h: Harness, msgid: str, **params: Any) -> str:
    """A message in the offices' language (Indonesian), as the bot renders it."""
    return h.rt.i18n.get("id").gettext(msgid, **params)


async def sent(h: Harness, kind: str, chat: int) -> int:
    """How many outbox rows of a kind were sent to a chat (their recipients resolved)."""
    sql = "SELECT recipient FROM outbox WHERE kind = ? AND status = 'sent'"
    rows = await h.rt.db.fetchall(sql, (kind,))
    addresses = TelegramAddresses(h.rt.services)
    async with h.rt.db.reading() as conn:
        chats = [await addresses.resolve(conn, Recipient.parse(r[0])) for r in rows]
    return chats.count(chat)


def texts_since(h: Harness, chat: int, before: int) -> str:
    """Plain text of the bot's messages in a chat after a message id."""
    return "\n".join(m.plain_text or "" for m in h.fake.messages(chat) if m.message_id > before)


async def do_step(
    h: Harness, case_id: int, key: str, user: int, outcome: str = "done",
    report: str | None = "Sudah dikerjakan.",
) -> list[SentMessage]:  # fmt: skip
    """The user finishes a step from the task message in their private chat."""
    sid = await open_step(h, case_id, key)
    out = await press(h, user, f"wd:{sid}")
    if any(f"wo:{sid}:{outcome}" in m.callback_data for m in out):
        out = await press(h, user, f"wo:{sid}:{outcome}")
    if report is None:
        return await press(h, user, f"wn:{sid}")
    return await h.send(user, report)


async def new_case(
    h: Harness,
    office: str,
    age: str = "15",
    violence: tuple[str, ...] = ("physical", "psychological"),
) -> int:
    """A reporter's complaint to an office (the intake SOP starts); returns the case id."""
    await full_report(h, office_id=office, age=age, violence=violence)
    return int(await scalar(h, "SELECT MAX(id) FROM cases"))


async def to_service(
    h: Harness,
    office: str,
    service: str,
    age: str = "34",
    violence: tuple[str, ...] = ("physical", "psychological"),
    choose: bool = True,
) -> int:
    """Intake and case management through buttons, ending with the case manager's choice
    (or just before it, with ``choose=False``).

    The victim is an adult by default: violence against a child is never mediated (UU 35/2014).
    """
    ids = IDS[office]
    case = await new_case(h, office, age, violence)
    await do_step(h, case, "first_response", ids["petugas"], report="Pelapor sudah dihubungi.")
    serve = await dispose_by_button(h, case, ids["ketua"], ids["serve"])
    assignee = await scalar(h, "SELECT assignee_user_id FROM steps WHERE id = ?", serve)
    assert assignee == await h.person(ids["serve"])
    await do_step(h, case, "serve", ids["serve"], report="Konseling pertama selesai.")
    await do_step(h, case, "plan", ids["mk"], report="Rencana tindak lanjut.")
    await do_step(h, case, "record_in_system", ids["admin"], report=None)
    if choose:
        await do_step(h, case, "case_management", ids["mk"], outcome=service, report=None)
    return case


async def dispose_by_button(h: Harness, case: int, head: int, expert: int) -> int:
    """The head finishes the disposition naming the expert (Done, then "Dispose to"; seed 004
    step 1: the only way); returns the id of the expert's open step."""
    sid = await open_step(h, case, "dispose")
    await press(h, head, f"wd:{sid}")
    await press(h, head, f"wa:{sid}:{await h.person(expert)}")
    return await open_step(h, case, "serve")


async def schedule(h: Harness, case: int, key: str, user: int, place: str) -> list[SentMessage]:
    """Pick the first offered day and slot for the step's mediation, then type the place."""
    sid = await open_step(h, case, key)
    await press(h, user, f"ms:{sid}")
    days = await press(h, user, f"mt:{sid}")
    day = next(d for m in days for d in m.callback_data if d.startswith("md:"))
    slots = await press(h, user, day)
    slot = next(d for m in slots for d in m.callback_data if d.startswith("mh:"))
    await press(h, user, slot)
    return await h.send(user, place)


async def add_party(h: Harness, case: int, key: str, user: int, code: str, pid: int = 0) -> None:
    """Record (or with pid, change) a party by its wizard buttons: role letter then y/n answers."""
    sid = await open_step(h, case, key)
    await press(h, user, f"ms:{sid}")
    data = f"mq:{sid}:{pid}:"
    await press(h, user, data)
    for ch in code:
        data += ch
        await press(h, user, data)


async def case_closed(h: Harness, case: int) -> bool:
    """Whether the case is closed."""
    return bool(await scalar(h, "SELECT status FROM cases WHERE id = ?", case) == "closed")


SERVICE_ENDED = (
    "📋 Case <b>{number}</b>: {service} has ended ({outcome}). The case stays open: add the "
    "next service or close the case with a reason (/kasus {number})."
)


async def returned(h: Harness, case: int, office: str, service: str, outcome: str) -> None:
    """The service ended with that outcome and went back to the case manager; still open."""
    assert not await case_closed(h, case)
    number = str(await scalar(h, "SELECT number FROM cases WHERE id = ?", case))
    said = tx(h, SERVICE_ENDED, number=number, service=tx(h, service), outcome=tx(h, outcome))
    assert re.sub(r"<[^>]+>", "", said) in h.texts(IDS[office]["mk"]), said


async def close_by_button(h: Harness, case: int, user: int, reason: str = "completed") -> None:
    """The case manager closes the case from /kasus with a reason."""
    number = str(await scalar(h, "SELECT number FROM cases WHERE id = ?", case))
    await h.send(user, f"/kasus {number}")
    await press(h, user, f"pc:{case}")
    await press(h, user, f"pc:{case}:{reason}")
    assert await case_closed(h, case)


# -- Tangerang --------------------------------------------------------------------------------
