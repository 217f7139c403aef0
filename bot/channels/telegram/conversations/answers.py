"""Answers to the complaint form's questions: buttons, typed text, files."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from telegram import Update
from telegram.error import TelegramError

from bot.channels.telegram.botapi import edit_keyboard
from bot.channels.telegram.conversations import questions_ui as ui
from bot.channels.telegram.conversations import urgent
from bot.channels.telegram.conversations.draft import (
    ASK,
    END,
    MAX_NOTES,
    MAX_NOTES_CHARS,
    URGENT_ALERT_EVERY,
    URGENT_KEY,
    ask,
    draft_of,
    explain_invalid,
    now_of,
    offer_resume,
    paused,
    skips_office,
    today_of,
    user_data_of,
)
from bot.channels.telegram.conversations.summary import show_summary
from bot.channels.telegram.handlers.common import Ctx, answer, reply
from bot.domain.consent import CONSENT_VERSION
from bot.domain.i18n_marker import N_
from bot.domain.intake import Kind, child_reporter, next_question, question, questions_for
from bot.domain.validation import Invalid, parse_text
from bot.presentation.texts import child_welcome_text, emergency_text

__all__ = ["on_button", "on_message"]

log = logging.getLogger(__name__)

# after telling that the notes are full, further notes get no reply for this long
_RETELL_FULL = timedelta(minutes=10)


async def on_button(update: Update, context: Ctx) -> str | int:
    """An answer button (a|question|action)."""
    cq = update.callback_query
    assert cq is not None and cq.data is not None
    d = draft_of(context)
    t = context.t
    if d is None:
        await answer(update, t.gettext("This form has ended. Start again with /lapor."), alert=True)
        return END
    _, key, action = [*cq.data.split("|"), "", ""][:3]
    if paused(context, d):
        await answer(update)
        return await offer_resume(update, context)
    if key != d["current"]:
        await answer(update, t.gettext("That button belongs to an earlier question."))
        return await ask(update, context, d)
    q = question(key)
    if action == "b":
        await answer(update)
        if d["history"]:
            d["current"] = d["history"].pop()
        return await ask(update, context, d)
    if action == "s" and q.skip is not None:
        await answer(update)
        return await _record(update, context, d, q.key, q.skip.value)
    if action == "d" and q.kind is Kind.MULTI:
        if not d["answers"].get(q.key):
            await answer(update, t.gettext("Choose at least one, then press Done."), alert=True)
            return ASK
        await answer(update)
        return await _advance(update, context, d)
    if action == "d" and q.kind is Kind.EVIDENCE:
        await answer(update)
        return await _record(update, context, d, q.key, len(d["evidence"]))
    if action.startswith("o") and action[1:].isdigit():
        idx = int(action[1:])
        if q.kind is Kind.OFFICE and idx < len(d["office_choices"]):
            await answer(update)
            return await _record(update, context, d, q.key, d["office_choices"][idx])
        if idx < len(q.options):
            value = q.options[idx].value
            if q.kind is Kind.MULTI:
                chosen: list[str] = d["answers"].setdefault(q.key, [])
                chosen.remove(value) if value in chosen else chosen.append(value)
                await answer(update)
                markup = ui.keyboard(q, d, t, context.services.offices, first=not d["history"])
                try:
                    await edit_keyboard(context.bot, cq, markup)
                except TelegramError:
                    return await ask(update, context, d)
                return ASK
            await answer(update)
            return await _record(update, context, d, q.key, value)
    await answer(update, t.gettext("That button is not valid any more."))
    return await ask(update, context, d)


async def on_message(update: Update, context: Ctx) -> str | int:
    """A typed answer, a file, or something unexpected such as a sticker."""
    msg = update.effective_message
    d = draft_of(context)
    if msg is None or d is None:
        return END
    if paused(context, d):
        return await offer_resume(update, context)
    q = question(d["current"])
    t = context.t
    dp = context.deps
    if q.kind is Kind.EVIDENCE:
        if msg.text:
            note = parse_text(msg.text, max_len=question("story").max_len)
            if isinstance(note, Invalid):
                return await explain_invalid(update, context, d, note)
            notes: list[str] = d["answers"].setdefault("notes", [])
            if len(notes) >= MAX_NOTES or sum(map(len, notes)) + len(note) > MAX_NOTES_CHARS:
                return await _notes_full(update, context, d)
            notes.append(note)
            await reply(
                update, context, t.gettext("Added to your story. Send more, or press Done.")
            )
            return ASK
        if ui.too_many_files(d):
            return await explain_invalid(
                update,
                context,
                d,
                Invalid(
                    N_(
                        "That is the most files we can take here. Press Done; the unit can collect "
                        "more later."
                    )
                ),
            )
        item = ui.evidence_from_message(msg, dp.max_file_bytes)
        if isinstance(item, Invalid):
            return await explain_invalid(update, context, d, item)
        d["evidence"].append(item)
        await reply(
            update,
            context,
            t.gettext("Received ({n} file(s)). Send more, or press Done.", n=len(d["evidence"])),
        )
        return ASK
    if q.kind is Kind.LOCATION and msg.location is not None:
        return await _record(update, context, d, q.key, urgent.location_value(msg.location))
    if msg.text is None:
        return await explain_invalid(
            update,
            context,
            d,
            Invalid(
                N_(
                    "I can only read text for this question. Please write your answer, or use the "
                    "buttons."
                )
            ),
        )
    value = ui.parse_typed(q, msg.text, t, today_of(context, d), dp.services.offices, d)
    if isinstance(value, Invalid):
        return await explain_invalid(update, context, d, value)
    if q.kind is Kind.MULTI:
        return await explain_invalid(
            update, context, d, Invalid(N_("Please choose with the buttons, then press Done."))
        )
    return await _record(update, context, d, q.key, value)


async def _notes_full(update: Update, context: Ctx, d: dict[str, Any]) -> str:
    """The extra notes are full: say so kindly, keep what is there (told again after a pause)."""
    now = now_of(context)
    told = d.get("notes_full")
    if isinstance(told, str) and now - datetime.fromisoformat(told) < _RETELL_FULL:
        return ASK  # told a moment ago: a flood of notes gets no more replies
    d["notes_full"] = now.isoformat()
    await reply(
        update,
        context,
        context.t.gettext(
            "Thank you, your story is already long and everything you wrote so far is kept. "
            "No more notes can be added here; the staff will listen to the rest when they "
            "contact you. Press Done to continue."
        ),
    )
    return ASK


def _recently_alerted(context: Ctx) -> bool:
    """Whether this user's earlier draft alerted the staff group a short while ago."""
    at = user_data_of(context).get(URGENT_KEY)
    if not isinstance(at, str):
        return False
    try:
        return now_of(context) - datetime.fromisoformat(at) < URGENT_ALERT_EVERY
    except ValueError:
        return False


async def _record(
    update: Update, context: Ctx, d: dict[str, Any], key: str, value: Any
) -> str | int:
    t = context.t
    svc = context.services
    d["answers"][key] = value
    if key == "consent" and value == "yes":
        d["answers"]["consent_version"] = CONSENT_VERSION  # the text she agreed to
    if key == "danger" and value == "yes":
        await reply(update, context, emergency_text(t))
    if (
        d["mode"] == "reporter"
        and key in ("reporter_age", "victim_age")
        and child_reporter(d["answers"])
    ):
        if not d.get("child_welcomed"):  # once per report: SAPA 129 up front
            d["child_welcomed"] = True
            await reply(update, context, child_welcome_text(t))
    if key == "consent" and value == "no":
        user_data_of(context).pop("draft", None)
        await reply(
            update,
            context,
            t.gettext(
                "We respect your choice. Without your consent we cannot keep or process this "
                "report, so everything you wrote here has been deleted. You can still get help "
                "by phone:"
            )
            + "\n\n"
            + emergency_text(t),
        )
        return END
    office_id = d["answers"].get("office")
    if office_id and d["answers"].get("danger") == "yes" and not d["urgent_alerted"]:
        # one alert per draft, and none again for a new draft soon after (a flood of restarts)
        d["urgent_alerted"] = True
        if _recently_alerted(context):
            urgent.reuse_recent(context, d)
            await reply(
                update,
                context,
                t.gettext(
                    "The unit's staff were already alerted a short while ago. Let us continue "
                    "with a few questions so they can help."
                ),
            )
            return await _advance(update, context, d)
        await urgent.open_for_draft(context, d, office_id)
        user_data_of(context)[URGENT_KEY] = now_of(context).isoformat()
        context.deps.kick()
        await reply(
            update,
            context,
            t.gettext(
                "The unit's staff have been alerted now. Let us continue with a few questions so "
                "they can help."
            ),
        )
    elif key in urgent.DETAIL_QUESTIONS:
        await urgent.pass_on(update, context, d, key, value)
    elif key == "office" and d["answers"].get("danger") != "yes":
        cal = svc.calendars[str(value)]
        now = now_of(context)
        if not cal.is_open(now):
            office = svc.office(str(value))
            await reply(
                update,
                context,
                t.gettext(
                    "The office is closed now. Staff will read your report from {when}. "
                    "You can still finish it now.",
                    when=t.datetime(cal.next_opening(now), office.timezone),
                ),
            )
    return await _advance(update, context, d)


async def _advance(update: Update, context: Ctx, d: dict[str, Any]) -> str | int:
    skip = skips_office(d)
    if d["editing"]:
        nxt = next(
            (
                q.key
                for q in questions_for(d["mode"])
                if q.key not in d["answers"]
                and q.kind is not Kind.EVIDENCE
                and (q.asked_if is None or q.asked_if(d["answers"]))
                and not (q.kind is Kind.OFFICE and skip)
            ),
            None,
        )
    else:
        nxt = next_question(d["current"], d["mode"], d["answers"], skip_office=skip)
    if nxt is None:
        d["editing"] = False
        return await show_summary(update, context, d)
    d["history"].append(d["current"])
    d["current"] = nxt
    return await ask(update, context, d)
