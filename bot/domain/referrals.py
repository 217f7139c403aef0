"""Referrals (rujukan) as records: kinds, the facts that come back, their dates, PKDRT 1x24 h."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.domain.i18n_marker import N_

__all__ = [
    "CLOSING_FACTS",
    "DATE_KINDS",
    "DEFAULT_INSTITUTIONS",
    "FACT_KEYS",
    "PLAN_REFERRAL_KINDS",
    "PROTECTION_WITHIN",
    "REFERRAL_KINDS",
    "RETURN_FOLLOW_UP_DAYS",
    "is_kdrt",
    "protection_due",
]

# kind -> label; the institutions a UPTD PPA refers to (Permen PPPA 4/2018)
REFERRAL_KINDS: dict[str, str] = {
    "police": N_("Police (Unit PPA)"),
    "hospital": N_("Hospital / visum"),
    "court": N_("Court"),
    "psychologist": N_("Psychologist"),
    "legal_aid": N_("Legal aid organisation"),
    "social_service": N_("Social service"),
    "uptd_ppa": N_("Another UPTD PPA"),
    "partner_shelter": N_("Partner shelter"),
}

# facts that come back from the institution -> label
FACT_KEYS: dict[str, str] = {
    "institution": N_("Receiving institution"),
    "report_number": N_("Police report number"),
    "bap_date": N_("BAP date"),
    "visum_received": N_("Visum received"),
    "case_file_number": N_("Case file number"),
    "verdict": N_("Verdict"),
    "protection_order": N_("Court protection order (PKDRT Pasal 28-29)"),
    "arrival_follow_up": N_("Follow-up after arrival"),
    "note": N_("Note"),
}

# the referral kinds a case manager picks on the plan (a partner shelter comes from a full one)
PLAN_REFERRAL_KINDS = tuple(k for k in REFERRAL_KINDS if k != "partner_shelter")

# the receiving institution a referral started from the plan names until staff correct it
# (/fakta ID institution NAMA): proper names of Indonesian institutions, data not UI text
DEFAULT_INSTITUTIONS: dict[str, str] = {
    "police": "Unit PPA Polres",
    "hospital": "Rumah Sakit (visum et repertum)",
    "court": "Pengadilan Negeri",
    "psychologist": "Psikolog",
    "legal_aid": "Lembaga Bantuan Hukum",
    "social_service": "Dinas Sosial",
    "uptd_ppa": "UPTD PPA daerah penerima",
}

# plan service kind -> the facts whose recording ends it (completed); else by hand
CLOSING_FACTS: dict[str, frozenset[str]] = {
    "referral": frozenset({"verdict", "visum_received"}),
    "protection": frozenset({"protection_order"}),
    "reintegration": frozenset({"arrival_follow_up"}),
}

# dated events of a referral, each reminded to the companion like a mediation session
DATE_KINDS: dict[str, str] = {
    "hearing": N_("Hearing"),
    "bap": N_("BAP examination"),
    "visum": N_("Visum examination"),
    "travel": N_("Travel home (return and reintegration)"),
    "other": N_("Appointment"),
}

# the follow-up of a return home: this many days after the travel date (this project's reading)
RETURN_FOLLOW_UP_DAYS = 7

# UU 23/2004 Pasal 16: the police give temporary protection within 1x24 hours of the report
PROTECTION_WITHIN = timedelta(hours=24)

# relations that make violence domestic (UU 23/2004 Pasal 2: the household)
_HOUSEHOLD = frozenset({"spouse", "parent", "step_parent", "guardian", "relative"})


def is_kdrt(categories: Iterable[str], relation: str) -> bool:
    """Whether a case is domestic violence (PKDRT): reported as such, or within the household."""
    return "domestic" in set(categories) or relation in _HOUSEHOLD


def protection_due(reported_at: datetime) -> datetime:
    """When temporary protection must have been asked of the police (wall clock)."""
    return reported_at + PROTECTION_WITHIN
