"""The complaint's summary: send, change an answer, cancel."""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from bot.channels.telegram.addresses import TELEGRAM
from bot.channels.telegram.conversations import questions_ui as ui
from bot.channels.telegram.conversations.downloads import download
from bot.channels.telegram.conversations.draft import (
    EDIT,
    END,
    SUMMARY,
    ask,
    draft_of,
    now_of,
    skips_office,
    user_data_of,
)
from bot.channels.telegram.handlers.common import Ctx, answer, esc, reply
from bot.domain.eligibility import facts_from_answers
from bot.domain.identity import Handle, actor_for
from bot.domain.intake import Kind, child_reporter, questions_for
from bot.faultpoints import crash_point
from bot.i18n import Translator
from bot.presentation.preview import for_reporter
from bot.presentation.receipt import receipt_text
from bot.services.evidence import attach_evidence_chunks
from bot.services.intake import attached_evidence
from bot.services.outreach import link_case
from bot.services.submit import submit_and_start
from bot.services.workflow.eligibility import default_rules

__all__ = ["MAX_VICTIMS", "cancel", "mediation_note", "on_edit", "on_summary", "show_summary"]

# how many other victims a reporter can add from the summary (staff add more with /asesmen)
MAX_VICTIMS = 20

log = logging.getLogger(__name__)


async def show_summary(update: Update, context: Ctx, d: dict[str, Any]) -> str:
    t = context.t
    d["updated"] = now_of(context).isoformat()
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t.gettext("✅ Send report"), callback_data="s|send")],
            [
                InlineKeyboardButton(t.gettext("✏ Change an answer"), callback_data="s|edit"),
                InlineKeyboardButton(t.gettext("✖ Cancel"), callback_data="s|cancel"),
            ],
            [
                InlineKeyboardButton(
                    t.gettext("➕ Someone else was hurt too"), callback_data="s|more"
                )
            ],
        ]
    )
    text = ui.summary(d, t, context.services.offices)
    if (note := mediation_note(d["answers"], t)) is not None:
        text += "\n\n" + note
    await reply(update, context, text, markup)
    return SUMMARY


def mediation_note(answers: dict[str, Any], t: Translator) -> str | None:
    """A kind word when the reporter asks for mediation that the law does not allow."""
    if "mediation" not in (answers.get("help") or []):
        return None
    decision = default_rules().decide("mediation", facts_from_answers(answers))
    if decision.allowed:
        return None
    return "\n".join(
        [
            t.gettext(
                "ℹ <b>About mediation</b> ({articles})", articles=esc("; ".join(decision.articles))
            ),
            esc(t.translate(decision.refusals[0].reason)),
            t.gettext(
                "The unit will help you through the legal route instead: accompaniment to the "
                "police and the court, legal aid and protection. Staff will explain the options "
                "when they contact you."
            ),
        ]
    )


async def on_summary(update: Update, context: Ctx) -> str | int:
    """Send, edit or cancel from the summary."""
    cq = update.callback_query
    assert cq is not None
    await answer(update)
    d = draft_of(context)
    t = context.t
    if d is None:
        await reply(update, context, t.gettext("This form has ended. Start again with /lapor."))
        return END
    if cq.data == "s|cancel":
        return await cancel(update, context)
    if cq.data == "s|more":  # another victim: counted now, the staff ask about them later
        answers = d["answers"]
        answers["other_victims"] = min(int(answers.get("other_victims") or 0) + 1, MAX_VICTIMS)
        return await show_summary(update, context, d)
    if cq.data == "s|edit":
        rows = [
            [InlineKeyboardButton(t.translate(q.summary_label), callback_data=f"e|{q.key}")]
            for q in questions_for(d["mode"])
            if q.key in d["answers"]
            and not (q.kind is Kind.OFFICE and skips_office(d))
            and q.key not in ("consent", "danger", "child_ok")
        ]
        rows.append([InlineKeyboardButton(t.gettext("⬅ Back"), callback_data="e|")])
        await reply(
            update,
            context,
            t.gettext("Which answer do you want to change?"),
            InlineKeyboardMarkup(rows),
        )
        return EDIT
    return await _submit(update, context, d)


async def on_edit(update: Update, context: Ctx) -> str | int:
    """Pick the answer to change."""
    cq = update.callback_query
    assert cq is not None and cq.data is not None
    await answer(update)
    d = draft_of(context)
    if d is None:
        return END
    key = cq.data[2:]
    if not key or key not in {q.key for q in questions_for(d["mode"])}:
        return await show_summary(update, context, d)
    d["editing"] = True
    d["current"] = key
    return await ask(update, context, d)


async def _attach(context: Ctx, case_id: int, d: dict[str, Any]) -> tuple[int, int]:
    """The evidence files, attached to the stored case one at a time (each downloaded,
    encrypted into the file store in segments, checked and recorded, then let go); a file
    whose content is not an accepted type (its first bytes, not the type the sender's app
    claimed) is not kept. A replayed update skips the files already attached.
    Returns (failed, refused)."""
    svc = context.services
    done = await attached_evidence(svc, case_id) if d["evidence"] else set()
    failed = refused = 0
    for item_no, item in enumerate(d["evidence"]):
        if item_no in done:
            continue
        try:
            f = await context.bot.get_file(item["file_id"])
            real = await attach_evidence_chunks(
                svc, case_id, item_no, item["kind"], str(item.get("mime") or ""), download(f)
            )
        except TelegramError as exc:
            log.warning("evidence download failed: %s", type(exc).__name__)
            failed += 1
            continue
        if real is None:
            log.warning("evidence refused: its content is not an accepted type (%s)", item["kind"])
            refused += 1
    return failed, refused


async def _submit(update: Update, context: Ctx, d: dict[str, Any]) -> str | int:
    t = context.t
    dp = context.deps
    user = update.effective_user
    assert user is not None
    me = await context.person_id(user)
    await crash_point("in_handler")
    staff = d["mode"] == "staff"
    # the case, then the office's intake SOP (idempotent: a replayed update makes one case
    # and starts its SOP once)
    result, _ = await submit_and_start(
        dp.workflow,
        answers=d["answers"],
        evidence=[],  # attached below, one file at a time
        idempotency_key=f"{d['mode']}:{me}:{d['id']}",
        mode=d["mode"],
        reporter=None if staff else Handle(TELEGRAM, str(user.id)),
        recorded_by=me if staff else None,
        language=t.language,
        actor=actor_for(me),
    )
    if isinstance(d.get("outreach_key"), str):  # the urgent report's outreach joins its case
        await link_case(dp.services, draft_key=d["outreach_key"], case_id=result.case_id)
    dp.kick()  # the staff are told now; the files follow
    failed, refused = await _attach(context, result.case_id, d)
    office = dp.services.office(result.office_id)
    text = receipt_text(t, result, office, staff=staff, child=child_reporter(d["answers"]),
                        failed=failed, refused=refused)  # fmt: skip
    # the reporter's phone may be shared: its lock screen shows a neutral first line only
    await reply(update, context, text if staff else for_reporter(t, text))
    # only now: if the receipt failed, the retried update finds the draft and the same case
    user_data_of(context).pop("draft", None)
    return END


async def cancel(update: Update, context: Ctx) -> int:
    """/batal: discard the report in progress."""
    if update.callback_query:
        await answer(update)
    user_data_of(context).pop("draft", None)
    await reply(
        update,
        context,
        context.t.gettext(
            "The report has been cancelled and what you wrote was deleted. You can start again "
            "at any time with /lapor."
        ),
    )
    return END
