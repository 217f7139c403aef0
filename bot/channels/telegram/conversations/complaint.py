"""The complaint conversation (/lapor for reporters, /catat for staff); see complaint.mmd."""

from __future__ import annotations

import logging
import warnings
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.channels.telegram.conversations.answers import on_button, on_message
from bot.channels.telegram.conversations.draft import (
    ASK,
    EDIT,
    END,
    GLOBAL_COMMANDS,
    RECORD_ROLES,
    RESUME,
    SUMMARY,
    ask,
    draft_of,
    new_draft,
    offer_resume,
    user_data_of,
)
from bot.channels.telegram.conversations.summary import cancel, on_edit, on_summary
from bot.channels.telegram.handlers.common import Ctx, answer, reply
from bot.presentation.texts import welcome_text

__all__ = [
    "ComplaintConversation",
    "build_complaint_handler",
    "complaint_conversations",
    "forget_draft",
    "start_record",
    "start_report",
]

log = logging.getLogger(__name__)


async def start_report(update: Update, context: Ctx) -> str | int:
    """/lapor or the Report button: begin or resume a complaint."""
    if update.callback_query:
        await answer(update)
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        await reply(
            update,
            context,
            context.t.gettext(
                "For your safety, reports are only taken in a private chat with the bot."
            ),
        )
        return END
    d = draft_of(context)
    if d is not None and d["mode"] == "reporter":
        return await offer_resume(update, context)
    offices = sorted(context.services.offices)
    d = new_draft(context, "reporter", offices)
    await reply(
        update,
        context,
        context.t.gettext(
            "Thank you for reaching out. I will ask a few questions; you can go back at any time, "
            "and /batal cancels the report. Nothing is sent until you confirm at the end."
        ),
    )
    return await ask(update, context, d)


async def start_record(update: Update, context: Ctx) -> str | int:
    """/catat: a rostered officer records a phone, WhatsApp or walk-in complaint."""
    user = update.effective_user
    chat = update.effective_chat
    t = context.t
    svc = context.services
    if user is None or chat is None or chat.type != ChatType.PRIVATE:
        return END
    me = await context.person_id(user)
    offices = sorted(o.id for o in svc.offices.values() if o.has_role(me, *RECORD_ROLES))
    if not offices:
        await reply(
            update, context, t.gettext("This command is only for the unit's complaint officers.")
        )
        return END
    d = draft_of(context)
    if d is not None and d["mode"] == "staff":
        return await offer_resume(update, context)
    d = new_draft(context, "staff", offices)
    await reply(
        update,
        context,
        t.gettext(
            "Recording a complaint received by phone, WhatsApp or in person. /batal cancels."
        ),
    )
    return await ask(update, context, d)


async def on_resume(update: Update, context: Ctx) -> str | int:
    """Continue the saved report or start a new one."""
    cq = update.callback_query
    assert cq is not None
    await answer(update)
    d = draft_of(context)
    if cq.data == "r|go" and d is not None:
        return await ask(update, context, d)
    mode = d["mode"] if d else "reporter"
    choices = d["office_choices"] if d else sorted(context.services.offices)
    user_data_of(context).pop("draft", None)
    return await ask(update, context, new_draft(context, mode, choices))


async def on_start_inside(update: Update, context: Ctx) -> str:
    """/start while a report is open: welcome, and offer to continue."""
    await reply(update, context, welcome_text(context.t))
    return await offer_resume(update, context)


async def on_other_command(update: Update, context: Ctx) -> None:
    """An unknown command in the middle of a report."""
    await reply(
        update,
        context,
        context.t.gettext(
            "You are in the middle of a report. Answer the question above, or /batal to cancel."
        ),
    )


class ComplaintConversation(ConversationHandler[Any]):
    """The complaint's ConversationHandler, which can also end a conversation from outside
    (/hapus, an expired draft): the state is removed and the persistence deletes its row."""

    def forget(self, chat_id: int, user_id: int) -> bool:
        """End the conversation of this user in this chat; True if there was one."""
        conversations = self._conversations
        key = (chat_id, user_id)
        if key not in conversations:
            return False
        conversations.pop(key, None)  # a TrackingDict: the deletion reaches the persistence
        return True

    def open_keys(self) -> list[tuple[int, ...]]:
        """The (chat id, user id) of every open conversation."""
        return [tuple(int(x) for x in k) for k in self._conversations]


# any Application (a handler's ``context.application`` is typed loosely by PTB)
_App = Application[Any, Any, Any, Any, Any, Any]


def complaint_conversations(app: _App) -> list[ComplaintConversation]:
    """The complaint ConversationHandler(s) registered on ``app``."""
    return [h for hs in app.handlers.values() for h in hs if isinstance(h, ComplaintConversation)]


def forget_draft(app: _App, user_id: int, chat_id: int | None = None) -> bool:
    """Delete a user's unfinished report: the draft in user_data and the conversation state.

    Reads ``app.user_data`` without creating an entry; True if there was a draft or a state.
    """
    data = app.user_data.get(user_id)
    had = isinstance(data, dict) and data.pop("draft", None) is not None
    for handler in complaint_conversations(app):
        had = handler.forget(chat_id if chat_id is not None else user_id, user_id) or had
    if had:
        app.mark_data_for_update_persistence(user_ids=user_id)
    return had


def build_complaint_handler() -> ComplaintConversation:
    """The persistent ConversationHandler for /lapor and /catat."""
    typed: BaseHandler[Update, Ctx, object] = MessageHandler(
        filters.UpdateType.MESSAGE & ~filters.COMMAND, on_message
    )
    with warnings.catch_warnings():
        # per_message=False is intended: the form spans many messages of one chat
        warnings.filterwarnings("ignore", category=PTBUserWarning)
        return ComplaintConversation(
            entry_points=[
                CommandHandler("lapor", start_report),
                CallbackQueryHandler(start_report, pattern=r"^menu:report$"),
                CommandHandler("catat", start_record),
            ],
            states={
                ASK: [CallbackQueryHandler(on_button, pattern=r"^a\|"), typed],
                RESUME: [CallbackQueryHandler(on_resume, pattern=r"^r\|(go|new)$")],
                SUMMARY: [
                    CallbackQueryHandler(on_summary, pattern=r"^s\|(send|edit|cancel|more)$")
                ],
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
