"""Tests speak of staff by their Telegram user id; the bot knows them as persons."""

from __future__ import annotations

from bot.domain.identity import Handle
from bot.services.context import Services
from bot.services.persons import person_for

__all__ = ["person", "same_ids_for_staff"]


async def person(svc: Services, telegram_user_id: int) -> int:
    """The person id of a Telegram user (created on first use, as when they first write)."""
    return await person_for(svc, Handle("telegram", str(telegram_user_id)))


async def same_ids_for_staff(svc: Services) -> None:
    """Service-level tests: give each office-file staff member the person id equal to their
    Telegram id, so that tests with no channel can name staff by the file's numbers.

    Only for tests that never go through a channel (the channel tests use ``person``)."""
    now = svc.clock.now()
    async with svc.db.transaction() as conn:
        for uid in svc.file_staff():
            if await svc.persons.find(conn, Handle("telegram", str(uid))) is None:
                await svc.persons.create_as(conn, uid, now)
                await svc.persons.attach(conn, uid, Handle("telegram", str(uid)))
    await svc.load_roster()
