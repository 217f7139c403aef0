"""The Telegram wing: handlers, conversations, persistence, polling/webhook, sender, renderers."""
