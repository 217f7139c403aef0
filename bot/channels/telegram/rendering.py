"""The Telegram channel's renderer catalog: outbox kind -> text and buttons (and a digest line)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup

from bot.i18n import Translator
from bot.store import Tx
from bot.store.outbox import OutboxItem

__all__ = ["CheckFn", "LineFn", "RenderFn", "Rendered", "Renderer", "RendererCatalog"]

Rendered = tuple[str, InlineKeyboardMarkup | None]
RenderFn = Callable[[OutboxItem, Translator], Awaitable[Rendered | None]]
LineFn = Callable[[OutboxItem, Translator, str | None], str]
CheckFn = Callable[[Tx, OutboxItem], Awaitable[bool]]


@dataclass(frozen=True)
class Renderer:
    """How one kind is rendered; with ``line`` its rows may be merged into a digest."""

    render: RenderFn
    line: LineFn | None = None


class RendererCatalog:
    """Kind -> renderer, and the checks that cancel rows no longer wanted before sending."""

    def __init__(
        self, table: Mapping[str, Renderer] | None = None, checks: Iterable[CheckFn] = ()
    ) -> None:
        self._table: dict[str, Renderer] = dict(table or {})
        self.checks: list[CheckFn] = list(checks)

    def register(self, kind: str, render: RenderFn, line: LineFn | None = None) -> None:
        """Add or replace a kind."""
        self._table[kind] = Renderer(render, line)

    def add_check(self, check: CheckFn) -> None:
        """Rows for which ``check`` answers False are cancelled before sending."""
        self.checks.append(check)

    def get(self, kind: str) -> Renderer | None:
        """The renderer of a kind (None if unknown)."""
        return self._table.get(kind)

    def line(self, kind: str) -> LineFn | None:
        """The digest line of a kind (None: never merged)."""
        entry = self._table.get(kind)
        return None if entry is None else entry.line

    def kinds(self) -> frozenset[str]:
        """Every kind known."""
        return frozenset(self._table)
