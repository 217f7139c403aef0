"""Words shared by the channels: texts in the catalog's markup, no channel imports.

The texts use the catalog's small markup (``<b>``, ``<i>``, ``<code>``, values HTML-escaped):
the Telegram wing sends them as HTML, the WhatsApp wing turns them into its own *bold* and
_italic_ (``bot/channels/whatsapp/messages.py: wa_format``).
"""
