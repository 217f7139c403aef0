"""What the outbox sender does when Telegram refuses a message for good.

- A person's message: the row fails and the office's staff group is told (``delivery_failed``).
- A staff group that Telegram moved (a group made a supergroup answers ``ChatMigrated`` with
  its new chat id): the new id is recorded for the office (read before the office file), the
  message is sent again there, and the head is told privately to update ``staff_chat_id``.
- A staff group the bot cannot reach (removed from it: ``Forbidden``): the head(s) are told
  privately and it is logged, once per office per day however many messages fail.

Logs carry office ids, chat ids of staff groups, row ids and kinds: never a message's text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from bot.channels.telegram.addresses import TelegramAddresses
from bot.domain.notice import Notice, Recipient, RecipientKind
from bot.domain.office import Office, Role
from bot.services.context import Services
from bot.services.outreach import page_undeliverable
from bot.store import Tx
from bot.store.outbox import OutboxItem

__all__ = ["DeliveryFailures"]

log = logging.getLogger(__name__)


class DeliveryFailures:
    """Failed rows, moved staff groups and unreachable staff groups."""

    def __init__(
        self, services: Services, addresses: TelegramAddresses, kick: Callable[[], None]
    ) -> None:
        self.svc = services
        self.addresses = addresses
        self.kick = kick
        self._logged: set[tuple[str, str]] = set()  # (office, day) an unreachable group logged

    async def fail(self, chat_id: int, items: Iterable[OutboxItem], error: str) -> None:
        """Mark rows failed for good; tell the office's staff group unless that is the recipient."""
        now = self.svc.clock.now()
        to_staff = chat_id < 0 or chat_id in self.addresses.staff_chats()
        alerted = 0
        async with self.svc.db.transaction() as conn:
            for item in items:
                await self.svc.outbox.mark_failed(conn, item.id, error)
                log.error("outbox: %s (row %s) failed for good: %s", item.kind, item.id, error)
                if (
                    to_staff
                    or item.kind == "delivery_failed"
                    or item.recipient.kind is RecipientKind.STAFF_GROUP
                ):
                    continue
                office, number = await self._office_of(conn, item)
                if office is None or self.addresses.staff_chat(office) is None:
                    continue
                notice = Notice(
                    kind="delivery_failed",
                    recipient=Recipient.staff_group(office.id),
                    params={"kind": item.kind, "case_number": number},
                    dedupe_key=f"delivery_failed:{item.id}",
                    language=office.language,
                )
                await self.svc.outbox.add(conn, notice, at=now)
                alerted += 1
        for item in items:  # an urgent page nobody can receive: page the next person now
            if item.kind == "outreach_page":
                await page_undeliverable(
                    self.svc, int(item.payload["outreach_id"]), int(item.payload.get("level", 0))
                )
        if alerted:
            self.kick()

    async def _office_of(self, conn: Tx, item: OutboxItem) -> tuple[Office | None, str | None]:
        """The office a row belongs to (by its case, payload or the only office) and case number."""
        office_id = item.payload.get("office_id")
        number: str | None = None
        if item.case_id is not None:
            found = await self.svc.outbox.case_office(conn, item.case_id)
            if found is not None:
                office_id, number = found
        if office_id in self.svc.offices:
            return self.svc.offices[str(office_id)], number
        if len(self.svc.offices) == 1:
            return next(iter(self.svc.offices.values())), number
        log.error("outbox: no office known for failed row %s; staff not told", item.id)
        return None, number

    async def _tell_heads(
        self, conn: Tx, office: Office, kind: str, key: str, **params: object
    ) -> None:
        now = self.svc.clock.now()
        for head in sorted(office.people_with(Role.KETUA)):
            notice = Notice(
                kind=kind,
                recipient=Recipient.person(head),
                params={"office_id": office.id, **params},
                dedupe_key=f"{kind}:{office.id}:{key}:{head}",
                language=office.language,
            )
            await self.svc.outbox.add(conn, notice, at=now)

    async def migrated(self, chat_id: int, new_chat: int) -> bool:
        """A group answered ChatMigrated: record the new id for its office(s); True: send again."""
        offices = self.addresses.offices_of_chat(chat_id)
        if not offices and new_chat in self.addresses.staff_chats():
            return True  # already followed (a row resolved to the old id before the move)
        if not offices:
            log.warning("outbox: chat %s moved to %s; no office's staff group", chat_id, new_chat)
            return False
        async with self.svc.db.transaction() as conn:
            for office in offices:
                await self.addresses.record_move(conn, office, new_chat, self.svc.clock.now())
                await self._tell_heads(
                    conn, office, "group_migrated", str(new_chat), old=chat_id, new=new_chat
                )
                log.warning(
                    "outbox: staff group of office %s moved from %s to %s; sending there now",
                    office.id, chat_id, new_chat,
                )  # fmt: skip
        self.kick()
        return True

    async def unreachable(self, chat_id: int, error: str) -> None:
        """The bot cannot write to a staff group: tell the head(s), once per office per day."""
        offices = self.addresses.offices_of_chat(chat_id)
        if not offices:
            return
        now = self.svc.clock.now()
        async with self.svc.db.transaction() as conn:
            for office in offices:
                day = now.astimezone(office.tz).date().isoformat()
                await self._tell_heads(conn, office, "group_unreachable", day, chat=chat_id)
                if (office.id, day) not in self._logged:
                    self._logged.add((office.id, day))
                    log.error(
                        "outbox: staff group %s of office %s unreachable (%s); head told",
                        chat_id, office.id, error,
                    )  # fmt: skip
        self.kick()
