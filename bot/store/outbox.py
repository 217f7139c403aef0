"""Outbox: notices caused by state changes, written in the same transaction.

A row names its recipient by key (see bot/domain/notice.py) and the channel that sends it;
the channel resolves the recipient to an address when it sends. Row status: 'pending'
(waiting), 'sent' (the channel accepted it), 'failed' (permanent failure) or 'cancelled'
(its case was closed before it went out).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.crypto import Cipher
from bot.domain.notice import Notice, Recipient, RecipientKind
from bot.store.cases import CaseStore
from bot.store.db import Row, Tx
from bot.store.integrity import IntegrityFailure, fingerprint
from bot.store.route_macs import OUTBOX_KIND, FailureList, outbox_fields, payload_digest

__all__ = [
    "DEFAULT_CHANNEL",
    "STATUSES",
    "OutboxItem",
    "OutboxStore",
    "case_status",
    "mediation_slot",
    "step_round",
]

STATUSES = ("pending", "sent", "failed", "cancelled")
DEFAULT_CHANNEL = "telegram"


@dataclass(frozen=True)
class OutboxItem:
    """One message waiting to be sent."""

    id: int
    recipient: Recipient
    channel: str
    kind: str
    case_id: int | None
    language: str
    payload: dict[str, Any]
    attempts: int


class OutboxStore:
    """Queue of outgoing messages; payloads encrypted (they may name a case's details)."""

    def __init__(self, cipher: Cipher, channel: str = DEFAULT_CHANNEL) -> None:
        self.cipher = cipher
        self.channel = channel  # the channel of notices to people, groups and reporters
        self.failures = FailureList()  # rows whose recipient MAC failed (for the alert)
        # moves with every row queued through this store (committed or not): a sender that
        # saw nothing due may skip reading the outbox until it moves (OutboxSender.drain)
        self.added = 0

    async def add(
        self, conn: Tx, notice: Notice, *, at: datetime, channel: str | None = None
    ) -> None:
        """Queue a notice; a repeated dedupe key is ignored (idempotent handlers).

        The channel: the one given, a raw address's own, the channel the case's reporter wrote
        from (a notice to her goes where she is), else the default.
        """
        self.added += 1  # before the insert: a drain reading after it sees the row
        channel = channel or notice.recipient.channel or await self._reporter_channel(conn, notice)
        context = b"outbox:" + notice.kind.encode()
        plain = _payload_bytes(dict(notice.params))
        cur = await conn.execute(
            "INSERT OR IGNORE INTO outbox (created_at, recipient, channel, kind, case_id,"
            " dedupe_key, language, payload_enc, not_before) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                at.isoformat(),
                notice.recipient.key(),
                channel,
                notice.kind,
                notice.case_id,
                notice.dedupe_key,
                notice.language,
                self.cipher.encrypt(plain, context=context),
                (notice.not_before or at).isoformat(),
            ),
        )
        if cur.rowcount == 1 and cur.lastrowid is not None:
            await self._sign(conn, int(cur.lastrowid), notice, channel, payload_digest(plain))

    async def _sign(self, conn: Tx, row_id: int, notice: Notice, channel: str, digest: str) -> None:
        """Bind the new row's recipient to the row (its id, channel, kind, case and content)."""
        fields = outbox_fields(
            row_id, notice.recipient.key(), channel, notice.kind, notice.case_id, digest
        )
        await conn.execute(
            "UPDATE outbox SET recipient_mac = ? WHERE id = ?",
            (self.cipher.mac(OUTBOX_KIND, fields), row_id),
        )

    async def _verified(self, conn: Tx, r: Row) -> dict[str, Any] | None:
        """A due row's payload if its recipient MAC holds; else the row fails (never sent)."""
        plain = self.cipher.decrypt(r["payload_enc"], context=b"outbox:" + r["kind"].encode())
        fields = outbox_fields(
            r["id"], r["recipient"], r["channel"], r["kind"], r["case_id"], payload_digest(plain)
        )
        if self.cipher.mac_ok(OUTBOX_KIND, fields, r["recipient_mac"]):
            value = json.loads(plain.decode("utf-8"))
            assert isinstance(value, dict)
            return value
        office = await self.case_office(conn, r["case_id"]) if r["case_id"] is not None else None
        self.failures.add(
            IntegrityFailure(
                "outbox", "" if office is None else office[0], str(r["id"]), fingerprint(fields)
            )
        )
        await self.mark_failed(conn, int(r["id"]), "integrity: recipient MAC fails")
        return None

    def take_failures(self) -> list[IntegrityFailure]:
        """Rows refused since the last call (for the alert)."""
        return self.failures.take()

    async def _reporter_channel(self, conn: Tx, notice: Notice) -> str:
        if notice.recipient.kind is not RecipientKind.REPORTER:
            return self.channel
        handle = await CaseStore(self.cipher).reporter(conn, int(notice.recipient.ref))
        return handle.channel if handle is not None else self.channel

    async def enqueue(
        self,
        conn: Tx,
        *,
        recipient: Recipient,
        kind: str,
        payload: dict[str, Any],
        at: datetime,
        language: str = "id",
        case_id: int | None = None,
        dedupe_key: str | None = None,
        not_before: datetime | None = None,
        channel: str | None = None,
    ) -> None:
        """Queue a channel-level message (the Telegram wing's deferred replies, deletions)."""
        notice = Notice(
            kind=kind,
            recipient=recipient,
            params=payload,
            dedupe_key=dedupe_key,
            language=language,
            case_id=case_id,
            not_before=not_before,
        )
        await self.add(conn, notice, at=at, channel=channel)

    async def retrying(self, conn: Tx, now: datetime, channel: str) -> dict[str, int]:
        """Recipients with a message waiting to be tried again (recipient key -> its row id,
        the oldest): what was queued for them after it must wait too, to keep their order."""
        async with conn.execute(
            "SELECT recipient, MIN(id) FROM outbox WHERE status = 'pending' AND attempts > 0"
            " AND not_before > ? AND channel = ? GROUP BY recipient",
            (now.isoformat(), channel),
        ) as cur:
            return {str(r[0]): int(r[1]) for r in await cur.fetchall()}

    async def due(
        self,
        conn: Tx,
        now: datetime,
        limit: int = 50,
        channel: str = DEFAULT_CHANNEL,
    ) -> list[OutboxItem]:
        """Pending messages of one channel whose time has come, oldest first."""
        async with conn.execute(
            "SELECT id, recipient, channel, kind, case_id, language, payload_enc, attempts,"
            " recipient_mac FROM outbox WHERE status = 'pending' AND not_before <= ?"
            " AND channel = ? ORDER BY id LIMIT ?",
            (now.isoformat(), channel, limit),
        ) as cur:
            rows = await cur.fetchall()
        items = []
        for r in rows:
            payload = await self._verified(conn, r)
            if payload is not None:
                items.append(
                    OutboxItem(
                        id=r["id"],
                        recipient=Recipient.parse(r["recipient"]),
                        channel=r["channel"],
                        kind=r["kind"],
                        case_id=r["case_id"],
                        language=r["language"],
                        attempts=r["attempts"],
                        payload=payload,
                    )
                )
        return items

    async def mark_sent(
        self,
        conn: Tx,
        item_id: int,
        at: datetime,
        message_id: int | str | None,
    ) -> None:
        """The channel accepted the message (``message_id``: the channel's id for it)."""
        await self.mark_sent_many(conn, [item_id], at, message_id)

    async def mark_retry(
        self, conn: Tx, item_id: int, now: datetime, delay: timedelta, error: str
    ) -> None:
        """A temporary failure: try again later."""
        await conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, not_before = ?, last_error = ?"
            " WHERE id = ?",
            ((now + delay).isoformat(), error[:200], item_id),
        )

    async def mark_failed(self, conn: Tx, item_id: int, error: str) -> None:
        """A permanent failure (blocked, chat gone): never retried."""
        await conn.execute(
            "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?"
            " WHERE id = ?",
            (error[:200], item_id),
        )

    async def mark_sent_many(
        self,
        conn: Tx,
        item_ids: Iterable[int],
        at: datetime,
        message_id: int | str | None,
    ) -> None:
        """The channel accepted one message (e.g. a digest) standing for several rows."""
        provider_id = None if message_id is None else str(message_id)
        await conn.executemany(
            "UPDATE outbox SET status = 'sent', sent_at = ?, provider_message_id = ?,"
            " attempts = attempts + 1 WHERE id = ?",
            [(at.isoformat(), provider_id, item_id) for item_id in item_ids],
        )

    async def mark_cancelled(self, conn: Tx, item_id: int, reason: str) -> None:
        """No longer to be sent (its case closed, its step done): kept for the record."""
        await conn.execute(
            "UPDATE outbox SET status = 'cancelled', last_error = ? WHERE id = ?",
            (reason[:200], item_id),
        )

    async def cancel_closed(self, conn: Tx) -> int:
        """Cancel pending rows written before their case was closed; returns how many."""
        cur = await conn.execute(
            "UPDATE outbox SET status = 'cancelled', last_error = 'case closed'"
            " WHERE status = 'pending' AND case_id IN"
            " (SELECT c.id FROM cases c WHERE c.status = 'closed'"
            "  AND (c.closed_at IS NULL OR c.closed_at > outbox.created_at))"
        )
        return cur.rowcount

    async def cancel_for_person(self, conn: Tx, recipient_key: str, office_id: str) -> int:
        """Cancel pending rows about an office's cases addressed to one person."""
        cur = await conn.execute(
            "UPDATE outbox SET status = 'cancelled', last_error = 'removed from the roster'"
            " WHERE status = 'pending' AND recipient = ?"
            " AND case_id IN (SELECT id FROM cases WHERE office_id = ?)",
            (recipient_key, office_id),
        )
        return cur.rowcount

    async def case_numbers(self, conn: Tx, case_ids: Iterable[int]) -> dict[int, str]:
        """Case numbers (not personal data) by case id."""
        ids = sorted(set(case_ids))
        found: dict[int, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            async with conn.execute(
                f"SELECT id, number FROM cases WHERE id IN ({marks})", chunk
            ) as cur:
                for row in await cur.fetchall():
                    found[int(row[0])] = str(row[1])
        return found

    async def case_office(self, conn: Tx, case_id: int) -> tuple[str, str] | None:
        """A case's office id and number (neither is personal data), None if unknown."""
        async with conn.execute(
            "SELECT office_id, number FROM cases WHERE id = ?", (case_id,)
        ) as cur:
            row = await cur.fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    async def next_due(self, conn: Tx, channel: str = DEFAULT_CHANNEL) -> datetime | None:
        """When the first pending message of one channel may go (None: nothing pending)."""
        async with conn.execute(
            "SELECT MIN(not_before) FROM outbox WHERE status = 'pending' AND channel = ?",
            (channel,),
        ) as cur:
            row = await cur.fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] is not None else None

    async def count_due(self, conn: Tx, now: datetime, channel: str = DEFAULT_CHANNEL) -> int:
        """How many pending messages of one channel may go now."""
        async with conn.execute(
            "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND not_before <= ?"
            " AND channel = ?",
            (now.isoformat(), channel),
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def status_counts(self, conn: Tx) -> dict[str, int]:
        """Rows per status (every status present, zero when none)."""
        counts = dict.fromkeys(STATUSES, 0)
        async with conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status") as cur:
            for row in await cur.fetchall():
                counts[str(row[0])] = int(row[1])
        return counts

    async def pending_count(self, conn: Tx) -> int:
        """How many messages wait."""
        async with conn.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0


def _payload_bytes(params: object) -> bytes:
    """A payload as ``Cipher.encrypt_json`` encodes it (the bytes its MAC digest covers)."""
    return json.dumps(params, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# -- what a queued reminder's relevance depends on (read before it is sent) ----------------------


async def case_status(conn: Tx, case_id: int) -> str | None:
    """A case's status (None if unknown)."""
    async with conn.execute("SELECT status FROM cases WHERE id = ?", (case_id,)) as cur:
        row = await cur.fetchone()
    return None if row is None else str(row["status"])


async def step_round(conn: Tx, step_id: int) -> tuple[str, int] | None:
    """A step's status and how many times it was extended (None if unknown)."""
    sql = "SELECT status, extended_count FROM steps WHERE id = ?"
    async with conn.execute(sql, (step_id,)) as cur:
        row = await cur.fetchone()
    return None if row is None else (str(row["status"]), int(row["extended_count"]))


async def mediation_slot(conn: Tx, mediation_id: int) -> tuple[str, datetime] | None:
    """A mediation's status and time (None if unknown)."""
    sql = "SELECT status, scheduled_at FROM mediations WHERE id = ?"
    async with conn.execute(sql, (mediation_id,)) as cur:
        row = await cur.fetchone()
    if row is None:
        return None
    return str(row["status"]), datetime.fromisoformat(row["scheduled_at"])
