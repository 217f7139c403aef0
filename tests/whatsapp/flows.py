"""A complete complaint over WhatsApp, answered as a person would (typed words and presses)."""

from __future__ import annotations

from bot.domain.intake import question
from bot.testing.fake_whatsapp import SentWa
from bot.testing.whatsapp_harness import WaHarness

WA_REPORTER = "6281234567001"
STORY = "Ayah tiri memukul dan membentak anak hampir setiap malam."


def opt(key: str, value: str) -> str:
    """The choice id of an option."""
    idx = [o.value for o in question(key).options].index(value)
    return f"a|{key}|o{idx}"


async def full_report(
    wa: WaHarness, who: str = WA_REPORTER, *, office_id: str = "TNG", send: bool = True,
    notify: str = "1",
) -> list[SentWa]:  # fmt: skip
    """Every question answered; returns what the bot sent last."""
    await wa.say(who, "halo")
    await wa.say(who, "lapor")
    await wa.say(who, "tidak")  # danger: a yes/no word
    idx = sorted(wa.h.rt.services.offices).index(office_id)
    await wa.press(who, f"a|office|o{idx}")
    await wa.say(who, "2")  # reporter: family, by its number
    await wa.say(who, "lewati")  # reporter_age: skipped by word
    await wa.say(who, "Melati")
    await wa.say(who, "15")
    await wa.press(who, opt("victim_sex", "female"))
    await wa.say(who, "tidak")  # disability
    await wa.press(who, opt("violence", "physical"))
    await wa.press(who, opt("violence", "psychological"))
    await wa.say(who, "selesai")
    await wa.press(who, opt("relation", "step_parent"))
    await wa.say(who, "1")  # perpetrator_sex: a man or boy
    await wa.say(who, "Budi Santoso")
    await wa.say(who, "01-02-2026")
    await wa.press(who, opt("place", "rumah_tangga"))
    await wa.say(who, "Jl. Kenanga No. 7, Cibodas")
    await wa.say(who, STORY)
    await wa.say(who, "selesai")  # evidence: none
    await wa.say(who, "0812-3456-7890")
    await wa.say(who, "2")  # call_time: office hours
    await wa.press(who, opt("help", "counselling"))
    await wa.say(who, "selesai")
    await wa.say(who, notify)  # notify: 1 normal, 2 neutral, 3 none
    out = await wa.say(who, "ya")  # consent
    if send:
        out = await wa.say(who, "kirim")
    return out
