"""A python-telegram-bot request backend that answers from a FakeTelegram in-process."""

from __future__ import annotations

import asyncio
import json
import re
from urllib.parse import unquote, urlsplit

from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.testing.fake_telegram import FakeConnectionDroppedError, FakeTelegram
from bot.testing.fake_telegram.protocol import Files

__all__ = ["FakeRequest"]

_FILE_PATH = re.compile(r"/file/bot(?P<token>[^/]+)/(?P<path>.+)$")
_API_PATH = re.compile(r"/bot(?P<token>[^/]+)/(?P<method>[A-Za-z0-9_]+)/?$")
_NOT_FOUND = b'{"ok":false,"error_code":404,"description":"Not Found"}'


class FakeRequest(BaseRequest):
    """Route Bot API calls and file downloads to a FakeTelegram without any network."""

    def __init__(self, fake: FakeTelegram, *, read_timeout: float | None = 5.0) -> None:
        self.fake = fake
        self._read_timeout = read_timeout
        self._closed = False

    @property
    def read_timeout(self) -> float | None:
        """Return the default read timeout in seconds."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Mark the request usable (nothing to open)."""
        self._closed = False

    async def shutdown(self) -> None:
        """Mark the request closed (nothing to release)."""
        self._closed = True

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Answer one request from the fake, mapping hangs and drops to PTB's errors."""
        path = urlsplit(url).path
        file_match = _FILE_PATH.search(path)
        if file_match:
            data = self.fake.download(unquote(file_match["token"]), unquote(file_match["path"]))
            return (200, data) if data is not None else (404, _NOT_FOUND)
        api_match = _API_PATH.search(path)
        if api_match is None:
            return 404, _NOT_FOUND
        # what the bot's HTTP layer encodes (PTB's HTTPXRequest reads the same properties)
        params: dict[str, object] = dict(request_data.json_parameters) if request_data else {}
        files: Files = {}
        if request_data is not None and request_data.contains_files:
            for name, (filename, content, mime) in request_data.multipart_data.items():
                raw = content if isinstance(content, bytes) else content.read()
                files[name] = (filename, raw, mime)
        timeout = self._read_timeout if read_timeout is BaseRequest.DEFAULT_NONE else read_timeout
        return await self.answer(
            api_match["token"], api_match["method"], params, files, seconds=timeout
        )

    async def answer(
        self, token: str, method: str, params: dict[str, object], files: Files, *, seconds: object
    ) -> tuple[int, bytes]:
        """Telegram's side of one call: the fake answers, and its answer is encoded."""
        try:
            async with asyncio.timeout(seconds if isinstance(seconds, int | float) else None):
                status, body = await self.fake.call(token, method, params, files)
        except TimeoutError:
            raise TimedOut from None
        except FakeConnectionDroppedError as err:
            raise NetworkError("aiohttp.ServerDisconnectedError: Server disconnected") from err
        return status, json.dumps(body).encode()
