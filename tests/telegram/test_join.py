"""Join requests the head approves by button, removals by the head; all recorded and audited."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import Clock, FakeClock
from bot.config import load_offices
from bot.crypto import Cipher, generate_key
from bot.domain.office import Role
from bot.services.context import Services
from bot.services.roster import (
    RosterOutcome,
    apply_roster_changes,
    decide,
    request_join,
    request_removal,
)
from bot.store.db import Database
from bot.testing.harness import EXAMPLE_OFFICES, Harness
from bot.testing.people import person
from tests.telegram.flows import press

TNG_HEAD = 100000001
TNG_COMPANION = 100000004  # pendamping of TNG, from the office file
PKL_HEAD = 200000001
JOINER = 777001
STRANGER = 999999


async def _wire(h: Harness) -> None:
    """What bot/app.py does already (idempotent): the roster (the handlers are in registry.py)."""
    await apply_roster_changes(h.rt.services)


async def _restart(h: Harness) -> None:
    await h.restart()
    await _wire(h)


@pytest.fixture
async def jh(tmp_path: Path, db_target: str | Path, clock: FakeClock) -> AsyncIterator[Harness]:
    """The offline bot with the join handlers wired in; both heads have a private chat."""
    h = await Harness.create(tmp_path, clock=clock, database=db_target)
    try:
        await _wire(h)
        await h.send(TNG_HEAD, "/start")
        await h.send(PKL_HEAD, "/start")
        yield h
    finally:
        await h.stop()


async def _audit(h: Harness, action: str) -> int:
    row = await h.rt.db.fetchone("SELECT COUNT(*) FROM audit_log WHERE action = ?", (action,))
    assert row is not None
    return int(row[0])


async def _ask(h: Harness, user: int, office_id: str, role: str) -> None:
    """/gabung, pick the office, pick the role."""
    await h.send(user, "/gabung")
    await press(h, user, f"gb:o:{office_id}")
    await press(h, user, f"gb:r:{office_id}:{role}")


def _request_message(h: Harness, head: int, change_id: int = 1) -> int:
    """The id of the head's message carrying the approve/reject buttons."""
    for m in reversed(h.fake.messages(head)):
        if f"jn:{change_id}:y" in m.callback_data:
            return m.message_id
    raise LookupError("no join request message")


async def _roles(h: Harness, user: int, office_id: str = "TNG") -> frozenset[Role]:
    return h.rt.services.offices[office_id].roles_of(await h.person(user))


async def test_approved_join_gives_the_role_and_survives_a_restart(jh: Harness) -> None:
    await jh.send(JOINER, "/start")
    await jh.send(JOINER, "/tugas")
    assert await _audit(jh, "denied:tasks") == 1
    await _ask(jh, JOINER, "TNG", "pendamping")
    assert await _roles(jh, JOINER) == frozenset()  # nothing yet: it waits for the head
    assert await _audit(jh, "join_request") == 1
    head_msg = jh.fake.last_message(TNG_HEAD)
    assert head_msg.callback_data == ["jn:1:y", "jn:1:n"]
    assert str(JOINER) in (head_msg.plain_text or "")
    assert not any("jn:" in d for m in jh.fake.messages(PKL_HEAD) for d in m.callback_data)

    await press(jh, TNG_HEAD, "jn:1:y")
    assert await _roles(jh, JOINER) == frozenset({Role.PENDAMPING})
    assert await _audit(jh, "join_approved") == 1
    assert jh.fake.last_message(TNG_HEAD).message_id == head_msg.message_id
    assert jh.fake.last_message(TNG_HEAD).callback_data == []  # decided: buttons gone
    assert "/tugas" in jh.last_text(JOINER)  # the requester is told

    await jh.send(JOINER, "/tugas")
    assert await _audit(jh, "read_tasks") == 1

    await _restart(jh)
    assert await _roles(jh, JOINER) == frozenset({Role.PENDAMPING})
    await jh.send(JOINER, "/tugas")
    assert await _audit(jh, "read_tasks") == 2
    assert await _audit(jh, "denied:tasks") == 1


async def test_approved_petugas_may_record_a_complaint(jh: Harness) -> None:
    await jh.send(JOINER, "/start")
    out = await jh.send(JOINER, "/catat")
    assert len(out) == 1 and not out[0].callback_data
    await _ask(jh, JOINER, "TNG", "petugas")
    await press(jh, TNG_HEAD, "jn:1:y")
    out = await jh.send(JOINER, "/catat")
    assert out and out[-1].callback_data  # the first question of the form


async def test_rejected_join_changes_nothing(jh: Harness) -> None:
    await jh.send(JOINER, "/start")
    await _ask(jh, JOINER, "TNG", "pendamping")
    msg = _request_message(jh, TNG_HEAD)
    await press(jh, TNG_HEAD, "jn:1:n")
    assert await _roles(jh, JOINER) == frozenset()
    assert await _audit(jh, "join_rejected") == 1
    row = await jh.rt.db.fetchone("SELECT status, decided_by FROM roster_changes WHERE id = 1")
    assert row is not None and (row[0], row[1]) == ("rejected", await jh.person(TNG_HEAD))
    assert "/tugas" not in jh.last_text(JOINER)
    assert jh.fake.messages(JOINER)[-1].callback_data == []
    await _restart(jh)
    assert await _roles(jh, JOINER) == frozenset()
    # a late press on the decided request (a stale copy of the buttons) changes nothing
    await jh.click_data(TNG_HEAD, TNG_HEAD, msg, "jn:1:y")
    assert await _roles(jh, JOINER) == frozenset()
    assert jh.fake.callback_answers[-1].show_alert


@pytest.mark.parametrize("presser", [STRANGER, PKL_HEAD, TNG_COMPANION, JOINER])
async def test_only_the_offices_head_decides(jh: Harness, presser: int) -> None:
    await jh.send(JOINER, "/start")
    await _ask(jh, JOINER, "TNG", "pendamping")
    msg = _request_message(jh, TNG_HEAD)
    await jh.click_data(presser, TNG_HEAD, msg, "jn:1:y")
    assert await _roles(jh, JOINER) == frozenset()
    assert jh.fake.callback_answers[-1].show_alert
    assert await _audit(jh, "denied:join_decide") == 1
    assert await _audit(jh, "join_approved") == 0
    row = await jh.rt.db.fetchone("SELECT status FROM roster_changes WHERE id = 1")
    assert row is not None and row[0] == "pending"
    # the real head still can
    await jh.click_data(TNG_HEAD, TNG_HEAD, msg, "jn:1:y")
    assert await _roles(jh, JOINER) == frozenset({Role.PENDAMPING})


@pytest.mark.parametrize("data", ["jn:1:x", "jn:abc:y", "jn:99:y", "jn:1:y:extra"])
async def test_forged_decide_buttons_change_nothing(jh: Harness, data: str) -> None:
    await jh.send(JOINER, "/start")
    await _ask(jh, JOINER, "TNG", "pendamping")
    await jh.click_data(TNG_HEAD, TNG_HEAD, _request_message(jh, TNG_HEAD), data)
    assert await _roles(jh, JOINER) == frozenset()
    assert await _audit(jh, "denied:join_decide") == 1


async def test_repeated_request_is_refused_kindly(jh: Harness) -> None:
    await jh.send(JOINER, "/start")
    await _ask(jh, JOINER, "TNG", "pendamping")
    await _ask(jh, JOINER, "TNG", "pendamping")
    assert jh.fake.callback_answers[-1].show_alert
    row = await jh.rt.db.fetchone("SELECT COUNT(*) FROM roster_changes")
    assert row is not None and row[0] == 1
    assert await _audit(jh, "join_request") == 1
    heads_buttons = [m for m in jh.fake.messages(TNG_HEAD) if "jn:1:y" in m.callback_data]
    assert len(heads_buttons) == 1  # the head is asked once


async def test_head_and_admin_roles_are_not_offered_nor_accepted(jh: Harness) -> None:
    await jh.send(JOINER, "/start")
    await jh.send(JOINER, "/gabung")
    out = await press(jh, JOINER, "gb:o:TNG")
    offered = (out[-1] if out else jh.fake.last_message(JOINER)).callback_data
    assert "gb:r:TNG:pendamping" in offered
    assert not any(d.endswith((":ketua", ":admin")) for d in offered)
    msg = jh.fake.last_message(JOINER).message_id
    for role in ("ketua", "admin", "nobody"):
        jh.fake.user_clicks(JOINER, JOINER, msg, f"gb:r:TNG:{role}", strict=False)
        await jh.pump()
    row = await jh.rt.db.fetchone("SELECT COUNT(*) FROM roster_changes")
    assert row is not None and row[0] == 0
    assert await _roles(jh, JOINER) == frozenset()


async def test_gabung_in_a_group_does_nothing(jh: Harness) -> None:
    await jh.send(JOINER, "/gabung", chat_id=-1001000000001)
    row = await jh.rt.db.fetchone("SELECT COUNT(*) FROM roster_changes")
    assert row is not None and row[0] == 0


async def test_removal_takes_the_role_away(jh: Harness) -> None:
    await jh.send(TNG_COMPANION, "/start")
    await jh.send(TNG_COMPANION, "/tugas")
    assert await _audit(jh, "read_tasks") == 1
    await jh.send(TNG_HEAD, f"/keluarkan {TNG_COMPANION} pendamping")
    assert await _roles(jh, TNG_COMPANION) == frozenset()
    assert await _audit(jh, "roster_remove") == 1
    await jh.send(TNG_COMPANION, "/tugas")
    assert await _audit(jh, "denied:tasks") == 1
    await _restart(jh)  # the office file still lists them; the recorded removal wins
    assert await _roles(jh, TNG_COMPANION) == frozenset()


async def test_removal_after_an_approved_join(jh: Harness) -> None:
    await jh.send(JOINER, "/start")
    await _ask(jh, JOINER, "TNG", "pendamping")
    await press(jh, TNG_HEAD, "jn:1:y")
    await jh.send(TNG_HEAD, f"/keluarkan {JOINER} pendamping")
    assert await _roles(jh, JOINER) == frozenset()
    await _restart(jh)
    assert await _roles(jh, JOINER) == frozenset()


@pytest.mark.parametrize(
    ("user", "args"),
    [
        (STRANGER, f"{TNG_COMPANION} pendamping"),
        (PKL_HEAD, f"{TNG_COMPANION} pendamping TNG"),
        (TNG_COMPANION, f"{TNG_COMPANION} pendamping"),
    ],
)
async def test_removal_refused_for_others(jh: Harness, user: int, args: str) -> None:
    await jh.send(user, "/start")
    await jh.send(user, f"/keluarkan {args}")
    assert await _roles(jh, TNG_COMPANION) == frozenset({Role.PENDAMPING})
    assert await _audit(jh, "denied:roster_remove") == 1
    assert await _audit(jh, "roster_remove") == 0


@pytest.mark.parametrize("args", ["", "abc pendamping", "100000002 admin", "100000001 ketua"])
async def test_removal_of_file_only_roles_or_bad_input_changes_nothing(
    jh: Harness, args: str
) -> None:
    before = dict(jh.rt.services.offices["TNG"].roster)
    out = await jh.send(TNG_HEAD, f"/keluarkan {args}".strip())
    assert len(out) == 1
    assert dict(jh.rt.services.offices["TNG"].roster) == before
    row = await jh.rt.db.fetchone("SELECT COUNT(*) FROM roster_changes")
    assert row is not None and row[0] == 0


async def test_no_display_name_is_stored(jh: Harness) -> None:
    await jh.send(JOINER, "/start")
    await _ask(jh, JOINER, "TNG", "pendamping")
    await press(jh, TNG_HEAD, "jn:1:y")
    rows = await jh.rt.db.fetchall("SELECT * FROM roster_changes")
    assert "Uji" not in repr([tuple(r) for r in rows])
    audit = await jh.rt.db.fetchall("SELECT detail FROM audit_log")
    assert not any("Uji" in str(r[0]) for r in audit)


# -- the roster lives in the database: every process sees every decision ---------------------


KEY = generate_key()  # the processes of one deployment share its key


async def _services(path: str | Path, clock: Clock, key: str = KEY) -> Services:
    """Another process on the same database: its own connection, the office file's roster."""
    offices = {o.id: o for o in load_offices(EXAMPLE_OFFICES)}
    svc = Services(await Database.open(path), clock, Cipher(key), offices)
    await svc.load_roster()
    return svc


async def _roster_rows(svc: Services) -> list[tuple[str, int, str]]:
    """The roster table, with each person named by their Telegram id again."""
    rows = await svc.db.fetchall("SELECT office_id, user_id, role FROM roster ORDER BY 1, 2, 3")
    back = {await person(svc, uid): uid for uid in svc.file_staff()}
    back.update({await person(svc, JOINER): JOINER})
    return sorted((str(r[0]), back[int(r[1])], str(r[2])) for r in rows)


async def test_a_second_services_sees_an_approval_made_by_the_first(
    db_target: str | Path, clock: FakeClock
) -> None:
    first = await _services(db_target, clock)
    second = await _services(db_target, clock)
    try:
        joiner, head = await person(first, JOINER), await person(first, TNG_HEAD)
        asked = await request_join(first, joiner, "TNG", "pendamping")
        assert asked.outcome is RosterOutcome.OK and asked.change is not None
        assert not second.office("TNG").has_role(joiner, Role.PENDAMPING)
        decided = await decide(first, asked.change.id, head, approve=True)
        assert decided.outcome is RosterOutcome.OK
        assert first.office("TNG").has_role(joiner, Role.PENDAMPING)
        await second.refresh_roster()
        tng = second.office("TNG")
        assert tng.has_role(joiner, Role.PENDAMPING) and tng.is_staff(joiner)
        assert joiner in tng.people_with(Role.PENDAMPING)
        assert second.staff_offices(joiner) == [tng]
        # and back: a removal by the head through the second is seen by the first
        removed = await request_removal(second, head, "TNG", joiner, "pendamping")
        assert removed.outcome is RosterOutcome.OK
        await first.refresh_roster()
        assert not first.office("TNG").is_staff(joiner)
    finally:
        await first.db.close()
        await second.db.close()


async def test_seeding_the_roster_is_idempotent_and_keeps_decisions(
    db_target: str | Path, clock: FakeClock
) -> None:
    svc = await _services(db_target, clock)
    try:
        seeded = await _roster_rows(svc)
        file_roster = {o.id: dict(o.roster) for o in load_offices(EXAMPLE_OFFICES)}
        assert seeded == sorted(
            (oid, uid, role.value)
            for oid, roster in file_roster.items()
            for uid, held in roster.items()
            for role in held
        )
        await svc.load_roster()
        assert await _roster_rows(svc) == seeded
        joiner, head = await person(svc, JOINER), await person(svc, TNG_HEAD)
        companion = await person(svc, TNG_COMPANION)
        asked = await request_join(svc, joiner, "TNG", "mediator")
        assert asked.change is not None
        await decide(svc, asked.change.id, head, approve=True)
        await request_removal(svc, head, "TNG", companion, "pendamping")
        after = await _roster_rows(svc)
        assert ("TNG", JOINER, "mediator") in after
        assert ("TNG", TNG_COMPANION, "pendamping") not in after
        # a start again (the office file as before): the decisions stay on top of it
        again = await _services(db_target, clock)
        try:
            assert await _roster_rows(again) == after
            assert again.office("TNG").roster == svc.office("TNG").roster
        finally:
            await again.db.close()
    finally:
        await svc.db.close()


async def test_the_running_bot_sees_an_approval_made_elsewhere(jh: Harness) -> None:
    settings = jh.settings
    other = await _services(settings.ppa_database, jh.clock, settings.ppa_secret_key)
    try:
        joiner = await person(other, JOINER)
        asked = await request_join(other, joiner, "TNG", "pendamping")
        assert asked.change is not None
        await decide(other, asked.change.id, await person(other, TNG_HEAD), approve=True)
    finally:
        await other.db.close()
    assert not jh.rt.services.office("TNG").has_role(joiner, Role.PENDAMPING)
    await jh.send(JOINER, "/start")  # any update: the roster is read before it is handled
    assert jh.rt.services.office("TNG").has_role(joiner, Role.PENDAMPING)
