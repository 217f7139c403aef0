"""Letters from editable DOCX templates, the /rekap chart and the national-recording export."""

from __future__ import annotations

from bot.reports.letters import (
    Letter,
    LetterInfo,
    LetterKind,
    generate_letter,
    list_letters,
    load_letter,
)

__all__ = ["Letter", "LetterInfo", "LetterKind", "generate_letter", "list_letters", "load_letter"]
