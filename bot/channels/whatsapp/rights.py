"""A reporter's data rights on WhatsApp, as on Telegram: after ``status KODE`` found her report
she may see what we hold, ask for a copy, a correction, a restriction, to withdraw her consent
or to delete it, by button or by words, for 30 minutes. The same use cases and audit
(bot/services/rights.py); the words are bot/presentation/rights.py."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from bot.channels.whatsapp import PERSON_ADDRESS, WHATSAPP
from bot.channels.whatsapp import questions as qs
from bot.channels.whatsapp.messages import Choice, choice_messages, text, wa_format
from bot.domain.identity import Handle
from bot.domain.intake import question
from bot.domain.rights import RequestKind
from bot.i18n import Translator
from bot.presentation.preview import for_reporter
from bot.presentation.rights import (
    ACTIONS,
    action_label,
    confirm_words,
    own_data_text,
    request_text,
)
from bot.presentation.texts import esc
from bot.services.context import Services
from bot.services.rights import MAX_CORRECTION, make_request, see_own_data

__all__ = [
    "FIX_WORD",
    "SESSION",
    "SESSION_KEY",
    "Rights",
    "normalized",
    "remember_case",
    "rights_choices",
    "session_case",
    "typed_action",
]

SESSION_KEY = "rights_case"
SESSION = timedelta(minutes=30)  # the choices under a found report work this long
_CONFIRM_KEY = "rights_confirm"
_KINDS = {"copy": RequestKind.ACCESS, "del!": RequestKind.ERASE,
          "limit!": RequestKind.RESTRICT, "withdraw!": RequestKind.WITHDRAW}  # fmt: skip
# typed words (and the Telegram command names, Indonesian and English) for each choice
_WORDS = {
    "see": ("lihat data", "lihat data saya", "data saya", "see data", "see my data", "my data"),
    "copy": ("salinan", "minta salinan", "salinan data", "copy", "full copy", "copy my data"),
    "fix": ("koreksi", "correct", "correction", "perbaiki"),
    "limit": ("batasi", "batasi data", "batasi data saya", "restrict", "restrict my data"),
    "withdraw": (
        "tarik persetujuan",
        "cabut persetujuan",
        "withdraw",
        "withdraw consent",
        "withdraw my consent",
    ),
    "del": (
        "hapus data",
        "hapus_data",
        "hapus data saya",
        "delete data",
        "delete my data",
        "erase",
        "erase my data",
    ),
}
_BY_WORD = {w: action for action, words in _WORDS.items() for w in words}
FIX_WORD = re.compile(r"^/?(koreksi|correct|correction)\b[\s:,.-]*(?P<text>.*)$",
                      re.IGNORECASE | re.DOTALL)  # fmt: skip
_YES = frozenset({"ya", "iya", "yes", "y", "1", "ok", "setuju"})


def normalized(words: str) -> str:
    """Typed words compared: case, a leading slash, punctuation and spacing left out."""
    low = re.sub(r"[^\w\s]", " ", words.casefold().replace("_", " ").strip().lstrip("/"))
    return re.sub(r"\s+", " ", low).strip()


def typed_action(words: str) -> str | None:
    """The rights choice some typed words stand for (None: not a rights word)."""
    low = normalized(words)
    return _BY_WORD.get(low) or _BY_WORD.get(low.replace(" ", "_"))


def remember_case(state: dict[str, Any], case_id: int, now: datetime) -> None:
    """After a right code: the choices act on this case for a while (kept in her session)."""
    state[SESSION_KEY] = {"case": case_id, "at": now.isoformat()}


def session_case(state: dict[str, Any], now: datetime) -> int | None:
    """The case found by her code within the last 30 minutes (None: none, or too long ago)."""
    s = state.get(SESSION_KEY)
    if not isinstance(s, dict):
        return None
    try:
        at = datetime.fromisoformat(str(s["at"]))
        case_id = int(s["case"])
    except (KeyError, TypeError, ValueError):
        state.pop(SESSION_KEY, None)
        return None
    if now - at > SESSION:
        state.pop(SESSION_KEY, None)
        return None
    return case_id


def rights_choices(t: Translator) -> list[Choice]:
    """The rights choices under a found report."""
    return [Choice(f"ds|{a}", action_label(t, a)) for a in ACTIONS]


def _reply(t: Translator, body: str) -> list[dict[str, Any]]:
    return [text(wa_format(for_reporter(t, body)))]


class Rights:
    """Answers her rights choices through the rights use cases."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc

    def pending_confirm(self, state: dict[str, Any], words: str) -> str | None:
        """A "yes" to the question asked last (delete, restrict, withdraw), else None; the
        question is forgotten by any other message."""
        action = state.pop(_CONFIRM_KEY, None)
        if isinstance(action, str) and normalized(words) in _YES:
            return action + "!"
        return None

    async def handle(self, state: dict[str, Any], person_id: int, action: str, t: Translator,
                     correction: str | None = None) -> list[dict[str, Any]]:  # fmt: skip
        """One choice (see, copy, fix, del, del!, limit, limit!, withdraw, withdraw!)."""
        state.pop(_CONFIRM_KEY, None)
        case_id = session_case(state, self.svc.clock.now())
        if case_id is None:
            return _reply(t, t.gettext(
                "For your safety these choices work only for 30 minutes after you send your "
                "tracking code. Send *status* with your tracking code again."
            ))  # fmt: skip
        if action == "see":
            return await self._see(case_id, t)
        if action == "fix":
            if correction is None or len(correction.strip()) < 5:
                return _reply(t, t.gettext(
                    "Write *koreksi* followed by what should be corrected, in one message, for "
                    "example: koreksi The victim is 15, not 16."
                ))  # fmt: skip
            return await self._request(person_id, case_id, RequestKind.CORRECT, t,
                                       correction.strip()[:MAX_CORRECTION])  # fmt: skip
        if action in ("del", "limit", "withdraw"):
            state[_CONFIRM_KEY] = action
            body, button = confirm_words(t, action)
            return choice_messages(wa_format(for_reporter(t, body)),
                                   [Choice(f"ds|{action}!", button)],
                                   pick=t.gettext("Choose"))  # fmt: skip
        kind = _KINDS.get(action)
        if kind is None:
            return []
        return await self._request(person_id, case_id, kind, t)

    def _label(self, key: str, value: Any, t: Translator) -> str | None:
        try:
            q = question(key)
        except KeyError:  # a question no longer asked
            return None
        shown = qs.answer_label(key, list(value) if isinstance(value, tuple) else value, t,
                                self.svc.offices)  # fmt: skip
        return f"<b>{esc(t.translate(q.summary_label))}</b>: {esc(shown)}"

    async def _see(self, case_id: int, t: Translator) -> list[dict[str, Any]]:
        view = await see_own_data(self.svc, case_id)
        if view is None:
            return _reply(t, t.gettext("This report is not held any more."))
        office = self.svc.office(view.office_id)
        body = own_data_text(t, view, office, lambda k, v: self._label(k, v, t))
        warn = t.gettext(
            "WhatsApp cannot stop this message from being forwarded or saved. When you have "
            "read it, delete it: press and hold the message, then choose *Delete*."
        )
        copy = [Choice("ds|copy", action_label(t, "copy"))]
        return [
            text(wa_format(for_reporter(t, body))),
            *choice_messages(warn, copy, pick=t.gettext("Choose")),
        ]

    async def _request(self, person_id: int, case_id: int, kind: RequestKind, t: Translator,
                       correction: str = "") -> list[dict[str, Any]]:  # fmt: skip
        # the answer is sent to her person (her number is not written where the row is clear)
        requester = Handle(WHATSAPP, f"{PERSON_ADDRESS}{person_id}")
        result = await make_request(self.svc, case_id, kind, requester=requester,
                                    text=correction)  # fmt: skip
        if result.request is None:
            return _reply(t, t.gettext("This report is not held any more."))
        office = self.svc.office(result.request.office_id)
        return _reply(t, request_text(t, result, office))
