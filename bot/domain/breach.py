"""A personal data breach (UU 27/2022 Pasal 46): the deadline, the notice's required fields,
and how each data subject can be told without putting her at risk."""

from __future__ import annotations

from datetime import datetime, timedelta

__all__ = [
    "AUTHORITY_FIELDS",
    "NOTICE_WITHIN",
    "ROUTES",
    "contact_route",
    "notice_due",
]

# Pasal 46(1): written notice to the data subjects and the authority within 3 x 24 hours
NOTICE_WITHIN = timedelta(hours=72)

# Pasal 46(2): what the notice must say at least; the rest is what the authority will ask
AUTHORITY_FIELDS = (
    ("a", "Data pribadi yang terungkap (the personal data disclosed)"),
    ("b", "Kapan dan bagaimana data pribadi terungkap (when and how it was disclosed)"),
    ("c", "Upaya penanganan dan pemulihan (what is done to handle it and recover)"),
)

# how a data subject is told, from what she chose; never a channel she refused
ROUTES = {
    "bot": "message in her chat with the bot (she accepts normal messages)",
    "bot_neutral": "neutral message in her chat asking her to contact the unit; "
    "the content is told by phone or in person",
    "phone": "the unit calls her (she asked for no messages, or reported by phone)",
    "in_person": "in person at the next contact (no chat, no phone)",
}


def notice_due(recorded_at: datetime) -> datetime:
    """When the notices are due (3 x 24 hours after the breach was recorded)."""
    return recorded_at + NOTICE_WITHIN


def contact_route(has_chat: bool, notify_mode: str, has_phone: bool) -> str:
    """How to tell this case's data subject about the breach (a ROUTES key)."""
    if has_chat and notify_mode == "normal":
        return "bot"
    if has_chat and notify_mode == "neutral":
        return "bot_neutral"
    return "phone" if has_phone else "in_person"
