"""Bot API methods that send, edit and delete messages (and chat actions)."""

from __future__ import annotations

from typing import Literal

from bot.testing.fake_telegram.faults import FaultInjection
from bot.testing.fake_telegram.formatting import normalize_parse_mode, render_plain
from bot.testing.fake_telegram.models import MessageVersion, SentMessage, StoredFile
from bot.testing.fake_telegram.protocol import ApiError, Buttons, Files, JSONDict, Params

__all__ = ["MessageMethods"]

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


class MessageMethods(FaultInjection):
    """Handlers for sendMessage, sendDocument, sendPhoto, edits, deletions and chat actions."""

    def _chat_for(self, p: Params) -> int:
        """Return a chat id the bot may write to, or raise like Telegram."""
        raw = p.opt_str("chat_id")
        if raw is None or raw == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if raw.startswith("@"):
            raise ApiError(400, "Bad Request: chat not found")
        chat_id = p.req_int("chat_id")
        if chat_id > 0:
            if chat_id in self.blocked_users:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if chat_id not in self.started_users:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        elif chat_id not in self.chats:
            raise ApiError(400, "Bad Request: chat not found")
        return chat_id

    def _parse_markup(self, p: Params) -> tuple[JSONDict | None, Buttons, list[list[str]]]:
        markup = p.json("reply_markup")
        if markup is None:
            return None, [], []
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        buttons: Buttons = []
        keyboard: list[list[str]] = []
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list):
                raise ApiError(400, 'Bad Request: field "inline_keyboard" must be an Array')
            for row in rows:
                out: list[tuple[str, str | None]] = []
                for button in row:
                    text = str(button.get("text", ""))
                    if not text:
                        raise ApiError(
                            400, "Bad Request: text buttons are unallowed in the inline keyboard"
                        )
                    data = button.get("callback_data")
                    if data is not None:
                        if not 1 <= len(str(data).encode()) <= 64:
                            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                        out.append((text, str(data)))
                    elif any(key != "text" for key in button):
                        out.append((text, None))
                    else:
                        raise ApiError(
                            400,
                            "Bad Request: can't parse inline keyboard button: "
                            "Text buttons are unallowed in the inline keyboard",
                        )
                buttons.append(out)
        elif "keyboard" in markup:
            for row in markup["keyboard"]:
                keyboard.append(
                    [str(b.get("text", "")) if isinstance(b, dict) else str(b) for b in row]
                )
        return markup, buttons, keyboard

    def _checked_text(self, text: str, parse_mode: str | None, *, caption: bool) -> str:
        plain = render_plain(text, parse_mode)
        if caption:
            if len(plain) > 1024:
                raise ApiError(400, "Bad Request: message caption is too long")
            return plain
        if not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(plain) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        return plain

    def _send_message(self, p: Params, files: Files) -> JSONDict:
        chat_id = self._chat_for(p)
        text = p.opt_str("text") or ""
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        parse_mode = normalize_parse_mode(p.opt_str("parse_mode"))
        plain = self._checked_text(text, parse_mode, caption=False)
        markup, buttons, keyboard = self._parse_markup(p)
        self._check_rate(chat_id)
        message = SentMessage(
            chat_id=chat_id,
            message_id=self._new_message_id(chat_id),
            text=text,
            parse_mode=parse_mode,
            buttons=buttons,
            plain_text=plain,
            reply_markup=markup,
            reply_keyboard=keyboard,
            date=int(self.clock()),
        )
        return self._message_json(self._store_sent(message))

    def _resolve_upload(self, p: Params, files: Files, name: str, kind: str) -> StoredFile:
        value = p.opt_str(name)
        if value is not None and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
        elif value is None:
            upload = files.get(name)
        else:
            stored = self._files.get(value)
            if stored is None:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            return stored
        if upload is None:
            raise ApiError(400, f"Bad Request: there is no {name} in the request")
        filename, data, mime = upload
        return self.store_file(data, kind=kind, file_name=filename, mime_type=mime)

    def _send_file(self, p: Params, files: Files, kind: Literal["document", "photo"]) -> JSONDict:
        chat_id = self._chat_for(p)
        caption = p.opt_str("caption")
        parse_mode = normalize_parse_mode(p.opt_str("parse_mode"))
        plain = self._checked_text(caption, parse_mode, caption=True) if caption else None
        markup, buttons, keyboard = self._parse_markup(p)
        stored = self._resolve_upload(p, files, kind, kind + "s")
        self._check_rate(chat_id)
        message = SentMessage(
            chat_id=chat_id,
            message_id=self._new_message_id(chat_id),
            text=caption,
            parse_mode=parse_mode,
            buttons=buttons,
            kind=kind,
            document=(stored.file_name or "document", stored.data) if kind == "document" else None,
            photo=stored.data if kind == "photo" else None,
            plain_text=plain,
            reply_markup=markup,
            reply_keyboard=keyboard,
            file_id=stored.file_id,
            date=int(self.clock()),
        )
        return self._message_json(self._store_sent(message))

    def _send_document(self, p: Params, files: Files) -> JSONDict:
        return self._send_file(p, files, "document")

    def _send_photo(self, p: Params, files: Files) -> JSONDict:
        return self._send_file(p, files, "photo")

    def _find_editable(self, p: Params) -> SentMessage:
        if p.has("inline_message_id"):
            raise ApiError(400, "Bad Request: inline messages are not supported by the fake")
        chat_id = p.req_int("chat_id")
        message_id = p.req_int("message_id")
        message = self._sent.get((chat_id, message_id))
        if message is None or message.deleted:
            if (chat_id, message_id) in self._user_messages:
                raise ApiError(400, "Bad Request: message can't be edited")
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    def _apply_edit(
        self,
        message: SentMessage,
        text: str | None,
        parse_mode: str | None,
        plain: str | None,
        markup: JSONDict | None,
        buttons: Buttons,
    ) -> JSONDict:
        if (
            text == message.text
            and parse_mode == message.parse_mode
            and markup == (message.reply_markup)
        ):
            raise ApiError(400, _NOT_MODIFIED)
        message.edits.append(MessageVersion(message.text, message.parse_mode, message.buttons))
        message.text, message.parse_mode, message.plain_text = text, parse_mode, plain
        message.reply_markup, message.buttons = markup, buttons
        message.edit_date = int(self.clock())
        self._messages_signal.notify()
        return self._message_json(message)

    def _edit_message_text(self, p: Params, files: Files) -> JSONDict:
        message = self._find_editable(p)
        if message.kind != "text":
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text = p.opt_str("text") or ""
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        parse_mode = normalize_parse_mode(p.opt_str("parse_mode"))
        plain = self._checked_text(text, parse_mode, caption=False)
        markup, buttons, _ = self._parse_markup(p)
        return self._apply_edit(message, text, parse_mode, plain, markup, buttons)

    def _edit_message_reply_markup(self, p: Params, files: Files) -> JSONDict:
        message = self._find_editable(p)
        markup, buttons, _ = self._parse_markup(p)
        if markup is not None and "inline_keyboard" not in markup:
            raise ApiError(400, "Bad Request: only inline keyboards can be edited")
        return self._apply_edit(
            message, message.text, message.parse_mode, message.plain_text, markup, buttons
        )

    def _delete_one(self, chat_id: int, message_id: int) -> bool:
        message = self._sent.get((chat_id, message_id))
        if message is not None and not message.deleted:
            message.deleted = True
            self._messages_signal.notify()
            return True
        user_message = self._user_messages.get((chat_id, message_id))
        if user_message is not None and not user_message.get("_deleted"):
            user_message["_deleted"] = True
            self.deleted_user_messages.append((chat_id, message_id))
            return True
        return False

    def _delete_message(self, p: Params, files: Files) -> bool:
        if not self._delete_one(p.req_int("chat_id"), p.req_int("message_id")):
            raise ApiError(400, "Bad Request: message to delete not found")
        return True

    def _delete_messages(self, p: Params, files: Files) -> bool:
        chat_id = p.req_int("chat_id")
        ids = p.json("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise ApiError(400, "Bad Request: message_ids must contain 1-100 identifiers")
        for message_id in ids:
            self._delete_one(chat_id, int(message_id))
        return True

    def _send_chat_action(self, p: Params, files: Files) -> bool:
        chat_id = self._chat_for(p)
        action = p.opt_str("action") or ""
        if action not in _CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        self.chat_actions.append((chat_id, action))
        return True
