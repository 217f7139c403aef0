"""The webhook wings' shared pieces: binding a port, and waiting for work."""

from __future__ import annotations

import asyncio

import aiohttp
from aiohttp import web

from bot.channels.http import listen, wait_for_work


async def test_listen_binds_a_free_port_and_serves() -> None:
    app = web.Application()

    async def hello(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    app.router.add_get("/", hello)
    runner, port = await listen(app, "127.0.0.1", 0)
    try:
        assert port > 0
        url = f"http://127.0.0.1:{port}/"
        async with aiohttp.ClientSession() as session, session.get(url) as r:
            assert await r.text() == "ok"
    finally:
        await runner.cleanup()


async def test_listen_on_a_taken_port_raises_and_leaves_nothing_open() -> None:
    runner, port = await listen(web.Application(), "127.0.0.1", 0)
    try:
        try:
            await listen(web.Application(), "127.0.0.1", port)
        except OSError:
            pass
        else:
            raise AssertionError("a second bind on the same port succeeded")
    finally:
        await runner.cleanup()


async def test_wait_for_work_returns_on_wake_and_clears_it() -> None:
    wake, stop = asyncio.Event(), asyncio.Event()
    wake.set()
    await asyncio.wait_for(wait_for_work(wake, stop, None), 1.0)
    assert not wake.is_set() and not stop.is_set()


async def test_wait_for_work_returns_on_stop_and_on_time() -> None:
    wake, stop = asyncio.Event(), asyncio.Event()
    stop.set()
    await asyncio.wait_for(wait_for_work(wake, stop, None), 1.0)
    await asyncio.wait_for(wait_for_work(wake, asyncio.Event(), 0.01), 1.0)
    assert not wake.is_set()
