"""A reporter on WhatsApp talks to ``python -m bot run --whatsapp-listen`` (its own process):
signed webhooks in over HTTP, Graph API calls out to the fake Cloud API; the staff group on
the fake Telegram gets the case notice without her identity; a forged POST is refused."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.channels.whatsapp.payload import SIGNATURE_HEADER, sign
from bot.channels.whatsapp.webhook import PATH
from bot.testing.fake_telegram import FakeTelegram
from bot.testing.fake_whatsapp import FakeCloudAPI, SentWa, WebhookMaker
from tests.e2e.conftest import BotProcess
from tests.whatsapp.flows import STORY, opt

pytestmark = pytest.mark.e2e

WA = "6281234567002"
SECRET = "e2e-app-secret-0123456789"
VERIFY = "e2e-verify-token-0123456789"
PHONE_ID = "1098765432102"
TOKEN = "e2e-access-token"
TNG_GROUP = -1001000000001
TIMEOUT = 15.0
LISTENING = re.compile(r"whatsapp webhook listening on [\d.]+:(\d+)/whatsapp/webhook")


@pytest.fixture
async def cloud() -> AsyncIterator[FakeCloudAPI]:
    """The fake Graph API served on 127.0.0.1 (random port)."""
    fake = FakeCloudAPI(TOKEN, PHONE_ID)
    runner = web.AppRunner(fake.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake.base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield fake
    finally:
        await runner.cleanup()


class Phone:
    """Her phone: signed webhooks to the bot, answers read from the fake Cloud API."""

    def __init__(self, url: str, cloud: FakeCloudAPI, http: aiohttp.ClientSession) -> None:
        self.url = url
        self.cloud = cloud
        self.http = http
        self.maker = WebhookMaker(SECRET, PHONE_ID)

    async def post(self, raw: bytes, headers: dict[str, str]) -> int:
        async with self.http.post(self.url, data=raw, headers=headers) as resp:
            return resp.status

    async def send(self, body: dict[str, Any]) -> list[SentWa]:
        before = len(self.cloud.to(WA))
        raw, headers = self.maker.signed(body)
        assert await self.post(raw, headers) == 200
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMEOUT
        last, quiet = before, 0
        while True:  # answers arrive; wait until none came for a moment
            await asyncio.sleep(0.05)
            now = len(self.cloud.to(WA))
            quiet = quiet + 1 if now == last and now > before else 0
            last = now
            if quiet >= 6:
                return self.cloud.to(WA)[before:]
            assert loop.time() < deadline, "the bot did not answer on WhatsApp"

    async def say(self, words: str) -> list[SentWa]:
        return await self.send(self.maker.text(WA, words, datetime.now(UTC))[0])

    async def press(self, choice: str) -> list[SentWa]:
        return await self.send(self.maker.choice(WA, choice, datetime.now(UTC))[0])


async def _port(bot: BotProcess) -> int:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while (m := LISTENING.search(bot.output())) is None:
        assert loop.time() < deadline, f"the WhatsApp webhook did not start:\n{bot.output()}"
        await asyncio.sleep(0.05)
    return int(m.group(1))


async def test_whatsapp_complaint_end_to_end(
    bot: BotProcess, fake: FakeTelegram, cloud: FakeCloudAPI
) -> None:
    bot.env.update(
        WHATSAPP_ACCESS_TOKEN=TOKEN,
        WHATSAPP_PHONE_NUMBER_ID=PHONE_ID,
        WHATSAPP_APP_SECRET=SECRET,
        WHATSAPP_VERIFY_TOKEN=VERIFY,
        WHATSAPP_API_BASE_URL=cloud.base_url,
    )
    bot.args = ["run", "--whatsapp-listen", "127.0.0.1:0"]
    await bot.start()
    url = f"http://127.0.0.1:{await _port(bot)}{PATH}"
    async with aiohttp.ClientSession() as http:
        phone = Phone(url, cloud, http)
        # a forged POST: 403, nothing stored, nothing sent
        body, _ = phone.maker.text(WA, "lapor", datetime.now(UTC))
        raw, headers = phone.maker.signed(body)
        assert await phone.post(raw, {**headers, SIGNATURE_HEADER: sign("forged", raw)}) == 403
        assert bot.scalar("SELECT COUNT(*) FROM wa_inbox") == 0
        await phone.say("lapor")
        await phone.say("tidak")
        await phone.press("a|office|o2")  # TNG: the offices sorted (PKL, PSR, TNG)
        for words in ("2", "lewati", "Melati", "15"):
            await phone.say(words)
        await phone.press(opt("victim_sex", "female"))
        await phone.say("tidak")
        await phone.press(opt("violence", "physical"))
        await phone.say("selesai")
        await phone.press(opt("relation", "step_parent"))
        for words in ("1", "Budi Santoso", "01-02-2026"):
            await phone.say(words)
        await phone.press(opt("place", "rumah_tangga"))
        for words in ("Jl. Kenanga No. 7, Cibodas", STORY, "selesai", "0812-3456-7890", "2"):
            await phone.say(words)
        await phone.press(opt("help", "counselling"))
        for words in ("selesai", "1", "ya"):
            await phone.say(words)
        receipt = (await phone.say("kirim"))[-1].text
        number = re.search(r"PPA-TNG-\d{4}-00001", receipt)
        code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", receipt)
        assert number and code, receipt
        status = await phone.say(f"status {code.group(0)}")
        assert number.group(0) in status[-1].text
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while not (notices := [m for m in fake.messages(TNG_GROUP) if "take:1" in m.callback_data]):
        assert loop.time() < deadline, "no staff notice"
        await asyncio.sleep(0.05)
    shown = notices[-1].plain_text or ""
    assert number.group(0) in shown
    for secret in ("Melati", "Budi", "Kenanga", "memukul", "0812", WA):
        assert secret not in shown
    assert await bot.stop() == 0
