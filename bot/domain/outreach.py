"""Outreach (penjangkauan): what a visit to someone in danger can end with."""

from __future__ import annotations

from bot.domain.i18n_marker import N_

__all__ = ["VISIT_FOLLOW_UPS", "VISIT_OUTCOMES", "visit_outcome_label"]

# outcome -> label (a message id); the order is the order of the buttons
VISIT_OUTCOMES: dict[str, str] = {
    "safe": N_("Safe"),
    "shelter": N_("Taken to a shelter"),
    "hospital": N_("Taken to hospital"),
    "police": N_("Police involved"),
    "not_found": N_("Not found"),
}

# the service a visit's outcome opens on the case's plan (keys of bot/domain/case_plan.py)
VISIT_FOLLOW_UPS: dict[str, str] = {
    "shelter": "shelter",  # a shelter admission request to the head
    "hospital": "referral.hospital",  # a health referral (visum, care)
    "police": "referral.police",
}


def visit_outcome_label(outcome: str) -> str:
    """The label of an outcome (the outcome itself when unknown)."""
    return VISIT_OUTCOMES.get(outcome, outcome)
