"""The case plan's buttons: add a service, end one, review, close the case, reopen it.

pa:<case> the services to add; pk:<case>:<kind>[:<person>] add one (a service without an SOP
of its own asks for the person first); pe:<service>[:<outcome>] end a service by hand;
pv:<case> the plan was reviewed; pc:<case>[:<reason>] close; po:<case>[:<reason>] reopen;
pr:<case> record the applicant's request for mediation (where the office's SOP starts at it).
"""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.channels.telegram.handlers.common import Ctx, answer, esc, reply
from bot.channels.telegram.handlers.plan_render import (
    request_recorded_text,
    service_label,
)
from bot.channels.telegram.handlers.tasks import bad_button
from bot.channels.telegram.handlers.workflow_render import ROLE_LABELS, label, result_text
from bot.domain.case_plan import (
    CLOSE_REASONS,
    END_OUTCOMES,
    REOPEN_REASONS,
    SERVICE_KINDS,
    service_kind,
    sop_for,
    split_key,
)
from bot.domain.office import Office
from bot.domain.permissions import may_manage_plan, may_reopen_case
from bot.domain.referrals import PLAN_REFERRAL_KINDS, REFERRAL_KINDS
from bot.i18n import Translator
from bot.services.workflow import WorkflowResult
from bot.store.cases import CaseRow

__all__ = ["PATTERN", "on_plan_button"]

PATTERN = r"^p[akevcor]:"
_ID = r"(\d{1,12})"
_ADD_MENU = re.compile(rf"^pa:{_ID}$")
_ADD = re.compile(rf"^pk:{_ID}:([a-z_.]{{1,30}})(?::(\d{{1,15}}))?$")
_END = re.compile(rf"^pe:{_ID}(?::([a-z_]{{1,20}}))?$")
_REVIEW = re.compile(rf"^pv:{_ID}$")
_CLOSE = re.compile(rf"^pc:{_ID}(?::([a-z_]{{1,20}}))?$")
_REOPEN = re.compile(rf"^po:{_ID}(?::([a-z_]{{1,20}}))?$")
_REQUEST = re.compile(rf"^pr:{_ID}$")


def _keyboard(rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=d)] for text, d in rows])


async def _case(context: Ctx, case_id: int) -> tuple[CaseRow, Office] | None:
    svc = context.services
    async with svc.db.reading() as conn:
        case = await svc.cases.get(conn, case_id)
    office = svc.offices.get(case.office_id) if case else None
    return (case, office) if case is not None and office is not None else None


async def _done(update: Update, context: Ctx, result: WorkflowResult, ok_text: str) -> None:
    t = context.t
    if not result.ok:
        text = result_text(t, result)
        await answer(update, text[:200], alert=True)
        await reply(update, context, text)
        return
    context.deps.kick()
    await answer(update, t.gettext("Recorded."))
    await reply(update, context, ok_text)


async def on_plan_button(update: Update, context: Ctx) -> None:
    """Every button of the case plan (see the module's docstring)."""
    cq, user = update.callback_query, update.effective_user
    assert cq is not None and user is not None
    data, t, wf = cq.data or "", context.t, context.deps.workflow
    person = await context.person_id(user)
    if (m := _ADD.match(data)) is not None:
        await _add(update, context, int(m[1]), m[2], int(m[3]) if m[3] else None, person)
    elif (m := _ADD_MENU.match(data)) is not None:
        await _add_menu(update, context, int(m[1]), person)
    elif (m := _END.match(data)) is not None:
        if m[2] is None:
            rows = [(t.translate(text), f"pe:{m[1]}:{k}") for k, text in END_OUTCOMES.items()]
            await answer(update)
            await reply(update, context, t.gettext("How did the service end?"), _keyboard(rows))
            return
        result = await wf.end_service(int(m[1]), person, m[2])
        await _done(update, context, result, t.gettext("⏹ The service has ended."))
    elif (m := _REVIEW.match(data)) is not None:
        result = await wf.record_review(int(m[1]), person)
        await _done(update, context, result, t.gettext("🔁 Review recorded."))
    elif (m := _CLOSE.match(data)) is not None:
        if m[2] is None:
            rows = [(t.translate(text), f"pc:{m[1]}:{k}") for k, text in CLOSE_REASONS.items()]
            await answer(update)
            await reply(update, context, t.gettext("Why is the case closed?"), _keyboard(rows))
            return
        result = await wf.close_case(int(m[1]), person, m[2])
        await _done(update, context, result, t.gettext("🏁 The case is closed."))
    elif (m := _REQUEST.match(data)) is not None:
        result = await wf.record_request(int(m[1]), person, "mediation")
        await _done(update, context, result, request_recorded_text(t, result))
    elif (m := _REOPEN.match(data)) is not None:
        found = await _case(context, int(m[1]))
        if m[2] is None and found and may_reopen_case(found[1], person):
            rows = [(t.translate(text), f"po:{m[1]}:{k}") for k, text in REOPEN_REASONS.items()]
            await answer(update)
            await reply(update, context, t.gettext("Why is the case reopened?"), _keyboard(rows))
            return
        result = await wf.reopen_case(int(m[1]), person, m[2] or "")
        await _done(update, context, result, t.gettext("↩ The case is open again."))
    else:
        await bad_button(update, context, "case_plan")


async def _add_menu(update: Update, context: Ctx, case_id: int, person: int) -> None:
    t = context.t
    found = await _case(context, case_id)
    if found is None or not may_manage_plan(found[1], person) or found[0].status == "closed":
        await bad_button(update, context, "add_service")
        return
    plan = await context.deps.workflow.case_plan(case_id)
    running = {s.kind for s in plan.services if s.status == "running"}
    rows = [(t.translate(k.label), f"pk:{case_id}:{k.key}") for k in SERVICE_KINDS
            if k.key not in running or k.many]  # fmt: skip
    await answer(update)
    text = t.gettext("Which service should case {number} receive? Several can run at once.",
                     number=esc(found[0].number))  # fmt: skip
    await reply(update, context, text, _keyboard(rows))


def _person(t: Translator, office: Office, uid: int) -> str:
    roles = ", ".join(label(t, ROLE_LABELS, r.value) for r in sorted(office.roles_of(uid)))
    return f"{roles} {uid}"


async def _add(
    update: Update, context: Ctx, case_id: int, key: str, assignee: int | None, person: int
) -> None:
    t = context.t
    kind, found = service_kind(key), await _case(context, case_id)
    if kind is None or found is None:
        await bad_button(update, context, "add_service")
        return
    office = found[1]
    if kind.key == "referral" and not split_key(key)[1] and may_manage_plan(office, person):
        rows = [(t.translate(REFERRAL_KINDS[k]), f"pk:{case_id}:referral.{k}")
                for k in PLAN_REFERRAL_KINDS]  # fmt: skip
        await answer(update)
        await reply(update, context, t.gettext("Where is the case referred?"), _keyboard(rows))
        return
    if assignee is None and sop_for(kind, office) is None and may_manage_plan(office, person):
        people = sorted({u for r in kind.roles for u in office.people_with(r)})
        if not people:
            await answer(update, t.gettext("Nobody on the roster holds the role for this "
                                           "service."), alert=True)  # fmt: skip
            return
        rows = [(_person(t, office, u), f"pk:{case_id}:{key}:{u}") for u in people]
        await answer(update)
        text = t.gettext("Who gives {service}?", service=service_label(t, key))
        await reply(update, context, text, _keyboard(rows))
        return
    result = await context.deps.workflow.add_services(case_id, person, [(key, assignee)])
    text = t.gettext("➕ {service} was added to the plan of case {number}.",
                     service=service_label(t, key), number=esc(found[0].number))  # fmt: skip
    await _done(update, context, result, text)
