"""Moved to bot/presentation/texts.py (kept for code written before the move)."""

from bot.presentation.texts import child_welcome_text, emergency_text, office_contacts, welcome_text

__all__ = ["child_welcome_text", "emergency_text", "office_contacts", "welcome_text"]
