"""``status KODE`` on WhatsApp (with or without a slash): the report's stage in plain words."""

from __future__ import annotations

import re
from typing import Any

from bot.channels.whatsapp.messages import wa_format
from bot.domain.tracking import MAX_TRIES_PER_HOUR, status_try_allowed
from bot.i18n import Translator
from bot.presentation.preview import for_reporter
from bot.presentation.status import not_found_text, status_text, too_many_text
from bot.services.context import Services
from bot.services.status import find_by_code
from bot.services.workflow import Workflow

__all__ = ["MAX_TRIES_PER_HOUR", "STATUS_WORD", "status_reply"]

STATUS_WORD = re.compile(r"^/?(status|cek|lacak)\b\s*(?P<code>.*)$", re.IGNORECASE | re.DOTALL)


async def status_reply(
    svc: Services, workflow: Workflow, t: Translator, state: dict[str, Any], code: str
) -> tuple[str, int | None]:
    """The answer to ``status KODE`` (the tries of the last hour counted in ``state``), and
    the case found (None: none)."""
    text = await _status_text(svc, workflow, t, state, code)
    return (text, None) if isinstance(text, str) else text


async def _status_text(
    svc: Services, workflow: Workflow, t: Translator, state: dict[str, Any], code: str
) -> str | tuple[str, int]:
    if not code.strip():
        return for_reporter(
            t,
            t.gettext(
                "Send *status* followed by your tracking code, for example: status KMXA-4PRT-9WYA"
            ),
        )
    if not status_try_allowed(state, svc.clock.now()):
        return for_reporter(t, too_many_text(t))
    case = await find_by_code(svc, code[:40])
    if case is None:
        return for_reporter(t, not_found_text(t))
    body = await status_text(svc, workflow, case, t)
    return wa_format(for_reporter(t, body)), case.id
