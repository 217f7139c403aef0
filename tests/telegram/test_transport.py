"""Tests for bot/channels/telegram/transport.py beyond what the fake server's tests cover
(tests/integration/test_fake_server.py runs those over this client too)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram.error import NetworkError, TimedOut

from bot.channels.http import listen
from bot.channels.telegram.transport import AiohttpRequest

__all__: list[str] = []

TOKEN = "123456:FAKE-TOKEN"


def _closed_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def client() -> AsyncIterator[AiohttpRequest]:
    """An initialized client, shut down afterwards."""
    request = AiohttpRequest()
    await request.initialize()
    try:
        yield request
    finally:
        await request.shutdown()


async def test_nobody_listening_is_a_network_error(client: AiohttpRequest) -> None:
    """A refused connection is PTB's NetworkError (the runner backs off and polls again)."""
    with pytest.raises(NetworkError) as info:
        await client.post(f"http://127.0.0.1:{_closed_port()}/bot{TOKEN}/getMe")
    assert not isinstance(info.value, TimedOut)
    assert "aiohttp" in str(info.value)


async def test_a_request_before_initialize_is_refused() -> None:
    """The session is made at initialize (inside the running loop), not before."""
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/bot/getMe", "POST")
    await request.initialize()
    await request.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/bot/getMe", "POST")


async def test_the_proxy_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTPS_PROXY is used for Telegram, NO_PROXY is respected, as PTB's httpx client does."""
    monkeypatch.setenv("HTTPS_PROXY", "http://user:secret@proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    for name in ("https_proxy", "no_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    request = AiohttpRequest()
    telegram = "https://api.telegram.org/bot1:x/getMe"
    assert request._proxy(telegram) == "http://user:secret@proxy.example:3128"
    assert request._proxy("http://127.0.0.1:8081/bot1:x/getMe") is None
    monkeypatch.delenv("HTTPS_PROXY")
    assert AiohttpRequest()._proxy(telegram) is None


def test_the_defaults_are_ptbs() -> None:
    """The same read timeout as PTB's HTTPXRequest when a call gives none."""
    assert AiohttpRequest().read_timeout == 5.0
    assert AiohttpRequest(read_timeout=None).read_timeout is None


async def test_an_error_naming_the_url_does_not_print_the_token(client: AiohttpRequest) -> None:
    """The URL holds the bot's token: an error that would print it says only its kind."""

    async def loop_back(request: web.Request) -> web.Response:
        raise web.HTTPFound(str(request.url))

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", loop_back)
    runner, port = await listen(app, "127.0.0.1", 0)
    try:
        with pytest.raises(NetworkError) as info:
            await client.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
    finally:
        await runner.cleanup()
    assert "TooManyRedirects" in str(info.value)
    assert TOKEN not in str(info.value) and "FAKE" not in str(info.value)
