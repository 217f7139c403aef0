"""Helpers that answer the complaint form by callback data (independent of the language)."""

from __future__ import annotations

from bot.domain.intake import question
from bot.testing.fake_telegram import SentMessage
from bot.testing.harness import Harness

REPORTER = 555001


def data_for(key: str, value: str) -> str:
    """Callback data of an option button."""
    q = question(key)
    if value == "skip":
        return f"a|{key}|s"
    if value == "done":
        return f"a|{key}|d"
    if value == "back":
        return f"a|{key}|b"
    idx = [o.value for o in q.options].index(value)
    return f"a|{key}|o{idx}"


async def press(h: Harness, user: int, data: str, chat: int | None = None) -> list[SentMessage]:
    """Press the newest button carrying ``data`` in the chat; returns new bot messages."""
    chat = chat if chat is not None else user
    before = h.fake.last_message_id(chat)
    for m in reversed(h.fake.messages(chat)):
        if data in m.callback_data:
            await h.click_data(user, chat, m.message_id, data)
            return [x for x in h.fake.messages(chat) if x.message_id > before]
    raise LookupError(f"no button {data!r} in chat {chat}")


async def choose(h: Harness, user: int, key: str, value: str) -> list[SentMessage]:
    """Answer a question with one of its buttons."""
    return await press(
        h,
        user,
        data_for(key, value),
    )


async def office(h: Harness, user: int, office_id: str) -> list[SentMessage]:
    """Pick an office by its position in the sorted list of offices."""
    idx = sorted(h.rt.services.offices).index(office_id)
    return await press(h, user, f"a|office|o{idx}")


async def full_report(
    h: Harness,
    user: int = REPORTER,
    *,
    office_id: str = "TNG",
    danger: str = "no",
    age: str = "15",
    story: str | None = None,
    phone: str = "0812-3456-7890",
    submit: bool = True,
    violence: tuple[str, ...] = ("physical", "psychological"),
    help_wanted: tuple[str, ...] = ("counselling",),
) -> list[SentMessage]:
    """A complete /lapor as a person would answer it; returns the bot's last messages."""
    await h.send(user, "/lapor")
    await choose(h, user, "danger", danger)
    await office(h, user, office_id)
    if danger == "yes":  # the urgent path asks where she is and how to reach her at once
        await h.send(user, "Rumah kontrakan dekat pasar")
        await choose(h, user, "urgent_contact", "skip")
    await choose(h, user, "reporter", "family")
    await press(h, user, "a|reporter_age|s")
    await h.send(user, "Melati")
    await h.send(user, age)
    await choose(h, user, "victim_sex", "female")
    await choose(h, user, "disability", "no")
    for kind in violence:
        await choose(h, user, "violence", kind)
    await choose(h, user, "violence", "done")
    await choose(h, user, "relation", "step_parent")
    await choose(h, user, "perpetrator_sex", "male")
    await h.send(user, "Budi Santoso")
    await h.send(user, "01-02-2026")
    await choose(h, user, "place", "rumah_tangga")
    await h.send(user, "Jl. Kenanga No. 7, Cibodas")
    await h.send(user, story or "Ayah tiri memukul dan membentak anak hampir setiap malam.")
    await choose(h, user, "evidence", "done")
    await h.send(user, phone)
    await choose(h, user, "call_time", "office_hours")
    for kind in help_wanted:
        await choose(h, user, "help", kind)
    await choose(h, user, "help", "done")
    await choose(h, user, "notify", "normal")
    out = await choose(h, user, "consent", "yes")
    if submit:
        out = await press(h, user, "s|send")
    return out
