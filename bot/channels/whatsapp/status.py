"""``status KODE`` on WhatsApp (with or without a slash): the report's stage in plain words."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from bot.channels.telegram.handlers.reporter_progress import reporter_progress
from bot.channels.telegram.preview import for_reporter
from bot.channels.whatsapp.messages import wa_format
from bot.domain.i18n_marker import N_
from bot.i18n import Translator
from bot.services.context import Services
from bot.services.status import find_by_code
from bot.services.workflow import Workflow

__all__ = ["MAX_TRIES_PER_HOUR", "STATUS_WORD", "status_reply"]

MAX_TRIES_PER_HOUR = 10
STATUS_WORD = re.compile(r"^/?(status|cek|lacak)\b\s*(?P<code>.*)$", re.IGNORECASE | re.DOTALL)

_STAGE_TEXT = {
    "received": (
        N_("Received. It is waiting for a complaint officer."),
        N_("A complaint officer will respond by {due}."),
    ),
    "taken": (
        N_("A complaint officer is handling the report."),
        N_(
            "The unit will decide the next service with you (counselling, legal help, "
            "accompaniment or mediation)."
        ),
    ),
}


def _allowed(state: dict[str, Any], now: datetime) -> bool:
    recent = [
        x
        for x in state.get("status_tries", [])
        if now - datetime.fromisoformat(x) < timedelta(hours=1)
    ]
    allowed = len(recent) < MAX_TRIES_PER_HOUR
    if allowed:
        recent.append(now.isoformat())
    state["status_tries"] = recent
    return allowed


async def status_reply(
    svc: Services, workflow: Workflow, t: Translator, state: dict[str, Any], code: str
) -> str:
    """The answer to ``status KODE`` (the tries of the last hour counted in ``state``)."""
    if not code.strip():
        return for_reporter(
            t,
            t.gettext(
                "Send *status* followed by your tracking code, for example: status KMXA-4PRT-9WYA"
            ),
        )
    if not _allowed(state, svc.clock.now()):
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
        return for_reporter(t, "\n".join([*lines, wa_format(progress)]))
    stage, following = _STAGE_TEXT.get(case.stage, _STAGE_TEXT["taken"])
    lines += [
        t.gettext("Status: {stage}", stage=t.translate(stage)),
        t.gettext(
            "Next: {next}",
            next=t.translate(following, due=t.datetime(case.first_response_due, office.timezone)),
        ),
    ]
    return for_reporter(t, "\n".join(lines))
