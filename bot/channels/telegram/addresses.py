"""Where a recipient is on Telegram: people, staff groups and reporters resolved to chat ids.

Only the Telegram channel reads these addresses; services address notices to recipients
(bot/domain/notice.py) and never to chats.
"""

from __future__ import annotations

from bot.domain.notice import Recipient, RecipientKind
from bot.domain.office import Office
from bot.services.context import Services
from bot.store import Tx

__all__ = ["TELEGRAM", "TelegramAddresses", "staff_group_chat", "telegram_user"]

TELEGRAM = "telegram"


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        return None


def staff_group_chat(office: Office) -> int | None:
    """The Telegram group of an office's staff (from the office file's staff_chat_id)."""
    return _int(office.channel_address(TELEGRAM))


def telegram_user(recipient: Recipient) -> int | None:
    """The Telegram user a notice is for: a person, or a private chat given as an address."""
    if recipient.kind is RecipientKind.PERSON:
        return _int(recipient.ref)
    if recipient.kind is RecipientKind.ADDRESS and recipient.channel == TELEGRAM:
        chat = _int(recipient.channel_address)
        return chat if chat is not None and chat > 0 else None
    return None


class TelegramAddresses:
    """Resolves recipients to Telegram chat ids when a notice is sent."""

    def __init__(self, services: Services) -> None:
        self.svc = services

    def staff_chats(self) -> set[int]:
        """Every office's staff group."""
        chats = (staff_group_chat(o) for o in self.svc.offices.values())
        return {c for c in chats if c is not None}

    async def resolve(self, conn: Tx, recipient: Recipient) -> int | None:
        """The chat to send to (None: no Telegram address for this recipient)."""
        if recipient.kind is RecipientKind.PERSON:
            return _int(recipient.ref)  # the roster's id for a person is their Telegram id
        if recipient.kind is RecipientKind.STAFF_GROUP:
            office = self.svc.offices.get(recipient.ref)
            return None if office is None else staff_group_chat(office)
        if recipient.kind is RecipientKind.REPORTER:
            handle = await self.svc.cases.reporter(conn, int(recipient.ref))
            return _int(handle.address) if handle and handle.channel == TELEGRAM else None
        if recipient.channel == TELEGRAM:
            return _int(recipient.channel_address)
        return None
