"""The staff side of the SOP workflow: the task conversation (a report, a reason or a mediation
place typed after a button) and the answer to stale workflow buttons; registry.py adds them."""

from __future__ import annotations

import warnings
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.channels.telegram.handlers import mediation, naming_ui, tasks
from bot.channels.telegram.handlers.common import Ctx, reply

__all__ = ["CONVERSATION_NAME", "build_task_conversation", "on_answer", "on_stale"]

CONVERSATION_NAME = "task"


async def on_answer(update: Update, context: Ctx) -> str | int:
    """The private message answering a pending report, reason or mediation place."""
    pending = tasks.get_pending(context)
    if pending is None:
        tasks.clear_pending(context)
        text = context.t.gettext("That request has expired. Please press the button again.")
        await reply(update, context, text)
        return ConversationHandler.END
    if pending.get("kind") == "location":
        return await mediation.on_location(update, context, pending)
    return await tasks.on_report(update, context, pending)


async def on_stale(update: Update, context: Ctx) -> None:
    """Any other workflow button (forged, stale, or from a finished exchange)."""
    await tasks.bad_button(update, context)


def build_task_conversation() -> ConversationHandler[Any]:
    """The persistent conversation waiting for a report, a reason or a mediation place."""
    answer_filter = (
        filters.ChatType.PRIVATE
        & filters.UpdateType.MESSAGE
        & ((filters.TEXT & ~filters.COMMAND) | filters.Document.ALL | filters.PHOTO)
    )
    typed: BaseHandler[Update, Ctx, object] = MessageHandler(answer_filter, on_answer)
    with warnings.catch_warnings():
        # per_message=False is intended: the answer is the next message of the chat
        warnings.filterwarnings("ignore", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=[
                CallbackQueryHandler(tasks.on_done, pattern=r"^wd:"),
                CallbackQueryHandler(tasks.on_outcome, pattern=r"^wo:"),
                CallbackQueryHandler(mediation.on_slot, pattern=r"^mh:"),
            ],
            states={
                tasks.AWAIT: [
                    typed,
                    CallbackQueryHandler(tasks.on_no_report, pattern=r"^wn:"),
                    CallbackQueryHandler(tasks.on_waive, pattern=r"^wv:"),
                    CallbackQueryHandler(naming_ui.on_name, pattern=r"^wa:"),
                ],
            },
            fallbacks=[CommandHandler("batal", tasks.cancel)],
            name=CONVERSATION_NAME,
            persistent=True,
            allow_reentry=True,
        )
