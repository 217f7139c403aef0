"""What she may write at any point of the conversation: ``status KODE``, her data rights,
the language, and *hapus* (end the report in progress and how to delete the chat)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.channels.whatsapp import language as lang
from bot.channels.whatsapp.messages import choice_messages, text, wa_format
from bot.channels.whatsapp.rights import (
    FIX_WORD,
    SESSION_KEY,
    Rights,
    normalized,
    remember_case,
    rights_choices,
    session_case,
    typed_action,
)
from bot.channels.whatsapp.status import STATUS_WORD, status_reply
from bot.i18n import I18n, Translator
from bot.presentation.preview import for_reporter
from bot.services.context import Services
from bot.services.workflow import Workflow

if TYPE_CHECKING:
    from bot.channels.whatsapp.conversation import Turn

__all__ = ["DELETE_WORDS", "Commands", "how_to_delete"]

Out = list[dict[str, Any]]
DELETE_WORDS = frozenset({"hapus", "delete", "hapus chat", "hapus percakapan", "delete chat",
                          "clear chat"})  # fmt: skip


def how_to_delete(t: Translator) -> str:
    """The bot cannot delete her WhatsApp messages: how she does it herself."""
    return t.gettext(
        "The bot cannot delete messages in your WhatsApp. To remove this chat from your "
        "phone: open the chat, tap ⋮ (or the contact's name), then *Clear chat*; or press "
        "and hold the chat in the list and choose *Delete chat*."
    )


class Commands:
    """Answers the words that work anywhere; ``None``: the message is for the form."""

    def __init__(self, svc: Services, workflow: Workflow, i18n: I18n,
                 where_she_was: Callable[[dict[str, Any]], Out]) -> None:  # fmt: skip
        self.svc = svc
        self.workflow = workflow
        self.i18n = i18n
        self.rights = Rights(svc)
        self.where_she_was = where_she_was  # the current question, summary or welcome

    def _t(self, state: dict[str, Any]) -> Translator:
        return self.i18n.get(state.get("lang") or "id")

    async def handle(self, state: dict[str, Any], turn: Turn) -> Out | None:
        """The replies, or None when the form should take the message."""
        words = (turn.text or "").strip() if turn.kind == "text" else ""
        low = normalized(words)
        choice = turn.choice
        chosen = lang.chosen_language(state, low, choice)  # also forgets an unanswered menu
        confirmed = self.rights.pending_confirm(state, words)  # forgotten by any message
        if chosen is not None:
            state["lang"] = chosen
            t = self._t(state)
            has_draft = isinstance(state.get("draft"), dict)
            return [*lang.language_set(t, has_draft), *self.where_she_was(state)]
        if choice is not None and choice.startswith("ds|"):
            return await self.rights.handle(state, turn.person_id, choice[3:], self._t(state))
        if not words:
            return None
        t = self._t(state)
        if m := STATUS_WORD.match(words):
            return await self._status(state, t, m["code"])
        if lang.is_menu(low):
            return lang.language_menu(state)
        if low in DELETE_WORDS:
            return self._delete(state, t)
        if confirmed is not None:
            return await self.rights.handle(state, turn.person_id, confirmed, t)
        fix = FIX_WORD.match(words)
        action = "fix" if fix else typed_action(words)
        if action is None:
            return None
        in_form = isinstance(state.get("draft"), dict)
        if in_form and session_case(state, self.svc.clock.now()) is None:
            return None  # words of an answer (no report found by her code just now)
        correction = fix["text"] if fix else None
        return await self.rights.handle(state, turn.person_id, action, t, correction)

    async def _status(self, state: dict[str, Any], t: Translator, code: str) -> Out:
        body, case_id = await status_reply(self.svc, self.workflow, t, state, code)
        if case_id is None:
            return [text(body)]
        remember_case(state, case_id, self.svc.clock.now())
        hint = t.gettext(
            "About your data: choose below, or write *lihat data*, *koreksi* and the "
            "correction, *batasi*, *tarik persetujuan* or *hapus data*. These work for 30 "
            "minutes."
        )
        return choice_messages(f"{body}\n\n{hint}", rights_choices(t), pick=t.gettext("Choose"))

    def _delete(self, state: dict[str, Any], t: Translator) -> Out:
        """As /hapus on Telegram: the report in progress goes; the chat she deletes herself."""
        dropped = state.pop("draft", None) is not None
        state["stage"] = None
        for key in ("expired", "resumes", SESSION_KEY):
            state.pop(key, None)
        lines = []
        if dropped:
            lines.append(t.gettext(
                "The report you had not finished was deleted; nothing of it is kept. You can "
                "start a new one at any time with *lapor*."
            ))  # fmt: skip
        lines.append(how_to_delete(t))
        return [text(wa_format(for_reporter(t, "\n\n".join(lines))))]
