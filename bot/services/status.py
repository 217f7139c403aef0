"""What a reporter may learn with a tracking code: the stage, in plain words."""

from __future__ import annotations

from bot.domain.codes import normalise_tracking_code
from bot.services.context import Services
from bot.store.cases import CaseRow

__all__ = ["find_by_code"]


async def find_by_code(svc: Services, text: str) -> CaseRow | None:
    """The case for a typed tracking code, or None (bad format or unknown)."""
    code = normalise_tracking_code(text)
    if code is None:
        return None
    async with svc.db.reading() as conn:
        return await svc.cases.by_tracking_code(conn, code)
