"""Reading Meta's webhook body: signatures, incoming messages and delivery statuses."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "SIGNATURE_HEADER",
    "Inbound",
    "StatusUpdate",
    "inbound_from_json",
    "parse_webhook",
    "sign",
    "signature_ok",
]

SIGNATURE_HEADER = "X-Hub-Signature-256"
_MEDIA = ("image", "document", "audio", "video", "sticker")


def sign(secret: str, body: bytes) -> str:
    """The header value Meta sends for ``body`` (``sha256=<hex>``)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """Whether the header is the app secret's HMAC of the raw body (constant time)."""
    if not secret or not header:
        return False
    return hmac.compare_digest(sign(secret, body).encode(), header.strip().encode())


@dataclass(frozen=True)
class Inbound:
    """One message a person sent: who, Meta's id, when, and what (text, a choice, media)."""

    wa_id: str
    message_id: str
    sent_at: datetime | None
    kind: str  # text | choice | media | location | other
    text: str | None = None
    choice: str | None = None  # the id of the pressed reply button or list row
    media: dict[str, str] | None = None  # {"kind", "id", "mime"}
    location: dict[str, float] | None = None
    to_number: str | None = None  # the phone number ID she wrote to (metadata)

    def to_json(self) -> dict[str, Any]:
        """For the encrypted inbox row."""
        return {
            "wa_id": self.wa_id,
            "message_id": self.message_id,
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
            "kind": self.kind,
            "text": self.text,
            "choice": self.choice,
            "media": self.media,
            "location": self.location,
            "to_number": self.to_number,
        }


def inbound_from_json(value: dict[str, Any]) -> Inbound:
    """Back from the inbox row."""
    sent = value.get("sent_at")
    return Inbound(
        wa_id=str(value["wa_id"]),
        message_id=str(value["message_id"]),
        sent_at=datetime.fromisoformat(sent) if isinstance(sent, str) else None,
        kind=str(value["kind"]),
        text=value.get("text"),
        choice=value.get("choice"),
        media=value.get("media"),
        location=value.get("location"),
        to_number=value.get("to_number"),
    )


@dataclass(frozen=True)
class StatusUpdate:
    """Meta's word on a message the bot sent: sent, delivered, read or failed."""

    message_id: str
    status: str
    error: str | None = None


def _when(value: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(str(value)), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _message(raw: dict[str, Any], to_number: str | None) -> Inbound | None:
    wa_id, mid = raw.get("from"), raw.get("id")
    if not isinstance(wa_id, str) or not wa_id.isdigit() or not isinstance(mid, str) or not mid:
        return None
    kind = raw.get("type")
    if kind in ("reaction", "system"):  # an emoji on a message, a number change: not answers
        return None
    base: dict[str, Any] = {
        "wa_id": wa_id,
        "message_id": mid,
        "sent_at": _when(raw.get("timestamp")),
        "to_number": to_number,
    }
    if kind == "text" and isinstance(raw.get("text"), dict):
        return Inbound(**base, kind="text", text=str(raw["text"].get("body", "")))
    if kind == "interactive" and isinstance(raw.get("interactive"), dict):
        inter = raw["interactive"]
        picked = inter.get("button_reply") or inter.get("list_reply") or {}
        return Inbound(**base, kind="choice", choice=str(picked.get("id", "")))
    if kind == "button" and isinstance(raw.get("button"), dict):  # a template's quick reply
        return Inbound(**base, kind="text", text=str(raw["button"].get("text", "")))
    if kind in _MEDIA and isinstance(raw.get(kind), dict):
        m = raw[kind]
        media = {"kind": str(kind), "id": str(m.get("id", "")), "mime": str(m.get("mime_type", ""))}
        return Inbound(**base, kind="media", media=media, text=m.get("caption"))
    if kind == "location" and isinstance(raw.get("location"), dict):
        loc = raw["location"]
        try:
            point = {"latitude": float(loc["latitude"]), "longitude": float(loc["longitude"])}
        except (KeyError, TypeError, ValueError):
            return Inbound(**base, kind="other")
        return Inbound(**base, kind="location", location=point)
    return Inbound(**base, kind="other")


def parse_webhook(body: Any) -> tuple[list[Inbound], list[StatusUpdate]] | None:
    """Messages and statuses of a webhook body (None: not a WhatsApp webhook body)."""
    if not isinstance(body, dict) or body.get("object") != "whatsapp_business_account":
        return None
    messages: list[Inbound] = []
    statuses: list[StatusUpdate] = []
    for entry in body.get("entry") or []:
        for change in (entry or {}).get("changes") or [] if isinstance(entry, dict) else []:
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict):
                continue
            meta = value.get("metadata")
            number = meta.get("phone_number_id") if isinstance(meta, dict) else None
            to_number = str(number) if isinstance(number, str | int) else None
            for raw in value.get("messages") or []:
                if isinstance(raw, dict) and (m := _message(raw, to_number)) is not None:
                    messages.append(m)
            for raw in value.get("statuses") or []:
                if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
                    continue
                errors = raw.get("errors") or []
                code = errors[0].get("code") if errors and isinstance(errors[0], dict) else None
                statuses.append(
                    StatusUpdate(
                        str(raw["id"]),
                        str(raw.get("status", "")),
                        None if code is None else f"whatsapp error {code}",
                    )
                )
    return messages, statuses
