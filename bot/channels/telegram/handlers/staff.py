"""Staff buttons on the group notice: take the case, details by direct message."""

from __future__ import annotations

import re

from telegram import Update
from telegram.error import Forbidden, TelegramError

from bot.channels.telegram.conversations.questions_ui import answer_label
from bot.channels.telegram.handlers.common import Ctx, answer, esc
from bot.channels.telegram.sender import render_staff_notice
from bot.domain.intake import question
from bot.services.staff import Outcome, case_details, take_case

__all__ = ["on_staff_button", "on_unknown_button"]

_DATA = re.compile(r"^(take|det):(\d{1,12})$")


async def on_staff_button(update: Update, context: Ctx) -> None:
    """take:<id> or det:<id>, checked against the roster of the case's office."""
    cq = update.callback_query
    user = update.effective_user
    assert cq is not None and user is not None
    t = context.t
    m = _DATA.match(cq.data or "")
    if m is None:
        await answer(update, t.gettext("That button is not valid any more."))
        return
    action, case_id = m[1], int(m[2])
    svc = context.services
    if action == "take":
        result = await take_case(svc, case_id, user.id)
        if result.outcome is Outcome.NOT_ALLOWED or result.outcome is Outcome.NOT_FOUND:
            await answer(
                update,
                t.gettext("Sorry, only the unit's complaint officers can do that."),
                alert=True,
            )
            return
        if result.outcome is Outcome.ALREADY_TAKEN:
            await answer(update, t.gettext("Someone has already taken this case."), alert=True)
            return
        context.deps.kick()
        await answer(update, t.gettext("You have taken the case."))
        office_t = context.deps.i18n.get(
            svc.office(result.case.office_id).language if result.case else None
        )
        rendered = await render_staff_notice(svc, case_id, office_t)
        if rendered is not None:
            try:
                await cq.edit_message_text(rendered[0], parse_mode="HTML", reply_markup=rendered[1])
            except TelegramError:
                pass
        return
    result = await case_details(svc, case_id, user.id)
    if result.outcome is not Outcome.OK or result.case is None or result.details is None:
        await answer(
            update, t.gettext("Sorry, only the unit's staff can see case details."), alert=True
        )
        return
    d = result.details
    c = result.case
    opts = {o.value: t.translate(o.label) for o in question("relation").options}
    lines = [
        t.gettext("🔒 <b>Case {number}</b> (confidential)", number=esc(c.number)),
        t.gettext(
            "Victim: {name}, age {age}",
            name=esc(d.get("victim_name") or "–"),
            age=esc(d.get("victim_age") if d.get("victim_age") is not None else "?"),
        ),
        t.gettext(
            "Reported party: {who} ({relation})",
            who=esc(d.get("perpetrator") or "–"),
            relation=esc(opts.get(c.relation, c.relation)),
        ),
        t.gettext(
            "When: {when}; where: {where}",
            when=esc(d.get("when") or "–"),
            where=esc(d.get("where") or "–"),
        ),
        t.gettext(
            "Contact: {phone} ({call})",
            phone=esc(d.get("phone") or "–"),
            call=answer_label("call_time", d.get("call_time") or "", t, svc.offices),
        ),
        t.gettext("Evidence files: {n}", n=result.evidence),
        "",
        esc(d.get("story") or ""),
    ]
    for note in d.get("notes") or []:
        lines.append("• " + esc(note))
    if d.get("consent_path") == "child_protection":
        lines.append("")
        lines.append(
            t.gettext(
                "⚠ Child victim and the reported party is a parent or guardian: "
                "do not seek consent through that parent."
            )
        )
    try:
        await context.bot.send_message(user.id, "\n".join(lines)[:4096], parse_mode="HTML")
    except Forbidden:
        await answer(
            update,
            t.gettext(
                "Please open a private chat with the bot first (press Start), "
                "then press Details again."
            ),
            alert=True,
        )
        return
    await answer(update, t.gettext("Sent to you by private message."))


async def on_unknown_button(update: Update, context: Ctx) -> None:
    """Any other button (stale, forged or from an ended form): say so, change nothing."""
    cq = update.callback_query
    assert cq is not None
    await answer(update, context.t.gettext("That button is not valid any more."))
