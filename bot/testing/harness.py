"""Drive the real Application offline: a fake Telegram, the durable inbox, a fake clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.app import Runtime, build_runtime
from bot.channels.telegram.addresses import staff_group_chat
from bot.channels.telegram.runner import InboxRunner
from bot.channels.telegram.throttle import Throttle, VirtualTime
from bot.clock import Clock, FakeClock
from bot.config import Settings
from bot.crypto import generate_key
from bot.domain.identity import Handle
from bot.domain.office import Office
from bot.services.persons import person_for
from bot.testing.fake_request import FakeRequest
from bot.testing.fake_telegram import FakeTelegram, SentMessage

__all__ = ["EXAMPLE_OFFICES", "Harness", "group_chat"]

EXAMPLE_OFFICES = Path(__file__).resolve().parent.parent.parent / "config" / "offices.example.toml"
TOKEN = "123456:OFFLINE-TEST-TOKEN"


def group_chat(office: Office) -> int:
    """The office's Telegram staff group (the example offices all have one)."""
    chat = staff_group_chat(office)
    assert chat is not None, f"office {office.id} has no Telegram staff group"
    return chat


class Harness:
    """A reporter/staff simulator: send text, click buttons, read what the bot sent."""

    def __init__(self, fake: FakeTelegram, settings: Settings, clock: Clock) -> None:
        self.fake = fake
        self.settings = settings
        self.clock = clock
        self.runtime: Runtime | None = None
        self.runner: InboxRunner | None = None

    @classmethod
    async def create(
        cls,
        directory: Path,
        *,
        clock: Clock | None = None,
        offices: Path = EXAMPLE_OFFICES,
        secret_key: str | None = None,
        fake: FakeTelegram | None = None,
        database: str | Path | None = None,
    ) -> Harness:
        """A started bot on a new database in ``directory`` (or ``database``: a PostgreSQL
        URL, or a file)."""
        settings = Settings(
            telegram_bot_token=TOKEN,
            ppa_database=database or directory / "ppa.sqlite3",
            ppa_offices=offices,
            ppa_evidence_dir=directory / "evidence",
            ppa_secret_key=secret_key or generate_key(),
            _env_file=None,  # type: ignore[call-arg]
        )
        h = cls(fake or FakeTelegram(token=TOKEN), settings, clock or FakeClock())
        await h.start()
        if fake is None:
            # the bot is a member of every staff group, as after setup
            for office in h.rt.services.offices.values():
                h.fake.member_joins(group_chat(office), h.fake.bot_id)
            await h.pump()
        return h

    async def start(self) -> None:
        """Build and initialise the Application (as a fresh process would)."""
        request = FakeRequest(self.fake)
        self.runtime = await build_runtime(
            self.settings, clock=self.clock, request=request, get_updates_request=request
        )
        # Telegram's rate limits counted on a virtual clock of their own: tests never wait
        vt = VirtualTime(FakeClock())
        self.runtime.sender.throttle = Throttle(monotonic=vt.monotonic, sleep=vt.sleep)
        self.runner = InboxRunner(self.runtime, poll_timeout=0)
        await self.runtime.application.initialize()
        await self.runtime.application.start()
        await self.runner.process_pending()

    async def stop(self) -> None:
        """Shut down cleanly."""
        if self.runtime is not None:
            await self.runtime.close()
            self.runtime = None

    async def restart(self) -> None:
        """Stop and start again on the same database and fake Telegram."""
        await self.stop()
        await self.start()

    @property
    def rt(self) -> Runtime:
        """The running runtime."""
        assert self.runtime is not None, "not started"
        return self.runtime

    async def person(self, telegram_user_id: int) -> int:
        """The person id the bot knows this Telegram user by (created on first use)."""
        return await person_for(self.rt.services, Handle("telegram", str(telegram_user_id)))

    async def pump(self) -> None:
        """Fetch updates, handle them as the polling loop does, drain the outbox (lazily, as
        the sender task does when the runner kicks it: rows queued by another process or
        straight into the table are not seen; call ``rt.sender.drain()`` for those)."""
        assert self.runner is not None
        await self.runner.take(await self.runner.fetch())
        await self.rt.sender.drain(lazy=True)

    def _new(self, chat_id: int, before: int) -> list[SentMessage]:
        return [m for m in self.fake.messages(chat_id) if m.message_id > before]

    async def send(self, user_id: int, text: str, **kw: Any) -> list[SentMessage]:
        """User writes text (commands get an entity); returns new bot messages in that chat."""
        chat = kw.get("chat_id", user_id)
        before = self.fake.last_message_id(chat)
        if text.startswith("/"):
            self.fake.user_sends_command(user_id, text, **kw)
        else:
            self.fake.user_sends_text(user_id, text, **kw)
        await self.pump()
        return self._new(chat, before)

    async def click(
        self, user_id: int, label: str, *, chat_id: int | None = None
    ) -> list[SentMessage]:
        """User presses the newest button whose label contains ``label``."""
        chat = chat_id if chat_id is not None else user_id
        before = self.fake.last_message_id(chat)
        self.fake.click_button(user_id, chat, label)
        await self.pump()
        return self._new(chat, before)

    async def click_data(self, user_id: int, chat_id: int, message_id: int, data: str) -> None:
        """Press a button by its callback data (for forged or stale presses)."""
        self.fake.user_clicks(user_id, chat_id, message_id, data, strict=False)
        await self.pump()

    def last_text(self, chat_id: int) -> str:
        """Plain text of the newest bot message in a chat."""
        m = self.fake.last_message(chat_id)
        return m.plain_text or m.text or ""

    def texts(self, chat_id: int) -> list[str]:
        """Plain texts of all bot messages in a chat."""
        return [m.plain_text or m.text or "" for m in self.fake.messages(chat_id)]
