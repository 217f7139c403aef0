"""Every notice kind of outreach, referrals and shelter has a renderer in the catalog."""

from __future__ import annotations

import re
from pathlib import Path

from bot.testing.harness import Harness

ROOT = Path(__file__).resolve().parents[2]
SOURCES = (
    "bot/services/outreach.py",
    "bot/services/referrals.py",
    "bot/services/shelter.py",
    "bot/services/shelter_stay.py",
    "bot/services/plan_records.py",
    "bot/scheduler/referrals.py",
    "bot/scheduler/returns_sweep.py",
)


def _emitted() -> set[str]:
    """Kinds named in the modules' notices (string literals and the constants they use)."""
    patterns = (
        r'kind="([a-z_]+)"',  # Notice(kind="...")
        r'(?:\)|\bto),\s*"([a-z_]+)",',  # _notify(..., Recipient...(...), "kind", ...)
        r'^[A-Z_]+ = "([a-z_]+)"$',  # REFERRAL_REMINDER = "referral_reminder"
    )
    found: set[str] = set()
    for name in SOURCES:
        text = (ROOT / name).read_text(encoding="utf-8")
        for pattern in patterns:
            found |= set(re.findall(pattern, text, flags=re.MULTILINE))
    # a case event and a referral kind the patterns also catch: not notices
    return found - {"referred", "partner_shelter"}


async def test_every_new_kind_is_rendered(harness: Harness) -> None:
    kinds = _emitted()
    assert {"outreach_page", "referral_reminder", "protection_overdue",
            "shelter_stay_ending", "referral_no_news", "shelter_check_in", "shelter_request",
            "plan_record_started", "return_follow_up"} <= kinds  # fmt: skip
    missing = kinds - harness.rt.sender.catalog.kinds()
    assert not missing, missing
