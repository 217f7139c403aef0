"""Letters in Telegram: made at their SOP step from /tugas, sent again from /kasus (by DM).

A letter carries the case's identity: it is made and sent only to those who need to know
(``check_identity_access``, the same rule as the case's details); a refusal is audited.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from telegram import InlineKeyboardButton, Update
from telegram.error import TelegramError

from bot.channels.telegram.handlers.common import Ctx, answer, esc
from bot.channels.telegram.handlers.reports import send_letter
from bot.channels.telegram.handlers.workflow_render import label, result_text
from bot.domain.i18n_marker import N_
from bot.domain.identity import actor_for
from bot.i18n import Translator
from bot.reports.letters import (
    DESTINATIONS,
    NOTICE_VARIANTS,
    Letter,
    LetterKind,
    generate_letter,
    list_letters,
    load_letter,
)
from bot.reports.numbering import KIND_CODES
from bot.services.context import Services
from bot.services.staff import Outcome, check_identity_access
from bot.services.workflow import StepView, Workflow, WorkflowResult
from bot.store.audit import append_audit
from bot.store.letters import LetterStore

__all__ = [
    "KIND_LABELS",
    "MAX_LETTERS_SHOWN",
    "OPTION_LABELS",
    "letter_buttons",
    "letter_kind",
    "letter_kinds",
    "letters_section",
    "on_make",
    "on_resend",
    "pop_step_letter",
]

log = logging.getLogger(__name__)

MAX_LETTERS_SHOWN = 20
_MAKE = re.compile(r"^wl:(\d{1,12})(?::([a-z][a-z_]{0,19}))?$")
_RESEND = re.compile(r"^wr:(\d{1,12})$")
_MADE = "wf_letters"  # user_data: step id -> number of the letter made at that step

KIND_LABELS = {
    LetterKind.UNDANGAN.value: N_("Mediation invitation"),
    LetterKind.PEMBERITAHUAN.value: N_("Notice"),
    LetterKind.TUGAS.value: N_("Assignment letter"),
    LetterKind.RUJUKAN.value: N_("Referral letter"),
    LetterKind.BERITA_ACARA.value: N_("Mediation minutes"),
    LetterKind.REKAM_KASUS.value: N_("Case record"),
    LetterKind.LEMBAR_DISPOSISI.value: N_("Disposition sheet"),
    LetterKind.PERSETUJUAN.value: N_("Statement of consent"),
    LetterKind.PERLINDUNGAN.value: N_("Protection order request"),
    LetterKind.PENERIMAAN.value: N_("Shelter admission record"),
}
# the button option of a further letter of a step that takes no choice (wl:<step>:<code>)
_PLAIN_CODES = {k: c.lower() for k, c in KIND_CODES.items()}
# button labels of the letters that need a choice (notice variant, referral destination)
OPTION_LABELS = {
    "rejected": N_("📄 Notice: request rejected"),
    "cannot_proceed": N_("📄 Notice: mediation cannot go ahead"),
    "police": N_("📄 Referral: police"),
    "hospital": N_("📄 Referral: hospital / visum"),
    "court": N_("📄 Referral: court"),
    "psychologist": N_("📄 Referral: psychologist"),
}
# the parameter each letter kind takes from its button, with the values allowed
_OPTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    LetterKind.PEMBERITAHUAN.value: ("variant", NOTICE_VARIANTS),
    LetterKind.RUJUKAN.value: ("destination", tuple(DESTINATIONS)[:4]),  # a step's choices
}


def letter_kind(view: StepView) -> str | None:
    """The letter the step produces, if its output document is one the bot can make."""
    doc = view.step.output_document
    return doc if doc in KIND_LABELS else None


def letter_kinds(view: StepView) -> list[str]:
    """Every letter the step can make (its output document first, then its extra ones)."""
    return [d for d in view.step.documents if d in KIND_LABELS]


def _resolve(view: StepView, option: str | None) -> tuple[str, dict[str, Any]] | None:
    """The letter kind and parameters a button of the step stands for (None: no such)."""
    for kind in letter_kinds(view):
        primary = kind == view.step.output_document
        if kind in _OPTIONS:
            name, values = _OPTIONS[kind]
            if option in values:
                return kind, {name: option}
        elif option == (None if primary else _PLAIN_CODES[kind]):
            return kind, {}
    return None


def letter_buttons(
    t: Translator, workflow: Workflow, view: StepView, viewer: int
) -> list[list[InlineKeyboardButton]]:
    """'Make the letter' buttons for an open step whose outputs are letters the viewer may make."""
    kinds = letter_kinds(view)
    if not kinds or view.row.status != "open" or not workflow.may(view, viewer, "act"):
        return []
    sid, rows = view.row.id, []
    for kind in kinds:
        if kind in _OPTIONS:
            _, values = _OPTIONS[kind]
            rows += [
                [InlineKeyboardButton(label(t, OPTION_LABELS, v), callback_data=f"wl:{sid}:{v}")]
                for v in values
            ]
        elif kind == view.step.output_document:
            text = t.gettext("📄 Make the letter")
            rows.append([InlineKeyboardButton(text, callback_data=f"wl:{sid}")])
        else:
            text = "📄 " + label(t, KIND_LABELS, kind)
            rows.append(
                [InlineKeyboardButton(text, callback_data=f"wl:{sid}:{_PLAIN_CODES[kind]}")]
            )
    return rows


def _made(context: Ctx) -> dict[str, Any]:
    data = context.user_data
    assert isinstance(data, dict)
    made = data.setdefault(_MADE, {})
    assert isinstance(made, dict)
    return made


def pop_step_letter(context: Ctx, step_id: int) -> str | None:
    """The number of the letter this user made at the step (forgotten once asked for)."""
    number = _made(context).pop(str(step_id), None)
    return number if isinstance(number, str) else None


async def _audit(
    svc: Services, user_id: int, action: str, case_id: int | None, detail: dict[str, Any]
) -> None:
    async with svc.db.transaction() as conn:
        await append_audit(conn, at=svc.clock.now(), actor=actor_for(user_id), action=action,
                           case_id=case_id, detail=json.dumps(detail))  # fmt: skip


async def _refuse(
    update: Update, context: Ctx, action: str, case_id: int | None, detail: dict[str, Any]
) -> None:
    """Audit a refusal and tell the presser with an alert (nothing else is sent)."""
    user = update.effective_user
    await _audit(
        context.services, (await context.person_id(user) if user else 0), action, case_id, detail
    )
    text = context.t.gettext("You are not allowed to do this for this case.")
    await answer(update, text, alert=True)


async def _need_to_know(update: Update, context: Ctx, case_id: int, denied: str) -> bool:
    """Whether the presser needs to know the case's identity; if not, a kind alert (audited)."""
    user = update.effective_user
    assert user is not None
    me = await context.person_id(user)
    result = await check_identity_access(context.services, case_id, me, denied=denied)
    if result.outcome is Outcome.OK:
        return True
    text = context.t.gettext(
        "Sorry, a case's letters are only for the staff handling it. If you need them, "
        "ask the head of the unit to give you access."
    )
    await answer(update, text, alert=True)
    return False


async def _deliver(context: Ctx, user_id: int, letter: Letter, case_number: str) -> bool:
    """Send the letter's DOCX to the user's private chat; False if Telegram refused."""
    t = context.t
    caption = t.gettext("{number}\nCase {case}", number=letter.number, case=case_number)
    try:
        await send_letter(context.bot, user_id, letter, caption)
    except TelegramError as exc:
        log.warning("letter not sent: %s", type(exc).__name__)
        return False
    detail = {"letter": letter.id, "number": letter.number, "to": user_id}
    await _audit(context.services, user_id, "letter_sent", letter.case_id, detail)
    return True


async def on_make(update: Update, context: Ctx) -> None:
    """wl:<step>[:<variant|destination>]: make the step's letter and send it by DM."""
    cq, user = update.callback_query, update.effective_user
    assert cq is not None and user is not None
    me = await context.person_id(user)
    dp, t = context.deps, context.t
    m = _MAKE.match(cq.data or "")
    if m is None:
        await _refuse(update, context, "denied:make_letter", None, {"why": "bad button"})
        return
    got = await dp.workflow.step_view(int(m[1]), me, "act", "make_letter")
    if isinstance(got, WorkflowResult):  # the refusal is audited by the workflow
        await answer(update, result_text(t, got)[:200], alert=True)
        return
    view = got
    resolved = _resolve(view, m[2])
    if resolved is not None and resolved[0] == LetterKind.UNDANGAN.value and view.step.output_to:
        resolved[1]["recipient"] = view.step.output_to  # addressed as the step's seed says
    if resolved is None:
        detail = {"why": "bad button", "step": view.row.id}
        await _refuse(update, context, "denied:make_letter", view.case.id, detail)
        return
    kind, params = resolved
    if view.row.status != "open":
        await answer(update, t.gettext("This step is not open any more."), alert=True)
        return
    if not await _need_to_know(update, context, view.case.id, "denied:make_letter"):
        return
    try:
        letter = await generate_letter(
            dp.services,
            view.case.id,
            kind,
            actor_user_id=me,
            params=params,
        )
    except (LookupError, PermissionError, ValueError) as exc:
        log.warning("letter not made: %s", type(exc).__name__)
        await answer(update, t.gettext("The letter could not be made."), alert=True)
        return
    _made(context)[str(view.row.id)] = letter.number
    if not await _deliver(context, user.id, letter, view.case.number):
        text = t.gettext(
            "Letter {number} was made but could not be sent. Start a private chat with the "
            "bot, then get it again from /kasus.",
            number=letter.number,
        )
        await answer(update, text[:200], alert=True)
        return
    await answer(update, t.gettext("📄 Letter {number} was sent to you.", number=letter.number))


async def on_resend(update: Update, context: Ctx) -> None:
    """wr:<letter>: send a stored letter again by DM, only to those who need to know."""
    cq, user = update.callback_query, update.effective_user
    assert cq is not None and user is not None
    me = await context.person_id(user)
    svc, t = context.services, context.t
    m = _RESEND.match(cq.data or "")
    if m is None:
        await _refuse(update, context, "denied:letter", None, {"why": "bad button"})
        return
    letter_id = int(m[1])
    async with svc.db.reading() as conn:
        owner = await LetterStore(svc.cipher).owner(conn, letter_id)
    office = svc.offices.get(owner[1]) if owner is not None else None
    if owner is None or office is None or not office.is_staff(me):
        case_id = owner[0] if owner is not None else None
        await _refuse(update, context, "denied:letter", case_id, {"letter": letter_id})
        return
    if not await _need_to_know(update, context, owner[0], "denied:letter"):
        return
    try:
        letter = await load_letter(svc, letter_id)
    except LookupError:
        await _refuse(update, context, "denied:letter", None, {"letter": letter_id})
        return
    if not await _deliver(context, user.id, letter, owner[2]):
        text = t.gettext("The letter could not be sent. Start a private chat with the bot.")
        await answer(update, text, alert=True)
        return
    await answer(update, t.gettext("📄 Letter {number} was sent to you.", number=letter.number))


async def letters_section(
    t: Translator, svc: Services, case_id: int, tz: str, *, resend: bool = True
) -> tuple[list[str], list[list[InlineKeyboardButton]]]:
    """The case's letters for /kasus: a line each, and a re-send button each for those who
    may have them (``resend``; newest last)."""
    letters = await list_letters(svc, case_id)
    if not letters:
        return [], []
    shown = letters[-MAX_LETTERS_SHOWN:]
    lines = ["", t.gettext("<b>Letters</b>")]
    buttons: list[list[InlineKeyboardButton]] = []
    for info in shown:
        lines.append(
            f"📄 {esc(info.number)} · {esc(label(t, KIND_LABELS, info.kind))}"
            f" · {esc(t.datetime(info.created_at, tz))}"
        )
        if resend:
            button = InlineKeyboardButton(f"📄 {info.number}", callback_data=f"wr:{info.id}")
            buttons.append([button])
    return lines, buttons
