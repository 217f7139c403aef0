"""The consent text the reporter agrees to, versioned: the version is stored with the case."""

from __future__ import annotations

from bot.domain.i18n_marker import N_

__all__ = ["CONSENT_TEXTS", "CONSENT_VERSION", "LEGAL_BASIS", "RETENTION_NOTE", "consent_text"]

# The legal basis the unit relies on (UU 27/2022 Pasal 20(2): a public body's task); the
# reporter's agreement is asked as well, and recorded with its version.
LEGAL_BASIS = "public_task"

# Every text ever shown, by version: a stored case names the one its reporter agreed to.
# A changed text gets a new version (never edit an old one: cases point at it).
CONSENT_TEXTS: dict[str, str] = {
    # the text before versioning (cases stored then have no version: NULL)
    "2025-01": N_(
        "Consent. The unit will keep what you told us safely and use it only to help "
        "the victim. Only staff of the unit who handle the case can read it. It is not "
        "shared with anyone else without your agreement, except where the law requires "
        "it to protect a child. Do you agree?"
    ),
    "2026-03": N_(
        "Consent and privacy.\n"
        "• Who reads it: only the staff of the protection unit (UPTD PPA) who handle this "
        "case. It is not shared with anyone else without your agreement, except where the "
        "law requires it (for example to protect a child or for the police and the court).\n"
        "• The chat app: your messages pass through the servers of the company that runs "
        "this chat app, outside Indonesia (UU 27/2022 Pasal 56). The unit stores the "
        "report encrypted.\n"
        "• Why the unit may keep it: it is the unit's public task to protect women and "
        "children (UU 27/2022 Pasal 20(2)); we also ask for your agreement.\n"
        "• Your rights: with /status and your tracking code you can see what we hold, ask "
        "for a correction or ask us to delete it.\n"
        "Do you agree?"
    ),
    # the rights now name restriction (Pasal 11) and withdrawal of consent (Pasal 9)
    "2026-04": N_(
        "Consent and privacy.\n"
        "• Who reads it: only the staff of the protection unit (UPTD PPA) who handle this "
        "case. It is not shared with anyone else without your agreement, except where the "
        "law requires it (for example to protect a child or for the police and the court).\n"
        "• The chat app: your messages pass through the servers of the company that runs "
        "this chat app, outside Indonesia (UU 27/2022 Pasal 56). The unit stores the "
        "report encrypted.\n"
        "• Why the unit may keep it: it is the unit's public task to protect women and "
        "children (UU 27/2022 Pasal 20(2)); we also ask for your agreement.\n"
        "• Your rights: with /status and your tracking code you can see what we hold, ask "
        "for a correction, restrict its use, withdraw your consent or ask us to delete it.\n"
        "Do you agree?"
    ),
}

CONSENT_VERSION = "2026-04"

# how long data is kept, filled with the office's retention settings
RETENTION_NOTE = N_(
    "How long: a closed case is deleted {days} days after it is closed (this unit's "
    "setting); an unfinished report is deleted after {draft_days} days."
)


def consent_text(version: str | None = None) -> str:
    """The message id of a version's consent text (the current one by default)."""
    return CONSENT_TEXTS[version or CONSENT_VERSION]
