"""Webhook mode: Telegram's POST is answered 200 only after the raw update is committed."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Callable

from aiohttp import web
from telegram import Update

from bot.app import Runtime
from bot.channels.http import listen, wait_for_work
from bot.channels.telegram.runner import InboxRunner
from bot.faultpoints import crash_point

__all__ = ["MAX_UPDATE_ID", "SECRET_HEADER", "WebhookServer", "run_webhook"]

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_MAX_BODY = 1024 * 1024  # updates are small; Telegram never posts files
# the inbox key is a SQLite INTEGER (signed 64 bits); the Bot API documents update_id as a plain
# Integer (fits 32 bits today). We accept the whole storable range: a tighter bound would turn a
# future widening by Telegram into silently dropped updates (400s are not retried).
MAX_UPDATE_ID = 2**63 - 1


class WebhookServer:
    """Receives updates over HTTP into the inbox and processes them in order in the background."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        path: str,
        secret_token: str,
        runner: InboxRunner | None = None,
        process: bool = True,
    ) -> None:
        if not secret_token:
            raise ValueError("a webhook needs a secret token")
        self.rt = runtime
        self.runner = runner or InboxRunner(runtime)
        self.path = path if path.startswith("/") else f"/{path}"
        self._secret = secret_token.encode()
        self._process = process
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._site_runner: web.AppRunner | None = None
        self.port = 0

    @property
    def wake(self) -> asyncio.Event:
        """Set when an update was committed here (a leader's term waits on it)."""
        return self._wake

    def web_app(self) -> web.Application:
        """The aiohttp application answering Telegram's POSTs."""
        app = web.Application(client_max_size=_MAX_BODY)
        app.router.add_post(self.path, self.receive)
        return app

    async def receive(self, request: web.Request) -> web.Response:
        """Check the secret, commit the update, then answer 200 (Telegram retries otherwise)."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            return web.Response(status=403)
        try:
            body = await request.json(loads=json.loads)
        except ValueError:
            return web.Response(status=400)
        if not self._is_update(body):  # refused without a word in the log: it may hold data
            return web.Response(status=400)
        await self.runner.store_updates([body])
        await crash_point("after_inbox_commit")
        self._wake.set()
        return web.Response(status=200)

    def _is_update(self, body: object) -> bool:
        """A JSON object with an in-range integer ``update_id``, objects as payloads, that PTB
        can read: anything else would fail storing (HTTP 500) or block the inbox later."""
        if not isinstance(body, dict):
            return False
        update_id = body.get("update_id")
        if type(update_id) is not int or not 0 <= update_id <= MAX_UPDATE_ID:
            return False  # bool is an int subclass: ``true`` is not an update id
        if not all(isinstance(v, dict) for k, v in body.items() if k != "update_id"):
            return False
        try:
            Update.de_json(body, self.rt.application.bot)
        except Exception:
            return False
        return True

    async def process_pending(self) -> int:
        """Handle what is stored, one at a time, never two passes at once."""
        async with self._lock:
            return await self.runner.process_pending()

    async def run_processor(self, stop: asyncio.Event, poll: float | None = None) -> None:
        """Process whenever an update arrives (and every ``poll`` seconds, for what other
        instances stored), until stopped (finishing the update in hand)."""
        while not stop.is_set():
            await wait_for_work(self._wake, stop, poll)
            try:
                await self.process_pending()
            except Exception:
                log.exception("processing the inbox failed")

    async def start(self, host: str, port: int) -> int:
        """Listen on host:port (0 picks a free port); returns the bound port."""
        self._site_runner, self.port = await listen(self.web_app(), host, port)
        return self.port

    async def stop(self) -> None:
        """Stop accepting updates."""
        if self._site_runner is not None:
            await self._site_runner.cleanup()
            self._site_runner = None

    async def serve(
        self,
        host: str,
        port: int,
        stop: asyncio.Event,
        *,
        webhook_url: str | None = None,
        on_ready: Callable[[int], None] | None = None,
    ) -> None:
        """Replay what is left, listen, process until ``stop``, then shut down cleanly. With
        ``process=False`` it only accepts and commits updates (an instance beside the leader;
        the leader's term processes, sends and sweeps: bot/channels/telegram/failover.py)."""
        app = self.rt.application
        await app.initialize()
        await app.start()
        if webhook_url is not None:
            await app.bot.set_webhook(
                webhook_url,
                secret_token=self._secret.decode(),
                allowed_updates=Update.ALL_TYPES,
                drop_pending_updates=False,
            )
        sender_task = asyncio.create_task(self.rt.sender.run(stop)) if self._process else None
        processor: asyncio.Task[None] | None = None
        try:
            if self._process:
                await self.process_pending()  # replay what a previous run left
            await self.start(host, port)
            log.info("webhook listening on %s:%s%s", host, self.port, self.path)
            if on_ready is not None:
                on_ready(self.port)
            if self._process:
                processor = asyncio.create_task(self.run_processor(stop))
            await stop.wait()
        finally:
            stop.set()
            await self.stop()
            if processor is not None:
                self._wake.set()
                await asyncio.gather(processor, return_exceptions=True)
            if sender_task is not None:
                await asyncio.gather(sender_task, return_exceptions=True)
            await self.rt.close()


async def run_webhook(
    runtime: Runtime,
    *,
    host: str,
    port: int,
    path: str,
    secret_token: str,
    stop: asyncio.Event,
    webhook_url: str | None = None,
    on_ready: Callable[[int], None] | None = None,
) -> None:
    """Serve Telegram's webhook until ``stop`` is set (``setWebhook`` first if a URL is given)."""
    server = WebhookServer(runtime, path=path, secret_token=secret_token)
    await server.serve(host, port, stop, webhook_url=webhook_url, on_ready=on_ready)
