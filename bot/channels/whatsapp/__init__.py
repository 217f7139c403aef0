"""The WhatsApp wing: reporters on the WhatsApp Business Cloud API (staff stay on Telegram)."""

WHATSAPP = "whatsapp"

__all__ = ["WHATSAPP"]
