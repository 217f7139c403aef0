"""``status KODE`` on WhatsApp (with or without a slash): the report's stage in plain words."""

from __future__ import annotations

import re
from typing import Any

from bot.channels.whatsapp.messages import wa_format
from bot.domain.tracking import MAX_TRIES_PER_HOUR, STAGE_TEXT, status_try_allowed
from bot.i18n import Translator
from bot.presentation.preview import for_reporter
from bot.presentation.progress import reporter_progress
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
        return for_reporter(
            t, t.gettext("Too many attempts. Please try again in an hour, or call the unit.")
        )
    case = await find_by_code(svc, code[:40])
    if case is None:
        return for_reporter(
            t,
            t.gettext(
                "No report was found with that code. Please check it: it has 12 letters and "
                "numbers, like KMXA-4PRT-9WYA."
            ),
        )
    office = svc.office(case.office_id)
    lines = [
        wa_format(t.gettext("Report <b>{number}</b>", number=case.number)),
        t.gettext("Received: {when}", when=t.datetime(case.received_at, office.timezone)),
    ]
    progress = await reporter_progress(svc, workflow, case, t)
    if progress:
        return for_reporter(t, "\n".join([*lines, wa_format(progress)])), case.id
    stage, following = STAGE_TEXT.get(case.stage, STAGE_TEXT["taken"])
    lines += [
        t.gettext("Status: {stage}", stage=t.translate(stage)),
        t.gettext(
            "Next: {next}",
            next=t.translate(following, due=t.datetime(case.first_response_due, office.timezone)),
        ),
    ]
    return for_reporter(t, "\n".join(lines)), case.id
