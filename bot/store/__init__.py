"""Persistence on SQLite (aiosqlite): migrations, repositories, inbox, outbox."""

from bot.store.db import Database, Row, Tx

__all__ = ["Database", "Row", "Tx"]
