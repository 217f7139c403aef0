"""Composition root: builds the store, services, Application, handlers and outbox sender."""

from __future__ import annotations

import asyncio
import gc
import html
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from telegram import LinkPreviewOptions, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import NetworkError, RetryAfter
from telegram.ext import Application, ApplicationBuilder
from telegram.request import BaseRequest

from bot.channels.telegram.application import PpaApplication
from bot.channels.telegram.context import Deps, context_types
from bot.channels.telegram.handlers.common import Ctx
from bot.channels.telegram.lanes import DEFAULT_CONCURRENCY, IN_FLIGHT_KEY
from bot.channels.telegram.persistence import SqlitePersistence
from bot.channels.telegram.registry import register_all
from bot.channels.telegram.renderers import telegram_renderers
from bot.channels.telegram.sender import OutboxSender
from bot.channels.telegram.transport import AiohttpRequest
from bot.clock import Clock, SystemClock
from bot.config import Settings, load_offices
from bot.crypto import Cipher
from bot.i18n import I18n
from bot.services.context import Services
from bot.services.evidence_migration import move_legacy_evidence
from bot.services.roster import apply_roster_changes
from bot.services.workflow import Workflow, load_sops
from bot.sops_cli import SOPS_DIR
from bot.store.db import Database
from bot.store.leadership import StaleLeader

__all__ = ["Runtime", "build_runtime"]

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Everything a running bot is made of."""

    application: Application  # type: ignore[type-arg]
    services: Services
    sender: OutboxSender
    i18n: I18n
    failed_updates: set[int] = field(default_factory=set)
    # updates whose handler failed only because Telegram was unreachable or rate limiting:
    # retried in order after a pause, never dead-lettered for that
    transient_updates: dict[int, float] = field(default_factory=dict)
    # updates of different chats handled at once by the inbox runner (PPA_CONCURRENCY)
    concurrency: int = DEFAULT_CONCURRENCY
    # when handled updates were last pruned from the inbox (bot/scheduler/jobs.py)
    inbox_pruned_at: datetime | None = None

    @property
    def db(self) -> Database:
        """The store."""
        return self.services.db

    async def close(self) -> None:
        """Shut the Application down and close the store (also when the shutdown's last
        writes fail: a leader that lost its leadership has them refused)."""
        try:
            if self.application.running:
                await self.application.stop()
            await self.application.shutdown()
        finally:
            await self.db.close()


async def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
) -> Runtime:
    """Open the store and wire the Application (no updater: see bot/channels/telegram/runner.py)."""
    cipher = Cipher(settings.ppa_secret_key)
    offices = {o.id: o for o in load_offices(settings.ppa_offices)}
    db = await Database.open(settings.ppa_database)
    services = Services(
        db,
        clock or SystemClock(settings.ppa_time_scale),
        cipher,
        offices,
        evidence_dir=settings.ppa_evidence_dir,
    )
    await move_legacy_evidence(services)  # BLOBs of before 0021 into the file store (once)
    await apply_roster_changes(services)  # the roster table: the TOML, approved changes on top
    i18n = I18n()
    persistence = SqlitePersistence(db, cipher)
    builder = (
        ApplicationBuilder()
        # reads the roster before each update; hands state to the persistence without copies
        .application_class(PpaApplication)
        .context_types(context_types())  # handlers get a BotContext (context.services, .t, ...)
        .token(settings.telegram_bot_token or "0:offline")
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_file_base_url)
        .updater(None)
        .persistence(persistence)
        .concurrent_updates(False)
    )
    if request is None:  # Telegram over HTTP: aiohttp's client (bot/channels/telegram/transport.py)
        request = AiohttpRequest(pool_size=256)
        get_updates_request = get_updates_request or AiohttpRequest(pool_size=1)
    builder = builder.request(request).get_updates_request(get_updates_request or request)
    app = builder.build()
    workflow = Workflow(services, load_sops(SOPS_DIR))
    # the one table of outbox kinds the Telegram channel renders
    catalog = telegram_renderers(services, workflow)
    sender = OutboxSender(app.bot, services, i18n, catalog=catalog)
    runtime = Runtime(app, services, sender, i18n, concurrency=settings.ppa_concurrency)
    app.bot_data[IN_FLIGHT_KEY] = persistence.in_flight  # handlers leave busy chats' data alone
    app.bot_data["deps"] = Deps(
        services, i18n, workflow, kick=sender.kick, group_moved=sender.failures.migrated
    )
    app.bot_data["runtime"] = runtime
    register_all(app)  # the one ordered table: bot/channels/telegram/registry.py
    app.add_error_handler(_on_error)
    return runtime


# seconds after start-up when the heap is settled again: by then the first sweep has loaded the
# holiday calendars and the first updates the catalogs and PTB's lazy parts
SETTLE_AGAIN_AFTER = 120.0


def settle_heap() -> None:
    """Collect, then freeze what is left (imports, the runtime, loaded data) out of the
    garbage collector's way. A full collection otherwise walks every one of those objects
    again: a pause of about 0.1 s every few hundred updates on a small server
    (docs/BENCHMARKS.md). What the bot makes later is collected as before."""
    gc.collect()
    gc.freeze()


def settle_heap_now_and_later() -> None:
    """``settle_heap`` at once (start-up), and again once the bot has warmed up."""
    settle_heap()
    asyncio.get_running_loop().call_later(SETTLE_AGAIN_AFTER, settle_heap)


async def _on_error(update: object, context: Ctx) -> None:
    """Log the failure without any user data, tell the user kindly, mark the update failed."""
    err = context.error
    log.error("handler failed: %s", type(err).__name__, exc_info=err)
    runtime: Any = context.application.bot_data.get("runtime")
    if isinstance(update, Update):
        if runtime is not None:
            runtime.failed_updates.add(update.update_id)
            if isinstance(err, RetryAfter):
                wait = err.retry_after
                seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
                runtime.transient_updates[update.update_id] = seconds
            elif isinstance(err, NetworkError):
                runtime.transient_updates[update.update_id] = 0.0
        chat = update.effective_chat
        if isinstance(err, StaleLeader):
            return  # another instance leads now and handles this update: not a failure to tell
        if chat is not None and chat.type == ChatType.PRIVATE:
            try:
                await context.bot.send_message(
                    chat.id,
                    html.escape(
                        context.t.gettext(
                            "Sorry, something went wrong on our side. What you have written so far "
                            "is kept. Please try again in a moment, or call 129."
                        )
                    ),
                    parse_mode=ParseMode.HTML,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                )
            except Exception:
                log.warning("could not tell the user about the failure")
