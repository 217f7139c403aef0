"""What staff type to complete a case's SIMFONI record: ``key=value`` words, parsed here.

Keys (Indonesian, as staff speak): ``tempat``, ``wilayah``, ``layanan`` (comma-separated) for
the case; ``korbanN.<field>`` for victim N (``korban.`` is victim 1; the next number adds a
victim) with fields ``jk``, ``usia``, ``pendidikan``, ``status``, ``pekerjaan``,
``disabilitas``; ``pelakuN.<field>`` for reported party N with ``hubungan``, ``jk``, ``usia``.
Values are the tokens of ``bot/domain/simfoni.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.domain.simfoni import by_token
from bot.domain.validation import MAX_AGE, age_group

__all__ = [
    "CASE_KEYS",
    "PARTY_KEYS",
    "VICTIM_KEYS",
    "RecordEntry",
    "RecordEntryError",
    "parse_record_words",
]

# typed field -> (stored column, vocabulary)
VICTIM_KEYS = {
    "jk": ("sex", "sex"),
    "usia": ("age_group", "age_group"),
    "pendidikan": ("education", "education"),
    "status": ("marital", "marital"),
    "pekerjaan": ("occupation", "occupation"),
    "disabilitas": ("disability", "disability"),
}
PARTY_KEYS = {
    "hubungan": ("relation", "relation"),
    "jk": ("sex", "sex"),
    "usia": ("age_group", "age_group"),
}
CASE_KEYS = ("tempat", "wilayah", "layanan")
MAX_REGION = 80
_PERSON = re.compile(r"^(korban|pelaku)(\d{0,2})\.([a-z_]+)$")


class RecordEntryError(ValueError):
    """A word staff typed is not understood; the message names it."""


@dataclass
class RecordEntry:
    """The changes asked for: case fields and fields per victim / party number."""

    place: str | None = None
    region: str | None = None
    services: tuple[str, ...] | None = None
    victims: dict[int, dict[str, str]] = field(default_factory=dict)
    parties: dict[int, dict[str, str]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """Whether nothing is to change."""
        return (
            self.place is None
            and self.region is None
            and self.services is None
            and not self.victims
            and not self.parties
        )


def _code(vocabulary: str, value: str, word: str) -> str:
    if vocabulary == "age_group" and value.isdigit() and int(value) <= MAX_AGE:
        return age_group(int(value))  # an age in years gives its band
    found = by_token(vocabulary, value)
    if found is None:
        raise RecordEntryError(word)
    return found.code


def parse_record_words(words: list[str]) -> RecordEntry:
    """Parse ``key=value`` words (RecordEntryError names the first word not understood)."""
    entry = RecordEntry()
    for word in words:
        key, sep, value = word.partition("=")
        key = key.strip().casefold()
        value = value.strip()
        if not sep or not value:
            raise RecordEntryError(word)
        if key == "tempat":
            entry.place = _code("place", value, word)
        elif key == "wilayah":
            region = " ".join(value.replace("_", " ").split())
            if len(region) > MAX_REGION:
                raise RecordEntryError(word)
            entry.region = region
        elif key == "layanan":
            entry.services = tuple(_code("service", v, word) for v in value.split(",") if v.strip())
        elif m := _PERSON.match(key):
            kind, number, name = m.group(1), int(m.group(2) or 1), m.group(3)
            keys = VICTIM_KEYS if kind == "korban" else PARTY_KEYS
            if number < 1 or name not in keys:
                raise RecordEntryError(word)
            column, vocabulary = keys[name]
            target = entry.victims if kind == "korban" else entry.parties
            target.setdefault(number, {})[column] = _code(vocabulary, value, word)
        else:
            raise RecordEntryError(word)
    return entry
