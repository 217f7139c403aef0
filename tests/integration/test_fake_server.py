"""Tests for the fake Bot API served over loopback HTTP to a real telegram.Bot."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from bot.channels.telegram.transport import AiohttpRequest
from bot.testing import FakeTelegram
from bot.testing.fake_server import start_server, stop_server

__all__: list[str] = []

TOKEN = "123456:FAKE-TOKEN"
USER = 5151


@pytest.fixture(autouse=True)
def _timedelta_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB's timedelta durations (RetryAfter warns otherwise)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
def fake() -> FakeTelegram:
    """Return a fake that accepts only TOKEN."""
    return FakeTelegram(token=TOKEN)


@pytest.fixture
async def base_url(fake: FakeTelegram) -> AsyncIterator[str]:
    """Serve the fake on an ephemeral loopback port."""
    runner, base = await start_server(fake, port=0)
    try:
        yield base
    finally:
        await stop_server(runner)


@pytest.fixture(params=["httpx", "aiohttp"])
async def bot(base_url: str, request: pytest.FixtureRequest) -> AsyncIterator[Bot]:
    """Yield a Bot against the fake server, over PTB's default HTTPXRequest and over the bot's
    own AiohttpRequest (bot/channels/telegram/transport.py)."""
    client = (
        HTTPXRequest(read_timeout=0.5)
        if request.param == "httpx"
        else AiohttpRequest(read_timeout=0.5)
    )
    async with Bot(
        TOKEN,
        base_url=f"{base_url}/bot",
        base_file_url=f"{base_url}/file/bot",
        request=client,
    ) as tg_bot:
        yield tg_bot


@pytest.fixture
async def control(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Yield an HTTP client for the /_fake/ control API."""
    async with httpx.AsyncClient(base_url=f"{base_url}/_fake") as client:
        yield client


async def test_basics_over_http(bot: Bot, fake: FakeTelegram, control: httpx.AsyncClient) -> None:
    """getMe, control send_text, getUpdates, sendMessage, clicks and listing work over HTTP."""
    assert (await bot.get_me()).username == fake.bot_username
    with pytest.raises(Forbidden):
        await bot.send_message(USER, "halo")

    reply = await control.post(
        "/send_text", json={"user_id": USER, "text": "Halo, saya butuh bantuan"}
    )
    assert reply.status_code == 200
    update_id = reply.json()["result"]["update_id"]
    updates = await bot.get_updates(timeout=1)
    assert updates[0].update_id == update_id
    assert updates[0].message is not None
    assert updates[0].message.text == "Halo, saya butuh bantuan"

    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Ya, lanjut", callback_data="go")]])
    sent = await bot.send_message(USER, "<b>Lanjut?</b>", parse_mode="HTML", reply_markup=markup)
    with pytest.raises(BadRequest):
        await bot.send_message(USER, "a < b", parse_mode="HTML")

    click = await control.post("/click", json={"user_id": USER, "chat_id": USER, "label": "lanjut"})
    assert click.status_code == 200
    updates = await bot.get_updates(offset=update_id + 1, timeout=1)
    query = updates[0].callback_query
    assert query is not None and query.data == "go"
    assert await query.answer("Oke")
    assert fake.callback_answers[-1].text == "Oke"

    listed = (await control.get("/messages", params={"chat_id": USER})).json()
    assert [m["message_id"] for m in listed] == [sent.message_id]
    assert listed[0]["buttons"] == [[["Ya, lanjut", "go"]]]
    stats = (await control.get("/stats")).json()
    assert stats["messages_sent"] == 1 and stats["updates_total"] == 2
    missing = await control.post("/click", json={"user_id": USER, "chat_id": USER, "label": "x"})
    assert missing.status_code == 404


async def test_files_over_http(bot: Bot, fake: FakeTelegram, control: httpx.AsyncClient) -> None:
    """Multipart uploads are stored and user files download through /file/bot."""
    reply = await control.post("/document", json={"user_id": USER, "filename": "bukti.pdf"})
    file_id = reply.json()["result"]["message"]["document"]["file_id"]
    data = await (await bot.get_file(file_id)).download_as_bytearray()
    assert bytes(data) == b"%PDF-1.4 fake"
    sent = await bot.send_document(
        USER, b"ringkasan", filename="ringkasan.txt", caption="Ringkasan"
    )
    assert sent.document is not None and sent.caption == "Ringkasan"
    assert fake.last_message(USER).document == ("ringkasan.txt", b"ringkasan")


async def test_faults_over_http(bot: Bot, fake: FakeTelegram, control: httpx.AsyncClient) -> None:
    """Faults injected through the control API reach the client as PTB errors."""
    fake.user_sends_text(USER, "halo")
    assert (
        await control.post("/fail", json={"method": "sendMessage", "kind": "429", "retry_after": 3})
    ).status_code == 200
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(USER, "x")
    assert info.value.retry_after == dt.timedelta(seconds=3)
    await control.post("/fail", json={"method": "getMe", "kind": "drop"})
    with pytest.raises(NetworkError):
        await bot.get_me()
    await control.post("/fail", json={"method": "getMe", "kind": "timeout"})
    with pytest.raises(TimedOut):
        await bot.get_me()
    bad = await control.post("/fail", json={"kind": "nope"})
    assert bad.status_code == 400
    assert (await bot.send_message(USER, "pulih")).text == "pulih"
    assert fake.too_many_requests == 1


async def test_wrong_token_is_rejected(base_url: str) -> None:
    """A token the fake does not accept answers 401 like Telegram."""
    async with httpx.AsyncClient() as client:
        reply = await client.get(f"{base_url}/bot1:WRONG/getMe")
        form = await client.post(
            f"{base_url}/bot{TOKEN}/sendMessage", data={"chat_id": "1", "text": "x"}
        )
    assert reply.status_code == 401
    assert form.status_code == 403
