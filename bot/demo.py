"""``ppa-bot demo``: a scripted complaint through the real Application and a fake Telegram."""

from __future__ import annotations

import tempfile
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.demo_urgent import urgent_scene
from bot.store.reminders import ReminderStore
from bot.testing.fake_telegram import SentMessage
from bot.testing.harness import Harness, group_chat

__all__ = ["run_demo"]

REPORTER = 555001
OFFICER = 100000002  # complaint officer of Kota Tangerang in config/offices.example.toml
HEAD = 100000001  # the head (ketua) of Kota Tangerang


def _show(who: str, messages: list[SentMessage], verbose: bool) -> None:
    for m in messages:
        text = (m.plain_text or m.text or "").strip()
        if not verbose and len(text) > 160:
            text = text[:157] + "..."
        print(f"  🤖 → {who}:")
        print(textwrap.indent(text, "     │ "))
        if m.button_labels:
            print("     │ buttons: " + " | ".join(f"[{b}]" for b in m.button_labels))


async def _deadlines(h: Harness, clock: FakeClock, group: int, verbose: bool) -> None:
    """Let the first-response step run late: reminder, overdue alert, escalation."""
    from bot.scheduler.sweep import sweep

    h.fake.user_sends_command(HEAD, "/start")  # the head can receive private messages
    await h.pump()
    async with h.rt.db.reading() as conn:
        step = await ReminderStore().first_open_step(conn)
    assert step is not None
    title_id, due = step
    title = h.rt.i18n.get("id").translate(title_id)
    print(f'\n=== nobody finishes the step "{title}" (due {due:%a %d %b %H:%M} UTC) ===')
    marks = [
        (
            "an hour before the deadline (over 75% of its office time used)",
            due - timedelta(hours=1),
        ),
        ("the deadline has passed", due + timedelta(minutes=5)),
        ("still overdue after the office's grace period", due + timedelta(days=1, hours=2)),
    ]
    for label, when in marks:
        clock.set(when)
        before = {c: h.fake.last_message_id(c) for c in (OFFICER, HEAD, group)}
        report = await sweep(h.rt.services, clock.now())
        await h.rt.sender.flush()
        print(f"\n⏰ clock moves on: {label} ({report.messages} message(s) queued by the sweep)")
        for chat, who in (
            (OFFICER, "officer (private)"),
            (HEAD, "head (private)"),
            (group, "staff group"),
        ):
            new = [m for m in h.fake.messages(chat) if m.message_id > before[chat]]
            _show(who, new, verbose)


async def run_demo(*, verbose: bool = True) -> int:
    """Print what a reporter, the staff group and an officer see, offline."""
    started = time.monotonic()
    clock = FakeClock(datetime(2026, 3, 2, 3, 0, tzinfo=UTC))  # Monday 10:00 WIB
    with tempfile.TemporaryDirectory(prefix="ppa-demo-") as tmp:
        h = await Harness.create(Path(tmp), clock=clock)
        try:
            offices = sorted(h.rt.services.offices)
            group = group_chat(h.rt.services.office("TNG"))

            async def say(text: str) -> None:
                print(f"\n👤 reporter: {text}")
                _show("reporter", await h.send(REPORTER, text), verbose)
                clock.advance(seconds=40)

            async def press(
                data: str, label: str, user: int = REPORTER, chat: int | None = None
            ) -> None:
                chat = chat if chat is not None else user
                who = "reporter" if user == REPORTER else "officer"
                print(f"\n👤 {who} presses [{label}]")
                before = h.fake.last_message_id(chat)
                msg = next(m for m in reversed(h.fake.messages(chat)) if data in m.callback_data)
                await h.click_data(user, chat, msg.message_id, data)
                _show(
                    "reporter" if chat == REPORTER else "chat",
                    [m for m in h.fake.messages(chat) if m.message_id > before],
                    verbose,
                )
                clock.advance(seconds=20)

            print("=== ppa-bot offline demo: a complaint from start to the staff group ===")
            print("(a fake Telegram in this process; the real bot, store and conversation)")
            await say("/start")
            await say("/lapor")
            await press("a|danger|o1", "Tidak / No")
            await press(f"a|office|o{offices.index('TNG')}", "Kota Tangerang")
            await press("a|reporter|o1", "Keluarga korban")
            await press("a|reporter_age|s", "Tidak ingin menyebutkan")
            await say("M.")
            await say("250")  # a mistake: the bot explains and asks again
            await say("13")
            await press("a|victim_sex|o0", "Perempuan")
            await press("a|disability|o0", "Tidak")
            await press("a|violence|o0", "Fisik")
            await press("a|violence|o1", "Psikis")
            await press("a|violence|d", "Selesai")
            await press("a|relation|o1", "Ayah/ibu tiri")
            await press("a|perpetrator_sex|o0", "Laki-laki")
            await press("a|perpetrator|s", "Lewati")
            await say("01-02-2026")
            await press("a|place|o0", "Rumah tangga")
            await press("a|where|s", "Lewati")
            await say("Anak sering dipukul dan dibentak oleh ayah tirinya di rumah.")
            print("\n👤 reporter sends a photo as evidence")
            before = h.fake.last_message_id(REPORTER)
            h.fake.user_sends_photo(REPORTER, b"\xff\xd8\xff\xe0demo-photo-bytes")
            await h.pump()
            _show(
                "reporter", [m for m in h.fake.messages(REPORTER) if m.message_id > before], verbose
            )
            await press("a|evidence|d", "Selesai")
            await say("12345")  # not a phone number: explained, asked again
            await say("0812-3456-7890")
            await press("a|call_time|o1", "Jam kantor")
            await press("a|help|o0", "Konseling")
            await press("a|help|o5", "Pendampingan")
            await press("a|help|d", "Selesai")
            await press("a|notify|o1", "Bahasa netral")
            await press("a|consent|o0", "Setuju")
            await press("s|send", "Kirim laporan")
            print("\n=== what the staff group received (no name, phone, address or story) ===")
            _show("staff group", h.fake.messages(group)[-1:], True)
            h.fake.user_sends_command(OFFICER, "/start")
            await h.pump()
            await press("take:1", "Ambil kasus", user=OFFICER, chat=group)
            await press("det:1", "Detail", user=OFFICER, chat=group)
            print("\n=== what the officer received by private message ===")
            _show("officer (private)", h.fake.messages(OFFICER)[-1:], True)
            print("\n=== what the reporter received afterwards ===")
            _show("reporter", h.fake.messages(REPORTER)[-1:], True)
            await _deadlines(h, clock, group, verbose)
            await urgent_scene(h, clock, group, _show, verbose)
        finally:  # also when stdout is closed early (`ppa-bot demo | head`)
            await h.stop()
    print(f"\n=== demo finished in {time.monotonic() - started:.1f} s ===")
    return 0
