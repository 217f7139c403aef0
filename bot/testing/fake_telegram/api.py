"""The Bot API entry point, its method table and the handlers not about sending messages."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from bot.testing.fake_telegram.models import CallbackAnswer
from bot.testing.fake_telegram.protocol import ApiError, Files, Handler, JSONDict, Params
from bot.testing.fake_telegram.sending import MessageMethods

__all__ = ["BotApi"]

_ACCEPTED_SETTINGS = frozenset(
    {
        "setmydescription",
        "setmyshortdescription",
        "setmyname",
        "setchatmenubutton",
        "setmydefaultadministratorrights",
        "close",
        "logout",
    }
)
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


class BotApi(MessageMethods):
    """Answer Bot API calls (getMe, getUpdates, commands, files, chats...) like Telegram."""

    async def call(
        self,
        token: str,
        method: str,
        params: dict[str, Any],
        files: Files | None = None,
    ) -> tuple[int, JSONDict]:
        """Answer one Bot API call like Telegram would: (HTTP status, JSON body)."""
        self.calls.append((method, dict(params)))
        self.call_counts[method] += 1
        if self.token is not None and token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        name = method.lower()
        if name not in self._methods and name != "getupdates":
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        fault = self._take_fault(name)
        if fault is not None:
            return await self._apply_fault(fault)
        p = Params(params)
        try:
            if name == "getupdates":
                result: Any = await self._get_updates(p)
            else:
                result = self._methods[name](p, files or {})
        except ApiError as err:
            if err.code == 429:
                self.too_many_requests += 1
            return err.code, err.payload()
        return 200, {"ok": True, "result": result}

    def download(self, token: str, file_path: str) -> bytes | None:
        """Return the bytes served at /file/bot<token>/<file_path>, or None."""
        if self.token is not None and token != self.token:
            return None
        stored = self._files_by_path.get(file_path)
        return stored.data if stored else None

    def _handlers(self) -> dict[str, Handler]:
        return {
            "getme": self._get_me,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "answercallbackquery": self._answer_callback_query,
            "deletemessage": self._delete_message,
            "deletemessages": self._delete_messages,
            "sendchataction": self._send_chat_action,
            "senddocument": self._send_document,
            "sendphoto": self._send_photo,
            "getfile": self._get_file,
            "getchat": self._get_chat,
            "leavechat": self._leave_chat,
            **{name: self._accept_setting for name in _ACCEPTED_SETTINGS},
        }

    def _get_me(self, p: Params, files: Files) -> JSONDict:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _delete_webhook(self, p: Params, files: Files) -> bool:
        if p.flag("drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, p: Params, files: Files) -> JSONDict:
        return {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    @staticmethod
    def _command_key(p: Params) -> tuple[str, str]:
        scope = p.json("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), p.opt_str("language_code") or ""

    def _set_my_commands(self, p: Params, files: Files) -> bool:
        commands = p.json("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be a list of at most 100 items")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.match(
                str(command.get("command", ""))
            ):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._command_key(p)] = [dict(c) for c in commands]
        return True

    def _get_my_commands(self, p: Params, files: Files) -> list[JSONDict]:
        return self.commands.get(self._command_key(p), [])

    def _delete_my_commands(self, p: Params, files: Files) -> bool:
        self.commands.pop(self._command_key(p), None)
        return True

    def _accept_setting(self, p: Params, files: Files) -> bool:
        self.settings[str(len(self.settings))] = dict(p.raw)
        return True

    async def _get_updates(self, p: Params) -> list[JSONDict]:
        offset = p.opt_int("offset")
        limit = min(max(p.opt_int("limit") or 100, 1), 100)
        timeout = max(p.opt_float("timeout") or 0.0, 0.0)
        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_signal.notify()
        if offset is not None:
            if offset < 0:
                self._updates = self._updates[offset:]
            else:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(409, _CONFLICT)
            if self._updates:
                break
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            await self._updates_signal.wait(remaining)
        return self._updates[:limit]

    def _answer_callback_query(self, p: Params, files: Files) -> bool:
        query_id = p.opt_str("callback_query_id") or ""
        user_id = self._open_callbacks.pop(query_id, None)
        if user_id is None:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        text = p.opt_str("text")
        if text is not None and len(text) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.callback_answers.append(
            CallbackAnswer(query_id, user_id, text, p.flag("show_alert"), p.opt_str("url"))
        )
        return True

    def _get_file(self, p: Params, files: Files) -> JSONDict:
        stored = self._files.get(p.opt_str("file_id") or "")
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    def _get_chat(self, p: Params, files: Files) -> JSONDict:
        chat_id = p.req_int("chat_id")
        chat = self.chats.get(chat_id)
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _leave_chat(self, p: Params, files: Files) -> bool:
        chat_id = p.req_int("chat_id")
        if chat_id > 0:
            raise ApiError(400, "Bad Request: chat member status can't be changed in private chats")
        if self.chats.pop(chat_id, None) is None:
            raise ApiError(400, "Bad Request: chat not found")
        self.left_chats.append(chat_id)
        return True
