"""Pure domain model: no Telegram, no database, no framework imports."""
