"""Case numbers and tracking codes."""

from __future__ import annotations

import re
import secrets

__all__ = ["TRACKING_ALPHABET", "case_number", "new_tracking_code", "normalise_tracking_code"]

# No look-alikes: without 0/O/Q/D, 1/I/L/J, 2/Z, 5/S, 8/B, U/V, G/6.
TRACKING_ALPHABET = "ACEFHKMNPRTWXY3479"
_GROUPS = 3
_GROUP_LEN = 4


def case_number(office_id: str, year: int, seq: int) -> str:
    """Per office and year, e.g. PPA-TNG-2026-00042."""
    return f"PPA-{office_id}-{year}-{seq:05d}"


def new_tracking_code() -> str:
    """A random code like 'K7MX-4PRT-9WYA' (12 symbols, about 50 bits)."""
    chars = [secrets.choice(TRACKING_ALPHABET) for _ in range(_GROUPS * _GROUP_LEN)]
    return "-".join("".join(chars[i : i + _GROUP_LEN]) for i in range(0, len(chars), _GROUP_LEN))


def normalise_tracking_code(text: str) -> str | None:
    """Canonical form of a typed code (case, spaces, dashes ignored), or None if impossible."""
    raw = re.sub(r"[\s\-_.]", "", text.upper())
    if len(raw) != _GROUPS * _GROUP_LEN or any(c not in TRACKING_ALPHABET for c in raw):
        return None
    return "-".join(raw[i : i + _GROUP_LEN] for i in range(0, len(raw), _GROUP_LEN))
