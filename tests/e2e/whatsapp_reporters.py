"""Three WhatsApp reporters for the crash test: the whole form as typed words and presses,
each message delivered as Meta delivers (signed, again and again until answered 200)."""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Callable
from datetime import UTC, datetime

import aiohttp

from bot.domain.intake import question
from bot.testing.fake_whatsapp import FakeCloudAPI, SentWa, WebhookMaker

__all__ = [
    "CASE_NUMBER",
    "FORM",
    "OFFICE_IDS",
    "PHONE_ID",
    "SECRET",
    "STORY",
    "TIMEOUT",
    "Meta",
    "Reporter",
    "asks_any",
    "steps",
]

SECRET = "crash-app-secret-0123456789"
PHONE_ID = "1098765432103"
OFFICE_IDS = ("PKL", "PSR", "TNG")  # sorted, as the office choices are
TIMEOUT = 90.0  # one answer, a restart included (slow on a busy machine)
RETRY_EVERY = 0.1  # Meta re-delivers an unanswered POST (much faster here than in life)
REPEAT = 0.05  # and now and then delivers an answered one again
CASE_NUMBER = re.compile(r"PPA-(?:PKL|PSR|TNG)-\d{4}-\d{5}")
STORY = "Ayah tiri memukul dan membentak anak hampir setiap malam."
FORM = (
    "danger office reporter reporter_age victim_name victim_age victim_sex disability violence "
    "relation perpetrator_sex perpetrator when place where story evidence phone call_time help "
    "notify consent"
).split()

Predicate = Callable[[SentWa], bool]


def opt(key: str, value: str) -> str:
    """The choice id of an option."""
    return f"a|{key}|o{[o.value for o in question(key).options].index(value)}"


def asks(key: str) -> Predicate:
    """The bot's message asking question ``key`` (its choices)."""
    return lambda m: any(cid.startswith(f"a|{key}|") for cid, _ in m.choices)


def plain(m: SentWa) -> bool:
    """A message without choices (the story question: it has no skip button)."""
    return not m.choices


def summary(m: SentWa) -> bool:
    """The summary with the send button."""
    return any(cid == "s|send" for cid, _ in m.choices)


def receipt(m: SentWa) -> bool:
    """The message with the case number."""
    return CASE_NUMBER.search(m.text) is not None


Step = tuple[str, str, Predicate]


def steps(office: str) -> list[Step]:
    """The whole form over WhatsApp: typed words and presses, each with the answer awaited."""
    return [
        ("say", "lapor", asks("danger")),
        ("say", "tidak", asks("office")),
        ("press", f"a|office|o{OFFICE_IDS.index(office)}", asks("reporter")),
        ("say", "2", asks("reporter_age")),
        ("say", "lewati", asks("victim_name")),
        ("say", "Melati", asks("victim_age")),
        ("say", "15", asks("victim_sex")),
        ("press", opt("victim_sex", "female"), asks("disability")),
        ("say", "tidak", asks("violence")),
        ("press", opt("violence", "physical"), asks("violence")),
        ("press", opt("violence", "psychological"), asks("violence")),
        ("say", "selesai", asks("relation")),
        ("press", opt("relation", "step_parent"), asks("perpetrator_sex")),
        ("say", "1", asks("perpetrator")),
        ("say", "Budi Santoso", asks("when")),
        ("say", "01-02-2026", asks("place")),
        ("press", opt("place", "rumah_tangga"), asks("where")),
        ("say", "Jl. Kenanga No. 7, Cibodas", plain),
        ("say", STORY, asks("evidence")),
        ("say", "selesai", asks("phone")),
        ("say", "0812-3456-7890", asks("call_time")),
        ("say", "2", asks("help")),
        ("press", opt("help", "counselling"), asks("help")),
        ("say", "selesai", asks("notify")),
        ("say", "1", asks("consent")),
        ("say", "ya", summary),
        ("say", "kirim", receipt),
    ]


class Meta:
    """Meta's side of the webhook: signed POSTs to the bot's current address, each delivered
    again (the same bytes, the same message id) until it is answered 200."""

    def __init__(self, http: aiohttp.ClientSession, rng: random.Random) -> None:
        self.http = http
        self.rng = rng
        self.maker = WebhookMaker(SECRET, PHONE_ID)  # one for all: message ids never repeat
        self.url: str | None = None  # None while the bot is down
        self.posts = 0
        self.retried = 0  # deliveries repeated because no 200 came
        self.repeated = 0  # answered deliveries sent once more anyway
        self.statuses: set[asyncio.Future[None]] = set()
        self.seen = 0  # messages the phones received (the fake Cloud API accepted)
        self._seen = asyncio.Event()

    async def _post(self, raw: bytes, headers: dict[str, str]) -> bool:
        url = self.url
        if url is None:
            return False
        self.posts += 1
        try:
            async with self.http.post(url, data=raw, headers=headers) as resp:
                status = resp.status
        except (aiohttp.ClientError, TimeoutError):
            return False
        assert status == 200 or status >= 500, f"the webhook refused a signed POST: {status}"
        return status == 200

    async def deliver(self, raw: bytes, headers: dict[str, str]) -> None:
        """Until answered 200; then, now and then, once more (at-least-once webhooks)."""
        while not await self._post(raw, headers):
            self.retried += 1
            await asyncio.sleep(RETRY_EVERY)
        if self.rng.random() < REPEAT:
            self.repeated += 1
            await self._post(raw, headers)  # its answer does not matter any more

    def delivered(self, sent: SentWa) -> None:
        """Her phone got a message: Meta's "delivered" status webhook follows (the fake Cloud
        API's ``on_send``; it may come before the bot has recorded the message as sent)."""
        self.seen += 1
        self._seen.set()
        body = self.maker.status(sent.wamid, "delivered", sent.to)
        self.statuses.add(asyncio.ensure_future(self.deliver(*self.maker.signed(body))))

    async def until_seen(self, count: int) -> None:
        """Until the phones have received ``count`` messages."""
        while self.seen < count:
            self._seen.clear()
            await self._seen.wait()

    async def statuses_answered(self) -> None:
        """Every status webhook answered 200."""
        await asyncio.gather(*self.statuses)


class Reporter:
    """Her phone: each message waits for the bot's answer before the next."""

    def __init__(self, meta: Meta, cloud: FakeCloudAPI, wa_id: str) -> None:
        self.meta = meta
        self.cloud = cloud
        self.wa = wa_id

    async def step(self, action: str, value: str, then: Predicate) -> None:
        """Type or press, then wait for the answer."""
        before = len(self.cloud.to(self.wa))
        at = datetime.now(UTC)
        maker = self.meta.maker
        body, _ = (
            maker.text(self.wa, value, at) if action == "say" else maker.choice(self.wa, value, at)
        )
        await self.meta.deliver(*maker.signed(body))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMEOUT
        while not any(then(m) for m in self.cloud.to(self.wa)[before:]):
            assert loop.time() < deadline, f"{self.wa}: no answer to {value!r}"
            await asyncio.sleep(0.02)

    async def report(self, office: str) -> None:
        """The whole complaint, start to case number."""
        for action, value, then in steps(office):
            await self.step(action, value, then)


def asks_any(m: SentWa) -> bool:
    """A question of the form (its first choice names the question)."""
    return bool(m.choices) and m.choices[0][0].startswith("a|")
