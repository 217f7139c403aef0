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
from bot.store.route_macs import adopt_routing, routing_adoption_pending

if TYPE_CHECKING:
    from bot.services.context import Services

__all__ = [
    "INTEGRITY_ACTOR",
    "accept_current",
    "adopt_routing_rows",
    "alert_failures",
    "alert_routing",
    "routing_failures",
]

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
        if failure.office_id:
            offices = [o for o in [svc.offices.get(failure.office_id)] if o is not None]
        else:  # a row that names no office (a message about no case, a reporter's handle)
            offices = [svc.offices[o] for o in sorted(svc.offices)]
        for office, head in [(o, p) for o in offices for p in sorted(o.people_with(Role.KETUA))]:
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


def routing_failures(svc: Services) -> list[IntegrityFailure]:
    """What the stores refused since the last call: queued messages, contact modes, handles.

    A failure names its office when its row does (a case's); a person's handle is alerted to
    the heads of each office where the person is on the roster; anything else (a message about
    no case, a reporter's handle) to the heads of every office: someone wrote to the database.
    """
    found: list[IntegrityFailure] = []
    for failure in [
        *svc.outbox.take_failures(),
        *svc.cases.take_failures(),
        *svc.persons.take_failures(),
    ]:
        if failure.office_id:
            found.append(failure)
            continue
        person = failure.ref.split(":")[1] if failure.ref.startswith("person:") else ""
        offices = [
            o.id for o in svc.offices.values() if person.isdigit() and o.is_staff(int(person))
        ]
        found.extend(
            IntegrityFailure(failure.table, oid, failure.ref, failure.fingerprint)
            for oid in sorted(offices)
        )
        if not offices:
            found.append(failure)  # no office: every office's heads (alert_failures)
    return found


async def alert_routing(svc: Services) -> None:
    """Alert (once each) what the stores refused since the last call."""
    failures = routing_failures(svc)
    if failures and not all(f.key() in svc.integrity_alerted for f in failures):
        async with svc.db.transaction() as conn:
            await alert_failures(svc, conn, failures)


async def adopt_routing_rows(svc: Services, conn: Tx) -> None:
    """Sign the routing fields of the rows from before their MACs, once: at the first start
    after the migration, while no row is signed yet."""
    if not await routing_adoption_pending(conn):
        return
    signed = await adopt_routing(conn, svc.cipher)
    if signed is None:
        log.error("integrity: unsigned routing rows wait, but signed rows exist: not signed")
        return
    await append_audit(conn, at=svc.clock.now(), actor=INTEGRITY_ACTOR,
                       action="integrity_adopted", detail=f"routing rows={signed}")  # fmt: skip
    log.warning("integrity: %d routing rows from before the upgrade signed", signed)


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
