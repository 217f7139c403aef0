"""/gabung (ask to join an office), the head's approve/reject buttons, /keluarkan (remove)."""

from __future__ import annotations

import logging
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError

from bot.channels.telegram.addresses import telegram_person
from bot.channels.telegram.handlers.common import Ctx, answer, esc, reply
from bot.channels.telegram.handlers.workflow_render import ROLE_LABELS, label
from bot.channels.telegram.rendering import Rendered
from bot.domain.identity import actor_for
from bot.domain.office import Role
from bot.i18n import Translator
from bot.services.context import Services
from bot.services.roster import (
    JOINABLE_ROLES,
    RosterChange,
    RosterOutcome,
    RosterResult,
    decide,
    get_change,
    request_join,
    request_removal,
)
from bot.store.audit import append_audit
from bot.store.outbox import OutboxItem

__all__ = [
    "gabung",
    "keluarkan",
    "on_decide_button",
    "on_join_button",
    "render_join_decided",
    "render_join_requested",
]

_OFFICE = re.compile(r"^gb:o:([A-Z]{2,6})$")
_ROLE = re.compile(r"^gb:r:([A-Z]{2,6}):([a-z_]{1,20})$")
_DECIDE = re.compile(r"^jn:(\d{1,12}):([yn])$")
_USER_ID = re.compile(r"^\d{1,15}$")
_OFFICE_ID = re.compile(r"^[A-Za-z]{2,6}$")

log = logging.getLogger(__name__)

# refusals that replace the role buttons (the person can do nothing more with them now)
_SHOWN_IN_PLACE = frozenset(
    {RosterOutcome.ALREADY_PENDING, RosterOutcome.OTHER_PENDING, RosterOutcome.COOLING_DOWN}
)


def _private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


def _role_label(t: Translator, role: str) -> str:
    return label(t, ROLE_LABELS, role)


async def _edit(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Replace the pressed message's text and buttons (a vanished message is not an error)."""
    cq = update.callback_query
    if cq is None:
        return
    try:
        await cq.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    except TelegramError:
        pass


async def gabung(update: Update, context: Ctx) -> None:
    """/gabung: choose the office to join (private chat only)."""
    t = context.t
    if not _private(update):
        await reply(
            update, context, t.gettext("Please send /gabung in your private chat with the bot.")
        )
        return
    svc = context.services
    rows = [
        [InlineKeyboardButton(o.name, callback_data=f"gb:o:{o.id}")]
        for o in sorted(svc.offices.values(), key=lambda o: o.id)
    ]
    await reply(
        update,
        context,
        t.gettext(
            "Joining a unit's staff in the bot. Which unit do you work for? "
            "The head of that unit will be asked to approve."
        ),
        InlineKeyboardMarkup(rows),
    )


def _result_text(t: Translator, result: RosterResult, svc: Services) -> str:
    """Plain words for a refused request."""
    outcome = result.outcome
    change = result.change
    if outcome is RosterOutcome.OTHER_PENDING and change is not None:
        office = svc.offices.get(change.office_id)
        return t.gettext(
            "You already have a request waiting for the head's decision: {office}, as {role}. "
            "One request at a time, please; you will get a message when the head decides, and "
            "then you can ask for something else if you need to.",
            office=esc(office.name if office else change.office_id),
            role=_role_label(t, change.role.value),
        )
    if outcome is RosterOutcome.COOLING_DOWN and result.again_at is not None:
        tz = next(iter(svc.offices.values())).timezone if svc.offices else "Asia/Jakarta"
        return t.gettext(
            "Your last request was not approved. You can ask again from {when}. If you think "
            "this is a mistake, please speak with the head of the unit in person.",
            when=t.datetime(result.again_at, tz),
        )
    texts = {
        RosterOutcome.ALREADY_PENDING: t.gettext(
            "You have already asked for this; it is waiting for the head's decision. "
            "You will get a message when the head decides."
        ),
        RosterOutcome.ALREADY_HAS: t.gettext("You already hold this role in this unit."),
        RosterOutcome.NO_HEAD: t.gettext(
            "This unit has no head in the bot yet, so nobody can approve. "
            "Please ask the administrator to add you to the office file."
        ),
        RosterOutcome.BAD_ROLE: t.gettext(
            "That role can only be given in the office file by the administrator."
        ),
    }
    return texts.get(outcome, t.gettext("That button is not valid any more."))


async def on_join_button(update: Update, context: Ctx) -> None:
    """gb:o:<office> shows the roles; gb:r:<office>:<role> files the request."""
    cq, user = update.callback_query, update.effective_user
    assert cq is not None and user is not None
    me = await context.person_id(user)
    t = context.t
    svc = context.services
    data = cq.data or ""
    picked = _OFFICE.match(data)
    if picked is not None and _private(update) and picked[1] in svc.offices:
        office = svc.offices[picked[1]]
        rows = [
            [InlineKeyboardButton(_role_label(t, r.value), callback_data=f"gb:r:{office.id}:{r}")]
            for r in JOINABLE_ROLES
            if not office.has_role(me, r)
        ]
        if not rows:
            await answer(update, t.gettext("You already hold every role you can ask for here."))
            return
        await answer(update)
        await _edit(
            update,
            t.gettext("Unit: {office}. Which is your role there?", office=esc(office.name)),
            InlineKeyboardMarkup(rows),
        )
        return
    chosen = _ROLE.match(data)
    if chosen is None or not _private(update) or chosen[1] not in svc.offices:
        await answer(update, t.gettext("That button is not valid any more."), alert=True)
        return
    office = svc.offices[chosen[1]]
    result = await request_join(svc, me, office.id, chosen[2])
    if result.outcome is not RosterOutcome.OK:
        text = _result_text(t, result, svc)
        await answer(update, text[:200], alert=True)
        if result.outcome in _SHOWN_IN_PLACE:
            await _edit(update, text)
        return
    context.deps.kick()
    await answer(update)
    await _edit(
        update,
        t.gettext(
            "Thank you. Your request to join {office} as {role} is waiting for the head's "
            "approval. You will get a message here when the head decides.",
            office=esc(office.name),
            role=_role_label(t, chosen[2]),
        ),
    )


async def on_decide_button(update: Update, context: Ctx) -> None:
    """jn:<id>:y|n on the head's message: only a head of that office decides."""
    cq, user = update.callback_query, update.effective_user
    assert cq is not None and user is not None
    me = await context.person_id(user)
    t = context.t
    svc = context.services
    m = _DECIDE.match(cq.data or "")
    if m is None:
        async with svc.db.transaction() as conn:
            await append_audit(conn, at=svc.clock.now(), actor=actor_for(me),
                               action="denied:join_decide", detail="bad button")  # fmt: skip
        await answer(update, t.gettext("That button is not valid any more."), alert=True)
        return
    approve = m[2] == "y"
    result = await decide(svc, int(m[1]), me, approve)
    if result.outcome in (RosterOutcome.NOT_ALLOWED, RosterOutcome.NOT_FOUND):
        await answer(
            update,
            t.gettext("Sorry, only the head of that unit can decide this. Nothing was changed."),
            alert=True,
        )
        return
    change = result.change
    assert change is not None
    if result.outcome is RosterOutcome.ALREADY_DECIDED:
        await answer(update, t.gettext("This request has already been decided."), alert=True)
        await _edit(update, await _decided_line(t, svc, change))
        return
    context.deps.kick()
    await answer(update, t.gettext("Done."))
    await _edit(update, await _decided_line(t, svc, change))


async def _decided_line(t: Translator, svc: Services, change: RosterChange) -> str:
    """The head's message once the request is decided (no buttons)."""
    office = svc.offices.get(change.office_id)
    name = esc(office.name if office else change.office_id)
    role = _role_label(t, change.role.value)
    if change.status == "approved":
        return t.gettext(
            "✅ Approved: user id <code>{user}</code> is now on the roster of {office} as {role}.",
            user=await svc.staff_address_of(change.user_id),
            office=name,
            role=role,
        )
    return t.gettext(
        "✖ Not approved: user id <code>{user}</code> asked to join {office} as {role}.",
        user=await svc.staff_address_of(change.user_id),
        office=name,
        role=role,
    )


async def keluarkan(update: Update, context: Ctx) -> None:
    """/keluarkan USER_ID ROLE [UNIT]: a head takes a role away at once (private chat)."""
    user = update.effective_user
    t = context.t
    if user is None:
        return
    me = await context.person_id(user)
    if not _private(update):
        await reply(update, context, t.gettext("Please do this in your private chat with the bot."))
        return
    svc = context.services
    args = list(context.args or [])
    usage = t.gettext(
        "Use: /keluarkan USER_ID ROLE, for example /keluarkan 123456789 pendamping. "
        "Roles: {roles}.",
        roles=", ".join(r.value for r in JOINABLE_ROLES),
    )
    if (
        len(args) not in (2, 3)
        or not _USER_ID.match(args[0])
        or not (len(args) == 2 or _OFFICE_ID.match(args[2]))
    ):
        await reply(update, context, usage)
        return
    target, role = await telegram_person(svc, int(args[0])), args[1].lower()
    if role not in {r.value for r in Role}:
        await reply(update, context, usage)
        return
    if len(args) == 3:
        office_id = args[2].upper()
    else:
        headed = [o for o in svc.offices.values() if o.has_role(me, Role.KETUA)]
        if len(headed) > 1:
            headed = [o for o in headed if o.has_role(target, Role(role))] or headed
        if len(headed) > 1:
            await reply(
                update,
                context,
                t.gettext(
                    "You are the head of several units; add the unit, for example "
                    "/keluarkan {user} {role} {office}.",
                    user=int(args[0]),
                    role=esc(role),
                    office=esc(headed[0].id),
                ),
            )
            return
        office_id = headed[0].id if headed else ""
    result = await request_removal(svc, me, office_id, target, role)
    if result.outcome is RosterOutcome.NOT_ALLOWED:
        text = t.gettext("This command is only for the head of the unit.")
    elif result.outcome is RosterOutcome.BAD_ROLE:
        text = t.gettext("That role can only be changed in the office file by the administrator.")
    elif result.outcome is RosterOutcome.NOT_FOUND:
        text = t.gettext(
            "User id <code>{user}</code> does not hold the role {role} in this unit.",
            user=int(args[0]),
            role=_role_label(t, role),
        )
    else:
        office = svc.offices[office_id]
        text = t.gettext(
            "Done: user id <code>{user}</code> no longer holds the role {role} in {office}.",
            user=int(args[0]),
            role=_role_label(t, role),
            office=esc(office.name),
        )
    await reply(update, context, text)


async def render_join_requested(svc: Services, item: OutboxItem, t: Translator) -> Rendered | None:
    """The head's message: who (user id only) asks for which role, with approve/reject."""
    change = await get_change(svc, int(item.payload["change_id"]))
    if change is None or change.status != "pending":
        return None
    office = svc.offices.get(change.office_id)
    if office is None:
        return None
    text = t.gettext(
        "🙋 <b>Join request</b> for {office}: user id <code>{user}</code> asks to work here "
        "as {role}. Approve only if you know this person (they can show their id with /whoami).",
        office=esc(office.name),
        user=await svc.staff_address_of(change.user_id),
        role=_role_label(t, change.role.value),
    )
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t.gettext("✅ Approve"), callback_data=f"jn:{change.id}:y"),
                InlineKeyboardButton(t.gettext("✖ Reject"), callback_data=f"jn:{change.id}:n"),
            ]
        ]
    )
    return text, markup


async def render_join_decided(svc: Services, item: OutboxItem, t: Translator) -> Rendered | None:
    """The requester's message: approved or not."""
    change = await get_change(svc, int(item.payload["change_id"]))
    if change is None or change.status == "pending":
        return None
    office = svc.offices.get(change.office_id)
    name = esc(office.name if office else change.office_id)
    role = _role_label(t, change.role.value)
    if change.status == "approved":
        return t.gettext(
            "✅ The head of {office} approved your request: you are now on the roster as {role}. "
            "Send /tugas to see your tasks.",
            office=name,
            role=role,
        ), None
    return t.gettext(
        "The head of {office} did not approve your request to join as {role}. If you think "
        "this is a mistake, please speak with the head of the unit.",
        office=name,
        role=role,
    ), None
