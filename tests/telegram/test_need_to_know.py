"""Need-to-know: a case's identity (details, letters) only for the staff handling it.

Security review findings: any role of the office could read every case's details through the
staff group's Detail button and get its letters; the details message could be forwarded; a
long story cut the child-protection warning off. Everything goes through the real Application
and the fake Telegram.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.domain.office import Role
from bot.reports import list_letters
from bot.testing.fake_telegram import SentMessage
from bot.testing.harness import Harness
from tests.telegram.flows import REPORTER, choose, office, press
from tests.telegram.sop_support import do_step, open_step, scalar, tx
from tests.telegram.test_letters_ui import docs, invite_step

TNG_GROUP = -1001000000001
HEAD = 100000001  # ketua
OFFICER = 100000002  # petugas (and admin)
MANAGER = 100000003  # manajer_kasus
COMPANION = 100000004  # pendamping
MEDIATOR = 100000005  # mediator
COUNSELLOR = 100000006  # konselor_hukum
PSY = 100000007  # psikolog
SECOND_OFFICER = 100000009  # a second complaint officer (added to the roster below)
CLERK = 100000010  # administration only (added to the roster below)
PKL_HEAD = 200000001  # the head of another office
STRANGER = 999999
NUMBER = "PPA-TNG-2026-00001"
ROSTERED = (HEAD, OFFICER, MANAGER, COMPANION, MEDIATOR, COUNSELLOR, PSY, SECOND_OFFICER, CLERK)

REFUSED = (
    "Sorry, a case's details are only for the staff handling it. If you need them, "
    "ask the head of the unit to give you access."
)
LETTER_REFUSED = (
    "Sorry, a case's letters are only for the staff handling it. If you need them, "
    "ask the head of the unit to give you access."
)
WARNING = (
    "⚠ Child victim and the reported party is a parent or guardian: "
    "do not seek consent through that parent."
)


async def _started(tmp_path: Path, clock: FakeClock, database: str | Path) -> Harness:
    h = await Harness.create(tmp_path, clock=clock, database=database)
    added = [
        (await h.person(uid), role) for uid, role in ((SECOND_OFFICER, "petugas"), (CLERK, "admin"))
    ]
    async with h.rt.db.transaction() as conn:
        for pid, role in added:  # signed rows, as a decision writes them
            await h.rt.services.roster.grant(conn, "TNG", pid, Role(role))
    for uid in (*ROSTERED, PKL_HEAD, STRANGER):
        await h.send(uid, "/start")
    return h


@pytest.fixture
async def wh(tmp_path: Path, clock: FakeClock, db_target: str | Path) -> AsyncIterator[Harness]:
    """Every TNG role started, and one reported TNG case (child victim, step-parent)."""
    h = await _started(tmp_path, clock, db_target)
    try:
        await report(h)
        yield h
    finally:
        await h.stop()


@pytest.fixture
async def bare(tmp_path: Path, clock: FakeClock, db_target: str | Path) -> AsyncIterator[Harness]:
    """Every TNG role started, no case yet."""
    h = await _started(tmp_path, clock, db_target)
    try:
        yield h
    finally:
        await h.stop()


async def report(
    h: Harness,
    story: str = "Ayah tiri memukul dan membentak anak hampir setiap malam.",
    notes: tuple[str, ...] = (),
) -> None:
    """A reporter's complaint to TNG (15-year-old victim, step-parent), with extra notes."""
    user = REPORTER
    await h.send(user, "/lapor")
    await choose(h, user, "danger", "no")
    await office(h, user, "TNG")
    await choose(h, user, "reporter", "family")
    await press(h, user, "a|reporter_age|s")
    await h.send(user, "Melati")
    await h.send(user, "15")
    await choose(h, user, "victim_sex", "female")
    await choose(h, user, "disability", "no")
    await choose(h, user, "violence", "physical")
    await choose(h, user, "violence", "done")
    await choose(h, user, "relation", "step_parent")
    await choose(h, user, "perpetrator_sex", "male")
    await h.send(user, "Budi Santoso")
    await h.send(user, "01-02-2026")
    await choose(h, user, "place", "rumah_tangga")
    await h.send(user, "Jl. Kenanga No. 7, Cibodas")
    await h.send(user, story)
    for note in notes:
        await h.send(user, note)  # typed at the evidence question: added to the story
    await choose(h, user, "evidence", "done")
    await h.send(user, "0812-3456-7890")
    await choose(h, user, "call_time", "office_hours")
    await choose(h, user, "help", "counselling")
    await choose(h, user, "help", "done")
    await choose(h, user, "notify", "normal")
    await choose(h, user, "consent", "yes")
    await press(h, user, "s|send")
    assert await scalar(h, "SELECT number FROM cases WHERE id = 1") == NUMBER


async def details(h: Harness, user: int) -> list[SentMessage]:
    """Press Detail on the staff group's notice of case 1; the messages the user got."""
    notice = next(m for m in h.fake.messages(TNG_GROUP) if "det:1" in m.callback_data)
    before = h.fake.last_message_id(user)
    await h.click_data(user, TNG_GROUP, notice.message_id, "det:1")
    return [m for m in h.fake.messages(user) if m.message_id > before]


async def audits(h: Harness, action: str, detail: str | None = None) -> int:
    """Audit entries of an action (and detail)."""
    sql = "SELECT COUNT(*) FROM audit_log WHERE action = ?"
    if detail is None:
        return int(await scalar(h, sql, action))
    return int(await scalar(h, sql + " AND detail = ?", action, detail))


async def assert_refused(h: Harness, user: int) -> None:
    """The user gets no details, a kind alert, and the attempt is audited."""
    denied = await audits(h, "denied:read", "need to know")
    reads = await audits(h, "read_details")
    assert await details(h, user) == []
    answer = h.fake.callback_answers[-1]
    assert answer.show_alert and answer.text == tx(h, REFUSED)
    assert await audits(h, "denied:read", "need to know") == denied + 1
    assert await audits(h, "read_details") == reads


async def assert_reads(h: Harness, user: int) -> None:
    """The user gets the details by private message, and the read is audited."""
    reads = await audits(h, "read_details")
    got = await details(h, user)
    text = "\n".join(m.plain_text or "" for m in got)
    assert "Melati" in text and "Budi Santoso" in text and "6281234567890" in text
    assert await audits(h, "read_details") == reads + 1


# -- finding 1: need-to-know ---------------------------------------------------------------------


@pytest.mark.parametrize("user", [PSY, COUNSELLOR, MEDIATOR, COMPANION, CLERK])
async def test_staff_handling_nothing_get_a_kind_refusal_and_it_is_audited(
    wh: Harness, user: int
) -> None:
    await assert_refused(wh, user)
    assert "Melati" not in " ".join(wh.texts(user))


@pytest.mark.parametrize("user", [HEAD, MANAGER, OFFICER, SECOND_OFFICER])
async def test_head_case_managers_and_officers_at_the_first_response_read(
    wh: Harness, user: int
) -> None:
    await assert_reads(wh, user)


async def test_officers_only_while_the_first_response_then_those_who_took_or_did_it(
    wh: Harness,
) -> None:
    h = wh
    await do_step(h, 1, "first_response", OFFICER, report="Pelapor sudah dihubungi.")
    await assert_refused(h, SECOND_OFFICER)  # the first response is over
    await assert_reads(h, OFFICER)  # did the first response


async def test_the_taker_keeps_access_after_the_first_response(wh: Harness) -> None:
    h = wh
    await press(h, SECOND_OFFICER, "take:1", chat=TNG_GROUP)
    taker = await scalar(h, "SELECT taken_by FROM cases WHERE id = 1")
    assert taker == await h.person(SECOND_OFFICER)
    await do_step(h, 1, "first_response", OFFICER, report="Pelapor sudah dihubungi.")
    await assert_reads(h, SECOND_OFFICER)


async def test_an_assignee_of_a_step_reads(wh: Harness) -> None:
    h = wh
    await do_step(h, 1, "first_response", OFFICER, report="Pelapor sudah dihubungi.")
    dispose = await open_step(h, 1, "dispose")
    await press(h, HEAD, f"wd:{dispose}")
    await assert_refused(h, PSY)  # not yet named
    await press(h, HEAD, f"wa:{dispose}:{await h.person(PSY)}")
    serve = await open_step(h, 1, "serve")
    assignee = await scalar(h, "SELECT assignee_user_id FROM steps WHERE id = ?", serve)
    assert assignee == await h.person(PSY)
    await assert_reads(h, PSY)


async def test_the_head_grants_access_with_akses_and_it_is_audited(wh: Harness) -> None:
    h = wh
    await assert_refused(h, PSY)
    out = await h.send(HEAD, f"/akses {NUMBER.lower()} {PSY}")
    assert out[-1].plain_text == tx(
        h, "Staff {id} may now see the details and letters of case {number}.", id=PSY,
        number=NUMBER,
    )  # fmt: skip
    psy, head = await h.person(PSY), await h.person(HEAD)
    assert await audits(h, "grant_access", f'{{"to": {psy}}}') == 1
    sql = "SELECT granted_by FROM access_grants WHERE user_id = ?"
    assert await scalar(h, sql, psy) == head
    await assert_reads(h, PSY)
    await h.send(HEAD, f"/akses {NUMBER} {PSY}")  # again: nothing new
    assert await audits(h, "grant_access") == 1
    await assert_refused(h, COUNSELLOR)  # a grant is for one person


@pytest.mark.parametrize(
    ("user", "args", "chat", "reply"),
    [
        (OFFICER, f"{NUMBER} {PSY}", None, "Only the head of the unit can give access to a case."),
        (MANAGER, f"{NUMBER} {PSY}", None, "Only the head of the unit can give access to a case."),
        (PKL_HEAD, f"{NUMBER} {PSY}", None, "There is no case with that number in your unit."),
        (STRANGER, f"{NUMBER} {PSY}", None, "There is no case with that number in your unit."),
        (
            HEAD,
            f"PPA-TNG-2026-00099 {PSY}",
            None,
            "There is no case with that number in your unit.",
        ),
        (HEAD, f"{NUMBER} {STRANGER}", None, "User {id} is not on the staff of this unit."),
        (HEAD, f"{NUMBER} {PKL_HEAD}", None, "User {id} is not on the staff of this unit."),
        (HEAD, f"{NUMBER} {PSY}", TNG_GROUP, "Please use /akses in a private chat with the bot."),
    ],
)
async def test_akses_refused_changes_nothing_and_is_audited(
    wh: Harness, user: int, args: str, chat: int | None, reply: str
) -> None:
    h = wh
    grantee = int(args.split()[1])
    kw = {"chat_id": chat} if chat is not None else {}
    out = await h.send(user, f"/akses {args}", **kw)
    assert out[-1].plain_text == tx(h, reply, id=grantee)
    assert await audits(h, "denied:grant_access") == 1
    assert await audits(h, "grant_access") == 0
    assert await scalar(h, "SELECT COUNT(*) FROM access_grants") == 0
    await assert_refused(h, PSY)


async def test_akses_without_its_arguments_explains_itself(wh: Harness) -> None:
    h = wh
    for text in ("/akses", f"/akses {NUMBER}", f"/akses {NUMBER} abc", f"/akses {PSY} {NUMBER}"):
        out = await h.send(HEAD, text)
        assert "/akses PPA-TNG-2026-00001 100000007" in (out[-1].plain_text or ""), text
    assert await scalar(h, "SELECT COUNT(*) FROM access_grants") == 0


async def test_a_grant_ends_with_the_grantees_place_on_the_roster(wh: Harness) -> None:
    h = wh
    await h.send(HEAD, f"/akses {NUMBER} {PSY}")
    await assert_reads(h, PSY)
    psy = await h.person(PSY)
    async with h.rt.db.transaction() as conn:
        for role in h.rt.services.offices["TNG"].roles_of(psy):
            await h.rt.services.roster.revoke(conn, "TNG", psy, role)
    denied = await audits(h, "denied:read")
    assert await details(h, PSY) == []
    assert await audits(h, "denied:read") == denied + 1


# -- finding 1: letters ----------------------------------------------------------------------


async def test_letters_only_for_those_who_need_to_know(bare: Harness) -> None:
    h = bare
    case, sid = await invite_step(h)
    # the administration may do the invitation step, but handles nothing else in this case
    before = await audits(h, "denied:make_letter", "need to know")
    await h.click_data(CLERK, CLERK, h.fake.last_message_id(CLERK), f"wl:{sid}")
    assert h.fake.callback_answers[-1].show_alert
    assert h.fake.callback_answers[-1].text == tx(h, LETTER_REFUSED)
    assert await audits(h, "denied:make_letter", "need to know") == before + 1
    assert docs(h, CLERK) == [] and await list_letters(h.rt.services, case) == []
    # the head grants access: the letter is made and sent
    await h.send(HEAD, f"/akses {NUMBER} {CLERK}")
    await h.click_data(CLERK, CLERK, h.fake.last_message_id(CLERK), f"wl:{sid}")
    assert len(docs(h, CLERK)) == 1
    letters = await list_letters(h.rt.services, case)
    assert [x.created_by for x in letters] == [await h.person(CLERK)]
    resend = f"wr:{letters[0].id}"
    # the counsellor (no step in this case) sees the letter in /kasus but no button to get it
    out = await h.send(COUNSELLOR, f"/kasus {NUMBER}")
    assert letters[0].number in (out[-1].plain_text or "")
    assert resend not in out[-1].callback_data
    denied = await audits(h, "denied:letter", "need to know")
    await h.click_data(COUNSELLOR, COUNSELLOR, h.fake.last_message_id(COUNSELLOR), resend)
    assert h.fake.callback_answers[-1].show_alert
    assert h.fake.callback_answers[-1].text == tx(h, LETTER_REFUSED)
    assert await audits(h, "denied:letter", "need to know") == denied + 1
    assert docs(h, COUNSELLOR) == []
    # the psychologist was assigned the case's service step: /kasus offers it, it is sent
    out = await h.send(PSY, f"/kasus {NUMBER}")
    assert resend in out[-1].callback_data
    await press(h, PSY, resend)
    assert len(docs(h, PSY)) == 1


# -- finding 2: protected ---------------------------------------------------------------------


async def test_details_are_sent_protected(wh: Harness) -> None:
    h = wh
    await details(h, OFFICER)
    sent = [p for m, p in h.fake.calls if m == "sendMessage" and str(p["chat_id"]) == str(OFFICER)]
    assert "Melati" in str(sent[-1]["text"])
    assert str(sent[-1].get("protect_content")).lower() == "true"


# -- finding 3: long details ------------------------------------------------------------------


def _long(prefix: str, size: int) -> str:
    """Text of about ``size`` characters with characters HTML must escape (& and <)."""
    words: list[str] = []
    i = 0
    while len(" ".join(words)) < size - 20:
        i += 1
        words.append(f"{prefix}{i:03d}" if i % 7 else f"a&b<{prefix}{i:03d}>")
    return " ".join(words)


@pytest.mark.parametrize(("story_len", "note_len"), [(3300, 500), (3500, 3500)])
async def test_long_details_are_split_with_the_warning_first(
    bare: Harness, story_len: int, note_len: int
) -> None:
    h = bare
    story, notes = _long("cerita", story_len), (_long("satu", note_len), _long("dua", note_len))
    await report(h, story, notes)
    got = await details(h, HEAD)
    assert len(got) >= 2
    for m in got:  # each part was accepted as HTML by the fake (it parses every message)
        assert m.parse_mode == "HTML" and len(m.plain_text or "") <= 4096
    first = got[0].plain_text or ""
    assert tx(h, WARNING) in first
    assert first.index(tx(h, WARNING)) < first.index("Melati")
    later = tx(h, "🔒 <b>Case {number}</b> (continued)", number=NUMBER).replace("<b>", "")
    later = later.replace("</b>", "")
    bodies = [first]
    for m in got[1:]:
        head, _, body = (m.plain_text or "").partition("\n")
        assert head == later
        bodies.append(body)
    # no word was cut: the words of all parts, in order, are the story's and the notes'
    words = " ".join(bodies).split()
    for text in (story, *notes):
        expected = text.split()
        start = words.index(expected[0])
        assert words[start : start + len(expected)] == expected
    assert [w for w in words if w.startswith("•")] == ["•", "•"]


async def test_short_details_are_one_message_with_the_warning(wh: Harness) -> None:
    h = wh
    got = await details(h, HEAD)
    assert len(got) == 1
    text = got[0].plain_text or ""
    assert text.startswith(tx(h, "🔒 <b>Case {number}</b> (confidential)", number=NUMBER)
                           .replace("<b>", "").replace("</b>", ""))  # fmt: skip
    assert text.index(tx(h, WARNING)) < text.index("Ayah tiri memukul")
