"""Longer texts shared by the channels (emergency numbers, welcome, an office's contacts)."""

from __future__ import annotations

import html

from bot.domain.office import Office
from bot.i18n import Translator

__all__ = ["child_welcome_text", "emergency_text", "esc", "office_contacts", "welcome_text"]


def esc(value: object) -> str:
    """A value in the catalog's markup (HTML-escaped; WhatsApp unescapes it again)."""
    return html.escape(str(value), quote=False)


def emergency_text(t: Translator) -> str:
    """Emergency numbers, always the same everywhere in Indonesia."""
    return t.gettext(
        "<b>If someone is in danger now, call for help at once:</b>\n"
        "• Emergency: <b>112</b>\n"
        "• Police: <b>110</b>\n"
        "• SAPA 129 (Ministry for Women and Child Protection): call <b>129</b> "
        "or WhatsApp <b>08111-129-129</b>"
    )


def child_welcome_text(t: Translator) -> str:
    """For a child reporter, before anything else: she did right, and SAPA 129."""
    return t.gettext(
        "Thank you for telling us. You did the right thing. What happened is not your fault.\n\n"
        "If you are in danger or scared now, call <b>129</b> (SAPA, free) or WhatsApp "
        "<b>08111-129-129</b>. In an emergency call <b>112</b>.\n\n"
        "We will ask a few short questions. You can skip any you don't want to answer."
    )


def office_contacts(t: Translator, office: Office) -> str:
    """An office's own complaint numbers."""
    lines = [f"<b>{esc(office.name)}</b>"]
    if office.phones:
        lines.append(t.gettext("Phone: {numbers}", numbers=esc(", ".join(office.phones))))
    if office.whatsapp:
        lines.append(t.gettext("WhatsApp: {numbers}", numbers=esc(", ".join(office.whatsapp))))
    return "\n".join(lines)


def welcome_text(t: Translator) -> str:
    """What the service is, that it is free, and who reads a report (as the consent says)."""
    return (
        t.gettext(
            "<b>Welcome.</b> This is the complaint service of the women and child protection "
            "units (UPTD PPA). You can report violence against a woman or a child here: "
            "physical, psychological or sexual violence, neglect, exploitation, trafficking "
            "or domestic violence.\n\n"
            "The service is <b>free</b>. The unit stores what you tell us encrypted; it is "
            "read by the unit's staff who handle your case, and not shared with anyone else "
            "without your agreement, except where the law requires it (for example to protect "
            "a child). Your messages pass through the servers of the company that runs this "
            "chat app, outside Indonesia. Before you send a report you see the full privacy "
            "notice; with /status and your tracking code you can see what we hold, ask for a "
            "correction, restrict its use, withdraw your consent or ask us to delete it."
        )
        + "\n\n"
        + emergency_text(t)
    )
