"""Moved to bot/presentation/progress.py (kept for code written before the move)."""

from bot.presentation.progress import reporter_progress

__all__ = ["reporter_progress"]
