"""What ``ppa-bot run`` runs: polling or the webhook, WhatsApp beside; on PostgreSQL in terms
of leadership (bot/channels/telegram/failover.py)."""

from __future__ import annotations

import argparse
import asyncio
import logging
from typing import Any

from bot.config import Settings

__all__ = ["preload", "serve", "serve_webhook", "serve_webhook_failover", "serve_with_leadership",
           "webhook_secret", "whatsapp_then"]  # fmt: skip


async def serve_with_leadership(
    settings: Settings, args: argparse.Namespace, stop: asyncio.Event
) -> None:
    """PostgreSQL: lead, or wait as a standby and take over (a term of ``serve`` each time);
    in webhook mode every instance accepts updates and only the leader processes them."""
    from bot.channels.telegram.failover import run_with_leadership

    preload(args)  # a standby imports the whole bot first, so that taking over is quick
    if args.webhook_url:
        await serve_webhook_failover(settings, args, stop)
        return

    async def term(until: asyncio.Event) -> None:
        await serve(settings, args, until)

    await run_with_leadership(str(settings.ppa_database), stop, term)


async def serve_webhook(
    runtime: Any, settings: Settings, args: argparse.Namespace, stop: asyncio.Event
) -> None:
    """Webhook mode: each update is committed to the inbox before Telegram gets its 200."""
    from urllib.parse import urlsplit

    from bot.channels.telegram.webhook import run_webhook
    from bot.scheduler.jobs import start_scheduler

    host, _, port = args.listen.rpartition(":")
    secret = webhook_secret(settings)
    scheduler = start_scheduler(runtime)  # the server itself runs the outbox sender
    try:
        await run_webhook(
            runtime,
            host=host or "127.0.0.1",
            port=int(port),
            path=urlsplit(args.webhook_url).path or "/",
            secret_token=secret,
            stop=stop,
            webhook_url=args.webhook_url,
        )
    finally:
        scheduler.shutdown(wait=False)


async def whatsapp_then(
    runtime: Any,
    settings: Settings,
    args: argparse.Namespace,
    stop: asyncio.Event,
    then: asyncio.Event,
) -> None:
    """Serve WhatsApp (with --whatsapp-listen) until ``stop``, then set ``then``."""
    try:
        if args.whatsapp_listen:
            from bot.channels.whatsapp.wiring import serve_whatsapp

            await serve_whatsapp(runtime, settings, args.whatsapp_listen, stop)
        else:
            await stop.wait()
    finally:
        stop.set()
        then.set()


async def serve_webhook_failover(
    settings: Settings, args: argparse.Namespace, stop: asyncio.Event
) -> None:
    """Webhook mode on PostgreSQL: every instance accepts and commits updates; only the
    leader processes them, sends and sweeps (WhatsApp, if on, runs with the leader)."""
    from urllib.parse import urlsplit

    from bot.app import build_runtime
    from bot.channels.telegram.failover import run_with_leadership, webhook_term
    from bot.channels.telegram.webhook import WebhookServer

    runtime = await build_runtime(settings)  # accepts only; each term builds its own
    host, _, port = args.listen.rpartition(":")
    path = urlsplit(args.webhook_url).path or "/"
    server = WebhookServer(runtime, path=path, secret_token=webhook_secret(settings),
                           process=False)  # fmt: skip

    async def whatsapp(leading: Any, until: asyncio.Event) -> None:
        await whatsapp_then(leading, settings, args, until, asyncio.Event())

    term = webhook_term(server, lambda: build_runtime(settings), whatsapp)
    serving_stop = asyncio.Event()  # the server closes the store: after the last term
    serving = asyncio.create_task(
        server.serve(host or "127.0.0.1", int(port), serving_stop, webhook_url=args.webhook_url)
    )
    try:
        await run_with_leadership(str(settings.ppa_database), stop, term)
    finally:
        serving_stop.set()
        await serving


def webhook_secret(settings: Settings) -> str:
    """The secret token Telegram echoes back, derived from the key: no extra setting."""
    import hashlib

    return hashlib.sha256(b"webhook:" + settings.ppa_secret_key.encode()).hexdigest()


def preload(args: argparse.Namespace) -> None:
    """Import what a term of leadership runs (seconds on a busy machine) before waiting."""
    import importlib

    names = ["bot.app", "bot.channels.telegram.runner"]
    names += ["bot.channels.telegram.webhook"] if args.webhook_url else []
    names += ["bot.channels.whatsapp.wiring"] if args.whatsapp_listen else []
    for name in names:
        importlib.import_module(name)


async def serve(settings: Settings, args: argparse.Namespace, stop: asyncio.Event) -> None:
    """Build the bot and run it until ``stop``: polling or the webhook, WhatsApp beside."""
    from bot.app import build_runtime, settle_heap_now_and_later
    from bot.channels.telegram.runner import InboxRunner

    runtime = await build_runtime(settings)
    settle_heap_now_and_later()
    logging.getLogger("bot").info(
        "ppa-bot started; offices: %s", ", ".join(runtime.services.offices)
    )
    # the WhatsApp webhook beside Telegram; it stops first, then Telegram closes the store
    telegram_stop = asyncio.Event()
    relay = asyncio.create_task(whatsapp_then(runtime, settings, args, stop, telegram_stop))
    try:
        if args.webhook_url:
            await serve_webhook(runtime, settings, args, telegram_stop)
        else:
            await InboxRunner(runtime).run(telegram_stop)
    finally:
        stop.set()
        await asyncio.gather(relay, return_exceptions=True)
