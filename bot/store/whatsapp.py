"""SQL of the WhatsApp channel: its inbox, each reporter's session, delivery statuses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.crypto import Cipher
from bot.store.db import Tx

__all__ = ["WINDOW_HOLD", "WaInboxRow", "WaSession", "WhatsAppStore"]

WINDOW_HOLD = "outside the 24-hour window"  # last_error of a row waiting for her next message
_STATE = b"wa_session"
_INBOX = b"wa_inbox"


@dataclass(frozen=True)
class WaInboxRow:
    """One stored incoming message still to handle."""

    id: int
    payload: dict[str, Any]
    attempts: int


@dataclass
class WaSession:
    """A reporter's conversation on WhatsApp (state decrypted) and her window."""

    person_id: int
    state: dict[str, Any]
    last_inbound_at: datetime | None
    template_sent_at: datetime | None


def _when(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


class WhatsAppStore:
    """The channel's tables; writes take the caller's transaction."""

    def __init__(self, cipher: Cipher) -> None:
        self.cipher = cipher

    def message_key(self, message_id: str) -> str:
        """The blind index of Meta's message id (it embeds the sender's number)."""
        return self.cipher.blind_index("wamid", message_id)

    # -- inbox ------------------------------------------------------------------------------

    async def add_inbound(
        self, tx: Tx, message_id: str, received_at: datetime, payload: dict[str, Any]
    ) -> bool:
        """Store one incoming message; False when it was stored before (Meta retries)."""
        cur = await tx.execute(
            "INSERT OR IGNORE INTO wa_inbox (message_key, received_at, payload_enc) VALUES (?,?,?)",
            (
                self.message_key(message_id),
                received_at.isoformat(),
                self.cipher.encrypt_json(payload, context=_INBOX),
            ),
        )
        return bool(cur.rowcount)

    async def next_inbound(self, tx: Tx) -> WaInboxRow | None:
        """The oldest message not yet handled."""
        async with tx.execute(
            "SELECT id, payload_enc, attempts FROM wa_inbox WHERE status = 'new'"
            " ORDER BY id LIMIT 1"
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        payload = self.cipher.decrypt_json(row["payload_enc"], context=_INBOX)
        return WaInboxRow(int(row["id"]), payload, int(row["attempts"]))

    async def inbound_done(self, tx: Tx, row_id: int, at: datetime) -> None:
        """Handled: the key stays (duplicates stay ignored), the payload goes."""
        await tx.execute(
            "UPDATE wa_inbox SET status = 'done', done_at = ?, payload_enc = NULL WHERE id = ?",
            (at.isoformat(), row_id),
        )

    async def inbound_failed(self, tx: Tx, row_id: int, attempts: int, *, dead: bool) -> None:
        """The handling failed; tried again, or given up (dead) after too many attempts."""
        status = "dead" if dead else "new"
        await tx.execute(
            "UPDATE wa_inbox SET attempts = ?, status = ? WHERE id = ?", (attempts, status, row_id)
        )

    async def inbound_counts(self, tx: Tx) -> dict[str, int]:
        """Rows per status."""
        async with tx.execute("SELECT status, COUNT(*) FROM wa_inbox GROUP BY status") as cur:
            return {str(r[0]): int(r[1]) for r in await cur.fetchall()}

    # -- sessions ---------------------------------------------------------------------------

    async def session(self, tx: Tx, person_id: int) -> WaSession:
        """The reporter's session (empty when she never wrote)."""
        async with tx.execute(
            "SELECT state_enc, last_inbound_at, template_sent_at FROM wa_sessions"
            " WHERE person_id = ?",
            (person_id,),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return WaSession(person_id, {}, None, None)
        state = (
            self.cipher.decrypt_json(row["state_enc"], context=_STATE) if row["state_enc"] else {}
        )
        return WaSession(
            person_id, state, _when(row["last_inbound_at"]), _when(row["template_sent_at"])
        )

    async def save_session(self, tx: Tx, s: WaSession) -> None:
        """Write the session back."""
        await tx.execute(
            "INSERT INTO wa_sessions (person_id, state_enc, last_inbound_at, template_sent_at)"
            " VALUES (?,?,?,?) ON CONFLICT(person_id) DO UPDATE SET state_enc = excluded.state_enc,"
            " last_inbound_at = excluded.last_inbound_at,"
            " template_sent_at = excluded.template_sent_at",
            (
                s.person_id,
                self.cipher.encrypt_json(s.state, context=_STATE) if s.state else None,
                s.last_inbound_at.isoformat() if s.last_inbound_at else None,
                s.template_sent_at.isoformat() if s.template_sent_at else None,
            ),
        )

    async def idle_sessions(self, tx: Tx, before: datetime) -> list[WaSession]:
        """Sessions holding state whose reporter last wrote before ``before``."""
        async with tx.execute(
            "SELECT person_id FROM wa_sessions WHERE state_enc IS NOT NULL AND last_inbound_at < ?",
            (before.isoformat(),),
        ) as cur:
            ids = [int(r[0]) for r in await cur.fetchall()]
        return [await self.session(tx, person) for person in ids]

    async def template_sent(self, tx: Tx, person_id: int, at: datetime) -> None:
        """The "there is news" template went out to her at ``at``."""
        await tx.execute(
            "INSERT INTO wa_sessions (person_id, template_sent_at) VALUES (?, ?)"
            " ON CONFLICT(person_id) DO UPDATE SET template_sent_at = excluded.template_sent_at",
            (person_id, at.isoformat()),
        )

    # -- outbox -----------------------------------------------------------------------------

    async def hold(self, tx: Tx, item_id: int, until: datetime) -> None:
        """Keep a row pending until she writes again (or ``until``)."""
        await tx.execute(
            "UPDATE outbox SET not_before = ?, last_error = ? WHERE id = ? AND status = 'pending'",
            (until.isoformat(), WINDOW_HOLD, item_id),
        )

    async def release_held(self, tx: Tx, now: datetime) -> int:
        """Rows held for the window are looked at again now (someone wrote)."""
        cur = await tx.execute(
            "UPDATE outbox SET not_before = ?, last_error = NULL WHERE channel = 'whatsapp'"
            " AND status = 'pending' AND last_error = ?",
            (now.isoformat(), WINDOW_HOLD),
        )
        return int(cur.rowcount or 0)

    async def delivery(self, tx: Tx, provider_key: str, status: str, error: str | None) -> int:
        """Meta's status of a sent message; a failure fails the row. Returns rows changed."""
        if status == "failed":
            cur = await tx.execute(
                "UPDATE outbox SET delivery = 'failed', status = 'failed', last_error = ?"
                " WHERE channel = 'whatsapp' AND provider_message_id = ?",
                ((error or "failed")[:200], provider_key),
            )
        else:
            # never step back (a late "sent" after "read"), and never over a failure
            order = {"sent": 1, "delivered": 2, "read": 3}
            if status not in order:
                return 0
            cur = await tx.execute(
                "UPDATE outbox SET delivery = ? WHERE channel = 'whatsapp'"
                " AND provider_message_id = ? AND (delivery IS NULL OR"
                " (delivery != 'failed' AND CASE delivery WHEN 'sent' THEN 1"
                " WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 ELSE 0 END < ?))",
                (status, provider_key, order[status]),
            )
        return int(cur.rowcount or 0)
