"""Moved to bot/presentation/preview.py (kept for code written before the move)."""

from bot.presentation.preview import for_reporter, neutral_first_line

__all__ = ["for_reporter", "neutral_first_line"]
