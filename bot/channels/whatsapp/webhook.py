"""The WhatsApp webhook: Meta's verification handshake, signed POSTs into the inbox.

A POST is answered 200 only after its messages are committed (Meta retries otherwise); a
POST whose X-Hub-Signature-256 is not the app secret's HMAC of the body is refused with 403
and logged without its body. Delivery statuses update the outbox rows they are about.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import Callable

from aiohttp import web

from bot.channels.http import listen, wait_for_work
from bot.channels.whatsapp.payload import (
    SIGNATURE_HEADER,
    StatusUpdate,
    parse_webhook,
    signature_ok,
)
from bot.channels.whatsapp.runner import WhatsAppRunner
from bot.channels.whatsapp.sender import WhatsAppSender
from bot.faultpoints import crash_point
from bot.store.whatsapp import WhatsAppStore

__all__ = ["PATH", "WhatsAppWebhook"]

log = logging.getLogger(__name__)

PATH = "/whatsapp/webhook"
_MAX_BODY = 1024 * 1024
_EXPIRE_EVERY = 600.0  # seconds between looks for unfinished reports past their retention
_STATUS_WAIT = 10.0  # at most this long a status waits for the send it is about to be recorded


class WhatsAppWebhook:
    """The HTTP side of the channel, and its background processing."""

    def __init__(self, runner: WhatsAppRunner, sender: WhatsAppSender, *, app_secret: str,
                 verify_token: str, process: bool = True) -> None:  # fmt: skip
        if not app_secret or not verify_token:
            raise ValueError("the WhatsApp webhook needs the app secret and a verify token")
        self.runner = runner
        self.sender = sender
        self._secret = app_secret
        self._verify = verify_token
        self._process = process
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._site: web.AppRunner | None = None
        self.port = 0

    def web_app(self) -> web.Application:
        """The aiohttp application (GET: the handshake, POST: notifications)."""
        app = web.Application(client_max_size=_MAX_BODY)
        app.router.add_get(PATH, self.verify)
        app.router.add_post(PATH, self.receive)
        return app

    async def verify(self, request: web.Request) -> web.Response:
        """Meta's subscription check: echo hub.challenge when the verify token matches."""
        q = request.query
        token = q.get("hub.verify_token", "").encode()
        if q.get("hub.mode") == "subscribe" and hmac.compare_digest(token, self._verify.encode()):
            return web.Response(text=q.get("hub.challenge", ""))
        log.warning("whatsapp webhook: verification refused")
        return web.Response(status=403)

    async def receive(self, request: web.Request) -> web.Response:
        """Check the signature, commit the messages and statuses, then answer 200."""
        body = await request.read()
        if not signature_ok(self._secret, body, request.headers.get(SIGNATURE_HEADER)):
            log.warning("whatsapp webhook: bad signature refused (%d bytes)", len(body))
            return web.Response(status=403)
        try:
            parsed = parse_webhook(json.loads(body))
        except ValueError:
            return web.Response(status=400)
        if parsed is None:
            return web.Response(status=400)
        messages, statuses = parsed
        if messages:
            await self.runner.store_messages(messages)
            await crash_point("wa_after_inbox_commit")  # Meta retries the same ids
        if statuses:
            await self._statuses(statuses)
        self._wake.set()
        return web.Response(status=200)

    async def _statuses(self, statuses: list[StatusUpdate]) -> None:
        """Apply Meta's statuses. One may come before the sender recorded the message's id
        (Meta answers the send, then the sender commits): a status that changed nothing
        while a delivery was in flight is applied again once that delivery is recorded."""
        recorded = self.sender.recorded
        late = await self._apply(statuses)
        if late:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(_STATUS_WAIT):
                    await self.sender.settled()
            if self.sender.recorded != recorded:
                await self._apply(late)

    async def _apply(self, statuses: list[StatusUpdate]) -> list[StatusUpdate]:
        """Update the outbox rows; returns the statuses that changed no row."""
        svc = self.runner.svc
        store = WhatsAppStore(svc.cipher)
        unmatched: list[StatusUpdate] = []
        async with svc.db.transaction() as conn:
            for s in statuses:
                key = store.message_key(s.message_id)
                if not await store.delivery(conn, key, s.status, s.error):
                    unmatched.append(s)
        return unmatched

    async def process_pending(self) -> int:
        """Handle what is stored, one pass at a time; then send."""
        async with self._lock:
            done = await self.runner.process_pending()
        self.sender.kick()
        return done

    async def run_processor(self, stop: asyncio.Event) -> None:
        """Process whenever a message arrives (and expire old drafts now and then)."""
        loop = asyncio.get_running_loop()
        next_expiry = loop.time()
        while not stop.is_set():
            if loop.time() >= next_expiry:
                next_expiry = loop.time() + _EXPIRE_EVERY
                try:
                    await self.runner.expire_drafts()
                except Exception:
                    log.exception("expiring WhatsApp drafts failed")
            await wait_for_work(self._wake, stop, 5.0)
            try:
                await self.process_pending()
            except Exception:
                log.exception("processing the WhatsApp inbox failed")

    async def start(self, host: str, port: int) -> int:
        """Listen on host:port (0 picks a free port); returns the bound port."""
        self._site, self.port = await listen(self.web_app(), host, port)
        return self.port

    async def serve(self, host: str, port: int, stop: asyncio.Event,
                    on_ready: Callable[[int], None] | None = None) -> None:  # fmt: skip
        """Replay what is left, listen, process and send until ``stop``."""
        sender_task = asyncio.create_task(self.sender.run(stop))
        processor: asyncio.Task[None] | None = None
        try:
            await self.process_pending()
            await self.start(host, port)
            log.info("whatsapp webhook listening on %s:%s%s", host, self.port, PATH)
            if on_ready is not None:
                on_ready(self.port)
            if self._process:
                processor = asyncio.create_task(self.run_processor(stop))
            await stop.wait()
        finally:
            if self._site is not None:
                await self._site.cleanup()
                self._site = None
            if processor is not None:
                self._wake.set()
                await asyncio.gather(processor, return_exceptions=True)
            await asyncio.gather(sender_task, return_exceptions=True)
            await self.sender.client.close()
