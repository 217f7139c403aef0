"""Privacy and safety through the real Application: nothing readable at rest or in logs,
safe mode (/hapus), the rate limit, and a fuzz of random and malformed updates."""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.telegram.handlers import safety
from bot.clock import FakeClock
from bot.security.backup import BackupResult, backup_database
from bot.testing.fake_telegram import SentMessage
from bot.testing.harness import Harness
from tests.telegram.flows import choose, office, press

__all__: list[str] = []

MONDAY_10_WIB = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
TNG_GROUP = -1001000000001
OFFICER = 100000002  # petugas, TNG
VICTIM = 555101
STRANGER = 999101

NAME = "Sekar Ayuningtyas Wibisono"
PERPETRATOR = "Bambang Wiryawan Hadikusumo"
ADDRESS = "Jl. Cempaka Putih Raya No. 19 RT 04"
STORY = "Ayah tiri Sekar memukul dan mengancam setiap malam di dapur rumah Cempaka."
PHONE_TYPED = "0812-9876-5432"
PHONE_DIGITS = "81298765432"
PHOTO = b"\xff\xd8\xff\xe0JFIF-EVIDENCE-" + bytes(range(256)) + b"-SEKAR-PHOTO-MARKER"


async def _safe_harness(directory: Path, clock: FakeClock, **kw: Any) -> Harness:
    """The harness (bot/app.py registers the safety handlers with all others)."""
    return await Harness.create(directory, clock=clock, **kw)


@pytest.fixture
async def safe(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Harness]:
    """The harness with the safety handlers registered (bot/channels/telegram/registry.py)."""
    h = await _safe_harness(tmp_path, clock)
    try:
        yield h
    finally:
        await h.stop()


async def report(
    h: Harness,
    user: int,
    *,
    name: str = "Melati",
    perpetrator: str = "Budi Santoso",
    where: str = "Jl. Kenanga No. 7",
    story: str = "Ayah tiri memukul dan membentak anak hampir setiap malam.",
    phone: str = "0812-3456-7890",
    photo: bytes | None = None,
    notify: str = "normal",
    notes: int = 0,
) -> list[SentMessage]:
    """A whole /lapor (a child victim, a step-parent), optionally with a photo and notes."""
    await h.send(user, "/lapor")
    await choose(h, user, "danger", "no")
    await office(h, user, "TNG")
    await choose(h, user, "reporter", "family")
    await press(h, user, "a|reporter_age|s")
    await h.send(user, name)
    await h.send(user, "15")
    await choose(h, user, "victim_sex", "female")
    await choose(h, user, "disability", "no")
    await choose(h, user, "violence", "physical")
    await choose(h, user, "violence", "done")
    await choose(h, user, "relation", "step_parent")
    await choose(h, user, "perpetrator_sex", "male")
    await h.send(user, perpetrator)
    await h.send(user, "01-02-2026")
    await choose(h, user, "place", "rumah_tangga")
    await h.send(user, where)
    await h.send(user, story)
    if photo is not None:
        h.fake.user_sends_photo(user, photo)
        await h.pump()
    for i in range(notes):
        await h.send(user, f"Catatan tambahan nomor {i}")
    await choose(h, user, "evidence", "done")
    await h.send(user, phone)
    await choose(h, user, "call_time", "office_hours")
    await choose(h, user, "help", "counselling")
    await choose(h, user, "help", "done")
    await choose(h, user, "notify", notify)
    await choose(h, user, "consent", "yes")
    return await press(h, user, "s|send")


def backup_files(backup: BackupResult) -> Path:
    """The backup's folder of evidence files."""
    assert backup.evidence_path is not None and backup.files == 1
    return backup.evidence_path


def _files(directory: Path) -> list[Path]:
    return [p for p in directory.iterdir() if p.name.startswith("ppa.sqlite3") and p.is_file()]


def _needles() -> dict[str, bytes]:
    out = {
        s: s.encode("utf-8")
        for s in (NAME, PERPETRATOR, ADDRESS, STORY, "Sekar", "Wiryawan", "Cempaka", PHONE_DIGITS)
    }
    out["photo"] = PHOTO[16:80]
    return out


@pytest.mark.sqlite_only  # reads SQLite's file, WAL and VACUUM INTO backup
async def test_no_personal_data_in_database_wal_backup_or_logs(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    h = await _safe_harness(tmp_path / "db", clock)
    try:
        await report(
            h, VICTIM, name=NAME, perpetrator=PERPETRATOR, where=ADDRESS, story=STORY,
            phone=PHONE_TYPED, photo=PHOTO,
        )  # fmt: skip
        # staff read the details: the direct message carries them through the Bot API
        await h.send(OFFICER, "/start")
        await press(h, OFFICER, "take:1", chat=TNG_GROUP)
        await press(h, OFFICER, "det:1", chat=TNG_GROUP)
        dm = "\n".join(m.plain_text or "" for m in h.fake.messages(OFFICER))
        assert NAME in dm and PERPETRATOR in dm  # the data really went through
        ev = await h.rt.db.fetchone("SELECT size FROM evidence")
        assert ev is not None and ev[0] == len(PHOTO)
        backup = await backup_database(
            h.rt.db, tmp_path / "backup" / "copy.sqlite3", evidence=h.rt.services.evidence
        )
        live = {p.name: p.read_bytes() for p in _files(tmp_path / "db")}
        assert live.get("ppa.sqlite3-wal")  # the WAL is searched too
        # the evidence file store and the backup's copy of it (security review #16)
        stores = (h.rt.services.evidence.folder, backup_files(backup))
        for p in (f for folder in stores for f in folder.iterdir()):
            live[f"{p.parent.name}/{p.name}"] = p.read_bytes()
        assert sum(n.startswith("evidence/") for n in live) == 1
    finally:
        await h.stop()
    live["closed"] = (tmp_path / "db" / "ppa.sqlite3").read_bytes()
    live["backup"] = backup.path.read_bytes()
    logs = "\n".join(
        r.getMessage() + (r.exc_text or "") + str(r.exc_info or "") for r in caplog.records
    )
    assert "Calling Bot API endpoint" in logs  # DEBUG records were really captured
    for what, needle in _needles().items():
        for name, blob in live.items():
            assert needle not in blob, f"{what} readable in {name}"
        assert needle.decode("utf-8", "replace") not in logs, f"{what} in the logs"


async def test_hapus_deletes_bot_and_user_messages(safe: Harness) -> None:
    h = safe
    await h.send(VICTIM, "/start")
    await h.send(VICTIM, "/lapor")
    await choose(h, VICTIM, "danger", "no")
    await h.send(VICTIM, "halo")
    before_bot = [m.message_id for m in h.fake.messages(VICTIM)]
    assert before_bot
    out = await h.send(VICTIM, "/hapus")
    for mid in before_bot:
        assert h.fake._sent[(VICTIM, mid)].deleted
    user_deleted = {mid for chat, mid in h.fake.deleted_user_messages if chat == VICTIM}
    assert len(user_deleted) >= 4  # /start, /lapor, "halo", /hapus
    visible = h.fake.messages(VICTIM)
    assert len(visible) == 1 and visible[0] in out
    text = visible[0].plain_text or visible[0].text or ""
    deleted = len(user_deleted) + len(before_bot) + 1  # + the "one moment" probe
    assert re.search(rf"\b{deleted}\b", text), text
    assert "48" in text
    # a second /hapus starts after the first: nothing already handled is tried again
    calls = h.fake.call_counts["deleteMessage"]
    await h.send(VICTIM, "/hapus")
    assert h.fake.call_counts["deleteMessage"] - calls <= 4


async def test_hapus_in_a_group_deletes_nothing(safe: Harness) -> None:
    await safe.send(STRANGER, "/hapus", chat_id=TNG_GROUP)
    assert not safe.fake.deleted_user_messages
    assert not any(m.deleted for m in safe.fake.all_messages(include_deleted=True))


@pytest.mark.parametrize("notify", ["none", "neutral"])
async def test_quiet_reporter_is_offered_to_clear_the_conversation(
    safe: Harness, notify: str
) -> None:
    out = await report(safe, VICTIM, notify=notify)
    assert any(safety.CLEAR_DATA in m.callback_data for m in out)
    # the case and its tracking code were shown before the offer
    assert any("PPA-TNG-2026-00001" in (m.plain_text or "") for m in out)
    await press(safe, VICTIM, safety.CLEAR_DATA)
    visible = safe.fake.messages(VICTIM)
    assert len(visible) == 1
    assert len(safe.fake.deleted_user_messages) == 8  # every typed answer
    row = await safe.rt.db.fetchone("SELECT COUNT(*) FROM cases")
    assert row is not None and row[0] == 1  # clearing the chat keeps the report


async def test_normal_reporter_gets_no_clear_offer(safe: Harness) -> None:
    out = await report(safe, VICTIM, notify="normal")
    assert not any(safety.CLEAR_DATA in m.callback_data for m in out)


async def test_forged_clear_button_in_a_group_deletes_nothing(safe: Harness) -> None:
    await report(safe, VICTIM)
    notice = safe.fake.last_message(TNG_GROUP)
    await safe.click_data(STRANGER, TNG_GROUP, notice.message_id, safety.CLEAR_DATA)
    assert not any(m.deleted for m in safe.fake.all_messages(include_deleted=True))


async def test_flood_from_a_stranger_is_limited(safe: Harness, clock: FakeClock) -> None:
    h = safe
    for i in range(60):
        h.fake.user_sends_text(STRANGER, f"spam {i}")
    await h.pump()
    texts = h.texts(STRANGER)
    assert 30 <= len(texts) <= 32  # 30 answered, one "slow down", the rest ignored
    assert sum("slow down" in t.lower() or "pelan" in t.lower() for t in texts) <= 1
    assert len(h.rt.failed_updates) == 0
    clock.advance(minutes=2)
    out = await h.send(STRANGER, "halo lagi")
    assert out  # answered again once the bucket refilled


async def test_rostered_staff_are_not_limited(safe: Harness) -> None:
    for i in range(50):
        safe.fake.user_sends_text(OFFICER, f"catatan {i}")
    await safe.pump()
    assert len(safe.texts(OFFICER)) >= 50


async def test_reporter_mid_complaint_is_never_dropped(safe: Harness) -> None:
    out = await report(safe, VICTIM, notes=60)
    assert any("PPA-TNG-2026-00001" in (m.plain_text or "") for m in out)
    details = await safe.rt.services.cases.details(safe.rt.db.conn, 1)
    assert len(details["notes"]) == 60
    assert details["consent_path"] == "child_protection"  # a child, a step-parent


# ---------------------------------------------------------------------------- fuzz

USERS = st.integers(min_value=800_000_001, max_value=800_000_012)
JUNK = st.text(alphabet=st.characters(exclude_categories=("Cs",)), min_size=0, max_size=80)
COMMANDS = st.sampled_from(
    ["/start", "/lapor", "/status", "/hapus", "/batal", "/catat", "/bahasa", "/whoami",
     "/bantuan", "/help", "/foo", "/start@ppa_uji_bot", "/status@other_bot", "/"]
)  # fmt: skip
DATA = st.one_of(
    st.sampled_from(
        ["take:1", "det:1", "take:99999999999", "det:-1", "take:", "s|send", "s|edit",
         "s|cancel", "r|go", "r|new", "e|story", "e|", "a|danger|o0", "a|office|o99",
         "a|violence|d", "a|x|y", "hapus:go", "lang:en", "lang:xx", "menu:report",
         "menu:status", "menu:help", "", "|||"]
    ),
    st.text(min_size=1, max_size=64),
)  # fmt: skip
ACTIONS = st.one_of(
    st.tuples(st.just("text"), USERS, JUNK),
    st.tuples(st.just("huge"), USERS, st.sampled_from(["x", "é", "🙂", "\u202e", "<b>"]),
              st.integers(min_value=1000, max_value=12000)),
    st.tuples(st.just("cmd"), USERS, COMMANDS, JUNK),
    st.tuples(st.just("press"), USERS, st.integers(min_value=0, max_value=30)),
    st.tuples(st.just("click"), USERS, DATA, st.booleans()),
    st.tuples(st.just("sticker"), USERS),
    st.tuples(st.just("photo"), USERS, st.binary(min_size=1, max_size=64)),
    st.tuples(st.just("voice"), USERS),
    st.tuples(st.just("contact"), USERS, st.sampled_from(["+6281234567890", "12", "x"])),
    st.tuples(st.just("edit"), USERS, JUNK),
    st.tuples(st.just("join"), USERS),
    st.tuples(st.just("group"), USERS, JUNK),
    st.tuples(st.just("advance"), st.integers(min_value=1, max_value=600)),
)  # fmt: skip


def _queue(h: Harness, clock: FakeClock, action: tuple[Any, ...], last: dict[int, int]) -> None:
    """Put one simulated update in the fake Telegram's queue."""
    kind, fake = action[0], h.fake
    if kind == "advance":
        clock.advance(minutes=action[1])
        return
    user = int(action[1])
    if kind == "text":
        sent = fake.user_sends_text(user, action[2] or "?")
    elif kind == "huge":
        sent = fake.user_sends_text(user, action[2] * action[3])
    elif kind == "cmd":
        sent = fake.user_sends_command(user, f"{action[2]} {action[3]}".strip())
    elif kind == "press":
        buttons = [(m.message_id, d) for m in fake.messages(user) for d in m.callback_data]
        if buttons:
            mid, data = buttons[-1 - action[2] % len(buttons)]
            fake.user_clicks(user, user, mid, data)
        return
    elif kind == "click":
        chat = TNG_GROUP if action[3] else user
        msgs = fake.messages(chat)
        if msgs:
            fake.user_clicks(user, chat, msgs[-1].message_id, action[2], strict=False)
        return
    elif kind == "sticker":
        sent = fake.user_sends_sticker(user)
    elif kind == "photo":
        sent = fake.user_sends_photo(user, action[2])
    elif kind == "voice":
        sent = fake.user_sends_voice(user, b"OggS-fake", 3)
    elif kind == "contact":
        sent = fake.user_sends_contact(user, action[2])
    elif kind == "edit":
        if user in last:
            fake.user_edits_message(user, last[user], action[2] or "?")
        return
    elif kind == "join":
        fake.member_joins(TNG_GROUP, user)
        return
    else:
        fake.user_sends_text(user, action[2] or "?", chat_id=TNG_GROUP)
        return
    last[user] = int(sent["message"]["message_id"])


def test_fuzz_random_updates_break_nothing_and_change_nothing(tmp_path: Path) -> None:
    clock = FakeClock(MONDAY_10_WIB)
    loop = asyncio.new_event_loop()
    h = loop.run_until_complete(_safe_harness(tmp_path, clock))
    last: dict[int, int] = {}
    # one real case the strangers may try to take or read
    loop.run_until_complete(report(h, VICTIM))
    counter = {"updates": 0}

    @settings(
        max_examples=int(os.environ.get("PPA_FUZZ_EXAMPLES", "40")),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(ACTIONS, min_size=20, max_size=150))
    def run(actions: list[tuple[Any, ...]]) -> None:
        async def feed() -> None:
            for i, action in enumerate(actions):
                _queue(h, clock, action, last)
                if i % 5 == 4 or action[0] == "press":
                    await h.pump()
            await h.pump()

        loop.run_until_complete(feed())
        counter["updates"] += len(actions)
        assert not h.rt.failed_updates, sorted(h.rt.failed_updates)

    try:
        run()

        async def check() -> None:
            bad = await h.rt.db.fetchone(
                "SELECT COUNT(*) FROM inbox WHERE status != 'done' OR attempts > 0"
            )
            assert bad is not None and bad[0] == 0
            taken = await h.rt.db.fetchone("SELECT COUNT(*) FROM cases WHERE taken_by IS NOT NULL")
            assert taken is not None and taken[0] == 0
            audit = await h.rt.db.fetchone(
                "SELECT COUNT(*) FROM audit_log WHERE action IN ('take', 'read_details')"
            )
            assert audit is not None and audit[0] == 0

        loop.run_until_complete(check())
        assert counter["updates"] >= 1000
        assert not h.rt.failed_updates
    finally:
        loop.run_until_complete(h.stop())
        loop.close()
