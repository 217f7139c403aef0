"""The WhatsApp wing: reporters on the WhatsApp Business Cloud API (staff stay on Telegram)."""

WHATSAPP = "whatsapp"
# a requester's address on WhatsApp as a rights request stores it: her person id, never her
# number (the answer's outbox row names it in the clear; the sender resolves it when sending)
PERSON_ADDRESS = "person:"

__all__ = ["PERSON_ADDRESS", "WHATSAPP", "person_of_address"]


def person_of_address(address: str | None) -> int | None:
    """The person id of a ``person:<id>`` address (None for anything else)."""
    if address is None or not address.startswith(PERSON_ADDRESS):
        return None
    ref = address.removeprefix(PERSON_ADDRESS)
    return int(ref) if ref.isdigit() else None
