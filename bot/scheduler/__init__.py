"""Timing helpers for background work: the Telegram send throttle."""

from bot.scheduler.throttle import Throttle, VirtualTime

__all__ = ["Throttle", "VirtualTime"]
