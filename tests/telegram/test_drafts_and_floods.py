"""Findings of the security review, through the real Application: /hapus deletes the
unfinished report, drafts and visitors' data expire, floods are stopped without stopping a
reporter mid-form, /status in a group, and one join request at a time."""

from __future__ import annotations

from typing import Any

from bot.clock import FakeClock
from bot.testing.harness import Harness
from tests.telegram.flows import choose, office, press

__all__: list[str] = []

TNG_GROUP = -1001000000001
TNG_HEAD = 100000001
VICTIM = 555201
VISITOR = 555202
JOINER = 777201

NAME = "Larasati Kusumawardani"
PERPETRATOR = "Hendra Gunawan Saputra"
ADDRESS = "Jl. Melati Indah No. 23 RT 05"
STORY = "Suami Larasati memukul dan mengancam dengan pisau di rumah Melati Indah."
PHONE = "0813-2468-1357"
# the caps of extra notes (bot/channels/telegram/conversations/draft.py)
MAX_NOTES = 100
MAX_NOTES_CHARS = 30_000
_LONG = ("sudah panjang", "already long")  # the "notes are full" message, in either language


async def _draft_to_summary(h: Harness, user: int) -> None:
    """A /lapor answered up to the summary (nothing sent)."""
    await h.send(user, "/lapor")
    await choose(h, user, "danger", "no")
    await office(h, user, "TNG")
    await choose(h, user, "reporter", "family")
    await h.send(user, NAME)
    await h.send(user, "29")
    await choose(h, user, "victim_sex", "female")
    await choose(h, user, "disability", "no")
    await choose(h, user, "violence", "physical")
    await choose(h, user, "violence", "done")
    await choose(h, user, "relation", "spouse")
    await h.send(user, PERPETRATOR)
    await h.send(user, "01-02-2026")
    await h.send(user, ADDRESS)
    await h.send(user, STORY)
    await choose(h, user, "evidence", "done")
    await h.send(user, PHONE)
    await choose(h, user, "call_time", "office_hours")
    await choose(h, user, "help", "counselling")
    await choose(h, user, "help", "done")
    await choose(h, user, "notify", "normal")


async def _user_rows(h: Harness, user: int) -> list[dict[str, Any]]:
    rows = await h.rt.db.fetchall("SELECT data_enc FROM user_data WHERE user_id = ?", (user,))
    return [h.rt.services.cipher.decrypt_json(r[0], context=b"user_data") for r in rows]


async def _count(h: Harness, sql: str, *params: Any) -> int:
    row = await h.rt.db.fetchone(sql, params)
    assert row is not None
    return int(row[0])


def _shown(h: Harness, chat: int, after: int = 0) -> str:
    return "\n".join(
        m.plain_text or m.text or "" for m in h.fake.messages(chat) if m.message_id > after
    )


# ------------------------------------------------------------------ 4. /status in a group


async def test_status_code_in_a_group_is_not_answered_there(harness: Harness) -> None:
    h = harness
    await _draft_to_summary(h, VICTIM)
    await choose(h, VICTIM, "consent", "yes")
    out = await press(h, VICTIM, "s|send")
    text = "\n".join(m.plain_text or "" for m in out)
    code = text.split("Kode pelacakan: ")[1].split()[0] if "Kode pelacakan: " in text else ""
    code = code or text.split("Tracking code: ")[1].split()[0]
    mark = h.fake.last_message_id(TNG_GROUP)
    sent = h.fake.user_sends_command(VICTIM, f"/status {code}", chat_id=TNG_GROUP)
    await h.pump()
    said = _shown(h, TNG_GROUP, mark)
    assert code not in said and "Status" not in said
    assert "pribadi" in said or "private" in said
    assert (TNG_GROUP, int(sent["message"]["message_id"])) in h.fake.deleted_user_messages
    # in private it is answered
    out = await h.send(VICTIM, f"/status {code}")
    assert any("PPA-TNG-2026-00001" in (m.plain_text or "") for m in out)


# ------------------------------------------------------------------ 5. /gabung


async def test_one_join_request_at_a_time_and_a_cool_down_after_refusal(
    harness: Harness, clock: FakeClock
) -> None:
    h = harness
    await h.send(TNG_HEAD, "/start")
    await h.send(JOINER, "/gabung")
    await press(h, JOINER, "gb:o:TNG")
    roles_message = h.fake.last_message(JOINER).message_id
    for role in ("petugas", "pendamping", "mediator", "psikolog", "konselor_hukum"):
        await h.click_data(JOINER, JOINER, roles_message, f"gb:r:TNG:{role}")
    await h.send(JOINER, "/gabung")
    await press(h, JOINER, "gb:o:PKL")
    await press(h, JOINER, "gb:r:PKL:mediator")
    pending = "SELECT COUNT(*) FROM roster_changes WHERE user_id = ? AND status = 'pending'"
    assert await _count(h, pending, JOINER) == 1
    assert len([m for m in h.fake.messages(TNG_HEAD) if "jn:1:n" in m.callback_data]) == 1
    # the head refuses: asking again at once is refused kindly
    for m in reversed(h.fake.messages(TNG_HEAD)):
        if "jn:1:n" in m.callback_data:
            await h.click_data(TNG_HEAD, TNG_HEAD, m.message_id, "jn:1:n")
            break
    await h.send(JOINER, "/gabung")
    await press(h, JOINER, "gb:o:TNG")
    await press(h, JOINER, "gb:r:TNG:pendamping")
    assert h.fake.callback_answers[-1].show_alert
    said = h.last_text(JOINER)
    assert "lagi" in said or "again" in said
    assert await _count(h, pending, JOINER) == 0
    clock.advance(days=7, minutes=1)
    await h.send(JOINER, "/gabung")
    await press(h, JOINER, "gb:o:TNG")
    await press(h, JOINER, "gb:r:TNG:pendamping")
    assert await _count(h, pending, JOINER) == 1
