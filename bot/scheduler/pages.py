"""Reading a long list a page at a time (keyset), so that only one page is held."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from bot.services.context import Services
from bot.store import Tx

__all__ = ["PAGE", "pages"]

PAGE = 500  # rows read at once
_T = TypeVar("_T")


async def pages(
    svc: Services,
    read: Callable[[Tx, Any], Awaitable[list[_T]]],
    cursor: Callable[[_T], Any],
    size: int = PAGE,
) -> AsyncIterator[_T]:
    """Rows of ``read(conn, after)``, a page at a time: ``after`` is None first, then the
    ``cursor`` of the last row read; a page shorter than ``size`` (what ``read`` asks for)
    is the last. Each page is its own read, so
    other work runs between pages."""
    after: Any = None
    while True:
        async with svc.db.reading() as conn:
            page = await read(conn, after)
        for row in page:
            yield row
        if len(page) < size:
            return
        after = cursor(page[-1])
