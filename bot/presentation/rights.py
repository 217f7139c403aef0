"""A data subject's rights in words (every channel): request kinds, holds, what each request
means, what we hold about her, and the answer to a request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.domain.office import Office
from bot.domain.rights import HOLD_REASONS, RequestKind
from bot.i18n import Translator
from bot.presentation.texts import esc
from bot.services.rights import OwnView, RequestResult
from bot.store.rights import RightsRequest

__all__ = [
    "ACTIONS",
    "action_label",
    "confirm_words",
    "hold_text",
    "kind_text",
    "own_data_text",
    "request_text",
]

# the reporter's choices under a report found by its code, in the order shown
ACTIONS = ("see", "fix", "limit", "withdraw", "del")


def kind_text(t: Translator, kind: str) -> str:
    """A request kind in the reader's words."""
    if kind == "access":
        return t.gettext("a full copy of the data")
    if kind == "correct":
        return t.gettext("a correction")
    if kind == "restrict":
        return t.gettext("restricting the use of the data")
    if kind == "withdraw":
        return t.gettext("withdrawing the consent")
    return t.gettext("deletion of the data")


def hold_text(t: Translator, hold: str) -> str:
    """A legal hold's reason in the reader's words."""
    msgid = HOLD_REASONS.get(hold)
    return t.translate(msgid) if msgid else esc(hold)


def action_label(t: Translator, action: str) -> str:
    """The label of a rights choice (see, fix, limit, withdraw, del, copy)."""
    if action == "see":
        return t.gettext("📄 See what we hold")
    if action == "fix":
        return t.gettext("✏️ Correct something")
    if action == "limit":
        return t.gettext("⏸ Restrict the use of my data")
    if action == "withdraw":
        return t.gettext("↩️ Withdraw my consent")
    if action == "copy":
        return t.gettext("📦 Ask for a full copy")
    return t.gettext("🗑 Ask us to delete")


def confirm_words(t: Translator, action: str) -> tuple[str, str]:
    """What deleting ("del"), restricting ("limit") or withdrawing means, and the label of
    the button that asks for it."""
    if action == "del":
        return t.gettext(
            "Asking to delete means: the unit's staff check the request and delete the report, "
            "its evidence and its history, unless the law requires keeping it for now (for "
            "example a court case). After that the unit cannot continue helping with this "
            "report. Do you want to ask?"
        ), t.gettext("Yes, ask to delete")
    if action == "limit":
        return t.gettext(
            "Restricting means: the unit keeps your report but uses it for nothing new (no "
            "referral, letter or sharing) until you agree again, unless the law requires it "
            "(for example to protect a child). The staff check the request and answer. Do "
            "you want to ask?"
        ), t.gettext("Yes, restrict the use")
    return t.gettext(
        "Withdrawing your consent means: the unit no longer acts on your report because you "
        "agreed. Where the law gives the unit a duty to act (for example to protect a "
        "child), it may still have to, and the staff will tell you. What was done before "
        "stays lawful. The staff check the request and answer. Do you want to withdraw?"
    ), t.gettext("Yes, withdraw my consent")


def _due(t: Translator, office: Office, request: RightsRequest) -> str:
    return t.datetime(request.due_at, office.timezone)


def own_data_text(
    t: Translator,
    view: OwnView,
    office: Office,
    label: Callable[[str, Any], str | None],
) -> str:
    """What we hold about her (``label``: one answer as a line, None to leave it out)."""
    lines = [
        t.gettext("<b>What we hold about you</b> (report {number})", number=esc(view.number)),
        t.gettext("Received: {when}", when=t.datetime(view.received_at, office.timezone)),
        "",
    ]
    lines += [x for k, v in view.answers if (x := label(k, v)) is not None]
    if view.evidence:
        lines.append(t.gettext("Evidence: {n} file(s)", n=view.evidence))
    if view.more_held:
        lines += ["", t.gettext(
            "The unit also holds what you told about the victim and what happened. It is "
            "the victim's data, so it is not shown here; ask for a full copy and the unit "
            "will contact you."
        )]  # fmt: skip
    lines += ["", t.gettext(
        "Never shown here: what you told about the person reported, and the staff's notes."
    )]  # fmt: skip
    for r in view.requests:
        state = t.gettext("open, answer by {due}", due=_due(t, office, r))
        if r.status == "done":
            state = t.gettext("done")
        elif r.status == "refused":
            state = t.gettext("not possible now; the unit will explain")
        lines.append(t.gettext("Your request for {kind}: {state}",
                               kind=kind_text(t, r.kind), state=state))  # fmt: skip
    return "\n".join(lines)


def request_text(t: Translator, result: RequestResult, office: Office) -> str:
    """The answer to a request she made (``result.request`` is not None)."""
    r = result.request
    assert r is not None
    head = (
        t.gettext("Your request for {kind} is recorded.", kind=kind_text(t, r.kind))
        if result.created
        else t.gettext("Your request for {kind} was already recorded.", kind=kind_text(t, r.kind))
    )
    lines = [head, t.gettext("The unit's staff will answer by {due}.", due=_due(t, office, r))]
    if r.kind == RequestKind.ERASE:
        lines.append(t.gettext(
            "Once the report is deleted, /status will no longer find your code; no message "
            "will be sent about it."
        ))  # fmt: skip
    if r.hold:
        lines.append(t.gettext(
            "Please note: the data of this report is needed now for {why}. The law lets the "
            "unit keep it while that runs (UU 27/2022 Pasal 15), so it can be deleted only "
            "after that; the unit will tell you.", why=hold_text(t, r.hold),
        ))  # fmt: skip
    return "\n".join(lines)
