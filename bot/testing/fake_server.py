"""Serve a FakeTelegram over HTTP on loopback, with a /_fake/ control API."""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import contextlib
import json
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.channels.http import listen
from bot.testing.fake_telegram import FakeConnectionDroppedError, FakeTelegram, FaultKind
from bot.testing.fake_telegram.protocol import FAULT_KINDS, Files

__all__ = ["FAKE_KEY", "create_app", "main", "start_server", "stop_server"]

FAKE_KEY: web.AppKey[FakeTelegram] = web.AppKey("fake_telegram", FakeTelegram)
_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_FAULT_KINDS: dict[str, FaultKind] = {kind: kind for kind in FAULT_KINDS}


def _fake(request: web.Request) -> FakeTelegram:
    """Return the FakeTelegram behind this app."""
    return request.app[FAKE_KEY]


async def _read_params(
    request: web.Request,
) -> tuple[dict[str, Any], Files]:
    """Collect query, form, JSON and multipart parameters like the Bot API accepts them."""
    params: dict[str, Any] = dict(request.query)
    files: Files = {}
    if request.method != "POST" or not request.can_read_body:
        return params, files
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
        return params, files
    form = await request.post()
    for name, value in form.items():
        if isinstance(value, web.FileField):
            files[name] = (
                value.filename,
                value.file.read(),
                value.content_type or "application/octet-stream",
            )
        elif isinstance(value, str):
            params[name] = value
        else:
            params[name] = bytes(value).decode()
    return params, files


async def _api(request: web.Request) -> web.StreamResponse:
    """Answer /bot<token>/<method>."""
    params, files = await _read_params(request)
    try:
        status, body = await _fake(request).call(
            request.match_info["token"], request.match_info["method"], params, files
        )
    except FakeConnectionDroppedError:
        if request.transport is not None:
            request.transport.abort()
        raise web.HTTPServiceUnavailable() from None
    return web.json_response(body, status=status)


async def _file(request: web.Request) -> web.StreamResponse:
    """Serve /file/bot<token>/<path>."""
    data = _fake(request).download(request.match_info["token"], request.match_info["path"])
    if data is None:
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )
    return web.Response(body=data, content_type="application/octet-stream")


async def _json_body(request: web.Request) -> dict[str, Any]:
    """Return the request's JSON object body (or form fields)."""
    if request.content_type == "application/json":
        body = await request.json()
        if not isinstance(body, dict):
            raise ValueError("expected a JSON object")
        return body
    return {k: v for k, v in (await request.post()).items() if isinstance(v, str)}


def _control(action: Callable[[FakeTelegram, dict[str, Any]], Any]) -> _Handler:
    """Wrap a control action: JSON in, {"ok": true, "result": ...} out, errors as 4xx."""

    async def handler(request: web.Request) -> web.StreamResponse:
        try:
            body = await _json_body(request)
            result = action(_fake(request), body)
        except LookupError as err:
            return web.json_response({"ok": False, "error": str(err)}, status=404)
        except (ValueError, TypeError, json.JSONDecodeError) as err:
            return web.json_response({"ok": False, "error": str(err)}, status=400)
        return web.json_response({"ok": True, "result": result})

    return handler


def _opt_chat(body: dict[str, Any]) -> int | None:
    """Return the optional chat_id of a control request."""
    return int(body["chat_id"]) if body.get("chat_id") is not None else None


def _bytes(body: dict[str, Any], default: bytes) -> bytes:
    """Decode base64 'data' from a control request, or use a default payload."""
    raw = body.get("data")
    if raw is None:
        return default
    try:
        return base64.b64decode(str(raw), validate=True)
    except binascii.Error as err:
        raise ValueError("data must be base64") from err


def _send_text(fake: FakeTelegram, body: dict[str, Any]) -> Any:
    return fake.user_sends_text(
        int(body["user_id"]),
        str(body["text"]),
        chat_id=_opt_chat(body),
        first_name=str(body.get("first_name", "Uji")),
        language_code=body.get("language_code", "id"),
    )


def _command(fake: FakeTelegram, body: dict[str, Any]) -> Any:
    return fake.user_sends_command(
        int(body["user_id"]),
        str(body["command"]),
        chat_id=_opt_chat(body),
        first_name=str(body.get("first_name", "Uji")),
        language_code=body.get("language_code", "id"),
    )


def _click(fake: FakeTelegram, body: dict[str, Any]) -> Any:
    user_id, chat_id = int(body["user_id"]), int(body["chat_id"])
    if body.get("label") is not None:
        return fake.click_button(user_id, chat_id, str(body["label"]))
    return fake.user_clicks(
        user_id,
        chat_id,
        int(body["message_id"]),
        str(body["callback_data"]),
        strict=bool(body.get("strict", True)),
    )


def _photo(fake: FakeTelegram, body: dict[str, Any]) -> Any:
    return fake.user_sends_photo(
        int(body["user_id"]),
        _bytes(body, b"\xff\xd8\xff\xe0fake-jpeg"),
        caption=body.get("caption"),
        chat_id=_opt_chat(body),
    )


def _document(fake: FakeTelegram, body: dict[str, Any]) -> Any:
    return fake.user_sends_document(
        int(body["user_id"]),
        _bytes(body, b"%PDF-1.4 fake"),
        str(body.get("filename", "dokumen.pdf")),
        str(body.get("mime_type", "application/pdf")),
        caption=body.get("caption"),
        chat_id=_opt_chat(body),
    )


def _sticker(fake: FakeTelegram, body: dict[str, Any]) -> Any:
    return fake.user_sends_sticker(int(body["user_id"]), chat_id=_opt_chat(body))


def _contact(fake: FakeTelegram, body: dict[str, Any]) -> Any:
    return fake.user_sends_contact(int(body["user_id"]), str(body["phone"]))


def _fail(fake: FakeTelegram, body: dict[str, Any]) -> Any:
    kind = _FAULT_KINDS.get(str(body.get("kind", "500")))
    if kind is None:
        raise ValueError(f"kind must be one of {sorted(_FAULT_KINDS)}")
    method = body.get("method")
    fake.fail_next(
        str(method) if method else None,
        int(body.get("n", 1)),
        kind,
        int(body.get("retry_after", 1)),
    )
    return True


def _clear_faults(fake: FakeTelegram, body: dict[str, Any]) -> Any:
    fake.clear_faults()
    return True


async def _messages(request: web.Request) -> web.StreamResponse:
    """List the bot's messages in ?chat_id= (add include_deleted=1 for deleted ones)."""
    try:
        chat_id = int(request.query["chat_id"])
    except (KeyError, ValueError):
        return web.json_response({"ok": False, "error": "chat_id is required"}, status=400)
    include_deleted = request.query.get("include_deleted", "") in {"1", "true"}
    found = _fake(request).messages(chat_id, include_deleted=include_deleted)
    return web.json_response([m.as_dict() for m in found])


async def _stats(request: web.Request) -> web.StreamResponse:
    """Return the fake's counters."""
    return web.json_response(_fake(request).stats())


def create_app(fake: FakeTelegram) -> web.Application:
    """Build the aiohttp application serving fake."""
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[FAKE_KEY] = fake
    app.router.add_route("*", "/bot{token}/{method}", _api)
    app.router.add_get("/file/bot{token}/{path:.+}", _file)
    controls: dict[str, Callable[[FakeTelegram, dict[str, Any]], Any]] = {
        "send_text": _send_text,
        "command": _command,
        "click": _click,
        "photo": _photo,
        "document": _document,
        "sticker": _sticker,
        "contact": _contact,
        "fail": _fail,
        "clear_faults": _clear_faults,
    }
    for name, action in controls.items():
        app.router.add_post(f"/_fake/{name}", _control(action))
    app.router.add_get("/_fake/messages", _messages)
    app.router.add_get("/_fake/stats", _stats)
    return app


async def start_server(
    fake: FakeTelegram, host: str = "127.0.0.1", port: int = 0
) -> tuple[web.AppRunner, str]:
    """Start serving fake; return the runner and the base URL (e.g. http://127.0.0.1:8081)."""
    runner, bound_port = await listen(
        create_app(fake), host, port, handler_cancellation=True, shutdown_timeout=2.0
    )
    return runner, f"http://{host}:{bound_port}"


async def stop_server(runner: web.AppRunner) -> None:
    """Release hung calls and stop the server."""
    fake = runner.app.get(FAKE_KEY)
    if fake is not None:
        fake.release_hung()
    await runner.cleanup()


async def _serve(host: str, port: int, token: str | None) -> None:
    """Run the fake server until SIGINT or SIGTERM."""
    fake = FakeTelegram(token=token)
    runner, base = await start_server(fake, host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    print(f"TELEGRAM_API_BASE_URL={base}/bot", flush=True)
    print(f"TELEGRAM_FILE_BASE_URL={base}/file/bot", flush=True)
    print(f"FAKE_CONTROL_URL={base}/_fake", flush=True)
    try:
        await stop.wait()
    finally:
        await stop_server(runner)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point: serve a fake Bot API until interrupted."""
    parser = argparse.ArgumentParser(description="Serve a fake Telegram Bot API on loopback.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=None, help="accept only this bot token")
    args = parser.parse_args(argv)
    asyncio.run(_serve(args.host, args.port, args.token))
    return 0


if __name__ == "__main__":
    sys.exit(main())
