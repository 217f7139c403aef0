"""The answer to a tracking code (every channel): the report's stage and what comes next."""

from __future__ import annotations

from bot.domain.tracking import STAGE_TEXT
from bot.i18n import Translator
from bot.presentation.progress import reporter_progress
from bot.presentation.texts import esc
from bot.services.context import Services
from bot.services.workflow import Workflow
from bot.store.cases import CaseRow

__all__ = ["not_found_text", "status_text", "too_many_text"]


def too_many_text(t: Translator) -> str:
    """Too many codes tried in the last hour."""
    return t.gettext("Too many attempts. Please try again in an hour, or call the unit.")


def not_found_text(t: Translator) -> str:
    """No report has that code."""
    return t.gettext(
        "No report was found with that code. Please check it: it has 12 letters and "
        "numbers, like KMXA-4PRT-9WYA."
    )


async def status_text(svc: Services, workflow: Workflow, case: CaseRow, t: Translator) -> str:
    """The report's number, when it was received, its stage and what comes next (the
    catalog's markup, without the neutral first line)."""
    office = svc.office(case.office_id)
    lines = [
        t.gettext("Report <b>{number}</b>", number=esc(case.number)),
        t.gettext("Received: {when}", when=t.datetime(case.received_at, office.timezone)),
    ]
    progress = await reporter_progress(svc, workflow, case, t)
    if progress:
        return "\n".join([*lines, progress])
    stage, following = STAGE_TEXT.get(case.stage, STAGE_TEXT["taken"])
    lines += [
        t.gettext("Status: {stage}", stage=t.translate(stage)),
        t.gettext(
            "Next: {next}",
            next=t.translate(following, due=t.datetime(case.first_response_due, office.timezone)),
        ),
    ]
    return "\n".join(lines)
