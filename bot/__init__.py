"""Telegram bot for Indonesia's women and child protection units (UPTD PPA)."""

__all__ = ["__version__"]

__version__ = "0.1.0"
