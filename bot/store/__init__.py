"""Persistence on SQLite (aiosqlite): migrations, repositories, inbox, outbox."""
