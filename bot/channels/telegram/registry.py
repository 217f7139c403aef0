"""Every Telegram handler, in dispatch order, in one table; ``register_all`` adds them.

How PTB dispatches: groups run in ascending order; within a group only the first handler whose
``check_update`` matches runs; a handler raising ``ApplicationHandlerStop`` ends the update (no
later group runs). So the order of the rows below is the dispatch order within each group, and
the groups put what must happen before (or after) the ordinary handlers around group 0.

The table is built per Application (``handler_table(app)``): the conversation handlers hold
their conversations' states and the safety gates read the Application, so no handler object is
shared between two Applications (the tests build several in one process).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.channels.telegram.context import BotApp, BotContext
from bot.channels.telegram.conversations.complaint import build_complaint_handler
from bot.channels.telegram.handlers import (
    assessment,
    evidence,
    groups,
    head,
    join,
    kasus,
    letters_ui,
    mediation,
    mediation_move,
    outreach,
    plan,
    plan_commands,
    record_letters_ui,
    referrals,
    reports,
    retention,
    rights,
    safety,
    shelter,
    staff,
    start,
    status,
    tasks,
    workflow_ui,
)
from bot.channels.telegram.log_redaction import install_log_redaction

__all__ = [
    "GROUP_AFTER",
    "GROUP_EXPIRE",
    "GROUP_LIMIT",
    "GROUP_MAIN",
    "GROUP_REMEMBER",
    "GROUP_SAFE_MODE",
    "Entry",
    "handler_table",
    "register_all",
]

# PTB handler groups, in the order they run
GROUP_EXPIRE = -12  # expires old drafts and data; tells a returning reporter once; never stops
GROUP_REMEMBER = -11  # notes what /hapus and the after-submit offer need; never stops anything
GROUP_LIMIT = -10  # the rate limit: drops floods before any handler works
GROUP_SAFE_MODE = -1  # /hapus and its button: before the conversations, then stop
GROUP_MAIN = 0  # commands, buttons and conversations: first match wins
GROUP_AFTER = 10  # looks at what group 0 did to the same update

# every callback prefix of the workflow buttons (w?: tasks, letters and head, m?: mediation)
_WORKFLOW_BUTTONS = r"^(w[a-z]|m[a-z]):"


class Entry(NamedTuple):
    """One row: the PTB handler group, the handler, and why it sits there."""

    group: int
    handler: BaseHandler[Update, BotContext, Any]
    why: str


def handler_table(app: BotApp) -> tuple[Entry, ...]:
    """The bot's handlers in dispatch order (fresh objects: build once per Application)."""
    private_message = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    return (
        # ---------------------------------------------------------------- before everything
        Entry(
            GROUP_EXPIRE,
            retention.ExpiryHandler(app),
            "expires unfinished reports and visitors' data by the draft rule before any handler "
            "reads them; matches only to tell a returning reporter once that hers was deleted",
        ),
        Entry(
            GROUP_REMEMBER,
            safety.RememberHandler(app),
            "a private chat's first message id and 'Send report' presses, seen before the "
            "rate limit can stop the update; matches only when there is something to note",
        ),
        Entry(
            GROUP_LIMIT,
            safety.RateLimitHandler(app),
            "an update over the limit is dropped (ApplicationHandlerStop) before any work; "
            "never a form in progress nor rostered staff",
        ),
        Entry(
            GROUP_SAFE_MODE,
            CommandHandler("hapus", safety.on_hapus, filters=filters.UpdateType.MESSAGE),
            "/hapus works in the middle of any conversation; stops the update",
        ),
        Entry(
            GROUP_SAFE_MODE,
            CallbackQueryHandler(safety.on_clear_button, pattern=rf"^{safety.CLEAR_DATA}$"),
            "the 'Clear this conversation now' button: the same as /hapus",
        ),
        # ---------------------------------------------------------------- group 0
        Entry(
            GROUP_MAIN,
            MessageHandler(filters.StatusUpdate.MIGRATE, groups.on_migrate),
            "a group made a supergroup: its new chat id is followed at once (staff groups)",
        ),
        Entry(
            GROUP_MAIN,
            CommandHandler("gabung", join.gabung),
            "join and removal first: mid-form, the complaint conversation's fallback would "
            "take /gabung and /keluarkan for unknown commands",
        ),
        Entry(GROUP_MAIN, CommandHandler("keluarkan", join.keluarkan), "as /gabung"),
        Entry(
            GROUP_MAIN,
            CallbackQueryHandler(join.on_join_button, pattern=r"^gb:"),
            "the office and role choice of /gabung",
        ),
        Entry(
            GROUP_MAIN,
            CallbackQueryHandler(join.on_decide_button, pattern=r"^jn:"),
            "the head's approve/reject of a join request",
        ),
        Entry(
            GROUP_MAIN,
            build_complaint_handler(),
            "/lapor, /catat and the form's answers: before the commands and catch-alls below "
            "so that mid-form a message is an answer and /start, /batal are the form's own",
        ),
        Entry(
            GROUP_MAIN,
            CommandHandler("status", status.status),
            "/status KODE; the form lets it pass (GLOBAL_COMMANDS)",
        ),
        Entry(
            GROUP_MAIN,
            CommandHandler("koreksi", rights.koreksi),
            "/koreksi TEXT after /status KODE; the form lets it pass (GLOBAL_COMMANDS)",
        ),
        Entry(
            GROUP_MAIN,
            CallbackQueryHandler(
                rights.on_reporter_button, pattern=r"^ds:(see|copy|fix|del!?|limit!?|withdraw!?)$"
            ),
            "the rights buttons under /status KODE (see, copy, correct, restrict, withdraw, "
            "delete)",
        ),
        Entry(
            GROUP_MAIN,
            CallbackQueryHandler(rights.on_staff_button, pattern=r"^rq:\d+:[rdDnh]$"),
            "staff answer a data subject's request",
        ),
        Entry(GROUP_MAIN, CommandHandler("tahan", rights.tahan), "a legal hold on a case"),
        Entry(
            GROUP_MAIN,
            CommandHandler("start", start.start),
            "after the form, which answers /start itself while a form is open",
        ),
        Entry(GROUP_MAIN, CommandHandler(["bantuan", "help"], start.help_command), "a command"),
        Entry(GROUP_MAIN, CommandHandler("bahasa", start.language_menu), "a command"),
        Entry(GROUP_MAIN, CommandHandler("whoami", start.whoami), "a command"),
        Entry(
            GROUP_MAIN,
            CallbackQueryHandler(start.language_menu, pattern=r"^menu:lang$"),
            "the menu's language button",
        ),
        Entry(
            GROUP_MAIN,
            CallbackQueryHandler(start.set_language, pattern=r"^lang:(id|en)$"),
            "a language chosen",
        ),
        Entry(
            GROUP_MAIN,
            CallbackQueryHandler(start.menu_status, pattern=r"^menu:status$"),
            "the menu's 'Check a report' button",
        ),
        Entry(
            GROUP_MAIN,
            CallbackQueryHandler(start.menu_help, pattern=r"^menu:help$"),
            "the menu's contacts button",
        ),
        Entry(
            GROUP_MAIN,
            CallbackQueryHandler(staff.on_staff_button, pattern=r"^(take|det):"),
            "take / details on the staff group's case notice",
        ),
        Entry(
            GROUP_MAIN,
            CallbackQueryHandler(evidence.on_evidence_button, pattern=evidence.PATTERN),
            "'send the evidence files' under a case's details (private)",
        ),
        Entry(
            GROUP_MAIN,
            CallbackQueryHandler(outreach.on_ack, pattern=r"^oa:"),
            "'I am on it' on an urgent page (private) or an unanswered alert (group)",
        ),
        Entry(
            GROUP_MAIN,
            CallbackQueryHandler(outreach.on_visit, pattern=r"^ov:"),
            "the outreach visit's outcome",
        ),
        Entry(
            GROUP_MAIN,
            workflow_ui.build_task_conversation(),
            "waits for a report, reason or mediation place after wd:/wo:/mh:; before the "
            "other workflow buttons and the private catch-all, which would take the answer",
        ),
        Entry(GROUP_MAIN, CommandHandler("tugas", tasks.tugas), "a staff member's open steps"),
        Entry(
            GROUP_MAIN,
            CommandHandler(
                ["rujuk", "rujukan", "fakta", "jadwal", "pindah", "perlindungan"],
                referrals.dispatch,
            ),
            "referrals: refer, list, facts, hearings and their moves, PKDRT protection",
        ),
        Entry(
            GROUP_MAIN,
            CommandHandler(["rumahaman", "keluar", "perpanjang"], shelter.dispatch),
            "shelter: the head admits (within capacity) or extends a stay, a stay is ended",
        ),
        Entry(
            GROUP_MAIN,
            CallbackQueryHandler(
                record_letters_ui.on_record_letter, pattern=record_letters_ui.PATTERN
            ),
            "a referral's Surat Rujukan (or protection-order request), a shelter admission record",
        ),
        Entry(
            GROUP_MAIN,
            CallbackQueryHandler(shelter.on_decision, pattern=r"^s[arc]:"),
            "the head admits or refuses a shelter request from the plan; the daily check-in",
        ),
        Entry(GROUP_MAIN, CommandHandler("kasus", kasus.kasus), "a case's steps and letters"),
        Entry(
            GROUP_MAIN,
            CommandHandler("akses", kasus.akses),
            "the head grants a staff member access to a case's identity",
        ),
        Entry(
            GROUP_MAIN,
            CommandHandler("asesmen", assessment.asesmen),
            "staff record assessed facts the eligibility rules read",
        ),
        Entry(
            GROUP_MAIN,
            CommandHandler("layanan", plan_commands.layanan),
            "the case manager adds services to a case's plan",
        ),
        Entry(GROUP_MAIN, CommandHandler("tutup", plan_commands.tutup), "close a case"),
        Entry(
            GROUP_MAIN,
            CommandHandler("permohonan", plan_commands.permohonan),
            "record the applicant's request for mediation (Pekalongan)",
        ),
        Entry(
            GROUP_MAIN,
            CommandHandler("bukakembali", plan_commands.bukakembali),
            "the head reopens a case",
        ),
        Entry(
            GROUP_MAIN,
            CallbackQueryHandler(plan.on_plan_button, pattern=plan.PATTERN),
            "the case plan: add or end a service, review, close, reopen",
        ),
        Entry(
            GROUP_MAIN,
            CallbackQueryHandler(tasks.on_extension, pattern=r"^wx:"),
            "ask for more time on a step",
        ),
        Entry(
            GROUP_MAIN,
            CallbackQueryHandler(letters_ui.on_make, pattern=r"^wl:"),
            "make a letter",
        ),
        Entry(
            GROUP_MAIN,
            CallbackQueryHandler(letters_ui.on_resend, pattern=r"^wr:"),
            "send a stored letter again",
        ),
        Entry(
            GROUP_MAIN,
            CallbackQueryHandler(head.on_choose, pattern=r"^wc:"),
            "the head chooses whom to assign",
        ),
        Entry(
            GROUP_MAIN,
            CallbackQueryHandler(head.on_assign, pattern=r"^w[pg]:"),
            "the head assigns",
        ),
        Entry(
            GROUP_MAIN,
            CallbackQueryHandler(head.on_extension_decision, pattern=r"^we:"),
            "the head decides on more time",
        ),
        Entry(
            GROUP_MAIN,
            CallbackQueryHandler(mediation.on_panel, pattern=r"^ms:"),
            "the mediation panel",
        ),
        Entry(
            GROUP_MAIN,
            CallbackQueryHandler(mediation.on_party, pattern=r"^mq:"),
            "mediation: a party",
        ),
        Entry(
            GROUP_MAIN,
            CallbackQueryHandler(mediation.on_pick_day, pattern=r"^mt:"),
            "mediation: pick a day",
        ),
        Entry(
            GROUP_MAIN,
            CallbackQueryHandler(mediation.on_day, pattern=r"^md:"),
            "mediation: a day",
        ),
        Entry(
            GROUP_MAIN,
            CallbackQueryHandler(mediation_move.on_move, pattern=mediation_move.PATTERN),
            "mediation: move a session (day, time)",
        ),
        Entry(
            GROUP_MAIN,
            CallbackQueryHandler(workflow_ui.on_stale, pattern=_WORKFLOW_BUTTONS),
            "any other workflow button (forged, stale, finished): after every workflow button",
        ),
        Entry(
            GROUP_MAIN,
            CommandHandler("rekap", reports.rekap),
            "/rekap in a staff group",
        ),
        Entry(
            GROUP_MAIN,
            MessageHandler(private_message, start.fallback_private),
            "anything else written in a private chat gets the menu: after every command and "
            "conversation",
        ),
        Entry(
            GROUP_MAIN,
            CallbackQueryHandler(staff.on_unknown_button),
            "every other button is answered 'not valid any more': the last of group 0",
        ),
        # ---------------------------------------------------------------- after group 0
        Entry(
            GROUP_AFTER,
            CallbackQueryHandler(safety.after_submit, pattern=r"^s\|send$"),
            "after the form stored the case on 'Send report': offer to clear the chat",
        ),
    )


def register_all(app: BotApp) -> None:
    """Add every handler of ``handler_table`` in order (once per Application)."""
    install_log_redaction()
    for entry in handler_table(app):
        app.add_handler(entry.handler, group=entry.group)
