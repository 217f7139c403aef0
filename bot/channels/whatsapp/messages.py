"""Cloud API message bodies: text, reply buttons (≤3), lists (≤10 rows), the news template."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BODY_MAX",
    "BUTTONS_MAX",
    "ROWS_MAX",
    "Choice",
    "choice_messages",
    "template",
    "text",
    "wa_format",
]

BUTTONS_MAX = 3
ROWS_MAX = 10
BODY_MAX = 1024  # an interactive message's body
_TEXT_MAX = 4096
_BUTTON_TITLE = 20
_ROW_TITLE = 24
_ROW_DESCRIPTION = 72

_TAGS = ((re.compile(r"</?b>"), "*"), (re.compile(r"</?i>"), "_"), (re.compile(r"</?code>"), "```"))


def wa_format(markup: str) -> str:
    """Telegram-style HTML (the catalog's texts) as WhatsApp text: *bold*, _italic_."""
    out = markup
    for pattern, mark in _TAGS:
        out = pattern.sub(mark, out)
    return html.unescape(re.sub(r"<[^>]+>", "", out))


@dataclass(frozen=True)
class Choice:
    """An answer she can pick: its id (comes back in the reply) and its full label."""

    id: str
    label: str


def text(body: str) -> dict[str, Any]:
    """A plain text message (long texts are cut by the caller into several)."""
    return {"type": "text", "text": {"body": body[:_TEXT_MAX], "preview_url": False}}


def _cut(label: str, size: int) -> str:
    return label if len(label) <= size else label[: size - 1].rstrip() + "…"


def choice_messages(body: str, choices: list[Choice], *, pick: str) -> list[dict[str, Any]]:
    """The question and its choices: reply buttons when they fit (≤3, short labels), else
    lists of ≤10 rows each. Every choice is sent, none dropped; a label too long for a row's
    title is whole in the row's description, and the numbered list in the text is whole too.
    """
    out: list[dict[str, Any]] = []
    if len(body) > BODY_MAX:  # the question as text first, the choices below it
        out.append(text(body))
        body = pick
    if not choices:
        return [*out, text(body)] if not out else out
    if len(choices) <= BUTTONS_MAX and all(len(c.label) <= _BUTTON_TITLE for c in choices):
        buttons = [{"type": "reply", "reply": {"id": c.id, "title": c.label}} for c in choices]
        out.append(
            {
                "type": "interactive",
                "interactive": {
                    "type": "button",
                    "body": {"text": body},
                    "action": {"buttons": buttons},
                },
            }
        )
        return out
    parts = [choices[i : i + ROWS_MAX] for i in range(0, len(choices), ROWS_MAX)]
    for n, part in enumerate(parts):
        rows = []
        for c in part:
            row: dict[str, Any] = {"id": c.id, "title": _cut(c.label, _ROW_TITLE)}
            if len(c.label) > _ROW_TITLE:
                row["description"] = _cut(c.label, _ROW_DESCRIPTION)
            rows.append(row)
        shown = body if n == 0 else f"{pick} ({n + 1}/{len(parts)})"
        out.append(
            {
                "type": "interactive",
                "interactive": {
                    "type": "list",
                    "body": {"text": shown},
                    "action": {"button": _cut(pick, _BUTTON_TITLE), "sections": [{"rows": rows}]},
                },
            }
        )
    return out


def template(name: str, language: str) -> dict[str, Any]:
    """An approved template without parameters (the neutral "there is news" message)."""
    code = {"id": "id", "en": "en"}.get(language, "id")
    return {"type": "template", "template": {"name": name, "language": {"code": code}}}
