"""The heap is frozen after start-up, and again once the bot has warmed up."""

from __future__ import annotations

import asyncio
import gc

import pytest

from bot import app


def test_settle_heap_freezes_what_is_alive() -> None:
    gc.unfreeze()
    try:
        kept = [object() for _ in range(10)] + [{} for _ in range(10)]
        app.settle_heap()
        assert gc.get_freeze_count() >= len(kept)
    finally:
        gc.unfreeze()


async def test_it_settles_again_later(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(app, "settle_heap", lambda: calls.append("settled"))
    monkeypatch.setattr(app, "SETTLE_AGAIN_AFTER", 0.0)
    app.settle_heap_now_and_later()
    assert calls == ["settled"]
    await asyncio.sleep(0)  # the loop runs what is due now (no time passes)
    await asyncio.sleep(0)
    assert calls == ["settled", "settled"]
