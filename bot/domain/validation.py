"""Parsing and validating a reporter's answers: text, age, dates, phone numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import phonenumbers

from bot.domain.i18n_marker import N_

__all__ = [
    "MAX_AGE",
    "Invalid",
    "age_group",
    "clean_text",
    "parse_age",
    "parse_date",
    "parse_phone",
    "parse_text",
]

MAX_AGE = 120

# never stored: bidi controls (embeddings, overrides, isolates, marks; U+061C the Arabic letter
# mark) reorder what staff read in letters and exports; zero-width characters and the BOM hide
# text or split words. Removed from every answer before it is checked.
_HIDDEN = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u200b-\u200d\u2060\ufeff]")
_CONTROL = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f]")


def clean_text(text: str | None) -> str:
    """The answer without control, bidi and zero-width characters, trimmed."""
    return _CONTROL.sub("", _HIDDEN.sub("", text or "")).strip()


@dataclass(frozen=True)
class Invalid:
    """Why an answer was refused: a message id and its parameters."""

    message: str
    params: dict[str, Any] = field(default_factory=dict)


def parse_text(text: str | None, *, max_len: int, min_len: int = 1) -> str | Invalid:
    """Trimmed text within limits."""
    value = clean_text(text)
    if len(value) < min_len:
        if not value:
            return Invalid(N_("The answer is empty. Please write a few words."))
        return Invalid(N_("Please write at least {min} characters."), {"min": min_len})
    if len(value) > max_len:
        return Invalid(
            N_("That is too long ({length} characters). Please keep it under {max} characters."),
            {"length": len(value), "max": max_len},
        )
    return value


_DATE_PATTERNS = (
    re.compile(r"^(?P<d>\d{1,2})[-/. ](?P<m>\d{1,2})[-/. ](?P<y>\d{4})$"),
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
)


def parse_date(text: str | None, *, today: date, max_years_back: int = 120) -> date | Invalid:
    """A past or present date written as DD-MM-YYYY (or YYYY-MM-DD)."""
    value = clean_text(text)
    for pattern in _DATE_PATTERNS:
        m = pattern.match(value)
        if m:
            try:
                d = date(int(m["y"]), int(m["m"]), int(m["d"]))
            except ValueError:
                return Invalid(N_("That date does not exist. Please check the day and month."))
            if d > today:
                return Invalid(N_("That date is in the future. Please write a date up to today."))
            if d.year < today.year - max_years_back:
                return Invalid(N_("That date is too long ago. Please check the year."))
            return d
    return Invalid(N_("Please write the date as day-month-year, for example 17-08-2025."))


_AGE = re.compile(r"^(?P<n>\d{1,3})\s*(tahun|thn|th|years?|yrs?|y)?\.?$", re.IGNORECASE)


def parse_age(text: str | None, *, today: date) -> int | Invalid:
    """An age in years, or a date of birth from which the age is computed."""
    value = clean_text(text)
    m = _AGE.match(value)
    if m:
        age = int(m["n"])
        if age > MAX_AGE:
            return Invalid(
                N_("An age of {age} is not possible. Please write an age from 0 to {max}."),
                {"age": age, "max": MAX_AGE},
            )
        return age
    born = parse_date(value, today=today, max_years_back=MAX_AGE)
    if isinstance(born, Invalid):
        if any(p.match(value) for p in _DATE_PATTERNS):
            return born
        return Invalid(
            N_(
                "Please write the age as a number (for example 14) or the date of birth "
                "(for example 17-08-2010)."
            )
        )
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def parse_phone(text: str | None) -> str | Invalid:
    """An Indonesian phone number, returned in E.164 form (+62...)."""
    value = clean_text(text)
    if not value or len(value) > 30:
        return Invalid(N_("Please write a phone number, for example 0812-3456-7890."))
    try:
        number = phonenumbers.parse(value, "ID")
    except phonenumbers.NumberParseException:
        return Invalid(N_("That does not look like a phone number. Example: 0812-3456-7890."))
    if number.country_code != 62 or not phonenumbers.is_valid_number(number):
        return Invalid(
            N_(
                "That is not a valid Indonesian phone number. "
                "Example: 0812-3456-7890 or +62 812 3456 7890."
            )
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def age_group(age: int | None) -> str:
    """Age bands used for statistics and the national recording."""
    if age is None:
        return "unknown"
    for upper, label in (
        (5, "0-5"),
        (12, "6-12"),
        (17, "13-17"),
        (24, "18-24"),
        (44, "25-44"),
        (59, "45-59"),
    ):
        if age <= upper:
            return label
    return "60+"
