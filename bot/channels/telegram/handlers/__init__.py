"""Thin Telegram handlers: parse the update, call a service, reply in the reader's language."""
