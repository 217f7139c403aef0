"""Findings of the security review, through the real Application: /hapus deletes the
unfinished report, drafts and visitors' data expire, floods are stopped without stopping a
reporter mid-form, /status in a group, and one join request at a time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.clock import FakeClock
from bot.store.conversations import StateStore
from bot.testing.harness import EXAMPLE_OFFICES, Harness
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
    await press(h, user, "a|reporter_age|s")
    await h.send(user, NAME)
    await h.send(user, "29")
    await choose(h, user, "victim_sex", "female")
    await choose(h, user, "disability", "no")
    await choose(h, user, "violence", "physical")
    await choose(h, user, "violence", "done")
    await choose(h, user, "relation", "spouse")
    await choose(h, user, "perpetrator_sex", "male")
    await h.send(user, PERPETRATOR)
    await h.send(user, "01-02-2026")
    await choose(h, user, "place", "rumah_tangga")
    await h.send(user, ADDRESS)
    await h.send(user, STORY)
    await choose(h, user, "evidence", "done")
    await h.send(user, PHONE)
    await choose(h, user, "call_time", "office_hours")
    await choose(h, user, "help", "counselling")
    await choose(h, user, "help", "done")
    await choose(h, user, "notify", "normal")


async def _user_rows(h: Harness, user: int) -> list[dict[str, Any]]:
    index = StateStore(h.rt.services.cipher).data_index("user_data", user)
    sql = "SELECT data_enc FROM state_data WHERE kind = 'user_data' AND key_index = ?"
    rows = await h.rt.db.fetchall(sql, (index,))
    return [h.rt.services.cipher.decrypt_json(r[0], context=b"user_data") for r in rows]


async def _data_rows(h: Harness, kind: str, ident: int | None = None) -> int:
    """Stored user or chat data rows (of one id, or all)."""
    if ident is None:
        sql, params = "SELECT COUNT(*) FROM state_data WHERE kind = ?", (kind,)
    else:
        index = StateStore(h.rt.services.cipher).data_index(kind, ident)  # type: ignore[arg-type]
        sql = "SELECT COUNT(*) FROM state_data WHERE kind = ? AND key_index = ?"
        params = (kind, index)
    return await _count(h, sql, *params)


async def _conversations_of(h: Harness, user: int) -> int:
    """Stored conversation states whose (chat, user) key names this user."""
    store = StateStore(h.rt.services.cipher)
    names = await h.rt.db.fetchall("SELECT DISTINCT name FROM state_conversations")
    found = 0
    async with h.rt.db.reading() as tx:
        for (name,) in names:
            found += sum(str(user) in key for key, _ in await store.conversations(tx, name))
    return found


async def _count(h: Harness, sql: str, *params: Any) -> int:
    row = await h.rt.db.fetchone(sql, params)
    assert row is not None
    return int(row[0])


def _shown(h: Harness, chat: int, after: int = 0) -> str:
    return "\n".join(
        m.plain_text or m.text or "" for m in h.fake.messages(chat) if m.message_id > after
    )


# ------------------------------------------------------------------ 1. /hapus and expiry


async def test_hapus_deletes_the_unfinished_report(harness: Harness) -> None:
    h = harness
    await _draft_to_summary(h, VICTIM)
    await choose(h, VICTIM, "consent", "yes")
    assert NAME in h.last_text(VICTIM)  # the summary: the draft really holds her answers
    out = await h.send(VICTIM, "/hapus")
    said = "\n".join(m.plain_text or m.text or "" for m in out)
    assert "belum selesai" in said or "not finished" in said  # the reply says so
    assert not any("draft" in d for d in await _user_rows(h, VICTIM))  # persisted store
    assert await _conversations_of(h, VICTIM) == 0
    # whoever holds the phone next: /lapor starts a new form, nothing of hers comes back
    mark = h.fake.last_message_id(VICTIM)
    await h.send(VICTIM, "/lapor")
    assert "r|go" not in {d for m in h.fake.messages(VICTIM) for d in m.callback_data}
    await choose(h, VICTIM, "danger", "no")
    await h.restart()  # also after a restart, from the persisted store
    await h.send(VICTIM, "/lapor")
    for label in ("Lanjutkan", "Continue"):
        try:
            await h.click(VICTIM, label)
        except LookupError:
            pass
    shown = _shown(h, VICTIM, mark)
    for secret in (NAME, PERPETRATOR, ADDRESS, STORY, "2468"):
        assert secret not in shown


async def test_draft_expires_after_seven_days_and_she_starts_fresh(
    harness: Harness, clock: FakeClock
) -> None:
    h = harness
    await _draft_to_summary(h, VICTIM)
    clock.advance(days=6, hours=23)
    await h.send(VISITOR, "/start")  # someone else: a sweep that must keep her draft
    assert any("draft" in d for d in await _user_rows(h, VICTIM))
    clock.advance(hours=2)  # 7 days and 1 hour after her last message
    await h.send(VISITOR, "/bantuan")  # the sweep runs on anyone's update
    rows = await _user_rows(h, VICTIM)
    assert not any("draft" in d for d in rows)  # removed from the persisted store
    assert NAME not in repr(rows) and STORY not in repr(rows)
    assert await _conversations_of(h, VICTIM) == 0
    mark = h.fake.last_message_id(VICTIM)
    out = await h.send(VICTIM, "/lapor")
    said = "\n".join(m.plain_text or m.text or "" for m in out)
    assert "dihapus" in said or "deleted" in said  # told kindly, once
    assert any(d.startswith("a|danger|") for m in out for d in m.callback_data)  # fresh form
    assert NAME not in _shown(h, VICTIM, mark)
    out = await h.send(VICTIM, "/start")
    assert not any("dihapus" in (m.plain_text or "") for m in out)  # only once


async def test_draft_retention_follows_the_office_setting(tmp_path: Path, clock: FakeClock) -> None:
    text = EXAMPLE_OFFICES.read_text(encoding="utf-8").replace(
        "draft_retention_days = 7", "draft_retention_days = 14", 1
    )
    offices = tmp_path / "offices.toml"
    offices.write_text(text, encoding="utf-8")
    h = await Harness.create(tmp_path, clock=clock, offices=offices)
    try:
        assert h.rt.services.offices["TNG"].draft_retention_days == 14
        await _draft_to_summary(h, VICTIM)  # office TNG: 14 days
        await h.send(VISITOR, "/lapor")  # office unknown yet: the default, 7 days
        await choose(h, VISITOR, "danger", "no")
        clock.advance(days=8)
        await h.send(TNG_HEAD, "/start")
        assert any("draft" in d for d in await _user_rows(h, VICTIM))
        assert not any("draft" in d for d in await _user_rows(h, VISITOR))
        clock.advance(days=7)
        await h.send(TNG_HEAD, "/start")
        assert not any("draft" in d for d in await _user_rows(h, VICTIM))
    finally:
        await h.stop()


# ------------------------------------------------------------------ 2. nothing left behind


async def test_a_start_only_visitor_leaves_no_row(harness: Harness, clock: FakeClock) -> None:
    h = harness
    await h.send(VISITOR, "/start")
    await press(h, VISITOR, "menu:help")
    await h.send(VISITOR, "halo")
    await h.send(VISITOR, "/start", chat_id=TNG_GROUP)
    assert await _data_rows(h, "user_data", VISITOR) == 0
    assert await _data_rows(h, "chat_data") == 0
    # /hapus still finds where her chat began (kept in memory only)
    await h.send(VISITOR, "/hapus")
    assert any(chat == VISITOR for chat, _ in h.fake.deleted_user_messages)
    assert len(h.fake.messages(VISITOR)) == 1
    assert await _data_rows(h, "chat_data") == 0
    # data she chose to keep expires by the draft rule (default 7 days)
    await h.send(VISITOR, "/bahasa")
    await press(h, VISITOR, "lang:en")
    assert await _data_rows(h, "user_data", VISITOR) == 1
    clock.advance(days=7, hours=1)
    await h.send(TNG_HEAD, "/start")
    assert await _data_rows(h, "user_data", VISITOR) == 0
    assert await _data_rows(h, "chat_data", VISITOR) == 0


# ------------------------------------------------------------------ 3. floods


async def test_one_urgent_alert_however_often_she_restarts(harness: Harness) -> None:
    h = harness
    for i in range(8):
        await h.send(VICTIM, "/lapor")
        if i:
            await press(h, VICTIM, "r|new")
        await choose(h, VICTIM, "danger", "yes")
        await office(h, VICTIM, "TNG")
        if i % 2:
            await h.send(VICTIM, "/batal")
    alerts = await _count(h, "SELECT COUNT(*) FROM outbox WHERE kind = 'urgent_alert'")
    assert alerts == 1


async def test_extra_notes_are_capped_kindly(harness: Harness) -> None:
    h = harness
    await h.send(VICTIM, "/lapor")
    await choose(h, VICTIM, "danger", "no")
    await office(h, VICTIM, "TNG")
    await choose(h, VICTIM, "reporter", "family")
    await press(h, VICTIM, "a|reporter_age|s")
    await h.send(VICTIM, NAME)
    await h.send(VICTIM, "29")
    await choose(h, VICTIM, "victim_sex", "female")
    await choose(h, VICTIM, "disability", "no")
    await choose(h, VICTIM, "violence", "physical")
    await choose(h, VICTIM, "violence", "done")
    await choose(h, VICTIM, "relation", "spouse")
    await choose(h, VICTIM, "perpetrator_sex", "male")
    await h.send(VICTIM, PERPETRATOR)
    await h.send(VICTIM, "01-02-2026")
    await choose(h, VICTIM, "place", "rumah_tangga")
    await h.send(VICTIM, ADDRESS)
    await h.send(VICTIM, STORY)
    mark = h.fake.last_message_id(VICTIM)
    note = "x" * 3000
    for _ in range(MAX_NOTES_CHARS // 3000 + 30):
        h.fake.user_sends_text(VICTIM, note)
    await h.pump()
    replies = [m for m in h.fake.messages(VICTIM) if m.message_id > mark]
    full = [m for m in replies if any(w in (m.plain_text or "") for w in _LONG)]
    assert len(full) == 1  # told once, the rest of the flood gets no reply
    rows = await _user_rows(h, VICTIM)
    notes = rows[0]["draft"]["answers"]["notes"]
    assert len(notes) <= MAX_NOTES and sum(map(len, notes)) <= MAX_NOTES_CHARS
    assert len(replies) <= MAX_NOTES_CHARS // 3000 + 2
    # she is not stopped: Done goes on with the form
    out = await choose(h, VICTIM, "evidence", "done")
    assert any(d.startswith("a|phone|") for m in out for d in m.callback_data) or out


async def test_commands_mid_form_have_a_reply_budget(harness: Harness) -> None:
    h = harness
    await h.send(VICTIM, "/lapor")
    await choose(h, VICTIM, "danger", "no")
    mark = h.fake.last_message_id(VICTIM)
    for _ in range(200):
        h.fake.user_sends_command(VICTIM, "/start")
    await h.pump()
    replies = [m for m in h.fake.messages(VICTIM) if m.message_id > mark]
    assert len(replies) <= 2 * 30 + 1  # /start mid-form answers twice; then one "slow down"
    # her answers are never limited: the form goes on at once
    await press(h, VICTIM, "r|go")
    out = await office(h, VICTIM, "TNG")
    assert any(d.startswith("a|reporter|") for m in out for d in m.callback_data)


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
    assert await _count(h, pending, await h.person(JOINER)) == 1
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
    assert await _count(h, pending, await h.person(JOINER)) == 0
    clock.advance(days=7, minutes=1)
    await h.send(JOINER, "/gabung")
    await press(h, JOINER, "gb:o:TNG")
    await press(h, JOINER, "gb:r:TNG:pendamping")
    assert await _count(h, pending, await h.person(JOINER)) == 1
