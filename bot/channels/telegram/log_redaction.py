"""Log redaction: python-telegram-bot's DEBUG logs never carry message content."""

from __future__ import annotations

import logging

__all__ = ["install_log_redaction"]


_REDACTED = "<redacted>"


class _RedactTelegramPayloads(logging.Filter):
    """python-telegram-bot logs request parameters and updates at DEBUG: keep only the method."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = str(record.msg)
        if isinstance(record.args, tuple) and record.args:
            if msg.startswith(("Calling Bot API endpoint", "Call to Bot API endpoint")):
                record.args = (record.args[0], _REDACTED)
            elif msg.startswith(("Processing update", "Dropping pending update")):
                record.args = (_REDACTED,)
        return True


_PAYLOAD_LOGGERS = ("telegram.Bot", "telegram.ext.ExtBot", "telegram.ext.Application")


def install_log_redaction() -> None:
    """Make python-telegram-bot's DEBUG logs carry no message content (idempotent)."""
    for name in _PAYLOAD_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactTelegramPayloads) for f in logger.filters):
            logger.addFilter(_RedactTelegramPayloads())
