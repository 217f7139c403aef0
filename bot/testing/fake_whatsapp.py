"""A fake WhatsApp Cloud API (Graph API) on aiohttp, and signed webhook bodies, for tests.

It records every message the bot sends (per WhatsApp id), serves media files, and can be
told to fail: the next sends answer 429 or 500 or a permanent error.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.channels.whatsapp.payload import SIGNATURE_HEADER, sign

__all__ = ["FakeCloudAPI", "Fault", "SentWa", "WebhookMaker"]


@dataclass
class SentWa:
    """One message the bot sent."""

    to: str
    body: dict[str, Any]
    wamid: str
    via: str = ""  # the phone number ID it was sent from

    @property
    def text(self) -> str:
        """Its text (a text message's body, an interactive's body, or the template's name)."""
        if self.body.get("type") == "text":
            return str(self.body["text"]["body"])
        if self.body.get("type") == "interactive":
            return str(self.body["interactive"]["body"]["text"])
        if self.body.get("type") == "template":
            return "template:" + str(self.body["template"]["name"])
        return ""

    @property
    def choices(self) -> list[tuple[str, str]]:
        """(id, title) of its reply buttons or list rows."""
        if self.body.get("type") != "interactive":
            return []
        inter = self.body["interactive"]
        if inter["type"] == "button":
            return [(b["reply"]["id"], b["reply"]["title"]) for b in inter["action"]["buttons"]]
        return [(r["id"], r["title"]) for s in inter["action"]["sections"] for r in s["rows"]]


@dataclass
class Fault:
    """How the next sends fail: HTTP status, Meta's error code, Retry-After."""

    status: int
    code: int = 0
    retry_after: str | None = None
    times: int = 1


@dataclass
class FakeCloudAPI:
    """The Graph API endpoints the bot calls."""

    token: str
    phone_number_id: str
    sent: list[SentWa] = field(default_factory=list)
    media_files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    refused: int = 0
    base_url: str = ""
    other_numbers: set[str] = field(default_factory=set)  # further numbers of the account
    on_send: Callable[[SentWa], None] | None = None  # called with each message accepted
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def app(self) -> web.Application:
        """The aiohttp application to serve."""
        app = web.Application()
        app.router.add_post("/{phone}/messages", self._messages)
        app.router.add_get("/files/{media}", self._file)
        app.router.add_get("/{media}", self._media)
        return app

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.token}"

    async def _messages(self, request: web.Request) -> web.Response:
        via = request.match_info["phone"]
        if not self._authorised(request) or via not in {self.phone_number_id, *self.other_numbers}:
            return web.json_response({"error": {"code": 190}}, status=401)
        body = await request.json()
        if self.faults:
            fault = self.faults[0]
            fault.times -= 1
            if fault.times <= 0:
                self.faults.pop(0)
            self.refused += 1
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            return web.json_response(
                {"error": {"code": fault.code, "message": "fake"}},
                status=fault.status,
                headers=headers,
            )
        if body.get("messaging_product") != "whatsapp" or not str(body.get("to", "")).isdigit():
            return web.json_response({"error": {"code": 100}}, status=400)
        wamid = f"wamid.FAKE{next(self._ids):08d}"
        message = {k: v for k, v in body.items() if k not in ("messaging_product", "to")}
        self.sent.append(SentWa(str(body["to"]), message, wamid, via))
        if self.on_send is not None:  # e.g. Meta's status webhooks, as a test schedules them
            self.on_send(self.sent[-1])
        return web.json_response({"messages": [{"id": wamid}]})

    async def _media(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"error": {"code": 190}}, status=401)
        media_id = request.match_info["media"]
        if media_id not in self.media_files:
            return web.json_response({"error": {"code": 100}}, status=404)
        data, mime = self.media_files[media_id]
        url = f"{self.base_url}/files/{media_id}"
        return web.json_response({"url": url, "mime_type": mime, "file_size": len(data)})

    async def _file(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.Response(status=401)
        data, mime = self.media_files[request.match_info["media"]]
        return web.Response(body=data, content_type=mime)

    def fail_next(self, status: int, *, code: int = 0, retry_after: str | None = None,
                  times: int = 1) -> None:  # fmt: skip
        """The next ``times`` sends fail so."""
        self.faults.append(Fault(status, code, retry_after, times))

    def to(self, wa_id: str) -> list[SentWa]:
        """Everything sent to one WhatsApp id, in order."""
        return [m for m in self.sent if m.to == wa_id]


class WebhookMaker:
    """Meta's webhook bodies, signed with the app secret."""

    def __init__(self, app_secret: str, phone_number_id: str) -> None:
        self.secret = app_secret
        self.phone_number_id = phone_number_id
        self._ids = itertools.count(1)

    def _envelope(self, value: dict[str, Any], to_number: str | None = None) -> dict[str, Any]:
        number = to_number or self.phone_number_id
        meta = {"display_phone_number": "628111000000", "phone_number_id": number}
        return {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages",
                                                "value": {"messaging_product": "whatsapp",
                                                          "metadata": meta, **value}}]}],
        }  # fmt: skip

    def message(
        self, wa_id: str, at: datetime, to_number: str | None = None, **content: Any
    ) -> tuple[dict[str, Any], str]:
        """A message body (``type`` and its part, e.g. text={"body": ...}) and its id, sent to
        the unit's number ``to_number`` (default: the configured one)."""
        wamid = f"wamid.IN{next(self._ids):08d}"
        raw = {"from": wa_id, "id": wamid, "timestamp": str(int(at.timestamp())), **content}
        contacts = [{"profile": {"name": "x"}, "wa_id": wa_id}]
        return self._envelope({"contacts": contacts, "messages": [raw]}, to_number), wamid

    def text(self, wa_id: str, words: str, at: datetime) -> tuple[dict[str, Any], str]:
        """She types words."""
        return self.message(wa_id, at, type="text", text={"body": words})

    def choice(self, wa_id: str, choice_id: str, at: datetime) -> tuple[dict[str, Any], str]:
        """She presses a reply button or a list row."""
        reply = {"type": "button_reply", "button_reply": {"id": choice_id, "title": "x"}}
        return self.message(wa_id, at, type="interactive", interactive=reply)

    def status(self, wamid: str, status: str, wa_id: str) -> dict[str, Any]:
        """Meta's status of a message the bot sent."""
        raw: dict[str, Any] = {
            "id": wamid,
            "status": status,
            "timestamp": "0",
            "recipient_id": wa_id,
        }
        if status == "failed":
            raw["errors"] = [{"code": 131026, "title": "undeliverable"}]
        return self._envelope({"statuses": [raw]})

    def signed(self, body: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        """The raw body and its headers, signed as Meta signs."""
        raw = json.dumps(body).encode()
        return raw, {SIGNATURE_HEADER: sign(self.secret, raw), "Content-Type": "application/json"}
