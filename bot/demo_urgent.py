"""The demo's urgent scene: someone in danger on a Saturday night, the on-call rota paged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.clock import FakeClock
from bot.testing.fake_telegram import SentMessage
from bot.testing.harness import Harness

__all__ = ["urgent_scene"]

VICTIM = 555002
# Kota Tangerang's example rota on a weekend: the case manager, the companion, then the head
FIRST, SECOND, HEAD = 100000003, 100000004, 100000001
SATURDAY_23_WIB = datetime(2026, 3, 7, 16, 0, tzinfo=UTC)

Show = Callable[[str, list[SentMessage], bool], None]


async def urgent_scene(h: Harness, clock: FakeClock, group: int, show: Show, verbose: bool) -> None:
    """Danger now: where and how to reach her at once, the page, its escalation, the visit."""
    from bot.scheduler.sweep import sweep

    clock.set(SATURDAY_23_WIB)
    for uid in (FIRST, SECOND, HEAD):
        h.fake.user_sends_command(uid, "/start")
    await h.pump()
    offices = sorted(h.rt.services.offices)
    print("\n=== Saturday 23:00: someone is in danger now ===")
    chats = (FIRST, SECOND, HEAD, group)
    names = {FIRST: "on call (private)", SECOND: "next on call (private)", HEAD: "head (private)",
             group: "staff group"}  # fmt: skip

    def marks() -> dict[int, int]:
        return {c: h.fake.last_message_id(c) for c in chats}

    def staff_saw(before: dict[int, int]) -> None:
        for chat in chats:
            new = [m for m in h.fake.messages(chat) if m.message_id > before[chat]]
            if new:
                show(names[chat], new, verbose)

    async def act(label: str, step: Callable[[], object]) -> None:
        print(f"\n👤 {label}")
        before, mine = marks(), h.fake.last_message_id(VICTIM)
        step()
        await h.pump()
        show("reporter", [m for m in h.fake.messages(VICTIM) if m.message_id > mine], verbose)
        staff_saw(before)

    def press(user: int, chat: int, data: str) -> Callable[[], object]:
        def go() -> None:
            msg = next(m for m in reversed(h.fake.messages(chat)) if data in m.callback_data)
            h.fake.user_clicks(user, chat, msg.message_id, data)

        return go

    await act("reporter: /lapor", lambda: h.fake.user_sends_command(VICTIM, "/lapor"))
    await act("reporter presses [Ya, dalam bahaya sekarang]", press(VICTIM, VICTIM, "a|danger|o0"))
    tng = f"a|office|o{offices.index('TNG')}"
    await act("reporter presses [Kota Tangerang]", press(VICTIM, VICTIM, tng))
    await act("reporter shares her location",
              lambda: h.fake.user_sends_location(VICTIM, -6.178306, 106.631889))  # fmt: skip
    contact = "Telepon kakaknya Rina 0813-1111-2222, aman setelah jam 9 malam"
    await act(f"reporter: {contact}", lambda: h.fake.user_sends_text(VICTIM, contact))
    print("\n⏰ ten minutes pass and nobody presses [Saya tangani]")
    clock.advance(minutes=10, seconds=30)
    before = marks()
    await sweep(h.rt.services, clock.now())
    await h.rt.sender.flush()
    staff_saw(before)
    print("\n👤 the next person on call presses [Saya tangani]")
    before = marks()
    press(SECOND, SECOND, "oa:1")()
    await h.pump()
    staff_saw(before)
    clock.advance(minutes=50)
    print("\n👤 after the visit she records the outcome [Dibawa ke rumah aman]")
    before = marks()
    press(SECOND, SECOND, "ov:1:shelter")()
    await h.pump()
    staff_saw(before)
    clock.advance(hours=1)
    assert clock.now() - SATURDAY_23_WIB < timedelta(hours=3)
