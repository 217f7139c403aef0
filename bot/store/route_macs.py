"""Keyed MACs over the fields that route personal data: a queued message's recipient, whether
and how a reporter may be contacted, and a person's channel address (security review #5).

Each MAC binds the value to its row's identity (the outbox row's id and purpose, the case's id
and number, the person), so a value written without the key, or moved or swapped between rows,
fails. Readers verify: a failing row is refused (not sent, not contacted, not recognised) and an
``IntegrityFailure`` (ids only) is kept for the caller to alert on. Rows written before these
MACs existed are signed once at the first start after the migration (``adopt_routing``); a key
rotation re-signs what holds under the old key and never what fails (``resign_*_batch``).
"""

from __future__ import annotations

import hashlib
import logging

from bot.crypto import Cipher
from bot.store.db import Tx
from bot.store.integrity import IntegrityFailure, fingerprint

__all__ = [
    "HANDLE_KIND",
    "NOTIFY_KIND",
    "OUTBOX_KIND",
    "ROUTE_MAC_COLUMNS",
    "FailureList",
    "NotifyMacs",
    "adopt_routing",
    "handle_failure",
    "handle_fields",
    "notify_fields",
    "outbox_fields",
    "payload_digest",
    "resign_case_batch",
    "resign_handle_batch",
    "resign_outbox_batch",
    "routing_adoption_pending",
]

log = logging.getLogger(__name__)

OUTBOX_KIND = "outbox.recipient"
NOTIFY_KIND = "cases.notify_mode"
HANDLE_KIND = "person_handles"

# the MAC columns these add (the key rotation re-signs them)
ROUTE_MAC_COLUMNS = frozenset(
    {("outbox", "recipient_mac"), ("cases", "notify_mac"), ("person_handles", "handle_mac")}
)

# failures kept for alerting at most (a reader nobody drains must not grow without end)
_MAX_KEPT = 100


class FailureList:
    """The failures a store saw since the caller last took them (ids and fingerprints only)."""

    def __init__(self) -> None:
        self.items: list[IntegrityFailure] = []
        self._logged: set[str] = set()  # a row read again is refused again, logged once

    def add(self, failure: IntegrityFailure) -> None:
        """Keep one failure (the oldest are kept when too many wait)."""
        if failure.key() not in self._logged:
            if len(self._logged) >= 10 * _MAX_KEPT:
                self._logged.clear()
            self._logged.add(failure.key())
            log.warning(
                "integrity: %s %s fails its MAC: written without the key; refused",
                failure.table, failure.ref,
            )  # fmt: skip
        if len(self.items) < _MAX_KEPT:
            self.items.append(failure)

    def take(self) -> list[IntegrityFailure]:
        """The failures seen since the last call (and forget them)."""
        found, self.items = self.items, []
        return found


class NotifyMacs:
    """The contact-mode MAC of cases (``CaseStore`` is one): sign, verify, keep failures."""

    cipher: Cipher
    failures: FailureList

    def take_failures(self) -> list[IntegrityFailure]:
        """Cases refused since the last call (for the alert)."""
        return self.failures.take()

    def _notify_ok(self, case_id: int, number: str, office_id: str, mode: str, mac: object) -> bool:
        """Whether a case's contact mode is as the bot wrote it; a failure is kept."""
        fields = notify_fields(case_id, number, mode)
        if self.cipher.mac_ok(NOTIFY_KIND, fields, None if mac is None else str(mac)):
            return True
        self.failures.add(IntegrityFailure("cases", office_id, str(case_id), fingerprint(fields)))
        return False

    async def _sign_notify(self, conn: Tx, case_id: int, number: str, mode: str) -> None:
        """Bind a case's contact mode to the case (its id and number)."""
        mac = self.cipher.mac(NOTIFY_KIND, notify_fields(case_id, number, mode))
        await conn.execute("UPDATE cases SET notify_mac = ? WHERE id = ?", (mac, case_id))


def payload_digest(plaintext: bytes) -> str:
    """What of a queued message's content its MAC covers (moving a payload between rows fails)."""
    return hashlib.sha256(plaintext).hexdigest()


def outbox_fields(
    row_id: int, recipient: str, channel: str, kind: str, case_id: int | None, digest: str
) -> tuple[object, ...]:
    """The fields of an outbox row its recipient MAC covers."""
    return (int(row_id), recipient, channel, kind, case_id, digest)


def notify_fields(case_id: int, number: str, notify_mode: str) -> tuple[object, ...]:
    """The fields of a case its contact-mode MAC covers."""
    return (int(case_id), number, notify_mode)


def handle_fields(person_id: int, channel: str, address: str) -> tuple[object, ...]:
    """The fields of a person's handle its MAC covers (the address in the clear)."""
    return (int(person_id), channel, address)


def _handle_context(channel: str) -> bytes:
    return f"person-handle:{channel}".encode()


# -- signing the rows from before the MACs, once --------------------------------------------


async def routing_adoption_pending(tx: Tx) -> bool:
    """Whether rows written before these MACs existed still wait to be signed once."""
    async with tx.execute("SELECT 1 FROM storemac_migration LIMIT 1") as cur:
        return await cur.fetchone() is not None


async def _any_signed(tx: Tx) -> bool:
    for sql in (
        "SELECT 1 FROM cases WHERE notify_mac IS NOT NULL LIMIT 1",
        "SELECT 1 FROM outbox WHERE recipient_mac IS NOT NULL LIMIT 1",
        "SELECT 1 FROM person_handles WHERE handle_mac IS NOT NULL LIMIT 1",
    ):
        async with tx.execute(sql) as cur:
            if await cur.fetchone() is not None:
                return True
    return False


async def adopt_routing(tx: Tx, cipher: Cipher) -> int | None:
    """Sign the rows from before these MACs (at the start that migrated). None, signing
    nothing, when a row is signed already: integrity was established and someone put the
    migration's flag back."""
    if await _any_signed(tx):
        return None
    count = 0
    async with tx.execute("SELECT id, number, notify_mode FROM cases") as cur:
        cases = [(int(r[0]), str(r[1]), str(r[2])) for r in await cur.fetchall()]
    for case_id, number, mode in cases:
        mac = cipher.mac(NOTIFY_KIND, notify_fields(case_id, number, mode))
        await tx.execute("UPDATE cases SET notify_mac = ? WHERE id = ?", (mac, case_id))
        count += 1
    async with tx.execute(
        "SELECT id, recipient, channel, kind, case_id, payload_enc FROM outbox"
        " WHERE status = 'pending'"
    ) as cur:
        rows = [tuple(r) for r in await cur.fetchall()]
    for row in rows:
        plain = cipher.decrypt(bytes(row[5]), context=b"outbox:" + str(row[3]).encode())
        fields = outbox_fields(row[0], row[1], row[2], row[3], row[4], payload_digest(plain))
        await tx.execute(
            "UPDATE outbox SET recipient_mac = ? WHERE id = ?",
            (cipher.mac(OUTBOX_KIND, fields), row[0]),
        )
        count += 1
    async with tx.execute("SELECT id, person_id, channel, address_enc FROM person_handles") as cur:
        handles = [(int(r[0]), int(r[1]), str(r[2]), bytes(r[3])) for r in await cur.fetchall()]
    for row_id, person_id, channel, blob in handles:
        address = cipher.decrypt(blob, context=_handle_context(channel)).decode()
        mac = cipher.mac(HANDLE_KIND, handle_fields(person_id, channel, address))
        await tx.execute("UPDATE person_handles SET handle_mac = ? WHERE id = ?", (mac, row_id))
        count += 1
    await tx.execute("DELETE FROM storemac_migration")
    return count


# -- key rotation: re-sign in batches what holds under the old key (or already the new) ------


def _resign(old: Cipher, new: Cipher, kind: str, fields: tuple[object, ...], mac: object) -> bool:
    text = None if mac is None else str(mac)
    return old.mac_ok(kind, fields, text) or new.mac_ok(kind, fields, text)


async def resign_case_batch(
    tx: Tx, old: Cipher, new: Cipher, after: int, limit: int
) -> tuple[int, int, int]:
    """Re-sign the contact mode of the next cases by id: (last id, re-signed, failing)."""
    async with tx.execute(
        "SELECT id, number, notify_mode, notify_mac FROM cases WHERE id > ? ORDER BY id LIMIT ?",
        (after, limit),
    ) as cur:
        rows = [tuple(r) for r in await cur.fetchall()]
    signed = failing = 0
    for row in rows:
        fields = notify_fields(int(row[0]), str(row[1]), str(row[2]))
        if _resign(old, new, NOTIFY_KIND, fields, row[3]):
            await tx.execute(
                "UPDATE cases SET notify_mac = ? WHERE id = ?",
                (new.mac(NOTIFY_KIND, fields), row[0]),
            )
            signed += 1
        else:
            failing += 1
    return (int(rows[-1][0]) if rows else after), signed, failing


async def resign_outbox_batch(
    tx: Tx, old: Cipher, new: Cipher, after: int, limit: int
) -> tuple[int, int, int]:
    """Re-sign the recipients of the next pending outbox rows by id (``new`` decrypts the
    payload under either key): (last id, re-signed, failing)."""
    async with tx.execute(
        "SELECT id, recipient, channel, kind, case_id, payload_enc, recipient_mac FROM outbox"
        " WHERE status = 'pending' AND id > ? ORDER BY id LIMIT ?",
        (after, limit),
    ) as cur:
        rows = [tuple(r) for r in await cur.fetchall()]
    signed = failing = 0
    for row in rows:
        try:
            plain = new.decrypt(bytes(row[5]), context=b"outbox:" + str(row[3]).encode())
        except ValueError:
            failing += 1
            continue
        fields = outbox_fields(row[0], row[1], row[2], row[3], row[4], payload_digest(plain))
        if _resign(old, new, OUTBOX_KIND, fields, row[6]):
            await tx.execute(
                "UPDATE outbox SET recipient_mac = ? WHERE id = ?",
                (new.mac(OUTBOX_KIND, fields), row[0]),
            )
            signed += 1
        else:
            failing += 1
    return (int(rows[-1][0]) if rows else after), signed, failing


async def resign_handle_batch(
    tx: Tx, old: Cipher, new: Cipher, after: int, limit: int
) -> tuple[int, int, int]:
    """Re-sign the next person handles by id (``new`` decrypts under either key)."""
    async with tx.execute(
        "SELECT id, person_id, channel, address_enc, handle_mac FROM person_handles"
        " WHERE id > ? ORDER BY id LIMIT ?",
        (after, limit),
    ) as cur:
        rows = [tuple(r) for r in await cur.fetchall()]
    signed = failing = 0
    for row in rows:
        channel = str(row[2])
        try:
            address = new.decrypt(bytes(row[3]), context=_handle_context(channel)).decode()
        except ValueError:
            failing += 1
            continue
        fields = handle_fields(int(row[1]), channel, address)
        if _resign(old, new, HANDLE_KIND, fields, row[4]):
            await tx.execute(
                "UPDATE person_handles SET handle_mac = ? WHERE id = ?",
                (new.mac(HANDLE_KIND, fields), row[0]),
            )
            signed += 1
        else:
            failing += 1
    return (int(rows[-1][0]) if rows else after), signed, failing


def handle_failure(person_id: int, channel: str, values: tuple[object, ...]) -> IntegrityFailure:
    """A person's handle that failed its MAC (the office is unknown here: the caller maps it)."""
    return IntegrityFailure(HANDLE_KIND, "", f"person:{person_id}:{channel}", fingerprint(values))
