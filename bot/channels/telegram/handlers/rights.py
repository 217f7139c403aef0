"""A reporter's rights after /status KODE (see, copy, correct, delete) and staff's answers."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError

from bot.channels.telegram.conversations.questions_ui import answer_label
from bot.channels.telegram.handlers.common import Ctx, answer, esc, reply
from bot.channels.telegram.handlers.rights_texts import (
    confirm_text,
    hold_text,
    kind_text,
    rights_markup,
)
from bot.domain.identity import Handle
from bot.domain.intake import question
from bot.domain.rights import HOLD_REASONS, Answer, RequestKind
from bot.i18n import Translator
from bot.presentation.preview import for_reporter
from bot.presentation.rights import action_label, own_data_text, request_text
from bot.services.rights import (
    MAX_CORRECTION,
    RightsOutcome,
    answer_request,
    check_answerer,
    find_request,
    make_request,
    request_detail,
    see_own_data,
    set_legal_hold,
)

__all__ = [
    "SESSION",
    "SESSION_KEY",
    "hold_text",
    "kind_text",
    "koreksi",
    "on_reporter_button",
    "on_staff_button",
    "remember_case",
    "rights_markup",
    "tahan",
]

log = logging.getLogger(__name__)

SESSION_KEY = "rights_case"
SESSION = timedelta(minutes=30)  # the buttons under /status work this long after the code


def remember_case(context: Ctx, case_id: int, now: datetime) -> None:
    """After a right code: the buttons act on this case for a while (kept in user data)."""
    if isinstance(context.user_data, dict):
        context.user_data[SESSION_KEY] = {"case": case_id, "at": now.isoformat()}


def _session_case(context: Ctx) -> int | None:
    data = context.user_data if isinstance(context.user_data, dict) else {}
    s = data.get(SESSION_KEY)
    if not isinstance(s, dict):
        return None
    try:
        at = datetime.fromisoformat(str(s["at"]))
    except (KeyError, ValueError):
        return None
    if context.services.clock.now() - at > SESSION:
        data.pop(SESSION_KEY, None)
        return None
    return int(s["case"])


async def _gone(update: Update, context: Ctx) -> None:
    t = context.t
    await reply(update, context, for_reporter(t, t.gettext("This report is not held any more.")))


def _private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


async def _send_private(context: Ctx, chat_id: int, text: str) -> None:
    """Personal data in a private chat, protected from forwarding and saving."""
    await context.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, protect_content=True)


def _label(key: str, value: Any, t: Translator, context: Ctx) -> str | None:
    try:
        q = question(key)
    except KeyError:  # a question no longer asked
        return None
    shown = answer_label(key, list(value) if isinstance(value, tuple) else value, t,
                         context.services.offices)  # fmt: skip
    return f"<b>{esc(t.translate(q.summary_label))}</b>: {shown}"


async def _see(update: Update, context: Ctx, case_id: int) -> None:
    t = context.t
    view = await see_own_data(context.services, case_id)
    chat = update.effective_chat
    if view is None or chat is None:
        await reply(
            update, context, for_reporter(t, t.gettext("This report is not held any more."))
        )
        return
    office = context.services.office(view.office_id)
    text = own_data_text(t, view, office, lambda k, v: _label(k, v, t, context))
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(action_label(t, "copy"), callback_data="ds:copy")]]
    )
    try:
        await context.bot.send_message(chat.id, for_reporter(t, text),
                                       parse_mode=ParseMode.HTML, protect_content=True,
                                       reply_markup=markup)  # fmt: skip
    except TelegramError as exc:
        log.warning("rights view not sent: %s", type(exc).__name__)


async def _request(
    update: Update, context: Ctx, case_id: int, kind: RequestKind, text: str = ""
) -> None:
    t = context.t
    chat = update.effective_chat
    handle = Handle("telegram", str(chat.id)) if chat is not None else None
    result = await make_request(context.services, case_id, kind, requester=handle, text=text)
    context.deps.kick()
    r = result.request
    if r is None:
        await reply(
            update, context, for_reporter(t, t.gettext("This report is not held any more."))
        )
        return
    office = context.services.office(r.office_id)
    await reply(update, context, for_reporter(t, request_text(t, result, office)))


async def on_reporter_button(update: Update, context: Ctx) -> None:
    """ds:see / copy / fix / del / del! / limit / limit! / withdraw / withdraw! under a report
    found by its code."""
    t = context.t
    await answer(update)
    cq = update.callback_query
    action = (cq.data or "").partition(":")[2] if cq is not None else ""
    case_id = _session_case(context) if _private(update) else None
    if case_id is None:
        await reply(update, context, for_reporter(t, t.gettext(
            "For your safety these buttons work only for 30 minutes. Send /status with your "
            "tracking code again."
        )))  # fmt: skip
        return
    if action == "see":
        await _see(update, context, case_id)
    elif action == "copy":
        await _request(update, context, case_id, RequestKind.ACCESS)
    elif action == "fix":
        await reply(update, context, for_reporter(t, t.gettext(
            "Write /koreksi followed by what should be corrected, in one message, for "
            "example: /koreksi The victim is 15, not 16."
        )))  # fmt: skip
    elif action in ("del", "limit", "withdraw"):
        text, markup = confirm_text(t, action)
        await reply(update, context, for_reporter(t, text), markup)
    elif action == "del!":
        await _request(update, context, case_id, RequestKind.ERASE)
    elif action == "limit!":
        await _request(update, context, case_id, RequestKind.RESTRICT)
    elif action == "withdraw!":
        await _request(update, context, case_id, RequestKind.WITHDRAW)


async def koreksi(update: Update, context: Ctx) -> None:
    """/koreksi TEXT: a correction of the report found with /status (private chat only)."""
    t = context.t
    if not _private(update):
        return
    case_id = _session_case(context)
    if case_id is None:
        await reply(update, context, for_reporter(t, t.gettext(
            "First send /status with your tracking code, then press Correct something."
        )))  # fmt: skip
        return
    text = " ".join(context.args or []).strip()
    if len(text) < 5:
        await reply(update, context, for_reporter(t, t.gettext(
            "Please write what should be corrected after /koreksi."
        )))  # fmt: skip
        return
    await _request(update, context, case_id, RequestKind.CORRECT, text[:MAX_CORRECTION])


# -- staff --------------------------------------------------------------------------------------


_ANSWERS = {"d": Answer.DONE, "D": Answer.DONE, "n": Answer.REFUSED, "h": Answer.REFUSED_HOLD}


async def on_staff_button(update: Update, context: Ctx) -> None:
    """rq:<id>:r (read a correction) / d (done) / D (erase, confirmed) / n / h (refuse)."""
    t = context.t
    svc = context.services
    cq = update.callback_query
    user = update.effective_user
    if cq is None or user is None:
        return
    _, rid_text, action = (cq.data or "").split(":")
    rid = int(rid_text)
    person = await context.person_id(user)
    if action == "r":
        outcome, request, text = await request_detail(svc, rid, person)
        if outcome is not RightsOutcome.OK or request is None:
            await answer(update, t.gettext("Only staff handling this case can read it."),
                         alert=True)  # fmt: skip
            return
        body = t.gettext("Correction asked for case <b>{number}</b>:",
                         number=esc(request.case_number))  # fmt: skip
        try:
            await _send_private(context, user.id, f"{body}\n{esc(text) or '–'}")
        except TelegramError:
            await answer(update, t.gettext("Start a private chat with the bot first."), alert=True)
            return
        await answer(update)
        return
    current = await find_request(svc, rid)
    if action == "d" and current is not None and current.kind == RequestKind.ERASE:
        allowed = await check_answerer(svc, rid, person)
        if allowed is not RightsOutcome.OK:
            await _refused(update, context, allowed)
            return
        await answer(update)
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(
            t.gettext("🗑 Erase case {number} for good", number=current.case_number),
            callback_data=f"rq:{rid}:D")]])  # fmt: skip
        await reply(update, context, t.gettext(
            "Erasing deletes the case, its evidence, steps, letters and history; only the audit "
            "log keeps its number. This cannot be undone."
        ), markup)  # fmt: skip
        return
    outcome, request = await answer_request(svc, rid, person, _ANSWERS[action])
    context.deps.kick()
    if outcome is not RightsOutcome.OK and outcome is not RightsOutcome.HOLD:
        await _refused(update, context, outcome)
        return
    await answer(update)
    if request is None:
        await reply(update, context, t.gettext("This request is not found."))
    elif outcome is RightsOutcome.HOLD:
        await reply(update, context, t.gettext(
            "Case {number} is under a legal hold ({why}): it cannot be erased now. Answer "
            "'Refuse: legal hold'; the reporter may ask again when it ends.",
            number=esc(request.case_number), why=hold_text(t, request.hold or ""),
        ))  # fmt: skip
    else:
        await reply(update, context, t.gettext(
            "Request {id} about case {number} answered: {answer}.",
            id=rid, number=esc(request.case_number), answer=esc(request.answer or ""),
        ))  # fmt: skip


async def _refused(update: Update, context: Ctx, outcome: RightsOutcome) -> None:
    t = context.t
    if outcome is RightsOutcome.NOT_ALLOWED:
        text = t.gettext("Only the head or a case manager answers these requests.")
    elif outcome is RightsOutcome.ALREADY_ANSWERED:
        text = t.gettext("This request was answered already.")
    else:
        text = t.gettext("This request is not found.")
    await answer(update, text, alert=True)


async def tahan(update: Update, context: Ctx) -> None:
    """/tahan NOMOR pengadilan|polisi|rujukan|pendampingan|lepas: flag or lift a legal hold."""
    t = context.t
    user = update.effective_user
    args = context.args or []
    if not _private(update) or user is None:
        return
    reasons = sorted(HOLD_REASONS)
    if len(args) != 2 or args[1] not in (*reasons, "lepas"):
        await reply(update, context, t.gettext(
            "Write /tahan CASE-NUMBER and one of: {reasons}, or lepas to lift the hold.",
            reasons=", ".join(reasons),
        ))  # fmt: skip
        return
    reason = None if args[1] == "lepas" else args[1]
    person = await context.person_id(user)
    outcome, number = await set_legal_hold(context.services, args[0], person, reason)
    if outcome is RightsOutcome.NOT_FOUND:
        await reply(update, context, t.gettext("No case with that number in your office."))
    elif outcome is RightsOutcome.NOT_ALLOWED:
        await reply(update, context, t.gettext("Only the head or a case manager sets a hold."))
    elif reason is None:
        await reply(update, context, t.gettext("Legal hold lifted on {number}.",
                                               number=esc(number or "")))  # fmt: skip
    else:
        await reply(update, context, t.gettext(
            "Legal hold on {number}: {why}. Erasure requests wait until you lift it.",
            number=esc(number or ""), why=hold_text(t, reason),
        ))  # fmt: skip
