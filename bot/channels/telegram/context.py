"""The context every Telegram handler receives: the bot's dependencies as typed properties.

PTB's documented pattern for a custom context: a ``CallbackContext`` subclass registered with
``ContextTypes(context=BotContext)`` on the ApplicationBuilder (bot/app.py). PTB then builds one
for every handler call, error handler and job, so handlers write ``context.services``,
``context.t`` (the Translator in the user's language) and so on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import User
from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.domain.identity import Handle
from bot.i18n import DEFAULT_LANGUAGE, I18n, Translator
from bot.services.context import Services
from bot.services.persons import person_for
from bot.services.workflow import Workflow

__all__ = ["BotApp", "BotContext", "Deps", "context_types"]


@dataclass
class Deps:
    """What handlers need, kept in ``application.bot_data['deps']``."""

    services: Services
    i18n: I18n
    workflow: Workflow
    max_file_bytes: int = 20 * 1024 * 1024
    kick: Callable[[], None] = field(default=lambda: None)
    # a staff group moved (old chat id, new chat id): the outbox sender follows it (True: known)
    group_moved: Callable[[int, int], Awaitable[bool]] | None = None


class BotContext(CallbackContext[ExtBot[None], dict[str, Any], dict[str, Any], dict[str, Any]]):
    """The handlers' context: PTB's CallbackContext plus the running bot's dependencies."""

    @property
    def deps(self) -> Deps:
        """The running application's dependencies (``bot_data['deps']``, set in bot/app.py)."""
        value = self.bot_data["deps"]
        assert isinstance(value, Deps)
        return value

    @property
    def services(self) -> Services:
        """The services (store, clock, cipher, offices, roster)."""
        return self.deps.services

    @property
    def workflow(self) -> Workflow:
        """The SOP runtime."""
        return self.deps.workflow

    async def person_id(self, user: User) -> int:
        """The person inside the system acting as this Telegram user (the id services take)."""
        return await person_for(self.services, Handle("telegram", str(user.id)))

    @property
    def language(self) -> str:
        """The user's chosen language (Indonesian unless they chose otherwise)."""
        data = self.user_data
        if isinstance(data, dict):
            lang = data.get("lang")
            if isinstance(lang, str):
                return lang
        return DEFAULT_LANGUAGE

    @property
    def t(self) -> Translator:
        """The Translator in the user's language."""
        return self.deps.i18n.get(self.language)


# the Application this bot runs (the job queue's type is not used by the bot)
BotApp = Application[ExtBot[None], BotContext, dict[str, Any], dict[str, Any], dict[str, Any], Any]


def context_types() -> ContextTypes[BotContext, dict[str, Any], dict[str, Any], dict[str, Any]]:
    """What ``ApplicationBuilder.context_types`` is given: our context, plain dicts for data."""
    return ContextTypes(context=BotContext)
