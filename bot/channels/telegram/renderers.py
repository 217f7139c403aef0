"""The one renderer table of the Telegram channel: every outbox kind, its text and buttons.

``telegram_renderers`` is called once by the composition root (bot/app.py); the workflow's
kinds need the Workflow, the rest only the services.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.telegram.handlers.common import esc
from bot.channels.telegram.handlers.join import render_join_decided, render_join_requested
from bot.channels.telegram.handlers.plan_render import PLAN_KINDS, render_plan_item
from bot.channels.telegram.handlers.rights_render import register_rights
from bot.channels.telegram.handlers.workflow_render import WORKFLOW_KINDS, render_workflow_item
from bot.channels.telegram.outreach_render import outreach_renderers
from bot.channels.telegram.plan_record_render import plan_record_renderers
from bot.channels.telegram.referral_render import referral_renderers
from bot.channels.telegram.reminder_render import GROUP_LINE_KINDS, reminder_line, render_reminder
from bot.channels.telegram.rendering import Rendered, Renderer, RendererCatalog
from bot.channels.telegram.shelter_render import shelter_renderers
from bot.domain.intake import question
from bot.i18n import Translator
from bot.scheduler.sweep import REMINDER_KINDS, still_relevant
from bot.services.context import Services
from bot.services.workflow import Workflow
from bot.store.outbox import OutboxItem

__all__ = ["core_renderers", "render_staff_notice", "telegram_renderers"]


def _labels(key: str, values: tuple[str, ...], t: Translator) -> str:
    opts = {o.value: t.translate(o.label) for o in question(key).options}
    return ", ".join(opts.get(v, v) for v in values) or "–"


async def render_staff_notice(svc: Services, case_id: int, t: Translator) -> Rendered | None:
    """The staff group notice: no name, phone, address or story."""
    async with svc.db.reading() as conn:
        case = await svc.cases.get(conn, case_id)
    if case is None:
        return None
    office = svc.office(case.office_id)
    head = (
        t.gettext("🚨 <b>URGENT new case</b>") if case.urgent else t.gettext("🆕 <b>New case</b>")
    )
    yes, no = t.gettext("yes"), t.gettext("no")
    lines = [
        f"{head} <b>{esc(case.number)}</b>",
        t.gettext("Unit: {office}", office=esc(office.name)),
        t.gettext("Type: {types}", types=esc(_labels("violence", case.categories, t))),
        t.gettext("Child victim: {answer}", answer=yes if case.child_victim else no),
        t.gettext("Urgent: {answer}", answer=yes if case.urgent else no),
        t.gettext("Channel: {channel}", channel=esc(case.channel)),
        t.gettext("Received: {when}", when=t.datetime(case.received_at, office.timezone)),
        t.gettext(
            "First response due: {when}", when=t.datetime(case.first_response_due, office.timezone)
        ),
    ]
    if case.taken_by is not None:
        lines.append(t.gettext("Taken by staff id {id}.", id=case.taken_by))
    buttons = []
    if case.taken_by is None:
        buttons.append(
            InlineKeyboardButton(t.gettext("🙋 Take the case"), callback_data=f"take:{case.id}")
        )
    buttons.append(
        InlineKeyboardButton(t.gettext("🔒 Details (private)"), callback_data=f"det:{case.id}")
    )
    return "\n".join(lines), InlineKeyboardMarkup([buttons])


async def _urgent_alert(svc: Services, item: OutboxItem, t: Translator) -> Rendered | None:
    office = svc.office(str(item.payload["office_id"]))
    text = t.gettext(
        "🚨 <b>URGENT</b>: someone is reporting immediate danger now to {office}. "
        "The report is being completed in the bot; the case notice follows.",
        office=esc(office.name),
    )
    if item.payload.get("paged"):
        text += "\n" + t.gettext("The staff on call have been paged privately.")
    return text, None


async def _reporter_taken(svc: Services, item: OutboxItem, t: Translator) -> Rendered | None:
    async with svc.db.reading() as conn:
        case = await svc.cases.get(conn, int(item.payload["case_id"]))
    if case is None or case.notify_mode == "none":
        return None
    if case.notify_mode == "neutral":
        return t.gettext(
            "There is an update on your request. Send /status with your code to see it."
        ), None
    return t.gettext(
        "Your report {number} is now being handled by a complaint officer.",
        number=esc(case.number),
    ), None


async def _dead_letter(item: OutboxItem, t: Translator) -> Rendered | None:
    return t.gettext(
        "⚠ An incoming message could not be processed after several tries. It is kept "
        "safely; please ask the administrator to check the bot's log (update {id}).",
        id=int(item.payload["update_id"]),
    ), None


async def _delivery_failed(item: OutboxItem, t: Translator) -> Rendered | None:
    number = item.payload.get("case_number")
    if number:
        return t.gettext(
            "⚠ A message ({kind}) about case <b>{number}</b> could not be delivered: the "
            "person blocked the bot or the chat is gone. Please reach them another way.",
            kind=esc(str(item.payload.get("kind", ""))),
            number=esc(str(number)),
        ), None
    return t.gettext(
        "⚠ A message ({kind}) could not be delivered: the person blocked the bot or the "
        "chat is gone. Please reach them another way.",
        kind=esc(str(item.payload.get("kind", ""))),
    ), None


async def _steps_returned(svc: Services, item: OutboxItem, t: Translator) -> Rendered | None:
    return t.ngettext(
        "⚠ Staff {id} was removed from the roster: {n} open step is unassigned now. Its "
        "reminders go to everyone with its role until you assign it again.",
        "⚠ Staff {id} was removed from the roster: {n} open steps are unassigned now. Their "
        "reminders go to everyone with their role until you assign them again.",
        int(item.payload["count"]),
        id=svc.staff_address(int(item.payload["user_id"])),
    ), None


async def _reply(item: OutboxItem, t: Translator) -> Rendered | None:
    """A reply the handler could not send at once (its text is already in the reader's words)."""
    markup = item.payload.get("markup")
    return str(item.payload["text"]), (
        InlineKeyboardMarkup.de_json(markup, None) if markup else None
    )


async def _group_migrated(item: OutboxItem, t: Translator) -> Rendered | None:
    p = item.payload
    return t.gettext(
        "⚠ Telegram moved the staff group of office {office} (it became a supergroup): its chat "
        "id changed from <code>{old}</code> to <code>{new}</code>. The bot follows it already. "
        "Please set <code>staff_chat_id = {new}</code> in the office file.",
        office=esc(str(p["office_id"])),
        old=int(p["old"]),
        new=int(p["new"]),
    ), None


async def _group_unreachable(item: OutboxItem, t: Translator) -> Rendered | None:
    p = item.payload
    return t.gettext(
        "⚠ The bot cannot write to the staff group of office {office} (chat "
        "<code>{chat}</code>): it was removed from the group or the group is gone. New cases "
        "and alerts are not reaching the staff. Please add the bot to the group again, or put "
        "the right staff_chat_id in the office file.",
        office=esc(str(p["office_id"])),
        chat=int(p["chat"]),
    ), None


async def _integrity_alert(item: OutboxItem, t: Translator) -> Rendered | None:
    p = item.payload
    what = {
        "roster": t.gettext("the roster"),
        "roster_changes": t.gettext("a roster change"),
        "group_addresses": t.gettext("the staff group's address"),
    }.get(str(p.get("table")), t.gettext("a protected record"))
    return t.gettext(
        "⚠ Security alert for office {office}: {what} in the database was changed without the "
        "bot's key. The bot does not use it (nobody gains a role, no message goes elsewhere). "
        "Someone may have write access to the server: tell the administrator and follow the "
        "breach runbook (docs/SECURITY.md).",
        office=esc(str(p["office_id"])),
        what=what,
    ), None


def _line_staff_notice(item: OutboxItem, t: Translator, number: str | None) -> str:
    """Digest line for a new case notice."""
    return t.gettext("🆕 New case <b>{number}</b>", number=esc(number or "?"))


def _line_urgent_alert(item: OutboxItem, t: Translator, number: str | None) -> str:
    """Digest line for an urgent alert."""
    return t.gettext("🚨 <b>URGENT</b>: someone is reporting immediate danger now")


def _line_dead_letter(item: OutboxItem, t: Translator, number: str | None) -> str:
    """Digest line for an incoming message that could not be processed."""
    return t.gettext(
        "⚠ An incoming message could not be processed (update {id})",
        id=int(item.payload["update_id"]),
    )


def _line_delivery_failed(item: OutboxItem, t: Translator, number: str | None) -> str:
    """Digest line for a message that could not be delivered."""
    return t.gettext(
        "⚠ Not delivered: {kind} for <b>{number}</b>",
        kind=esc(str(item.payload.get("kind", ""))),
        number=esc(str(item.payload.get("case_number") or "–")),
    )


def core_renderers(svc: Services) -> RendererCatalog:
    """The kinds every sender knows: case notices, alerts, failures, replies, join requests."""

    async def staff_notice(item: OutboxItem, t: Translator) -> Rendered | None:
        return await render_staff_notice(svc, int(item.payload["case_id"]), t)

    async def urgent_alert(item: OutboxItem, t: Translator) -> Rendered | None:
        return await _urgent_alert(svc, item, t)

    async def reporter_taken(item: OutboxItem, t: Translator) -> Rendered | None:
        return await _reporter_taken(svc, item, t)

    async def join_requested(item: OutboxItem, t: Translator) -> Rendered | None:
        return await render_join_requested(svc, item, t)

    async def join_decided(item: OutboxItem, t: Translator) -> Rendered | None:
        return await render_join_decided(svc, item, t)

    async def steps_returned(item: OutboxItem, t: Translator) -> Rendered | None:
        return await _steps_returned(svc, item, t)

    return RendererCatalog(
        {
            "staff_notice": Renderer(staff_notice, _line_staff_notice),
            "urgent_alert": Renderer(urgent_alert, _line_urgent_alert),
            "reporter_taken": Renderer(reporter_taken),
            "dead_letter": Renderer(_dead_letter, _line_dead_letter),
            "delivery_failed": Renderer(_delivery_failed, _line_delivery_failed),
            "reply": Renderer(_reply),
            "join_requested": Renderer(join_requested),
            "join_decided": Renderer(join_decided),
            "steps_returned": Renderer(steps_returned),
            "group_migrated": Renderer(_group_migrated),
            "group_unreachable": Renderer(_group_unreachable),
            "integrity_alert": Renderer(_integrity_alert),
        }
    )


def telegram_renderers(svc: Services, workflow: Workflow) -> RendererCatalog:
    """Every outbox kind the Telegram channel sends, in one table, and the staleness check."""

    async def workflow_item(item: OutboxItem, t: Translator) -> Rendered | None:
        return await render_workflow_item(svc, workflow, item, t)

    async def reminder(item: OutboxItem, t: Translator) -> Rendered | None:
        return await render_reminder(svc, item, t)

    async def plan_item(item: OutboxItem, t: Translator) -> Rendered | None:
        return await render_plan_item(svc, item, t)

    catalog = core_renderers(svc)
    for kind in sorted(WORKFLOW_KINDS):
        catalog.register(kind, workflow_item)
    for kind in sorted(REMINDER_KINDS - PLAN_KINDS):
        catalog.register(kind, reminder, reminder_line if kind in GROUP_LINE_KINDS else None)
    for kind in sorted(PLAN_KINDS):
        catalog.register(kind, plan_item)
    catalog.add_check(still_relevant)
    register_rights(catalog, svc)
    outreach_renderers(svc, catalog)
    referral_renderers(svc, catalog)
    shelter_renderers(svc, catalog)
    plan_record_renderers(svc, catalog)
    return catalog
