"""Telegram bot for Indonesia's women and child protection units (UPTD PPA)."""

import os

__all__ = ["__version__"]

__version__ = "0.1.0"

# python-telegram-bot 22 warns unless time periods are timedelta objects; opt in once.
os.environ.setdefault("PTB_TIMEDELTA", "1")
