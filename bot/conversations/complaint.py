"""The complaint conversation (/lapor for reporters, /catat for staff); see complaint.mmd."""

from __future__ import annotations

import logging
import secrets
import warnings
from datetime import datetime, timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.conversations import questions_ui as ui
from bot.domain.i18n_marker import N_
from bot.domain.intake import Kind, first_question, next_question, question, questions_for
from bot.domain.office import Role
from bot.domain.validation import Invalid, parse_text
from bot.faultpoints import crash_point
from bot.handlers.common import Ctx, answer, deps, esc, reply, tr
from bot.handlers.texts import emergency_text, office_contacts, welcome_text
from bot.services.intake import Evidence, raise_urgent_alert, submit_complaint

__all__ = ["ASK", "EDIT", "RESUME", "RESUME_AFTER", "SUMMARY", "build_complaint_handler"]

log = logging.getLogger(__name__)

ASK, RESUME, SUMMARY, EDIT = "ask", "resume", "summary", "edit"
RESUME_AFTER = timedelta(hours=2)
RECORD_ROLES = (Role.PETUGAS, Role.KETUA, Role.MANAJER_KASUS, Role.ADMIN)
END = ConversationHandler.END
# commands answered the same way inside and outside a report (handled globally)
GLOBAL_COMMANDS = filters.Regex(r"^/(bahasa|status|bantuan|help|hapus|whoami)(@\w+)?\b")


def _ud(context: Ctx) -> dict[str, Any]:
    data = context.user_data
    assert isinstance(data, dict)
    return data


def _draft(context: Ctx) -> dict[str, Any] | None:
    d = _ud(context).get("draft")
    return d if isinstance(d, dict) else None


def _now(context: Ctx) -> datetime:
    return deps(context).services.clock.now()


def _new_draft(context: Ctx, mode: str, office_ids: list[str]) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": secrets.token_hex(8),
        "mode": mode,
        "answers": {},
        "history": [],
        "editing": False,
        "evidence": [],
        "office_choices": office_ids,
        "urgent_alerted": False,
        "updated": _now(context).isoformat(),
    }
    if len(office_ids) == 1:
        d["answers"]["office"] = office_ids[0]
    d["current"] = first_question(mode, d["answers"], skip_office=len(office_ids) == 1)
    _ud(context)["draft"] = d
    return d


def _skip_office(d: dict[str, Any]) -> bool:
    return len(d["office_choices"]) == 1


async def _ask(update: Update, context: Ctx, d: dict[str, Any]) -> str:
    q = question(d["current"])
    t = tr(context)
    d["updated"] = _now(context).isoformat()
    markup = ui.keyboard(q, d, t, deps(context).services.offices, first=not d["history"])
    await reply(update, context, ui.prompt(q, d, t), markup)
    return ASK


def _resume_markup(context: Ctx) -> InlineKeyboardMarkup:
    t = tr(context)
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t.gettext("Continue my report"), callback_data="r|go"),
                InlineKeyboardButton(t.gettext("Start again"), callback_data="r|new"),
            ]
        ]
    )


async def _offer_resume(update: Update, context: Ctx) -> str:
    await reply(
        update,
        context,
        tr(context).gettext(
            "You have a report that is not finished yet. Do you want to continue it or start again?"
        ),
        _resume_markup(context),
    )
    return RESUME


async def start_report(update: Update, context: Ctx) -> str | int:
    """/lapor or the Report button: begin or resume a complaint."""
    if update.callback_query:
        await answer(update)
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        await reply(
            update,
            context,
            tr(context).gettext(
                "For your safety, reports are only taken in a private chat with the bot."
            ),
        )
        return END
    d = _draft(context)
    if d is not None and d["mode"] == "reporter":
        return await _offer_resume(update, context)
    offices = sorted(deps(context).services.offices)
    d = _new_draft(context, "reporter", offices)
    await reply(
        update,
        context,
        tr(context).gettext(
            "Thank you for reaching out. I will ask a few questions; you can go back at any time, "
            "and /batal cancels the report. Nothing is sent until you confirm at the end."
        ),
    )
    return await _ask(update, context, d)


async def start_record(update: Update, context: Ctx) -> str | int:
    """/catat: a rostered officer records a phone, WhatsApp or walk-in complaint."""
    user = update.effective_user
    chat = update.effective_chat
    t = tr(context)
    svc = deps(context).services
    if user is None or chat is None or chat.type != ChatType.PRIVATE:
        return END
    offices = sorted(o.id for o in svc.offices.values() if o.has_role(user.id, *RECORD_ROLES))
    if not offices:
        await reply(
            update, context, t.gettext("This command is only for the unit's complaint officers.")
        )
        return END
    d = _draft(context)
    if d is not None and d["mode"] == "staff":
        return await _offer_resume(update, context)
    d = _new_draft(context, "staff", offices)
    await reply(
        update,
        context,
        t.gettext(
            "Recording a complaint received by phone, WhatsApp or in person. /batal cancels."
        ),
    )
    return await _ask(update, context, d)


async def on_resume(update: Update, context: Ctx) -> str | int:
    """Continue the saved report or start a new one."""
    cq = update.callback_query
    assert cq is not None
    await answer(update)
    d = _draft(context)
    if cq.data == "r|go" and d is not None:
        return await _ask(update, context, d)
    mode = d["mode"] if d else "reporter"
    choices = d["office_choices"] if d else sorted(deps(context).services.offices)
    _ud(context).pop("draft", None)
    return await _ask(update, context, _new_draft(context, mode, choices))


def _paused(context: Ctx, d: dict[str, Any]) -> bool:
    return _now(context) - datetime.fromisoformat(d["updated"]) > RESUME_AFTER


async def _invalid(update: Update, context: Ctx, d: dict[str, Any], err: Invalid) -> str:
    t = tr(context)
    await reply(update, context, "⚠ " + esc(t.gettext(err.message, **err.params)))
    return await _ask(update, context, d)


async def on_button(update: Update, context: Ctx) -> str | int:
    """An answer button (a|question|action)."""
    cq = update.callback_query
    assert cq is not None and cq.data is not None
    d = _draft(context)
    t = tr(context)
    if d is None:
        await answer(update, t.gettext("This form has ended. Start again with /lapor."), alert=True)
        return END
    _, key, action = [*cq.data.split("|"), "", ""][:3]
    if _paused(context, d):
        await answer(update)
        return await _offer_resume(update, context)
    if key != d["current"]:
        await answer(update, t.gettext("That button belongs to an earlier question."))
        return await _ask(update, context, d)
    q = question(key)
    if action == "b":
        await answer(update)
        if d["history"]:
            d["current"] = d["history"].pop()
        return await _ask(update, context, d)
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
                markup = ui.keyboard(
                    q, d, t, deps(context).services.offices, first=not d["history"]
                )
                try:
                    await cq.edit_message_reply_markup(markup)
                except TelegramError:
                    return await _ask(update, context, d)
                return ASK
            await answer(update)
            return await _record(update, context, d, q.key, value)
    await answer(update, t.gettext("That button is not valid any more."))
    return await _ask(update, context, d)


async def on_message(update: Update, context: Ctx) -> str | int:
    """A typed answer, a file, or something unexpected such as a sticker."""
    msg = update.effective_message
    d = _draft(context)
    if msg is None or d is None:
        return END
    if _paused(context, d):
        return await _offer_resume(update, context)
    q = question(d["current"])
    t = tr(context)
    dp = deps(context)
    if q.kind is Kind.EVIDENCE:
        if msg.text:
            note = parse_text(msg.text, max_len=question("story").max_len)
            if isinstance(note, Invalid):
                return await _invalid(update, context, d, note)
            d["answers"].setdefault("notes", []).append(note)
            await reply(
                update, context, t.gettext("Added to your story. Send more, or press Done.")
            )
            return ASK
        if ui.too_many_files(d):
            return await _invalid(
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
            return await _invalid(update, context, d, item)
        d["evidence"].append(item)
        await reply(
            update,
            context,
            t.gettext("Received ({n} file(s)). Send more, or press Done.", n=len(d["evidence"])),
        )
        return ASK
    if msg.text is None:
        return await _invalid(
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
    value = ui.parse_typed(q, msg.text, t, _today(context, d), dp.services.offices, d)
    if isinstance(value, Invalid):
        return await _invalid(update, context, d, value)
    if q.kind is Kind.MULTI:
        return await _invalid(
            update, context, d, Invalid(N_("Please choose with the buttons, then press Done."))
        )
    return await _record(update, context, d, q.key, value)


def _today(context: Ctx, d: dict[str, Any]) -> Any:
    svc = deps(context).services
    office_id = d["answers"].get("office") or d["office_choices"][0]
    return _now(context).astimezone(svc.office(office_id).tz).date()


async def _record(
    update: Update, context: Ctx, d: dict[str, Any], key: str, value: Any
) -> str | int:
    t = tr(context)
    svc = deps(context).services
    d["answers"][key] = value
    if key == "danger" and value == "yes":
        await reply(update, context, emergency_text(t))
    if key == "consent" and value == "no":
        _ud(context).pop("draft", None)
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
        await raise_urgent_alert(svc, office_id=office_id, draft_id=d["id"])
        d["urgent_alerted"] = True
        deps(context).kick()
        await reply(
            update,
            context,
            t.gettext(
                "The unit's staff have been alerted now. Let us continue with a few questions so "
                "they can help."
            ),
        )
    elif key == "office" and d["answers"].get("danger") != "yes":
        cal = svc.calendars[str(value)]
        now = _now(context)
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
    skip = _skip_office(d)
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
        return await _show_summary(update, context, d)
    d["history"].append(d["current"])
    d["current"] = nxt
    return await _ask(update, context, d)


async def _show_summary(update: Update, context: Ctx, d: dict[str, Any]) -> str:
    t = tr(context)
    d["updated"] = _now(context).isoformat()
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t.gettext("✅ Send report"), callback_data="s|send")],
            [
                InlineKeyboardButton(t.gettext("✏ Change an answer"), callback_data="s|edit"),
                InlineKeyboardButton(t.gettext("✖ Cancel"), callback_data="s|cancel"),
            ],
        ]
    )
    await reply(update, context, ui.summary(d, t, deps(context).services.offices), markup)
    return SUMMARY


async def on_summary(update: Update, context: Ctx) -> str | int:
    """Send, edit or cancel from the summary."""
    cq = update.callback_query
    assert cq is not None
    await answer(update)
    d = _draft(context)
    t = tr(context)
    if d is None:
        await reply(update, context, t.gettext("This form has ended. Start again with /lapor."))
        return END
    if cq.data == "s|cancel":
        return await cancel(update, context)
    if cq.data == "s|edit":
        rows = [
            [InlineKeyboardButton(t.gettext(q.summary_label), callback_data=f"e|{q.key}")]
            for q in questions_for(d["mode"])
            if q.key in d["answers"]
            and not (q.kind is Kind.OFFICE and _skip_office(d))
            and q.key not in ("consent", "danger")
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
    d = _draft(context)
    if d is None:
        return END
    key = cq.data[2:]
    if not key or key not in {q.key for q in questions_for(d["mode"])}:
        return await _show_summary(update, context, d)
    d["editing"] = True
    d["current"] = key
    return await _ask(update, context, d)


async def _download(context: Ctx, d: dict[str, Any]) -> tuple[list[Evidence], int]:
    files: list[Evidence] = []
    failed = 0
    for item in d["evidence"]:
        try:
            f = await context.bot.get_file(item["file_id"])
            data = bytes(await f.download_as_bytearray())
        except TelegramError as exc:
            log.warning("evidence download failed: %s", type(exc).__name__)
            failed += 1
            continue
        files.append(Evidence(item["kind"], item["mime"], data))
    return files, failed


async def _submit(update: Update, context: Ctx, d: dict[str, Any]) -> str | int:
    t = tr(context)
    dp = deps(context)
    user = update.effective_user
    assert user is not None
    evidence, failed = await _download(context, d)
    crash_point("in_handler")
    staff = d["mode"] == "staff"
    result = await submit_complaint(
        dp.services,
        answers=d["answers"],
        evidence=evidence,
        idempotency_key=f"{d['mode']}:{user.id}:{d['id']}",
        mode=d["mode"],
        reporter_chat_id=None if staff else user.id,
        recorded_by=user.id if staff else None,
        language=t.language,
    )
    crash_point("after_case_commit")
    # the office's intake SOP starts (idempotent: a replayed update starts nothing twice)
    await dp.workflow.start_intake(result.case_id, actor=f"tg:{user.id}")
    dp.kick()
    office = dp.services.office(result.office_id)
    lines = [
        t.gettext("<b>Your report has been received.</b> Thank you for your courage.")
        if not staff
        else t.gettext("<b>The complaint has been recorded.</b>"),
        "",
        t.gettext("Case number: <b>{number}</b>", number=esc(result.number)),
        t.gettext("Tracking code: <code>{code}</code>", code=esc(result.tracking_code)),
        t.gettext(
            "Keep this code somewhere safe. Anyone with it can check the status with "
            "/status {code}.",
            code=esc(result.tracking_code),
        ),
        "",
    ]
    if result.urgent:
        lines.append(t.gettext("This report is marked URGENT; staff have been alerted."))
    elif not result.open_now:
        lines.append(
            t.gettext(
                "The office is closed now; staff will answer from {when}.",
                when=t.datetime(result.next_opening, office.timezone),
            )
        )
    lines.append(
        t.gettext(
            "A complaint officer will respond by {when}.",
            when=t.datetime(result.first_response_due, office.timezone),
        )
    )
    if failed:
        lines.append(
            t.gettext(
                "{n} file(s) could not be saved; please send them again to the "
                "officer when they contact you.",
                n=failed,
            )
        )
    lines += ["", office_contacts(t, office)]
    await reply(update, context, "\n".join(lines))
    # only now: if the receipt failed, the retried update finds the draft and the same case
    _ud(context).pop("draft", None)
    return END


async def cancel(update: Update, context: Ctx) -> int:
    """/batal: discard the report in progress."""
    if update.callback_query:
        await answer(update)
    _ud(context).pop("draft", None)
    await reply(
        update,
        context,
        tr(context).gettext(
            "The report has been cancelled and what you wrote was deleted. You can start again "
            "at any time with /lapor."
        ),
    )
    return END


async def on_start_inside(update: Update, context: Ctx) -> str:
    """/start while a report is open: welcome, and offer to continue."""
    await reply(update, context, welcome_text(tr(context)))
    return await _offer_resume(update, context)


async def on_other_command(update: Update, context: Ctx) -> None:
    """An unknown command in the middle of a report."""
    await reply(
        update,
        context,
        tr(context).gettext(
            "You are in the middle of a report. Answer the question above, or /batal to cancel."
        ),
    )


def build_complaint_handler() -> ConversationHandler[Any]:
    """The persistent ConversationHandler for /lapor and /catat."""
    typed: BaseHandler[Update, Ctx, object] = MessageHandler(
        filters.UpdateType.MESSAGE & ~filters.COMMAND, on_message
    )
    with warnings.catch_warnings():
        # per_message=False is intended: the form spans many messages of one chat
        warnings.filterwarnings("ignore", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=[
                CommandHandler("lapor", start_report),
                CallbackQueryHandler(start_report, pattern=r"^menu:report$"),
                CommandHandler("catat", start_record),
            ],
            states={
                ASK: [CallbackQueryHandler(on_button, pattern=r"^a\|"), typed],
                RESUME: [CallbackQueryHandler(on_resume, pattern=r"^r\|(go|new)$")],
                SUMMARY: [CallbackQueryHandler(on_summary, pattern=r"^s\|(send|edit|cancel)$")],
                EDIT: [CallbackQueryHandler(on_edit, pattern=r"^e\|")],
            },
            fallbacks=[
                CommandHandler("batal", cancel),
                CommandHandler("start", on_start_inside),
                CommandHandler("lapor", start_report),
                CommandHandler("catat", start_record),
                MessageHandler(
                    filters.COMMAND & filters.UpdateType.MESSAGE & ~GLOBAL_COMMANDS,
                    on_other_command,
                ),
            ],
            name="complaint",
            persistent=True,
            allow_reentry=False,
        )
