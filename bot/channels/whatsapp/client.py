"""A thin client of the WhatsApp Cloud API on aiohttp: send a message, fetch a media file."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp

__all__ = ["GraphClient", "GraphError", "GraphFailed", "GraphRetry"]

log = logging.getLogger(__name__)

# Meta's error codes that say "slow down" (throughput and rate limits)
_THROTTLE_CODES = frozenset({4, 80007, 130429, 131048, 131056})
_MAX_MEDIA = 20 * 1024 * 1024


class GraphError(Exception):
    """The Graph API did not take the request."""


class GraphRetry(GraphError):
    """A temporary failure (429, 5xx, unreachable): try again after ``delay`` seconds."""

    def __init__(self, reason: str, delay: float) -> None:
        super().__init__(reason)
        self.delay = delay


class GraphFailed(GraphError):
    """A permanent failure (bad request, the number is not on WhatsApp): never retried."""


def _error_code(body: Any) -> int | None:
    err = body.get("error") if isinstance(body, dict) else None
    code = err.get("code") if isinstance(err, dict) else None
    return code if isinstance(code, int) else None


class GraphClient:
    """Calls ``{base}/{phone-number-id}/messages`` and ``{base}/{media-id}`` with the token."""

    def __init__(self, base_url: str, token: str, phone_number_id: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.phone_number_id = phone_number_id
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=30),
                headers={"Authorization": f"Bearer {self._token}"},
            )
        return self._session

    async def close(self) -> None:
        """Close the connection pool."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, message: dict[str, Any], *, via: str | None = None) -> str:
        """Send one message (the JSON of the Cloud API) from the number ``via`` (default: the
        configured one); returns Meta's message id."""
        url = f"{self.base_url}/{via or self.phone_number_id}/messages"
        body = {"messaging_product": "whatsapp", **message}
        try:
            async with self._http().post(url, json=body) as resp:
                data = await resp.json(content_type=None)
                status, retry_after = resp.status, resp.headers.get("Retry-After")
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise GraphRetry(type(exc).__name__, 0.0) from None
        if status == 200 and isinstance(data, dict):
            ids = data.get("messages") or []
            if ids and isinstance(ids[0], dict) and isinstance(ids[0].get("id"), str):
                return str(ids[0]["id"])
            raise GraphRetry("no message id", 0.0)
        self._raise(status, data, retry_after)
        raise AssertionError("unreachable")

    @staticmethod
    def _raise(status: int, data: Any, retry_after: str | None) -> None:
        code = _error_code(data)
        if status == 429 or code in _THROTTLE_CODES:
            try:
                delay = float(retry_after) if retry_after else 60.0
            except ValueError:
                delay = 60.0
            raise GraphRetry(f"throttled ({code or status})", delay)
        if status >= 500:
            raise GraphRetry(f"HTTP {status}", 0.0)
        raise GraphFailed(f"HTTP {status} code {code}")

    async def media(self, media_id: str) -> tuple[bytes, str]:
        """A media file she sent (bytes, MIME type): its URL first, then the file itself."""
        try:
            async with self._http().get(f"{self.base_url}/{media_id}") as resp:
                info = await resp.json(content_type=None)
                if resp.status != 200 or not isinstance(info, dict):
                    self._raise(resp.status, info, resp.headers.get("Retry-After"))
            url, mime = str(info.get("url", "")), str(info.get("mime_type", ""))
            size = int(info.get("file_size") or 0)
            if not url or size > _MAX_MEDIA:
                raise GraphFailed("media too large or without URL")
            async with self._http().get(url) as resp:
                if resp.status != 200:
                    self._raise(resp.status, None, resp.headers.get("Retry-After"))
                data = await resp.content.read(_MAX_MEDIA + 1)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise GraphRetry(type(exc).__name__, 0.0) from None
        if len(data) > _MAX_MEDIA:
            raise GraphFailed("media too large")
        return data, mime
