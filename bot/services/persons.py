"""Who acts: a channel's handle turned into the person id every use case takes."""

from __future__ import annotations

from bot.domain.identity import Handle
from bot.services.context import Services

__all__ = ["handle_of", "person_for"]

# handles seen by this process (the mapping stays in memory; the database keeps it encrypted)
_CACHE_LIMIT = 50_000


async def person_for(svc: Services, handle: Handle) -> int:
    """The person with this handle, created on first sight."""
    key = handle.key()
    cached = svc.person_cache.get(key)
    if cached is not None:
        return cached
    async with svc.db.reading() as conn:
        found = await svc.persons.find(conn, handle)
    if found is None:
        async with svc.db.transaction() as conn:
            found = await svc.persons.ensure(conn, handle, svc.clock.now())
    if len(svc.person_cache) >= _CACHE_LIMIT:
        svc.person_cache.clear()
    svc.person_cache[key] = found
    return found


async def handle_of(svc: Services, person_id: int, channel: str) -> Handle | None:
    """The person's handle on a channel (None: they have none there, or were forgotten)."""
    async with svc.db.reading() as conn:
        return await svc.persons.handle(conn, person_id, channel)
