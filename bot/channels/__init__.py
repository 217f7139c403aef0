"""Channels: how people reach the unit (Telegram today); imported by the composition root only."""
