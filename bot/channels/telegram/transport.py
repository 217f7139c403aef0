"""The bot's HTTP client for the Bot API: python-telegram-bot's request interface
(``BaseRequest``) over aiohttp's client, in place of PTB's default over httpx.

Every update costs the bot at least two Bot API calls (the getUpdates that brings it and the
reply). httpx, pure Python down to its HTTP parser, took about 0.9 ms of CPU per call on the
project's 2-vCPU machine; aiohttp's client, with its C parser, about 0.2 ms
(``bench/http_client.py``; docs/BENCHMARKS.md). aiohttp is already the bot's web server (the
webhook). Behaviour kept from PTB's ``HTTPXRequest``: the same default timeouts and pool sizes,
form-encoded parameters (multipart with files), proxies from the environment
(``HTTPS_PROXY``), and its errors: ``TimedOut`` for a timeout (connecting, or waiting for a
free connection, said so) and ``NetworkError`` for anything else that failed on the way.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

__all__ = ["AiohttpRequest"]


class AiohttpRequest(BaseRequest):
    """Bot API requests over one aiohttp client session (made at ``initialize``)."""

    __slots__ = ("_pool_size", "_proxies", "_session", "_timeouts")

    def __init__(
        self,
        *,
        pool_size: int = 1,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = pool_size
        self._timeouts = {
            "read": read_timeout,
            "write": write_timeout,
            "connect": connect_timeout,
            "pool": pool_timeout,
            "media_write": media_write_timeout,
        }
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str | None], str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        """The read timeout used when a call gives none."""
        return self._timeouts["read"]

    async def initialize(self) -> None:
        """Open the client session (again, after a shutdown)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                timeout=aiohttp.ClientTimeout(total=None),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        """Close the client session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def _proxy(self, url: str) -> str | None:
        """The proxy for the URL's scheme and host from the environment (``HTTPS_PROXY``,
        ``NO_PROXY``...; credentials in it as ``http://user:password@host:port``), read once
        per scheme and host (aiohttp's ``trust_env`` would read it, and look for a netrc file
        in a thread, on every request)."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname)
        if key not in self._proxies:
            bypass = parts.hostname is None or proxy_bypass(parts.hostname)
            self._proxies[key] = None if bypass else getproxies().get(parts.scheme)
        return self._proxies[key]

    def _timeout(self, given: Any, name: str) -> float | None:
        value = self._timeouts[name] if given is BaseRequest.DEFAULT_NONE else given
        return None if value is None else float(value)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One HTTP request; the status and the body (PTB reads Telegram's answer from them)."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data is not None and request_data.contains_files
        data: Any = None
        if request_data is not None:
            data = request_data.json_parameters
            if files:
                form = aiohttp.FormData(data)
                for name, (filename, content, mime) in request_data.multipart_data.items():
                    form.add_field(name, content, filename=filename, content_type=mime)
                data = form
        read = self._timeout(read_timeout, "read")
        # aiohttp has no write timeout: sending a file may take its write timeout on top of
        # the read timeout, as a whole
        write = self._timeout(write_timeout, "media_write" if files else "write")
        connect = self._timeout(connect_timeout, "connect")
        pool = self._timeout(pool_timeout, "pool")
        timeout = aiohttp.ClientTimeout(
            total=write + read if files and write and read else None,
            # aiohttp's ``connect`` is waiting for a free connection and making one
            connect=pool + connect if pool is not None and connect is not None else None,
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with session.request(
                method, url, data=data, timeout=timeout, proxy=self._proxy(url)
            ) as response:
                return response.status, await response.read()
        except aiohttp.ConnectionTimeoutError as exc:
            raise TimedOut(
                "Timed out connecting (or waiting for a free connection): not sent"
            ) from exc
        except TimeoutError as exc:  # aiohttp's read and connect timeouts too
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            # these two would print the URL, which holds the bot's token
            quiet = isinstance(exc, aiohttp.ClientResponseError | aiohttp.InvalidURL)
            detail = "" if quiet else f": {exc}"
            raise NetworkError(f"aiohttp.{type(exc).__name__}{detail}") from exc
