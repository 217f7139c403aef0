"""Fixtures: the WhatsApp wing on the offline runtime, against the fake Cloud API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.testing.harness import Harness
from bot.testing.whatsapp_harness import WaHarness


@pytest.fixture
async def wa(harness: Harness) -> AsyncIterator[WaHarness]:
    """A reporter's WhatsApp, the bot's webhook and the fake Graph API."""
    w = await WaHarness.create(harness)
    try:
        yield w
    finally:
        await w.close()
