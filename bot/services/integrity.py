"""Alerts for rows that fail their MAC: the log, the audit log and the office's heads, once each.

What fails is already refused by the store (bot/store/integrity.py); this tells people. Ids and
table names only: a failure carries no personal data.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from bot.domain.notice import Notice, Recipient
from bot.domain.office import Role
from bot.store.audit import append_audit
from bot.store.db import Tx
from bot.store.integrity import IntegrityFailure

if TYPE_CHECKING:
    from bot.services.context import Services

__all__ = ["INTEGRITY_ACTOR", "accept_current", "alert_failures"]

log = logging.getLogger(__name__)

INTEGRITY_ACTOR = "system:integrity"


async def alert_failures(svc: Services, conn: Tx, failures: Iterable[IntegrityFailure]) -> int:
    """Log, audit and tell the heads of each failure not yet alerted by this process."""
    now = svc.clock.now()
    count = 0
    for failure in failures:
        key = failure.key()
        if key in svc.integrity_alerted:
            continue
        svc.integrity_alerted.add(key)
        count += 1
        log.error(
            "integrity: %s of office %s (%s) fails its MAC: written without the key; refused",
            failure.table, failure.office_id, failure.ref,
        )  # fmt: skip
        await append_audit(
            conn,
            at=now,
            actor=INTEGRITY_ACTOR,
            action="integrity_failed",
            detail=f"{failure.table}:{failure.office_id}:{failure.ref}:{failure.fingerprint}",
        )
        office = svc.offices.get(failure.office_id)
        if office is None:
            continue
        for head in sorted(office.people_with(Role.KETUA)):
            await svc.outbox.add(
                conn,
                Notice(
                    kind="integrity_alert",
                    recipient=Recipient.person(head),
                    params={"office_id": office.id, "table": failure.table},
                    dedupe_key=f"integrity_alert:{key}:{head}",
                    language=office.language,
                ),
                at=now,
            )
    return count


async def accept_current(svc: Services, actor: str = "admin:cli") -> None:
    """After an alert, once the operator has looked: seal each office's approved roster changes
    as they are now and rebuild the roster from the office file and the signed decisions.

    A row that fails its MAC is never re-signed here, so it stays refused; what this accepts is
    that a decision may be missing (a deleted removal: the head removes the person again).
    """
    async with svc.db.transaction() as conn:
        for office_id in sorted(svc.offices):
            await svc.roster.reseal_changes(conn, office_id)
        await append_audit(conn, at=svc.clock.now(), actor=actor, action="integrity_accepted",
                           detail=",".join(sorted(svc.offices)))  # fmt: skip
    svc.integrity_alerted.clear()
    await svc.load_roster()
