"""The handler table: the dispatch order of every group, and the context type handlers get."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)

from bot.channels.telegram.context import BotContext
from bot.channels.telegram.registry import handler_table
from bot.clock import FakeClock
from bot.testing.harness import Harness

__all__: list[str] = []

# the order bot/app.py had when each module registered its own handlers (keep it)
EXPECTED: dict[int, list[str]] = {
    -12: ["ExpiryHandler"],
    -11: ["RememberHandler"],
    -10: ["RateLimitHandler"],
    -1: ["cmd:hapus", "cb:^hapus:go$"],
    0: [
        "msg:on_migrate",
        "cmd:gabung",
        "cmd:keluarkan",
        "cb:^gb:",
        "cb:^jn:",
        "conv:complaint",
        "cmd:status",
        "cmd:koreksi",
        "cb:^ds:(see|copy|fix|del!?|limit!?|withdraw!?)$",
        "cb:^rq:\\d+:[rdDnh]$",
        "cmd:tahan",
        "cmd:start",
        "cmd:bantuan,help",
        "cmd:bahasa",
        "cmd:whoami",
        "cb:^menu:lang$",
        "cb:^lang:(id|en)$",
        "cb:^menu:status$",
        "cb:^menu:help$",
        "cb:^(take|det):",
        "cb:^evf:\\d{1,12}$",
        "cb:^oa:",
        "cb:^ov:",
        "conv:task",
        "cmd:tugas",
        "cmd:fakta,jadwal,perlindungan,pindah,rujuk,rujukan",
        "cmd:keluar,perpanjang,rumahaman",
        "cb:^[rs]l:",
        "cb:^s[arc]:",
        "cmd:kasus",
        "cmd:akses",
        "cmd:asesmen",
        "cmd:layanan",
        "cmd:tutup",
        "cmd:permohonan",
        "cmd:bukakembali",
        "cb:^p[akevcor]:",
        "cb:^wx:",
        "cb:^wl:",
        "cb:^wr:",
        "cb:^wc:",
        "cb:^w[pg]:",
        "cb:^we:",
        "cb:^ms:",
        "cb:^mq:",
        "cb:^mt:",
        "cb:^md:",
        "cb:^m[vwx]:",
        "cb:^(w[a-z]|m[a-z]):",
        "cmd:rekap",
        "msg:fallback_private",
        "cb:*",
    ],
    10: [r"cb:^s\|send$"],
}


def _label(handler: BaseHandler[object, BotContext, object]) -> str:
    if isinstance(handler, ConversationHandler):
        return f"conv:{handler.name}"
    if isinstance(handler, CommandHandler):
        return "cmd:" + ",".join(sorted(handler.commands))
    if isinstance(handler, CallbackQueryHandler):
        pattern = handler.pattern
        return "cb:" + (pattern.pattern if hasattr(pattern, "pattern") else str(pattern or "*"))
    if isinstance(handler, MessageHandler):
        return f"msg:{getattr(handler.callback, '__name__', '?')}"
    return type(handler).__name__


@pytest.fixture
async def h(tmp_path: Path, db_target: str | Path, clock: FakeClock) -> AsyncIterator[Harness]:
    harness = await Harness.create(tmp_path, clock=clock, database=db_target)
    try:
        yield harness
    finally:
        await harness.stop()


async def test_dispatch_order_of_every_group(h: Harness) -> None:
    app = h.rt.application
    got = {group: [_label(x) for x in handlers] for group, handlers in app.handlers.items()}
    assert got == EXPECTED
    assert sorted(app.handlers) == [-12, -11, -10, -1, 0, 10]


async def test_the_table_is_what_is_registered(h: Harness) -> None:
    app = h.rt.application
    table = handler_table(app)
    labels: dict[int, list[str]] = {}
    for entry in table:
        labels.setdefault(entry.group, []).append(_label(entry.handler))
        assert entry.why.strip()
    assert labels == EXPECTED
    # fresh objects each time: a conversation's states belong to one Application
    assert not {id(e.handler) for e in table} & {id(x) for hs in app.handlers.values() for x in hs}


async def test_handlers_get_the_bot_context(h: Harness) -> None:
    app = h.rt.application
    assert app.context_types.context is BotContext
    assert await h.send(555001, "/start")  # answered: the handlers ran with this context
    # a context like the one of that update: the user's language, translator and services
    context = BotContext(app, chat_id=555001, user_id=555001)
    assert context.language == "id"
    assert context.services is h.rt.services
    assert context.deps.workflow is context.workflow
    assert context.t.gettext("Cancelled. Nothing was recorded.")
