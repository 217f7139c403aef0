"""Operational security: key rotation, consistent backups, retention purge, rate limiting."""

from __future__ import annotations

__all__: list[str] = []
