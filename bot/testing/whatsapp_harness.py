"""Drive the WhatsApp wing offline: signed webhooks in, the fake Cloud API out."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from bot.channels.whatsapp.webhook import PATH
from bot.channels.whatsapp.wiring import WhatsAppWing, build_whatsapp
from bot.testing.fake_whatsapp import FakeCloudAPI, SentWa, WebhookMaker
from bot.testing.harness import Harness

__all__ = ["APP_SECRET", "PHONE_ID", "VERIFY_TOKEN", "WaHarness"]

APP_SECRET = "fake-app-secret-0123456789"
VERIFY_TOKEN = "verify-token-0123456789abcdef"
PHONE_ID = "1098765432101"
ACCESS_TOKEN = "fake-access-token"


class WaHarness:
    """A reporter on WhatsApp against the real runtime (the Telegram harness's)."""

    def __init__(self, h: Harness, fake: FakeCloudAPI, api: TestServer, hook: TestClient[Any, Any],
                 wing: WhatsAppWing) -> None:  # fmt: skip
        self.h = h
        self.fake = fake
        self.api = api
        self.hook = hook
        self.wing = wing
        self.maker = WebhookMaker(APP_SECRET, PHONE_ID)

    @classmethod
    async def create(cls, h: Harness) -> WaHarness:
        """The fake Cloud API listening on localhost, the wing built against it."""
        fake = FakeCloudAPI(ACCESS_TOKEN, PHONE_ID)
        api = TestServer(fake.app())
        await api.start_server()
        fake.base_url = str(api.make_url("")).rstrip("/")
        settings = h.settings.model_copy(
            update={
                "whatsapp_access_token": ACCESS_TOKEN,
                "whatsapp_phone_number_id": PHONE_ID,
                "whatsapp_app_secret": APP_SECRET,
                "whatsapp_verify_token": VERIFY_TOKEN,
                "whatsapp_api_base_url": fake.base_url,
            }
        )
        assert settings.whatsapp_problem() is None
        workflow = h.rt.application.bot_data["deps"].workflow
        wing = build_whatsapp(settings, workflow, h.rt.i18n, process=False)
        hook: TestClient[Any, Any] = TestClient(TestServer(wing.webhook.web_app()))
        await hook.start_server()
        return cls(h, fake, api, hook, wing)

    async def close(self) -> None:
        """Stop the servers and the client."""
        await self.hook.close()
        await self.wing.client.close()
        await self.api.close()

    async def post(self, body: dict[str, Any], headers: dict[str, str] | None = None,
                   raw: bytes | None = None) -> int:  # fmt: skip
        """POST a webhook body (signed unless headers are given); returns the HTTP status."""
        data, signed = self.maker.signed(body)
        resp = await self.hook.post(PATH, data=raw if raw is not None else data,
                                    headers=headers if headers is not None else signed)  # fmt: skip
        return resp.status

    async def pump(self) -> None:
        """Handle what is stored, then send (WhatsApp, and Telegram for the staff)."""
        await self.wing.webhook.process_pending()
        await self.wing.sender.drain()
        await self.h.rt.sender.drain()

    async def _new(self, wa_id: str, body: dict[str, Any]) -> list[SentWa]:
        before = len(self.fake.to(wa_id))
        assert await self.post(body) == 200
        await self.pump()
        return self.fake.to(wa_id)[before:]

    async def say(self, wa_id: str, words: str) -> list[SentWa]:
        """She types; returns what the bot sent her."""
        body, _ = self.maker.text(wa_id, words, self.h.clock.now())
        return await self._new(wa_id, body)

    async def press(self, wa_id: str, choice_id: str) -> list[SentWa]:
        """She presses a button or a list row by its id."""
        body, _ = self.maker.choice(wa_id, choice_id, self.h.clock.now())
        return await self._new(wa_id, body)

    async def press_label(self, wa_id: str, label: str) -> list[SentWa]:
        """She presses the newest button or row whose title contains ``label``."""
        for m in reversed(self.fake.to(wa_id)):
            for cid, title in m.choices:
                if label.casefold() in title.casefold():
                    return await self.press(wa_id, cid)
        raise AssertionError(f"no choice {label!r} sent to {wa_id}")
