"""A neutral first line for every message to a reporter: a shared phone's lock screen shows it.

The lock screen and the notification list preview the start of a message. Whatever the
message says, it starts with a line that names no case number, no violence and no report.
"""

from __future__ import annotations

from bot.i18n import Translator

__all__ = ["for_reporter", "neutral_first_line"]


def neutral_first_line(t: Translator) -> str:
    """The line a lock screen may show."""
    return t.gettext("A message from the service")


def for_reporter(t: Translator, text: str) -> str:
    """``text`` below the neutral first line (never twice)."""
    first = neutral_first_line(t)
    if text.startswith(first + "\n"):
        return text
    return f"{first}\n{text}"
