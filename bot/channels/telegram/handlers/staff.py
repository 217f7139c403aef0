"""Staff buttons on the group notice: take the case, details by direct message.

The details go only to those who need to know (``case_details``), as protected messages
(``protect_content``: not forwarded, not saved), warnings first, split into several messages
when long (``split_html``: never inside a word, a tag or an entity; each part valid HTML).
"""

from __future__ import annotations

import re
from typing import Any

from telegram import Update
from telegram.error import Forbidden, TelegramError

from bot.channels.telegram.conversations.questions_ui import answer_label
from bot.channels.telegram.handlers.common import Ctx, answer, ask_private_chat_first, esc
from bot.channels.telegram.handlers.evidence import evidence_button
from bot.channels.telegram.sender import render_staff_notice
from bot.domain.intake import question
from bot.i18n import Translator
from bot.services.context import Services
from bot.services.staff import Outcome, StaffResult, case_details, take_case

__all__ = ["MAX_MESSAGE", "details_messages", "on_staff_button", "on_unknown_button", "split_html"]

_DATA = re.compile(r"^(take|det):(\d{1,12})$")

# Telegram's limit for a message's text, counted here in UTF-16 units of the HTML itself (the
# text after parsing is never longer)
MAX_MESSAGE = 4096
# a tag, an entity, a run of whitespace, a run of anything else (a word or a part of it)
_ATOM = re.compile(r"<[^>]*>|&#?\w+;|\s+|[^<&\s]+|[<&]")
_TAG = re.compile(r"^<(/?)([a-zA-Z][\w-]*)")


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _atoms(text: str) -> list[str]:
    out: list[str] = []
    for m in _ATOM.finditer(text):
        atom = m[0]
        if atom.isspace() or atom[0] in "<&":
            out.append(atom)
        else:
            out.extend(atom)  # a word: its characters, so an overlong word can still be cut
    return out


def split_html(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Split Telegram HTML into parts of at most ``limit`` UTF-16 units, each valid HTML.

    A part ends at a line break if one fits in its second half, else at a space; inside a word
    only when that word is longer than a whole message; never inside a tag or an entity. Tags
    open at the cut are closed at the end of the part and opened again at the next one's start.
    """
    parts: list[str] = []
    rest = text.strip()
    while _units(rest) > limit:
        cut, drop, still_open = _cut(rest, limit)
        head = rest[:cut] + "".join(f"</{name}>" for name, _ in reversed(still_open))
        following = "".join(tag for _, tag in still_open) + rest[cut + drop :].lstrip()
        if len(following) >= len(rest):
            raise ValueError("the text cannot be split")
        parts.append(head.strip())
        rest = following.strip()
    parts.append(rest)
    return [p for p in parts if p]


_Cut = tuple[int, int, list[tuple[str, str]]]


def _cut(text: str, limit: int) -> _Cut:
    """Where to cut: (position, length of the separator dropped there, tags open there)."""
    stack: list[tuple[str, str]] = []  # (name, opening tag)
    pos = used = 0
    line: _Cut | None = None
    space: _Cut | None = None
    anywhere: _Cut | None = None
    for atom in _atoms(text):
        closers = sum(len(name) + 3 for name, _ in stack)
        if pos > 0 and used + closers <= limit:  # the part could end before this atom
            here = (pos, len(atom) if atom.isspace() else 0, list(stack))
            if atom.isspace() and "\n" in atom:
                line = here
            elif atom.isspace():
                space = here
            else:
                anywhere = here
        size = _units(atom)
        if used + size > limit:
            break
        tag = _TAG.match(atom)
        if tag and tag[1]:
            if stack and stack[-1][0] == tag[2].lower():
                stack.pop()
        elif tag:
            stack.append((tag[2].lower(), atom))
        pos += len(atom)
        used += size
    if line is not None and (line[0] * 2 >= pos or space is None):
        return line
    for best in (space, anywhere):
        if best is not None:
            return best
    raise ValueError("the text cannot be split")


async def on_staff_button(update: Update, context: Ctx) -> None:
    """take:<id> or det:<id>, checked against the roster of the case's office."""
    cq = update.callback_query
    user = update.effective_user
    assert cq is not None and user is not None
    me = await context.person_id(user)
    t = context.t
    m = _DATA.match(cq.data or "")
    if m is None:
        await answer(update, t.gettext("That button is not valid any more."))
        return
    action, case_id = m[1], int(m[2])
    svc = context.services
    if action == "take":
        result = await take_case(svc, case_id, me)
        if result.outcome is Outcome.NOT_ALLOWED or result.outcome is Outcome.NOT_FOUND:
            await answer(
                update,
                t.gettext("Sorry, only the unit's complaint officers can do that."),
                alert=True,
            )
            return
        if result.outcome is Outcome.ALREADY_TAKEN:
            await answer(update, t.gettext("Someone has already taken this case."), alert=True)
            return
        context.deps.kick()
        await answer(update, t.gettext("You have taken the case."))
        office_t = context.deps.i18n.get(
            svc.office(result.case.office_id).language if result.case else None
        )
        rendered = await render_staff_notice(svc, case_id, office_t)
        if rendered is not None:
            try:
                await cq.edit_message_text(rendered[0], parse_mode="HTML", reply_markup=rendered[1])
            except TelegramError:
                pass
        return
    result = await case_details(svc, case_id, me)
    if result.outcome is Outcome.NEED_TO_KNOW:
        text = t.gettext(
            "Sorry, a case's details are only for the staff handling it. If you need them, "
            "ask the head of the unit to give you access."
        )
        await answer(update, text, alert=True)
        return
    if result.outcome is not Outcome.OK or result.case is None or result.details is None:
        await answer(
            update, t.gettext("Sorry, only the unit's staff can see case details."), alert=True
        )
        return
    try:
        for part in details_messages(t, svc, result):
            await context.bot.send_message(user.id, part, parse_mode="HTML", protect_content=True)
        if result.evidence:  # the files themselves on request (bot/.../handlers/evidence.py)
            await context.bot.send_message(
                user.id,
                t.gettext("🔒 <b>Case {number}</b>: evidence", number=esc(result.case.number)),
                parse_mode="HTML",
                reply_markup=evidence_button(t, case_id, result.evidence),
                protect_content=True,
            )
    except Forbidden:
        await ask_private_chat_first(update, context)
        return
    await answer(update, t.gettext("Sent to you by private message."))


def details_messages(t: Translator, svc: Services, result: StaffResult) -> list[str]:
    """The details as one or more HTML messages: the header and warnings first, then the rest.

    Every later part starts with the case number, so a part read alone says whose it is.
    """
    c, d = result.case, result.details or {}
    assert c is not None
    number = esc(c.number)
    head = [t.gettext("🔒 <b>Case {number}</b> (confidential)", number=number)]
    if d.get("consent_path") == "child_protection":
        head.append(
            t.gettext(
                "⚠ Child victim and the reported party is a parent or guardian: "
                "do not seek consent through that parent."
            )
        )
        head.append(
            t.gettext(
                "Consent to seek: the other parent or another guardian who did not harm the "
                "child, or the child-protection route."
            )
        )
    elif d.get("consent_path") == "guardian":
        head.append(
            t.gettext(
                "Child victim. Consent to seek: a parent or guardian who did not harm the child "
                "(UU 27/2022 Pasal 25)."
            )
        )
    if isinstance(d.get("reporter_age"), int) and d["reporter_age"] < 18:
        head.append(
            t.gettext(
                "The reporter is a child ({age}). The report is taken and acted on; speak "
                "simply and kindly.",
                age=esc(t.gettext("{age} years", age=d["reporter_age"])),
            )
        )
    head.append(
        t.gettext(
            "📋 SIMFONI-PPA record: see what is missing and complete it with /asesmen {number}",
            number=number,
        )
    )
    body = [
        *head,
        "",
        *_fields(t, svc, c.relation, d, result.evidence),
        "",
        esc(d.get("story") or ""),
    ]
    body += ["• " + esc(note) for note in d.get("notes") or []]
    later = t.gettext("🔒 <b>Case {number}</b> (continued)", number=number)
    parts = split_html("\n".join(body), MAX_MESSAGE - _units(later) - 1)
    return [parts[0], *(later + "\n" + p for p in parts[1:])]


def _fields(
    t: Translator, svc: Services, relation: str, d: dict[str, Any], evidence: int
) -> list[str]:
    opts = {o.value: t.translate(o.label) for o in question("relation").options}
    return [
        t.gettext(
            "Victim: {name}, age {age}",
            name=esc(d.get("victim_name") or "–"),
            age=esc(d.get("victim_age") if d.get("victim_age") is not None else "?"),
        ),
        t.gettext(
            "Reported party: {who} ({relation})",
            who=esc(d.get("perpetrator") or "–"),
            relation=esc(opts.get(relation, relation)),
        ),
        t.gettext(
            "When: {when}; where: {where}",
            when=answer_label("when", d.get("when") or "", t, svc.offices),
            where=esc(d.get("where") or "–"),
        ),
        t.gettext(
            "Contact: {phone} ({call})",
            phone=esc(d.get("phone") or "–"),
            call=answer_label("call_time", d.get("call_time") or "", t, svc.offices),
        ),
        t.gettext("Evidence files: {n}", n=evidence),
    ]


async def on_unknown_button(update: Update, context: Ctx) -> None:
    """Any other button (stale, forged or from an ended form): say so, change nothing."""
    cq = update.callback_query
    assert cq is not None
    await answer(update, context.t.gettext("That button is not valid any more."))
