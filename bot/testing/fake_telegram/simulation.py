"""The simulation API: users send messages, commands, files and button clicks to the bot."""

from __future__ import annotations

from bot.testing.fake_telegram.protocol import JSONDict
from bot.testing.fake_telegram.queries import Queries

__all__ = ["Simulation"]


class Simulation(Queries):
    """Queue updates as if users wrote to the bot, joined groups or clicked its buttons."""

    def _user(self, user_id: int, first_name: str, language_code: str | None) -> JSONDict:
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        self.users[user_id] = user
        return user

    def _chat(self, user: JSONDict, chat_id: int | None) -> JSONDict:
        if chat_id is None or chat_id == user["id"]:
            chat: JSONDict = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
            self.started_users.add(user["id"])
            self.blocked_users.discard(user["id"])
        elif chat_id < 0:
            chat = self._group_chat(chat_id)
        else:
            raise ValueError("chat_id must be the user's id (private) or negative (group)")
        self.chats[chat["id"]] = chat
        return chat

    def _group_chat(self, chat_id: int) -> JSONDict:
        chat = self.chats.get(chat_id)
        if chat is None:
            kind = "supergroup" if chat_id <= -1_000_000_000_000 else "group"
            chat = {"id": chat_id, "type": kind, "title": f"Grup Uji {-chat_id}"}
            self.chats[chat_id] = chat
        return chat

    def _enqueue(self, kind: str, payload: JSONDict) -> JSONDict:
        update: JSONDict = {"update_id": self.next_update_id, kind: payload}
        self.next_update_id += 1
        self.updates_total += 1
        self._updates.append(update)
        self._updates_signal.notify()
        return update

    def _user_message(
        self,
        user_id: int,
        chat_id: int | None,
        first_name: str,
        language_code: str | None,
        content: JSONDict,
    ) -> JSONDict:
        user = self._user(user_id, first_name, language_code)
        chat = self._chat(user, chat_id)
        message: JSONDict = {
            "message_id": self._new_message_id(chat["id"]),
            "from": user,
            "chat": chat,
            "date": int(self.clock()),
            **content,
        }
        self._user_messages[(chat["id"], message["message_id"])] = message
        return self._enqueue("message", message)

    def user_sends_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        first_name: str = "Uji",
        language_code: str | None = "id",
    ) -> JSONDict:
        """Queue a text message from a user (private chat unless a negative chat_id is given)."""
        return self._user_message(user_id, chat_id, first_name, language_code, {"text": text})

    def user_sends_command(
        self,
        user_id: int,
        command: str,
        *,
        chat_id: int | None = None,
        first_name: str = "Uji",
        language_code: str | None = "id",
    ) -> JSONDict:
        """Queue a command such as '/start' or '/start payload' with a bot_command entity."""
        text = command if command.startswith("/") else "/" + command
        length = len(text.split(maxsplit=1)[0])
        content: JSONDict = {
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": length}],
        }
        return self._user_message(user_id, chat_id, first_name, language_code, content)

    def user_sends_photo(
        self,
        user_id: int,
        data: bytes,
        *,
        caption: str | None = None,
        chat_id: int | None = None,
        first_name: str = "Uji",
        language_code: str | None = "id",
    ) -> JSONDict:
        """Queue a photo from a user; getFile and download return data."""
        stored = self.store_file(data, kind="photos", mime_type="image/jpeg")
        content: JSONDict = {"photo": [self._photo_json(stored)]}
        if caption is not None:
            content["caption"] = caption
        return self._user_message(user_id, chat_id, first_name, language_code, content)

    def user_sends_document(
        self,
        user_id: int,
        data: bytes,
        filename: str,
        mime_type: str,
        *,
        caption: str | None = None,
        chat_id: int | None = None,
        first_name: str = "Uji",
        language_code: str | None = "id",
    ) -> JSONDict:
        """Queue a document from a user; getFile and download return data."""
        stored = self.store_file(data, kind="documents", file_name=filename, mime_type=mime_type)
        content: JSONDict = {"document": self._document_json(stored)}
        if caption is not None:
            content["caption"] = caption
        return self._user_message(user_id, chat_id, first_name, language_code, content)

    def user_sends_voice(
        self,
        user_id: int,
        data: bytes,
        duration: int,
        *,
        mime_type: str = "audio/ogg",
        chat_id: int | None = None,
        first_name: str = "Uji",
        language_code: str | None = "id",
    ) -> JSONDict:
        """Queue a voice note from a user; getFile and download return data."""
        stored = self.store_file(data, kind="voice", mime_type=mime_type)
        voice: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": mime_type,
            "file_size": len(stored.data),
        }
        return self._user_message(user_id, chat_id, first_name, language_code, {"voice": voice})

    def user_sends_sticker(
        self,
        user_id: int,
        *,
        emoji: str = "🙂",
        chat_id: int | None = None,
        first_name: str = "Uji",
        language_code: str | None = "id",
    ) -> JSONDict:
        """Queue a sticker from a user."""
        stored = self.store_file(b"RIFF-fake-webp", kind="stickers", mime_type="image/webp")
        sticker: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._user_message(user_id, chat_id, first_name, language_code, {"sticker": sticker})

    def user_sends_location(
        self,
        user_id: int,
        latitude: float,
        longitude: float,
        *,
        chat_id: int | None = None,
        first_name: str = "Uji",
        language_code: str | None = "id",
    ) -> JSONDict:
        """Queue a shared location (the "Location" attachment or a request_location button)."""
        location: JSONDict = {"latitude": latitude, "longitude": longitude}
        return self._user_message(
            user_id, chat_id, first_name, language_code, {"location": location}
        )

    def user_sends_contact(
        self,
        user_id: int,
        phone: str,
        *,
        contact_user_id: int | None = None,
        chat_id: int | None = None,
        first_name: str = "Uji",
        language_code: str | None = "id",
    ) -> JSONDict:
        """Queue a shared contact (the user's own unless contact_user_id differs)."""
        contact: JSONDict = {
            "phone_number": phone,
            "first_name": first_name,
            "user_id": contact_user_id if contact_user_id is not None else user_id,
        }
        return self._user_message(user_id, chat_id, first_name, language_code, {"contact": contact})

    def user_edits_message(
        self,
        user_id: int,
        message_id: int,
        text: str,
        *,
        chat_id: int | None = None,
    ) -> JSONDict:
        """Queue an edited_message update for a message the user sent earlier."""
        key = (chat_id if chat_id is not None else user_id, message_id)
        original = self._user_messages.get(key)
        if original is None or original["from"]["id"] != user_id:
            raise LookupError(f"user {user_id} has no message {message_id} in chat {key[0]}")
        original.pop("entities", None)
        original["text"] = text
        original["edit_date"] = int(self.clock())
        payload = {k: v for k, v in original.items() if not k.startswith("_")}
        return self._enqueue("edited_message", payload)

    def member_joins(
        self,
        chat_id: int,
        user_id: int,
        *,
        first_name: str = "Uji",
        language_code: str | None = "id",
    ) -> JSONDict:
        """Queue a new_chat_members service message (use bot_id to add the bot to a group)."""
        if chat_id >= 0:
            raise ValueError("member_joins needs a group chat id (negative)")
        if user_id == self.bot_id:
            member = self._bot_user()
        else:
            member = self._user(user_id, first_name, language_code)
        chat = self._group_chat(chat_id)
        message: JSONDict = {
            "message_id": self._new_message_id(chat_id),
            "from": member,
            "chat": chat,
            "date": int(self.clock()),
            "new_chat_members": [member],
        }
        self._user_messages[(chat_id, message["message_id"])] = message
        return self._enqueue("message", message)

    def group_migrates(self, chat_id: int, new_chat_id: int, user_id: int) -> None:
        """A group becomes a supergroup: Telegram's two service messages (migrate_to_chat_id in
        the old group, migrate_from_chat_id in the new one); the old id answers ChatMigrated."""
        user = self._user(user_id, "Uji", "id")
        old = self._group_chat(chat_id)
        new = self._group_chat(new_chat_id)
        for chat, field, other in ((old, "migrate_to_chat_id", new_chat_id),
                                   (new, "migrate_from_chat_id", chat_id)):  # fmt: skip
            message: JSONDict = {
                "message_id": self._new_message_id(chat["id"]),
                "from": user,
                "chat": chat,
                "date": int(self.clock()),
                field: other,
            }
            self._user_messages[(chat["id"], message["message_id"])] = message
            self._enqueue("message", message)

    def user_blocks_bot(self, user_id: int) -> None:
        """Make later sends to this user fail with 403 'bot was blocked by the user'."""
        self.blocked_users.add(user_id)

    def user_clicks(
        self,
        user_id: int,
        chat_id: int,
        message_id: int,
        callback_data: str,
        *,
        strict: bool = True,
        first_name: str = "Uji",
        language_code: str | None = "id",
    ) -> JSONDict:
        """Queue a callback_query for a button on a stored bot message."""
        message = self._sent.get((chat_id, message_id))
        if message is None or message.deleted:
            raise LookupError(f"no bot message {message_id} in chat {chat_id}")
        if strict and callback_data not in message.callback_data:
            raise ValueError(
                f"message {message_id} has no button with callback_data {callback_data!r}; "
                f"it has {message.callback_data}"
            )
        user = self._user(user_id, first_name, language_code)
        self._callback_counter += 1
        query_id = f"{user_id}{self._callback_counter:08d}"
        self._open_callbacks[query_id] = user_id
        query: JSONDict = {
            "id": query_id,
            "from": user,
            "message": self._message_json(message),
            "chat_instance": str(abs(chat_id) * 31 + 7),
            "data": callback_data,
        }
        return self._enqueue("callback_query", query)

    def click_button(self, user_id: int, chat_id: int, label: str) -> JSONDict:
        """Click the newest button in the chat whose label contains label."""
        message_id, data = self.button(chat_id, label)
        return self.user_clicks(user_id, chat_id, message_id, data)
