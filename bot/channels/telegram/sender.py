"""Turns outbox rows into Telegram messages in the reader's language, and sends them."""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

import aiosqlite
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.channels.telegram.handlers.common import esc
from bot.channels.telegram.throttle import Throttle
from bot.domain.intake import question
from bot.domain.office import Office
from bot.i18n import I18n, Translator
from bot.services.context import Services
from bot.store.outbox import OutboxItem

__all__ = [
    "DIGEST_MAX_CHARS",
    "DIGEST_THRESHOLD",
    "CheckFn",
    "LineFn",
    "OutboxSender",
    "RenderFn",
    "Rendered",
    "render_staff_notice",
]

log = logging.getLogger(__name__)

Rendered = tuple[str, InlineKeyboardMarkup | None]
RenderFn = Callable[[OutboxItem, Translator], Awaitable[Rendered | None]]
LineFn = Callable[[OutboxItem, Translator, str | None], str]
CheckFn = Callable[[aiosqlite.Connection, OutboxItem], Awaitable[bool]]

DIGEST_THRESHOLD = 3
DIGEST_MAX_CHARS = 3500
NETWORK_STRIKES = 3


def _labels(key: str, values: tuple[str, ...], t: Translator) -> str:
    opts = {o.value: t.translate(o.label) for o in question(key).options}
    return ", ".join(opts.get(v, v) for v in values) or "–"


async def render_staff_notice(svc: Services, case_id: int, t: Translator) -> Rendered | None:
    """The staff group notice: no name, phone, address or story."""
    async with svc.db.reading() as conn:
        case = await svc.cases.get(conn, case_id)
    if case is None:
        return None
    office = svc.office(case.office_id)
    head = (
        t.gettext("🚨 <b>URGENT new case</b>") if case.urgent else t.gettext("🆕 <b>New case</b>")
    )
    yes, no = t.gettext("yes"), t.gettext("no")
    lines = [
        f"{head} <b>{esc(case.number)}</b>",
        t.gettext("Unit: {office}", office=esc(office.name)),
        t.gettext("Type: {types}", types=esc(_labels("violence", case.categories, t))),
        t.gettext("Child victim: {answer}", answer=yes if case.child_victim else no),
        t.gettext("Urgent: {answer}", answer=yes if case.urgent else no),
        t.gettext("Channel: {channel}", channel=esc(case.channel)),
        t.gettext("Received: {when}", when=t.datetime(case.received_at, office.timezone)),
        t.gettext(
            "First response due: {when}", when=t.datetime(case.first_response_due, office.timezone)
        ),
    ]
    if case.taken_by is not None:
        lines.append(t.gettext("Taken by staff id {id}.", id=case.taken_by))
    buttons = []
    if case.taken_by is None:
        buttons.append(
            InlineKeyboardButton(t.gettext("🙋 Take the case"), callback_data=f"take:{case.id}")
        )
    buttons.append(
        InlineKeyboardButton(t.gettext("🔒 Details (private)"), callback_data=f"det:{case.id}")
    )
    return "\n".join(lines), InlineKeyboardMarkup([buttons])


class _Outcome(Enum):
    """How one Telegram message went."""

    SENT = "sent"
    RETRY = "retry"
    NETWORK = "network"
    FAILED = "failed"


@dataclass
class _Message:
    """One Telegram message to send: a single row, or a digest standing for several."""

    chat_id: int
    items: list[OutboxItem]
    digest_text: str | None = None

    @property
    def first_id(self) -> int:
        """The oldest row in the message (keeps the outbox's order)."""
        return min(i.id for i in self.items)


def _seconds(value: float | timedelta) -> float:
    """RetryAfter's retry_after as seconds (a timedelta under PTB_TIMEDELTA=1)."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class OutboxSender:
    """Drains the outbox within Telegram's limits; a row is sent only once Telegram accepted it."""

    def __init__(
        self,
        bot: Bot,
        services: Services,
        i18n: I18n,
        *,
        throttle: Throttle | None = None,
        digest_threshold: int = DIGEST_THRESHOLD,
        max_wait: float = 2.0,
        batch: int = 500,
    ) -> None:
        self.bot = bot
        self.svc = services
        self.i18n = i18n
        self.throttle = throttle or Throttle()
        self.digest_threshold = digest_threshold
        self.max_wait = max_wait
        self.batch = batch
        self.next_ready: float | None = None
        self._wake = asyncio.Event()
        # one drain at a time: the background task and an explicit drain must never both
        # read the same pending row and send it twice
        self._drain_lock = asyncio.Lock()
        self._renderers: dict[str, RenderFn] = {
            "staff_notice": self._render_staff_notice,
            "urgent_alert": self._render_urgent_alert,
            "reporter_taken": self._render_reporter_taken,
            "dead_letter": self._render_dead_letter,
            "step_overdue": self._render_step_overdue,
            "delivery_failed": self._render_delivery_failed,
        }
        self._checks: list[CheckFn] = []
        self._lines: dict[str, LineFn] = {
            "staff_notice": _line_staff_notice,
            "urgent_alert": _line_urgent_alert,
            "dead_letter": _line_dead_letter,
            "step_overdue": _line_step_overdue,
            "delivery_failed": _line_delivery_failed,
        }

    def register(self, kind: str, render: RenderFn, line: LineFn | None = None) -> None:
        """Teach the sender a new outbox kind; with ``line`` it may join group digests."""
        self._renderers[kind] = render
        if line is not None:
            self._lines[kind] = line
        else:
            self._lines.pop(kind, None)

    def add_check(self, check: CheckFn) -> None:
        """Before sending, rows for which ``check`` answers False are cancelled (e.g. stale)."""
        self._checks.append(check)

    def kick(self) -> None:
        """Ask for a drain soon (after a state change)."""
        self._wake.set()

    # -- rendering ---------------------------------------------------------------------------

    async def render(self, item: OutboxItem) -> Rendered | None:
        """Text and buttons for an outbox row, in the row's language."""
        renderer = self._renderers.get(item.kind)
        if renderer is None:
            log.error("unknown outbox kind %s", item.kind)
            return None
        return await renderer(item, self.i18n.get(item.language))

    async def _render_staff_notice(self, item: OutboxItem, t: Translator) -> Rendered | None:
        return await render_staff_notice(self.svc, int(item.payload["case_id"]), t)

    async def _render_urgent_alert(self, item: OutboxItem, t: Translator) -> Rendered | None:
        office = self.svc.office(str(item.payload["office_id"]))
        return t.gettext(
            "🚨 <b>URGENT</b>: someone is reporting immediate danger now to {office}. "
            "The report is being completed in the bot; the case notice follows.",
            office=esc(office.name),
        ), None

    async def _render_reporter_taken(self, item: OutboxItem, t: Translator) -> Rendered | None:
        async with self.svc.db.reading() as conn:
            case = await self.svc.cases.get(conn, int(item.payload["case_id"]))
        if case is None or case.notify_mode == "none":
            return None
        if case.notify_mode == "neutral":
            return t.gettext(
                "There is an update on your request. Send /status with your code to see it."
            ), None
        return t.gettext(
            "Your report {number} is now being handled by a complaint officer.",
            number=esc(case.number),
        ), None

    async def _render_dead_letter(self, item: OutboxItem, t: Translator) -> Rendered | None:
        return t.gettext(
            "⚠ An incoming message could not be processed after several tries. It is kept "
            "safely; please ask the administrator to check the bot's log (update {id}).",
            id=int(item.payload["update_id"]),
        ), None

    async def _render_step_overdue(self, item: OutboxItem, t: Translator) -> Rendered | None:
        return t.gettext(
            "⏰ <b>Overdue</b>: {step} in case <b>{number}</b>. Open the case with /kasus.",
            step=esc(t.translate(str(item.payload.get("step_title", "")))),
            number=esc(str(item.payload.get("case_number", ""))),
        ), None

    async def _render_delivery_failed(self, item: OutboxItem, t: Translator) -> Rendered | None:
        number = item.payload.get("case_number")
        if number:
            return t.gettext(
                "⚠ A message ({kind}) about case <b>{number}</b> could not be delivered: the "
                "person blocked the bot or the chat is gone. Please reach them another way.",
                kind=esc(str(item.payload.get("kind", ""))),
                number=esc(str(number)),
            ), None
        return t.gettext(
            "⚠ A message ({kind}) could not be delivered: the person blocked the bot or the "
            "chat is gone. Please reach them another way.",
            kind=esc(str(item.payload.get("kind", ""))),
        ), None

    def _digest_texts(
        self, items: list[OutboxItem], t: Translator, numbers: dict[int, str]
    ) -> list[tuple[str, list[OutboxItem]]]:
        """Digest messages (each under Telegram's length limit) listing one line per row."""
        ordered = sorted(items, key=lambda i: (i.kind != "urgent_alert", i.id))
        lines = [
            (self._lines[i.kind](i, t, numbers.get(i.case_id) if i.case_id else None), i)
            for i in ordered
        ]
        footer = t.gettext("No buttons here: open a case with /kasus and its number.")
        chunks: list[list[tuple[str, OutboxItem]]] = [[]]
        size = len(footer) + 100
        for line, item in lines:
            if chunks[-1] and size + len(line) + 1 > DIGEST_MAX_CHARS:
                chunks.append([])
                size = len(footer) + 100
            chunks[-1].append((line, item))
            size += len(line) + 1
        out: list[tuple[str, list[OutboxItem]]] = []
        for part, chunk in enumerate(chunks, start=1):
            head = t.ngettext(
                "📋 <b>{n} notice at once</b>", "📋 <b>{n} notices at once</b>", len(chunk)
            )
            if len(chunks) > 1:
                head += f" ({part}/{len(chunks)})"
            body = "\n".join(line for line, _ in chunk)
            out.append((f"{head}\n{body}\n\n{footer}", [item for _, item in chunk]))
        return out

    # -- planning ------------------------------------------------------------------------------

    async def _plan(self, items: list[OutboxItem]) -> dict[int, list[_Message]]:
        """Messages per chat, oldest first; bursts into one chat become digests."""
        by_chat: dict[int, list[OutboxItem]] = {}
        for item in items:
            by_chat.setdefault(item.chat_id, []).append(item)
        plan: dict[int, list[_Message]] = {}
        digests: list[tuple[int, str, list[OutboxItem]]] = []
        for chat_id, rows in by_chat.items():
            messages: list[_Message] = []
            if self.throttle.is_group(chat_id):
                by_lang: dict[str, list[OutboxItem]] = {}
                for row in rows:
                    if row.kind in self._lines:
                        by_lang.setdefault(row.language, []).append(row)
                    else:
                        messages.append(_Message(chat_id, [row]))
                budget = self.throttle.remaining(chat_id)
                for language, group_rows in by_lang.items():
                    n = len(group_rows)
                    if n > self.digest_threshold or (n >= 2 and n > budget):
                        digests.append((chat_id, language, group_rows))
                    else:
                        messages.extend(_Message(chat_id, [r]) for r in group_rows)
            else:
                # a person with many step alerts at once gets one digest, not a flood
                mergeable = [
                    r for r in rows if r.kind in self._lines and r.kind.startswith("step_")
                ]
                if len(mergeable) > self.digest_threshold:
                    digests.append((chat_id, mergeable[0].language, mergeable))
                    rows = [r for r in rows if r not in mergeable]
                messages.extend(_Message(chat_id, [r]) for r in rows)
            plan[chat_id] = messages
        if digests:
            wanted = (r.case_id for _, _, rows in digests for r in rows if r.case_id)
            async with self.svc.db.reading() as conn:
                numbers = await self.svc.outbox.case_numbers(conn, wanted)
            for chat_id, language, rows in digests:
                for text, part in self._digest_texts(rows, self.i18n.get(language), numbers):
                    plan[chat_id].append(_Message(chat_id, part, digest_text=text))
        for messages in plan.values():
            messages.sort(key=lambda m: m.first_id)
        return plan

    # -- sending -------------------------------------------------------------------------------

    async def drain(self, limit: int | None = None) -> int:
        """Send what is due now within the limits; returns how many rows were sent."""
        async with self._drain_lock:
            return await self._drain(limit)

    async def _drain(self, limit: int | None) -> int:
        now = self.svc.clock.now()
        async with self.svc.db.transaction() as conn:
            cancelled = await self.svc.outbox.cancel_closed(conn)
            items = await self.svc.outbox.due(conn, now, limit or self.batch)
            if self._checks:
                items = [i for i in items if await self._relevant(conn, i)]
        if cancelled:
            log.info("outbox: %s messages of closed cases cancelled", cancelled)
        self.next_ready = None
        if not items:
            return 0
        plan = await self._plan(items)
        heap = [
            (self.throttle.ready_at(chat), messages[0].first_id, chat)
            for chat, messages in plan.items()
            if messages
        ]
        heapq.heapify(heap)
        start = self.throttle.monotonic()
        sent = strikes = 0
        while heap:
            _, _, chat = heapq.heappop(heap)
            left = self.max_wait - (self.throttle.monotonic() - start)
            if not await self.throttle.acquire(chat, max_wait=max(0.0, left)):
                self.next_ready = self.throttle.ready_at(chat)
                break  # the rest waits even longer: leave it for the next drain
            message = plan[chat].pop(0)
            outcome = await self._deliver(message)
            if outcome is _Outcome.SENT:
                sent += len(message.items)
                strikes = 0
            elif outcome is _Outcome.NETWORK:
                strikes += 1
                if strikes >= NETWORK_STRIKES:
                    log.warning("outbox: Telegram unreachable; the rest waits for the next drain")
                    break
            if outcome is not _Outcome.RETRY and plan[chat]:
                heapq.heappush(heap, (self.throttle.ready_at(chat), plan[chat][0].first_id, chat))
        return sent

    async def _relevant(self, conn: aiosqlite.Connection, item: OutboxItem) -> bool:
        """Run the checks on a row; cancel it when one says it is no longer wanted."""
        for check in self._checks:
            if not await check(conn, item):
                await self.svc.outbox.mark_cancelled(conn, item.id, "no longer relevant")
                return False
        return True

    async def _deliver(self, message: _Message) -> _Outcome:
        """Send one message and record the result on its rows."""
        store = self.svc.outbox
        ids = [i.id for i in message.items]
        if message.digest_text is not None:
            text, markup = message.digest_text, None
        else:
            item = message.items[0]
            try:
                rendered = await self.render(item)
            except Exception:
                log.exception("outbox: rendering %s (row %s) failed", item.kind, item.id)
                rendered = None
            if rendered is None:
                async with self.svc.db.transaction() as conn:
                    await store.mark_failed(conn, item.id, "nothing to send")
                return _Outcome.FAILED
            text, markup = rendered
        try:
            msg = await self.bot.send_message(
                message.chat_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except RetryAfter as exc:
            delay = _seconds(exc.retry_after)
            self.throttle.pause(message.chat_id, delay)
            await self._retry(message.items, timedelta(seconds=delay), "RetryAfter")
            return _Outcome.RETRY
        except (Forbidden, BadRequest, ChatMigrated) as exc:
            await self._fail(message, type(exc).__name__)
            return _Outcome.FAILED
        except (NetworkError, TelegramError) as exc:
            attempts = max(i.attempts for i in message.items)
            backoff = timedelta(seconds=min(300, 2 ** min(attempts, 9)))
            await self._retry(message.items, backoff, type(exc).__name__)
            return _Outcome.NETWORK
        async with self.svc.db.transaction() as conn:
            await store.mark_sent_many(conn, ids, self.svc.clock.now(), msg.message_id)
        return _Outcome.SENT

    async def _retry(self, items: Iterable[OutboxItem], delay: timedelta, error: str) -> None:
        now = self.svc.clock.now()
        async with self.svc.db.transaction() as conn:
            for item in items:
                await self.svc.outbox.mark_retry(conn, item.id, now, delay, error)

    def _staff_chats(self) -> set[int]:
        return {o.staff_chat_id for o in self.svc.offices.values()}

    async def _fail(self, message: _Message, error: str) -> None:
        """Mark rows failed for good; tell the office's staff group unless that is the recipient."""
        now = self.svc.clock.now()
        to_staff = message.chat_id < 0 or message.chat_id in self._staff_chats()
        alerted = 0
        async with self.svc.db.transaction() as conn:
            for item in message.items:
                await self.svc.outbox.mark_failed(conn, item.id, error)
                log.error("outbox: %s (row %s) failed for good: %s", item.kind, item.id, error)
                if to_staff or item.kind == "delivery_failed":
                    continue
                office, number = await self._office_of(conn, item)
                if office is None:
                    continue
                await self.svc.outbox.enqueue(
                    conn,
                    chat_id=office.staff_chat_id,
                    kind="delivery_failed",
                    at=now,
                    language=office.language,
                    payload={"kind": item.kind, "case_number": number},
                    dedupe_key=f"delivery_failed:{item.id}",
                )
                alerted += 1
        if alerted:
            self.kick()

    async def _office_of(
        self, conn: aiosqlite.Connection, item: OutboxItem
    ) -> tuple[Office | None, str | None]:
        """The office a row belongs to (by its case, payload or the only office) and case number."""
        office_id = item.payload.get("office_id")
        number: str | None = None
        if item.case_id is not None:
            async with conn.execute(
                "SELECT office_id, number FROM cases WHERE id = ?", (item.case_id,)
            ) as cur:
                row = await cur.fetchone()
            if row is not None:
                office_id, number = str(row[0]), str(row[1])
        if office_id in self.svc.offices:
            return self.svc.offices[str(office_id)], number
        if len(self.svc.offices) == 1:
            return next(iter(self.svc.offices.values())), number
        log.error("outbox: no office known for failed row %s; staff not told", item.id)
        return None, number

    async def flush(self, max_rounds: int = 100_000) -> int:
        """Drain until nothing is due, waiting on the throttle's time source in between."""
        total = 0
        for _ in range(max_rounds):
            sent = await self.drain()
            total += sent
            async with self.svc.db.reading() as conn:
                due = await self.svc.outbox.count_due(conn, self.svc.clock.now())
            if due == 0:
                return total
            ready = self.next_ready
            if ready is None and sent:
                continue  # the batch was full: fetch the next one at once
            wait = 1.0 if ready is None else ready - self.throttle.monotonic()
            await self.throttle.sleep(max(wait, 0.001))
        return total

    async def run(self, stop: asyncio.Event, interval: float = 1.0) -> None:
        """Drain whenever kicked, and at least every ``interval`` seconds, until stopped."""
        while not stop.is_set():
            try:
                await self.drain()
            except Exception:
                log.exception("outbox drain failed")
            self._wake.clear()
            waiter = asyncio.ensure_future(self._wake.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait(
                {waiter, stopper}, timeout=interval, return_when=asyncio.FIRST_COMPLETED
            )
            waiter.cancel()
            stopper.cancel()


def _line_staff_notice(item: OutboxItem, t: Translator, number: str | None) -> str:
    """Digest line for a new case notice."""
    return t.gettext("🆕 New case <b>{number}</b>", number=esc(number or "?"))


def _line_urgent_alert(item: OutboxItem, t: Translator, number: str | None) -> str:
    """Digest line for an urgent alert."""
    return t.gettext("🚨 <b>URGENT</b>: someone is reporting immediate danger now")


def _line_dead_letter(item: OutboxItem, t: Translator, number: str | None) -> str:
    """Digest line for an incoming message that could not be processed."""
    return t.gettext(
        "⚠ An incoming message could not be processed (update {id})",
        id=int(item.payload["update_id"]),
    )


def _line_step_overdue(item: OutboxItem, t: Translator, number: str | None) -> str:
    """Digest line for an overdue SOP step."""
    return t.gettext(
        "⏰ <b>{number}</b>: {step} is overdue",
        number=esc(str(item.payload.get("case_number") or number or "?")),
        step=esc(t.translate(str(item.payload.get("step_title", "")))),
    )


def _line_delivery_failed(item: OutboxItem, t: Translator, number: str | None) -> str:
    """Digest line for a message that could not be delivered."""
    return t.gettext(
        "⚠ Not delivered: {kind} for <b>{number}</b>",
        kind=esc(str(item.payload.get("kind", ""))),
        number=esc(str(item.payload.get("case_number") or "–")),
    )
