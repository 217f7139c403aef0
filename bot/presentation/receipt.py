"""The receipt after a complaint is submitted: its number, the tracking code, what comes next."""

from __future__ import annotations

from bot.domain.office import Office
from bot.i18n import Translator
from bot.presentation.texts import esc, office_contacts
from bot.services.intake import SubmitResult

__all__ = ["receipt_text"]


def receipt_text(
    t: Translator,
    result: SubmitResult,
    office: Office,
    *,
    staff: bool = False,
    child: bool = False,
    failed: int = 0,
    refused: int = 0,
) -> str:
    """The receipt in the catalog's markup (without the neutral first line: the caller adds
    it for a reporter)."""
    lines = [
        t.gettext("<b>The complaint has been recorded.</b>")
        if staff
        else t.gettext("<b>We have your report.</b> You were brave. We will help you.")
        if child
        else t.gettext("<b>Your report has been received.</b> Thank you for your courage."),
        "",
        t.gettext("Case number: <b>{number}</b>", number=esc(result.number)),
        t.gettext("Tracking code: <code>{code}</code>", code=esc(result.tracking_code)),
        t.gettext(
            "Keep this code somewhere safe. Anyone with it can check the status with "
            "/status {code}.",
            code=esc(result.tracking_code),
        ),
        "",
    ]
    if result.urgent:
        lines.append(t.gettext("This report is marked URGENT; staff have been alerted."))
    elif not result.open_now:
        lines.append(
            t.gettext(
                "The office is closed now; staff will answer from {when}.",
                when=t.datetime(result.next_opening, office.timezone),
            )
        )
    lines.append(
        t.gettext(
            "A complaint officer will respond by {when}.",
            when=t.datetime(result.first_response_due, office.timezone),
        )
    )
    if refused:
        lines.append(
            t.gettext(
                "{n} file(s) were not kept because their content is not a photo, PDF or Word "
                "document, voice note, audio or video. If they matter, please show them to "
                "the officer when they contact you.",
                n=refused,
            )
        )
    if failed:
        lines.append(
            t.gettext(
                "{n} file(s) could not be saved; please send them again to the "
                "officer when they contact you.",
                n=failed,
            )
        )
    lines += ["", office_contacts(t, office)]
    return "\n".join(lines)
