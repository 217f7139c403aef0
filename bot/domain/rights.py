"""A data subject's rights by tracking code (UU 27/2022 Pasal 5-13): what she may see, the
requests she may make, their deadline, and the legal holds that stop an erasure (Pasal 15)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.domain.duration import Duration, Unit
from bot.domain.i18n_marker import N_

__all__ = [
    "HOLD_REASONS",
    "HOLD_STEPS",
    "OWN_FIELDS",
    "RESPONSE_TIME",
    "VICTIM_FIELDS",
    "Answer",
    "RequestKind",
    "legal_hold",
    "own_answers",
    "response_time",
]

# the default time staff have to answer a request, on the office calendar (an office sets
# its own with ``rights_response_days``)
RESPONSE_TIME = Duration(3, Unit.WORKING_DAYS)


def response_time(working_days: int | None) -> Duration:
    """The office's time to answer a request (the default when unset or not positive)."""
    if isinstance(working_days, bool) or not isinstance(working_days, int) or working_days < 1:
        return RESPONSE_TIME
    return Duration(working_days, Unit.WORKING_DAYS)


class RequestKind(StrEnum):
    """What a data subject asks for."""

    ACCESS = "access"  # a full copy of what the unit holds (Pasal 7)
    CORRECT = "correct"  # correct something (Pasal 6)
    ERASE = "erase"  # delete it (Pasal 8)
    RESTRICT = "restrict"  # keep it, but use it no further for now (Pasal 11)
    WITHDRAW = "withdraw"  # withdraw the consent she gave (Pasal 9)


class Answer(StrEnum):
    """How staff answered a request."""

    DONE = "done"  # given, corrected or erased
    REFUSED_HOLD = "refused_hold"  # erasure refused: a legal hold (Pasal 15)
    REFUSED = "refused"  # refused for another reason, told in person


# Why a case's data must be kept now (Pasal 15(1): law enforcement, the court process): the
# codes staff may flag with /tahan, and their words.
HOLD_REASONS: Mapping[str, str] = {
    "pengadilan": N_("a court case"),
    "polisi": N_("a police investigation"),
    "rujukan": N_("a referral to another agency"),
    "pendampingan": N_("accompaniment to the police or the court"),
}

# Open SOP steps during which a legal process runs with the case's data: accompanying the
# victim to the police, the prosecutor or the court, and the letters of a referral.
HOLD_STEPS: Mapping[str, str] = {"accompany": "pendampingan", "letters": "rujukan"}


def legal_hold(flag: str | None, open_steps: Iterable[str]) -> str | None:
    """Why the case's data must be kept now (a HOLD_REASONS code; None: no hold)."""
    if flag:
        return flag
    for key in open_steps:
        if key in HOLD_STEPS:
            return HOLD_STEPS[key]
    return None


@dataclass(frozen=True)
class Field:
    """One stored answer a data subject may see: where it is and its label's question key."""

    key: str  # key in the case's details, or a column of the case ("col:<name>")
    question: str  # the form question whose summary label names it


# The reporter's own data: how to reach her and how she wants to be told.
OWN_FIELDS = (Field("phone", "phone"), Field("call_time", "call_time"),
              Field("col:notify_mode", "notify"), Field("col:help_wanted", "help"))  # fmt: skip

# When she is the victim, what she told about herself and the incident too. Never the reported
# party (name, description, relation), staff's notes, assessments or evidence content.
VICTIM_FIELDS = (
    Field("victim_name", "victim_name"),
    Field("victim_age", "victim_age"),
    Field("col:victim_sex", "victim_sex"),
    Field("col:categories", "violence"),
    Field("when", "when"),
    Field("where", "where"),
    Field("story", "story"),
)


def own_answers(
    reporter_type: str, details: Mapping[str, Any], columns: Mapping[str, Any]
) -> tuple[list[tuple[str, Any]], bool]:
    """(question key, value) of what the code holder may see, and whether more is held.

    A victim reporting herself sees her own answers; a family member or someone else sees
    only their own contact data: what they told about the victim is the victim's data, held
    but not shown by code (a code can be seen by someone else on a shared phone).
    """
    fields = (*VICTIM_FIELDS, *OWN_FIELDS) if reporter_type == "victim" else OWN_FIELDS
    out: list[tuple[str, Any]] = []
    for f in fields:
        value = columns.get(f.key[4:]) if f.key.startswith("col:") else details.get(f.key)
        if value not in (None, "", (), []):
            out.append((f.question, value))
    return out, reporter_type != "victim"
