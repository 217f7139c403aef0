"""Builds the WhatsApp wing on a runtime's services (called by the CLI and the tests)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.channels.whatsapp.client import GraphClient
from bot.channels.whatsapp.conversation import Conversation
from bot.channels.whatsapp.receipt import Submitter
from bot.channels.whatsapp.runner import WhatsAppRunner
from bot.channels.whatsapp.sender import WhatsAppSender
from bot.channels.whatsapp.webhook import WhatsAppWebhook
from bot.config import Settings
from bot.i18n import I18n
from bot.services.workflow import Workflow

if TYPE_CHECKING:  # the runtime carries the Telegram wing: only its type is needed here
    from bot.app import Runtime

__all__ = ["WhatsAppWing", "build_whatsapp", "serve_whatsapp"]


@dataclass
class WhatsAppWing:
    """The channel's parts."""

    client: GraphClient
    sender: WhatsAppSender
    runner: WhatsAppRunner
    webhook: WhatsAppWebhook


def build_whatsapp(
    settings: Settings, workflow: Workflow, i18n: I18n, *, process: bool = True
) -> WhatsAppWing:
    """The wing from the settings (check ``settings.whatsapp_problem()`` first)."""
    svc = workflow.svc
    client = GraphClient(
        settings.whatsapp_api_base_url,
        settings.whatsapp_access_token,
        settings.whatsapp_phone_number_id,
    )
    sender = WhatsAppSender(svc, i18n, client, template_name=settings.whatsapp_template_news)
    conversation = Conversation(svc, workflow, i18n, Submitter(workflow, client, sender.kick))
    runner = WhatsAppRunner(
        svc, conversation, sender.kick, number=settings.whatsapp_phone_number_id
    )
    webhook = WhatsAppWebhook(
        runner,
        sender,
        app_secret=settings.whatsapp_app_secret,
        verify_token=settings.whatsapp_verify_token,
        process=process,
    )
    return WhatsAppWing(client, sender, runner, webhook)


async def serve_whatsapp(
    runtime: Runtime,
    settings: Settings,
    listen: str,
    stop: asyncio.Event,
    on_ready: Callable[[int], None] | None = None,
) -> None:
    """Serve the WhatsApp webhook on ``listen`` (host:port) until ``stop`` (the store stays
    open: the Telegram side closes the runtime after this returns)."""
    host, _, port = listen.rpartition(":")
    workflow = runtime.application.bot_data["deps"].workflow
    wing = build_whatsapp(settings, workflow, runtime.i18n)
    await wing.webhook.serve(host or "127.0.0.1", int(port), stop, on_ready=on_ready)
