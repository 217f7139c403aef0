"""Letters through Telegram: made at their SOP step from /tugas, sent by DM, re-sent from /kasus."""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from docx import Document

from bot.channels.telegram.handlers.letters_ui import letter_buttons
from bot.clock import FakeClock
from bot.reports import list_letters
from bot.store.workflow import WorkflowStore
from bot.testing.fake_telegram import SentMessage
from bot.testing.harness import Harness
from tests.telegram.flows import press
from tests.telegram.sop_support import IDS, open_step, scalar, schedule, to_service

ADMIN = IDS["TNG"]["admin"]  # the invitation letter is the administration's step
HEAD = IDS["TNG"]["ketua"]
COUNSELLOR = 100000006  # TNG staff without a role in the step
PKL_HEAD = 200000001  # staff of another office
STRANGER = 999999
NUMBER = "PPA-TNG-2026-00001"
CALLBACK = re.compile(r"^w[lr]:\d{1,12}(:[a-z_]{1,20})?$")


@pytest.fixture
async def wh(tmp_path: Path, db_target: str | Path, clock: FakeClock) -> AsyncIterator[Harness]:
    """The harness with every example staff member and a stranger started."""
    h = await Harness.create(tmp_path, clock=clock, database=db_target)
    try:
        for uid in h.rt.services.file_staff():
            await h.send(uid, "/start")
        await h.send(STRANGER, "/start")
        yield h
    finally:
        await h.stop()


def docs(h: Harness, chat: int) -> list[SentMessage]:
    """The documents the bot sent to a chat."""
    return [m for m in h.fake.messages(chat) if m.document is not None]


def docx_text(content: bytes) -> str:
    """All paragraph and table text of a DOCX."""
    doc = Document(io.BytesIO(content))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


async def audits(h: Harness, action: str) -> int:
    """How many audit entries of an action."""
    sql = "SELECT COUNT(*) FROM audit_log WHERE action = ?"
    return int(await scalar(h, sql, action))


async def denials(h: Harness) -> int:
    """Audited refusals so far."""
    return int(await scalar(h, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'denied:%'"))


async def invite_step(h: Harness) -> tuple[int, int]:
    """A TNG mediation case at its invitation step, with the session scheduled: (case, step)."""
    case = await to_service(h, "TNG", "mediation")
    sid = await open_step(h, case, "order")
    await press(h, HEAD, f"wd:{sid}")
    await press(h, HEAD, f"wn:{sid}")
    await schedule(h, case, "invite", ADMIN, "Ruang Mediasi UPTD PPA")
    return case, await open_step(h, case, "invite")


async def test_letter_made_at_its_step_sent_by_dm_stored_and_sent_again(wh: Harness) -> None:
    h = wh
    case, sid = await invite_step(h)
    out = await h.send(ADMIN, "/tugas")
    data = [d for m in out for d in m.callback_data]
    assert f"wl:{sid}" in data and f"wd:{sid}" in data
    assert all(CALLBACK.match(d) and len(d.encode()) <= 64 for d in data if d.startswith("wl:"))
    # the mediator's /tugas has no letter button for the administration's step
    mediator = await h.send(IDS["TNG"]["mediator"], "/tugas")
    assert f"wl:{sid}" not in [d for m in mediator for d in m.callback_data]
    before = len(docs(h, ADMIN))
    await press(h, ADMIN, f"wl:{sid}")
    sent = docs(h, ADMIN)
    assert len(sent) == before + 1
    assert sent[-1].document is not None
    name, content = sent[-1].document
    assert name.startswith("surat_undangan_mediasi_") and name.endswith(".docx")
    text = docx_text(content)
    assert NUMBER in text and "Ruang Mediasi UPTD PPA" in text
    letters = await list_letters(h.rt.services, case)
    assert [(x.kind, x.created_by) for x in letters] == [
        ("surat_undangan_mediasi", await h.person(ADMIN))
    ]
    assert letters[0].number in (sent[-1].plain_text or sent[-1].text or "")
    assert await audits(h, "letter_generated") == 1
    assert not h.fake.callback_answers[-1].show_alert
    # Done without a report: the letter's number is the report, the SOP goes on
    await press(h, ADMIN, f"wd:{sid}")
    await press(h, ADMIN, f"wn:{sid}")
    assert await scalar(h, "SELECT status FROM steps WHERE id = ?", sid) == "done"
    async with h.rt.db.reading() as conn:
        output = await WorkflowStore(h.rt.services.cipher).step_output(conn, sid)
    assert output.report == letters[0].number
    assert await open_step(h, case, "mediate")
    # /kasus lists it to the office's staff; the button that sends it again only to those
    # who need to know (here the head; the counsellor handles nothing in this case)
    out = await h.send(COUNSELLOR, f"/kasus {NUMBER}")
    assert letters[0].number in (out[-1].plain_text or "")
    resend = f"wr:{letters[0].id}"
    assert resend not in out[-1].callback_data
    out = await h.send(HEAD, f"/kasus {NUMBER}")
    assert resend in out[-1].callback_data
    sent_before = await audits(h, "letter_sent")
    await press(h, HEAD, resend)
    again = docs(h, HEAD)
    assert len(again) == 1 and again[0].document is not None
    assert again[0].document[1] == content
    assert await audits(h, "letter_sent") == sent_before + 1
    assert len(await list_letters(h.rt.services, case)) == 1  # sent again, not made again


@pytest.mark.parametrize("user", [STRANGER, PKL_HEAD, COUNSELLOR])
async def test_forged_make_letter_gives_nothing_and_is_audited(wh: Harness, user: int) -> None:
    h = wh
    case, sid = await invite_step(h)
    chat_msg = h.fake.last_message(user).message_id
    for data in (f"wl:{sid}", f"wl:{sid}:police", "wl:999999", "wl:abc", f"wl:{sid}:x:y"):
        audited, answers = await denials(h), len(h.fake.callback_answers)
        await h.click_data(user, user, chat_msg, data)
        assert len(h.fake.callback_answers) == answers + 1, data
        assert h.fake.callback_answers[-1].show_alert, data
        assert await denials(h) == audited + 1, data
    assert docs(h, user) == []
    assert await list_letters(h.rt.services, case) == []


async def test_wrong_option_for_the_step_is_refused(wh: Harness) -> None:
    h = wh
    case, sid = await invite_step(h)
    await h.send(ADMIN, "/tugas")
    chat_msg = h.fake.last_message(ADMIN).message_id
    for data in (f"wl:{sid}:police", f"wl:{sid}:rejected"):  # the invitation takes no option
        audited = await denials(h)
        await h.click_data(ADMIN, ADMIN, chat_msg, data)
        assert h.fake.callback_answers[-1].show_alert, data
        assert await denials(h) == audited + 1, data
    assert docs(h, ADMIN) == []
    assert await list_letters(h.rt.services, case) == []


@pytest.mark.parametrize("user", [STRANGER, PKL_HEAD])
async def test_forged_resend_gives_nothing_and_is_audited(wh: Harness, user: int) -> None:
    h = wh
    _, sid = await invite_step(h)
    await h.send(ADMIN, "/tugas")
    await press(h, ADMIN, f"wl:{sid}")
    letter_id = int(await scalar(h, "SELECT MAX(id) FROM letters"))
    chat_msg = h.fake.last_message(user).message_id
    for data in (f"wr:{letter_id}", "wr:999999", "wr:abc"):
        audited = await audits(h, "denied:letter")
        await h.click_data(user, user, chat_msg, data)
        assert h.fake.callback_answers[-1].show_alert, data
        assert await audits(h, "denied:letter") == audited + 1, data
    assert docs(h, user) == []
    assert await audits(h, "letter_sent") == 1  # only the DM to the one who made it


async def test_notice_and_referral_offer_their_choices(wh: Harness) -> None:
    h = wh
    _, sid = await invite_step(h)
    deps = h.rt.application.bot_data["deps"]
    view = await deps.workflow.describe(sid)
    assert view is not None
    t = h.rt.i18n.get("id")
    for kind, options in (
        ("surat_pemberitahuan", ["rejected", "cannot_proceed"]),
        ("surat_rujukan", ["police", "hospital", "court", "psychologist"]),
        ("surat_tugas", [""]),
        ("laporan", []),
    ):
        other = dataclasses.replace(view, step=dataclasses.replace(view.step, output_document=kind))
        admin = await h.person(ADMIN)
        data = [b.callback_data for row in letter_buttons(t, deps.workflow, other, admin)
                for b in row]  # fmt: skip
        expected = [f"wl:{sid}:{o}" if o else f"wl:{sid}" for o in options]
        assert data == expected, kind
        assert all(isinstance(d, str) and CALLBACK.match(d) for d in data)
        assert letter_buttons(t, deps.workflow, other, await h.person(STRANGER)) == []
