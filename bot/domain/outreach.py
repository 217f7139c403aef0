"""Outreach (penjangkauan): what a visit to someone in danger can end with."""

from __future__ import annotations

from bot.domain.i18n_marker import N_

__all__ = ["VISIT_OUTCOMES", "visit_outcome_label"]

# outcome -> label (a message id); the order is the order of the buttons
VISIT_OUTCOMES: dict[str, str] = {
    "safe": N_("Safe"),
    "shelter": N_("Taken to a shelter"),
    "hospital": N_("Taken to hospital"),
    "police": N_("Police involved"),
    "not_found": N_("Not found"),
}


def visit_outcome_label(outcome: str) -> str:
    """The label of an outcome (the outcome itself when unknown)."""
    return VISIT_OUTCOMES.get(outcome, outcome)
