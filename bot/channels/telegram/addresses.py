"""Where a recipient is on Telegram: people, staff groups and reporters resolved to chat ids.

Only the Telegram channel reads these addresses; services address notices to recipients
(bot/domain/notice.py) and never to chats.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.domain.identity import Handle
from bot.domain.notice import Recipient, RecipientKind
from bot.domain.office import Office
from bot.services.context import Services
from bot.services.persons import person_for
from bot.store import Tx
from bot.store.group_addresses import GroupAddressStore

__all__ = [
    "TELEGRAM",
    "TelegramAddresses",
    "chat_recipient",
    "person_of",
    "staff_group_chat",
    "telegram_person",
]

TELEGRAM = "telegram"


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        return None


def staff_group_chat(office: Office, moved: Mapping[str, int] | None = None) -> int | None:
    """The Telegram group of an office's staff: where Telegram moved it (``moved``, from the
    store), else the office file's staff_chat_id."""
    if moved is not None and office.id in moved:
        return moved[office.id]
    return _int(office.channel_address(TELEGRAM))


def person_of(recipient: Recipient) -> int | None:
    """The person a notice is for (None: a group, a reporter or a raw address)."""
    return _int(recipient.ref) if recipient.kind is RecipientKind.PERSON else None


async def chat_recipient(svc: Services, chat_id: int) -> Recipient:
    """Whom to queue a message to a chat for: a private chat's person (no Telegram id is
    stored in the outbox), or a group's raw address."""
    if chat_id > 0:  # a private chat's id is its user's id
        return Recipient.person(await person_for(svc, Handle(TELEGRAM, str(chat_id))))
    return Recipient.address(TELEGRAM, chat_id)


async def telegram_person(svc: Services, user_id: int) -> int:
    """The person of a Telegram user id (as staff type it: the office file's numbers)."""
    return await person_for(svc, Handle(TELEGRAM, str(user_id)))


class TelegramAddresses:
    """Resolves recipients to Telegram chat ids when a notice is sent."""

    def __init__(self, services: Services) -> None:
        self.svc = services
        self.groups = GroupAddressStore(services.cipher)
        # office id -> its staff group's new chat id after a migration (read from the store)
        self.moved: dict[str, int] = {}

    async def load(self, conn: Tx) -> None:
        """Read the staff groups that moved (another process may have recorded one); a row
        failing its MAC is not followed (the office file's group stands) and is alerted on."""
        rows = await self.groups.all(conn, TELEGRAM)
        self.moved = {o: c for o, a in rows.items() if (c := _int(a)) is not None}
        await self.svc.alert_integrity(conn, self.groups.take_failures())

    async def record_move(self, conn: Tx, office: Office, new_chat: int, at: datetime) -> None:
        """The office's staff group is now ``new_chat`` (Telegram made it a supergroup)."""
        old = self.staff_chat(office)
        await self.groups.record(
            conn, office.id, TELEGRAM, str(new_chat), None if old is None else str(old), at
        )
        self.moved[office.id] = new_chat

    def staff_chat(self, office: Office) -> int | None:
        """The office's staff group now: where it moved, else the office file's."""
        return staff_group_chat(office, self.moved)

    def offices_of_chat(self, chat_id: int) -> list[Office]:
        """The offices whose staff group is ``chat_id``."""
        return [o for o in self.svc.offices.values() if self.staff_chat(o) == chat_id]

    def staff_chats(self) -> set[int]:
        """Every office's staff group."""
        chats = (self.staff_chat(o) for o in self.svc.offices.values())
        return {c for c in chats if c is not None}

    async def resolve(self, conn: Tx, recipient: Recipient) -> int | None:
        """The chat to send to (None: no Telegram address for this recipient)."""
        if recipient.kind is RecipientKind.PERSON:
            person = _int(recipient.ref)
            handle = (
                None if person is None else await self.svc.persons.handle(conn, person, TELEGRAM)
            )
            return _int(handle.address) if handle is not None else None
        if recipient.kind is RecipientKind.STAFF_GROUP:
            office = self.svc.offices.get(recipient.ref)
            return None if office is None else self.staff_chat(office)
        if recipient.kind is RecipientKind.REPORTER:
            handle = await self.svc.cases.reporter(conn, int(recipient.ref))
            return _int(handle.address) if handle and handle.channel == TELEGRAM else None
        if recipient.channel == TELEGRAM:
            return _int(recipient.channel_address)
        return None
