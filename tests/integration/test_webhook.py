"""Webhook mode: 200 only after the update is committed, the secret is checked, duplicates and
a crash between the answer and the processing lose and duplicate nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_runtime
from bot.channels.telegram.webhook import SECRET_HEADER, WebhookServer, run_webhook
from bot.testing.fake_request import FakeRequest
from bot.testing.fake_telegram import FakeTelegram
from bot.testing.harness import Harness
from tests.integration.test_inbox import crash_restart, db_scalar, is_notice, receipts
from tests.telegram.flows import REPORTER, full_report

SECRET = "s3cret-token_for-tests"
PATH = "/telegram/hook"
TNG_GROUP = -1001000000001


@pytest.fixture
async def hook(harness: Harness) -> AsyncIterator[tuple[WebhookServer, TestClient[Any, Any]]]:
    """A webhook receiver on the harness's runtime; nothing processes until a test says so."""
    server = WebhookServer(harness.rt, path=PATH, secret_token=SECRET, runner=harness.runner)
    client: TestClient[Any, Any] = TestClient(TestServer(server.web_app()))
    await client.start_server()
    try:
        yield server, client
    finally:
        await client.close()


async def post(client: TestClient[Any, Any], update: dict[str, Any], secret: str | None) -> int:
    """POST an update like Telegram does; returns the HTTP status."""
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    resp = await client.post(PATH, json=update, headers=headers)
    return resp.status


def inbox(h: Harness, status: str) -> int:
    """How many inbox rows have ``status``."""
    return int(db_scalar(h, "SELECT COUNT(*) FROM inbox WHERE status = ?", status))


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x"])
async def test_wrong_or_missing_secret_is_refused_and_nothing_stored(
    harness: Harness, hook: tuple[WebhookServer, TestClient[Any, Any]], secret: str | None
) -> None:
    _, client = hook
    before = int(db_scalar(harness, "SELECT COUNT(*) FROM inbox"))
    update = harness.fake.user_sends_command(601, "/start")
    assert await post(client, update, secret) == 403
    assert db_scalar(harness, "SELECT COUNT(*) FROM inbox") == before


async def test_a_body_that_is_not_an_update_is_refused(
    harness: Harness, hook: tuple[WebhookServer, TestClient[Any, Any]]
) -> None:
    _, client = hook
    before = int(db_scalar(harness, "SELECT COUNT(*) FROM inbox"))
    resp = await client.post(PATH, data=b"not json", headers={SECRET_HEADER: SECRET})
    assert resp.status == 400
    assert await post(client, {"message": {}}, SECRET) == 400
    assert db_scalar(harness, "SELECT COUNT(*) FROM inbox") == before


async def test_update_is_committed_before_200_then_processed(
    harness: Harness, hook: tuple[WebhookServer, TestClient[Any, Any]]
) -> None:
    server, client = hook
    update = harness.fake.user_sends_command(602, "/start")
    assert await post(client, update, SECRET) == 200
    # answered 200: the row is already on disk, not yet handled
    status = db_scalar(harness, "SELECT status FROM inbox WHERE update_id = ?", update["update_id"])
    assert status == "new"
    assert harness.fake.messages(602) == []

    stop = asyncio.Event()
    processor = asyncio.create_task(server.run_processor(stop))
    await harness.fake.wait_for_message(602, timeout=5)
    stop.set()
    await processor
    status = db_scalar(harness, "SELECT status FROM inbox WHERE update_id = ?", update["update_id"])
    assert status == "done"


@pytest.mark.parametrize("between", [False, True])
async def test_the_same_update_twice_makes_one_case(
    harness: Harness, hook: tuple[WebhookServer, TestClient[Any, Any]], between: bool
) -> None:
    server, client = hook
    await full_report(harness, submit=False)
    summary = harness.fake.last_message(REPORTER)
    press = harness.fake.user_clicks(REPORTER, REPORTER, summary.message_id, "s|send")
    assert await post(client, press, SECRET) == 200
    if between:  # Telegram lost our 200 and sends it again after we handled it
        await server.process_pending()
    assert await post(client, press, SECRET) == 200
    await server.process_pending()
    await harness.rt.sender.drain()

    assert db_scalar(harness, "SELECT COUNT(*) FROM cases") == 1
    assert len([m for m in harness.fake.messages(TNG_GROUP) if is_notice(m)]) == 1
    assert len(receipts(harness)) == 1


async def test_crash_between_the_200_and_the_processing_is_replayed(
    harness: Harness, hook: tuple[WebhookServer, TestClient[Any, Any]]
) -> None:
    _, client = hook
    await full_report(harness, submit=False)
    summary = harness.fake.last_message(REPORTER)
    press = harness.fake.user_clicks(REPORTER, REPORTER, summary.message_id, "s|send")
    assert await post(client, press, SECRET) == 200  # Telegram will never send it again
    assert inbox(harness, "new") == 1

    await crash_restart(harness)  # a new runtime replays the stored press
    await harness.rt.sender.drain()
    assert inbox(harness, "new") == 0
    assert db_scalar(harness, "SELECT COUNT(*) FROM cases") == 1
    assert len(receipts(harness)) == 1
    assert len([m for m in harness.fake.messages(TNG_GROUP) if is_notice(m)]) == 1


class WebhookAwareRequest(FakeRequest):
    """The fake has no setWebhook: answer it here and remember what was asked."""

    def __init__(self, fake: FakeTelegram) -> None:
        super().__init__(fake)
        self.set_webhook: list[dict[str, Any]] = []

    async def do_request(
        self, url: str, method: str, request_data: Any = None, *a: Any, **kw: Any
    ) -> tuple[int, bytes]:
        """Record setWebhook; pass everything else to the fake."""
        if url.endswith("/setWebhook"):
            self.set_webhook.append(dict(request_data.json_parameters) if request_data else {})
            return 200, b'{"ok": true, "result": true}'
        return await super().do_request(url, method, request_data, *a, **kw)


async def test_run_webhook_serves_on_a_real_port(harness: Harness) -> None:
    # a second runtime on the same database, as `ppa-bot run --listen ...` would build it
    await harness.stop()
    request = WebhookAwareRequest(harness.fake)
    runtime = await build_runtime(harness.settings, clock=harness.clock, request=request)
    stop = asyncio.Event()
    port: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        run_webhook(
            runtime,
            host="127.0.0.1",
            port=0,
            path=PATH,
            secret_token=SECRET,
            stop=stop,
            webhook_url="https://bot.example.org/telegram/hook",
            on_ready=port.set_result,
        )
    )
    waiting: set[asyncio.Future[Any]] = {port, task}
    await asyncio.wait(waiting, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    assert port.done(), task.result() if task.done() else "not listening after 10 s"
    bound = port.result()
    update = harness.fake.user_sends_command(603, "/start")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{bound}") as http:
        refused = await http.post(PATH, json=update, headers={SECRET_HEADER: "nope"})
        accepted = await http.post(PATH, json=update, headers={SECRET_HEADER: SECRET})
    assert (refused.status_code, accepted.status_code) == (403, 200)
    await harness.fake.wait_for_message(603, timeout=5)
    stop.set()
    await asyncio.wait_for(task, 10)
    assert len(request.set_webhook) == 1
    assert request.set_webhook[0]["secret_token"] == SECRET
    assert request.set_webhook[0]["url"] == "https://bot.example.org/telegram/hook"
    assert db_scalar(harness, "SELECT status FROM inbox WHERE update_id = ?", update["update_id"])
