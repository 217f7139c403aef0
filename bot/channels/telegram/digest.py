"""Digest messages: many notices into one chat at once become one message listing a line each."""

from __future__ import annotations

from collections.abc import Callable

from bot.channels.telegram.rendering import LineFn
from bot.i18n import Translator
from bot.store.outbox import OutboxItem

__all__ = ["DIGEST_MAX_CHARS", "digest_texts"]

DIGEST_MAX_CHARS = 3500


def digest_texts(
    items: list[OutboxItem],
    t: Translator,
    numbers: dict[int, str],
    line_of: Callable[[OutboxItem], LineFn],
) -> list[tuple[str, list[OutboxItem]]]:
    """Digest messages (each under Telegram's length limit) listing one line per row."""
    ordered = sorted(items, key=lambda i: (i.kind != "urgent_alert", i.id))
    lines = [(line_of(i)(i, t, numbers.get(i.case_id) if i.case_id else None), i) for i in ordered]
    footer = t.gettext("No buttons here: open a case with /kasus and its number.")
    chunks: list[list[tuple[str, OutboxItem]]] = [[]]
    size = len(footer) + 100
    for line, item in lines:
        if chunks[-1] and size + len(line) + 1 > DIGEST_MAX_CHARS:
            chunks.append([])
            size = len(footer) + 100
        chunks[-1].append((line, item))
        size += len(line) + 1
    out: list[tuple[str, list[OutboxItem]]] = []
    for part, chunk in enumerate(chunks, start=1):
        head = t.ngettext(
            "📋 <b>{n} notice at once</b>", "📋 <b>{n} notices at once</b>", len(chunk)
        )
        if len(chunks) > 1:
            head += f" ({part}/{len(chunks)})"
        body = "\n".join(line for line, _ in chunk)
        out.append((f"{head}\n{body}\n\n{footer}", [item for _, item in chunk]))
    return out
