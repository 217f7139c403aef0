"""In-memory fake of the Telegram Bot API for offline tests, demos and end-to-end runs."""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Literal

__all__ = [
    "CallbackAnswer",
    "FakeConnectionDroppedError",
    "FakeTelegram",
    "FaultKind",
    "MessageVersion",
    "SentMessage",
    "StoredFile",
]

FaultKind = Literal["429", "500", "timeout", "drop"]
JSONDict = dict[str, Any]
Files = dict[str, tuple[str, bytes, str]]
Buttons = list[list[tuple[str, str | None]]]

_SEND_METHODS = frozenset({"sendmessage", "senddocument", "sendphoto"})
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
_HTML_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
)
_HTML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_BARE_AMP = re.compile(r"&(?!(?:[a-zA-Z][a-zA-Z0-9]*|#[0-9]+|#[xX][0-9a-fA-F]+);)")
_MD2_RESERVED = frozenset("#+-={}.!()")
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


class FakeConnectionDroppedError(Exception):
    """Signal that the fake closed the connection without sending a response."""


class _ApiError(Exception):
    """A Bot API error answer raised inside a method handler."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JSONDict:
        """Return the Telegram-shaped error body."""
        body: JSONDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


class _Signal:
    """A wake-up signal that sync code may fire and coroutines may await with a timeout."""

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def notify(self) -> None:
        """Wake every current waiter."""
        waiters, self._waiters = self._waiters, set()
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def wait(self, seconds: float | None) -> bool:
        """Wait for the next notify; return False when the given seconds passed first."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(fut)
        try:
            async with asyncio.timeout(seconds):
                await fut
        except TimeoutError:
            return False
        finally:
            self._waiters.discard(fut)
        return True


@dataclass(frozen=True)
class MessageVersion:
    """One earlier version of an edited bot message."""

    text: str | None
    parse_mode: str | None
    buttons: Buttons


@dataclass
class SentMessage:
    """A message the bot sent (text, or caption for documents and photos)."""

    chat_id: int
    message_id: int
    text: str | None
    parse_mode: str | None = None
    buttons: Buttons = field(default_factory=list)
    document: tuple[str, bytes] | None = None
    photo: bytes | None = None
    deleted: bool = False
    edits: list[MessageVersion] = field(default_factory=list)
    kind: Literal["text", "document", "photo"] = "text"
    plain_text: str | None = None
    reply_markup: JSONDict | None = None
    reply_keyboard: list[list[str]] = field(default_factory=list)
    file_id: str | None = None
    date: int = 0
    edit_date: int | None = None

    @property
    def button_labels(self) -> list[str]:
        """Return every inline button label, row by row."""
        return [label for row in self.buttons for label, _ in row]

    @property
    def callback_data(self) -> list[str]:
        """Return every inline button's callback data, row by row."""
        return [data for row in self.buttons for _, data in row if data is not None]

    def as_dict(self) -> JSONDict:
        """Return a JSON-friendly summary (file bytes reduced to their size)."""
        return {
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "kind": self.kind,
            "text": self.text,
            "plain_text": self.plain_text,
            "parse_mode": self.parse_mode,
            "buttons": [[list(button) for button in row] for row in self.buttons],
            "reply_keyboard": self.reply_keyboard,
            "document": (
                {"filename": self.document[0], "size": len(self.document[1])}
                if self.document
                else None
            ),
            "photo_size": len(self.photo) if self.photo is not None else None,
            "deleted": self.deleted,
            "edits": [
                {"text": v.text, "parse_mode": v.parse_mode, "buttons": v.buttons}
                for v in self.edits
            ],
            "date": self.date,
            "edit_date": self.edit_date,
        }


@dataclass(frozen=True)
class CallbackAnswer:
    """A recorded answerCallbackQuery call."""

    callback_query_id: str
    user_id: int
    text: str | None
    show_alert: bool
    url: str | None = None


@dataclass(frozen=True)
class StoredFile:
    """A file known to the fake (sent by a user or uploaded by the bot)."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str | None
    mime_type: str | None


@dataclass
class _Fault:
    """A pending injected fault."""

    method: str | None
    remaining: int
    kind: FaultKind
    retry_after: int


@dataclass(frozen=True)
class _Limits:
    """Rate limits enforced on sending methods."""

    per_chat_per_sec: int
    per_group_per_min: int
    global_per_sec: int
    clock: Callable[[], float]


class _Params:
    """Typed access to request parameters that may be JSON-encoded strings or plain values."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw

    def has(self, name: str) -> bool:
        """Return whether the parameter is present and not null."""
        return self.raw.get(name) is not None

    def opt_str(self, name: str) -> str | None:
        """Return a string parameter or None."""
        value = self.raw.get(name)
        if value is None:
            return None
        return value if isinstance(value, str) else str(value)

    def opt_int(self, name: str) -> int | None:
        """Return an integer parameter or None."""
        value = self.raw.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        try:
            return int(str(value))
        except ValueError:
            raise _ApiError(400, f"Bad Request: invalid {name} specified") from None

    def req_int(self, name: str) -> int:
        """Return a required integer parameter."""
        value = self.opt_int(name)
        if value is None:
            raise _ApiError(400, f"Bad Request: {name} is empty")
        return value

    def opt_float(self, name: str) -> float | None:
        """Return a float parameter or None."""
        value = self.raw.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise _ApiError(400, f"Bad Request: invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        """Return a boolean parameter (False when absent)."""
        value = self.raw.get(name)
        if isinstance(value, str):
            return value.strip().lower() in {"true", "1"}
        return bool(value)

    def json(self, name: str) -> Any:
        """Return a parameter that may arrive as a JSON string or already decoded."""
        value = self.raw.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                raise _ApiError(400, f"Bad Request: can't parse {name} JSON object") from None
        return value


class _TelegramHtml(HTMLParser):
    """Validate Telegram's HTML subset and collect the resulting plain text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=False)
        self._text = text
        self._line_starts = [0]
        for index, char in enumerate(text):
            if char == "\n":
                self._line_starts.append(index + 1)
        self.stack: list[str] = []
        self.plain: list[str] = []

    def _index(self, extra: int = 0) -> int:
        line, col = self.getpos()
        return self._line_starts[line - 1] + col + extra

    def _fail(self, message: str, extra: int = 0) -> None:
        offset = len(self._text[: self._index(extra)].encode())
        raise _ApiError(
            400, f"Bad Request: can't parse entities: {message} at byte offset {offset}"
        )

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Accept only Telegram's tags."""
        raw = self.get_starttag_text() or ""
        amp = _BARE_AMP.search(raw)
        if amp:
            self._fail("Can't find end of the entity", amp.start())
        attributes = dict(attrs)
        if tag not in _HTML_TAGS:
            self._fail(f'Unsupported start tag "{tag}"')
        if tag == "span" and attributes.get("class") != "tg-spoiler":
            self._fail('Unsupported start tag "span"')
        if tag == "tg-emoji" and not attributes.get("emoji-id"):
            self._fail('Custom emoji entity must have "emoji-id" attribute')
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Reject self-closing tags."""
        self._fail(f'Unsupported start tag "{tag}/"')

    def handle_endtag(self, tag: str) -> None:
        """Require properly nested end tags."""
        if not self.stack:
            self._fail(f'Unexpected end tag "{tag}"')
        elif self.stack[-1] != tag:
            self._fail(f'Unmatched end tag "{tag}", expected "</{self.stack[-1]}>"')
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        """Reject bare '<' and '&' in text."""
        if "<" in data:
            self._fail('Unexpected "<" (escape it as &lt;)', data.index("<"))
        if "&" in data:
            self._fail("Can't find end of the entity (escape & as &amp;)", data.index("&"))
        self.plain.append(data)

    def handle_entityref(self, name: str) -> None:
        """Accept only &lt; &gt; &amp; &quot;."""
        if not self._text.startswith(f"&{name};", self._index()):
            self._fail("Can't find end of the entity (escape & as &amp;)")
        if name not in _HTML_ENTITIES:
            self._fail(f'Unsupported HTML entity "&{name};"')
        self.plain.append(_HTML_ENTITIES[name])

    def handle_charref(self, name: str) -> None:
        """Accept numeric entities."""
        if not self._text.startswith(f"&#{name};", self._index()):
            self._fail("Can't find end of the entity (escape & as &amp;)")
        try:
            code = int(name[1:], 16) if name[:1] in {"x", "X"} else int(name)
            self.plain.append(chr(code))
        except (ValueError, OverflowError):
            self._fail(f'Invalid numeric entity "&#{name};"')

    def handle_comment(self, data: str) -> None:
        """Reject comments."""
        self._fail('Unsupported start tag "!--"')

    def handle_decl(self, decl: str) -> None:
        """Reject declarations."""
        self._fail('Unsupported start tag "!"')

    def handle_pi(self, data: str) -> None:
        """Reject processing instructions."""
        self._fail('Unsupported start tag "?"')

    def unknown_decl(self, data: str) -> None:
        """Reject CDATA and other declarations."""
        self._fail('Unsupported start tag "!"')


def _parse_html(text: str) -> str:
    """Validate Telegram HTML and return the plain text."""
    bare = _BARE_AMP.search(text)
    if bare:
        offset = len(text[: bare.start()].encode())
        raise _ApiError(
            400,
            "Bad Request: can't parse entities: Can't find end of the entity starting at "
            f"byte offset {offset} (escape & as &amp;)",
        )
    parser = _TelegramHtml(text)
    parser.feed(text)
    parser.close()
    if parser.stack:
        raise _ApiError(
            400,
            "Bad Request: can't parse entities: Can't find end tag corresponding to start tag "
            f'"{parser.stack[-1]}"',
        )
    return "".join(parser.plain)


def _parse_markdown_v2(text: str) -> str:
    """Validate MarkdownV2 roughly (reserved characters and balanced markers); return plain."""

    def fail(message: str, index: int) -> None:
        offset = len(text[:index].encode())
        raise _ApiError(
            400, f"Bad Request: can't parse entities: {message} at byte offset {offset}"
        )

    plain: list[str] = []
    open_markers: dict[str, int] = {}
    links: list[int] = []
    i = 0
    n = len(text)
    names = {"*": "Bold", "_": "Italic", "__": "Underline", "~": "Strikethrough", "||": "Spoiler"}
    while i < n:
        char = text[i]
        if char == "\\":
            if i + 1 >= n:
                fail("Unexpected end of text after '\\'", i)
            plain.append(text[i + 1])
            i += 2
            continue
        if text.startswith("```", i):
            end = text.find("```", i + 3)
            if end < 0:
                fail("Can't find end of Pre entity", i)
            body = text[i + 3 : end]
            plain.append(body.split("\n", 1)[1] if "\n" in body else body)
            i = end + 3
            continue
        if char == "`":
            end = text.find("`", i + 1)
            if end < 0:
                fail("Can't find end of Code entity", i)
            plain.append(text[i + 1 : end])
            i = end + 1
            continue
        marker = next((m for m in ("__", "||") if text.startswith(m, i)), char)
        if marker in names:
            if marker in open_markers:
                del open_markers[marker]
            else:
                open_markers[marker] = i
            i += len(marker)
            continue
        if char == "[":
            links.append(i)
            i += 1
            continue
        if char == "]" and links and text.startswith("(", i + 1):
            end = text.find(")", i + 2)
            if end < 0:
                fail("Can't find end of a URL", i)
            links.pop()
            i = end + 1
            continue
        if char == ">" and (i == 0 or text[i - 1] == "\n"):
            i += 1
            continue
        if char in _MD2_RESERVED or char in "]>|":
            fail(f"Character '{char}' is reserved and must be escaped with the preceding '\\'", i)
        plain.append(char)
        i += 1
    if links:
        fail("Character '[' is reserved and must be escaped with the preceding '\\'", links[-1])
    if open_markers:
        marker, index = min(open_markers.items(), key=lambda item: item[1])
        fail(f"Can't find end of {names[marker]} entity", index)
    return "".join(plain)


def _normalize_parse_mode(parse_mode: str | None) -> str | None:
    """Return the canonical parse mode name or raise 400."""
    if parse_mode is None or parse_mode == "":
        return None
    canonical = {"html": "HTML", "markdownv2": "MarkdownV2", "markdown": "Markdown"}
    try:
        return canonical[parse_mode.lower()]
    except KeyError:
        raise _ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode!r}") from None


def _plain_text(text: str, parse_mode: str | None) -> str:
    """Validate formatted text and return what the user would see."""
    if parse_mode == "HTML":
        return _parse_html(text)
    if parse_mode == "MarkdownV2":
        return _parse_markdown_v2(text)
    return text


class FakeTelegram:
    """An in-memory Bot API server with a simulation API for tests."""

    def __init__(
        self,
        *,
        token: str | None = None,
        bot_id: int = 7000000001,
        bot_username: str = "ppa_uji_bot",
        bot_first_name: str = "PPA Bot Uji",
        clock: Callable[[], float] = time.time,
        hang_seconds: float = 3600.0,
        first_update_id: int = 1,
    ) -> None:
        self.token = token
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.clock = clock
        self.hang_seconds = hang_seconds
        self.next_update_id = first_update_id
        self.users: dict[int, JSONDict] = {}
        self.chats: dict[int, JSONDict] = {}
        self.started_users: set[int] = set()
        self.blocked_users: set[int] = set()
        self.callback_answers: list[CallbackAnswer] = []
        self.chat_actions: list[tuple[int, str]] = []
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.settings: dict[str, JSONDict] = {}
        self.left_chats: list[int] = []
        self.deleted_user_messages: list[tuple[int, int]] = []
        self.calls: deque[tuple[str, JSONDict]] = deque(maxlen=10_000)
        self.call_counts: Counter[str] = Counter()
        self.too_many_requests = 0
        self.updates_total = 0
        self._updates: list[JSONDict] = []
        self._sent: dict[tuple[int, int], SentMessage] = {}
        self._user_messages: dict[tuple[int, int], JSONDict] = {}
        self._next_message_id: dict[int, int] = {}
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._file_counter = 0
        self._open_callbacks: dict[str, int] = {}
        self._callback_counter = 0
        self._faults: list[_Fault] = []
        self._limits: _Limits | None = None
        self._sent_times: dict[int, deque[float]] = {}
        self._global_times: deque[float] = deque()
        self._poll_generation = 0
        self._updates_signal = _Signal()
        self._messages_signal = _Signal()
        self._release_signal = _Signal()
        self._methods = self._handlers()

    # ------------------------------------------------------------------ Bot API entry point

    async def call(
        self,
        token: str,
        method: str,
        params: dict[str, Any],
        files: dict[str, tuple[str, bytes, str]] | None = None,
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
        p = _Params(params)
        try:
            if name == "getupdates":
                result: Any = await self._get_updates(p)
            else:
                result = self._methods[name](p, files or {})
        except _ApiError as err:
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

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str | None,
        n: int = 1,
        kind: FaultKind = "500",
        retry_after: int = 1,
    ) -> None:
        """Make the next n calls (of method, or of any method when None) fail with kind."""
        if kind not in {"429", "500", "timeout", "drop"}:
            raise ValueError(f"unknown fault kind {kind!r}")
        if n < 1:
            raise ValueError("n must be at least 1")
        self._faults.append(_Fault(method.lower() if method else None, n, kind, retry_after))

    def clear_faults(self) -> None:
        """Forget pending faults and release hung calls."""
        self._faults.clear()
        self.release_hung()

    def release_hung(self) -> None:
        """Wake every call hanging on a 'timeout' fault (it then answers 502)."""
        self._release_signal.notify()

    def enforce_limits(
        self,
        per_chat_per_sec: int = 1,
        per_group_per_min: int = 20,
        global_per_sec: int = 30,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Answer 429 when sending methods exceed Telegram's documented rate limits."""
        self._limits = _Limits(per_chat_per_sec, per_group_per_min, global_per_sec, clock)
        self._sent_times.clear()
        self._global_times.clear()

    def disable_limits(self) -> None:
        """Stop enforcing rate limits."""
        self._limits = None

    def _take_fault(self, name: str) -> _Fault | None:
        for fault in self._faults:
            if fault.method is None or fault.method == name:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    async def _apply_fault(self, fault: _Fault) -> tuple[int, JSONDict]:
        if fault.kind == "429":
            self.too_many_requests += 1
            err = _ApiError(
                429, f"Too Many Requests: retry after {fault.retry_after}", fault.retry_after
            )
            return 429, err.payload()
        if fault.kind == "500":
            return 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}
        if fault.kind == "drop":
            raise FakeConnectionDroppedError("connection closed by the fake Bot API")
        await self._release_signal.wait(self.hang_seconds)
        return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}

    def _check_rate(self, chat_id: int) -> None:
        limits = self._limits
        if limits is None:
            return
        now = limits.clock()
        while self._global_times and self._global_times[0] <= now - 1.0:
            self._global_times.popleft()
        if len(self._global_times) >= limits.global_per_sec:
            raise self._too_many(self._global_times[0] + 1.0 - now)
        if chat_id < 0:
            window, allowed = 60.0, limits.per_group_per_min
        else:
            window, allowed = 1.0, limits.per_chat_per_sec
        times = self._sent_times.setdefault(chat_id, deque())
        while times and times[0] <= now - window:
            times.popleft()
        if len(times) >= allowed:
            raise self._too_many(times[0] + window - now)
        times.append(now)
        self._global_times.append(now)

    @staticmethod
    def _too_many(wait: float) -> _ApiError:
        retry_after = max(1, math.ceil(wait))
        return _ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)

    # ------------------------------------------------------------------ method handlers

    def _handlers(self) -> dict[str, Callable[[_Params, Files], Any]]:
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

    def _bot_user(self) -> JSONDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _get_me(self, p: _Params, files: Files) -> JSONDict:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _delete_webhook(self, p: _Params, files: Files) -> bool:
        if p.flag("drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, p: _Params, files: Files) -> JSONDict:
        return {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    @staticmethod
    def _command_key(p: _Params) -> tuple[str, str]:
        scope = p.json("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), p.opt_str("language_code") or ""

    def _set_my_commands(self, p: _Params, files: Files) -> bool:
        commands = p.json("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _ApiError(400, "Bad Request: commands must be a list of at most 100 items")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.match(
                str(command.get("command", ""))
            ):
                raise _ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._command_key(p)] = [dict(c) for c in commands]
        return True

    def _get_my_commands(self, p: _Params, files: Files) -> list[JSONDict]:
        return self.commands.get(self._command_key(p), [])

    def _delete_my_commands(self, p: _Params, files: Files) -> bool:
        self.commands.pop(self._command_key(p), None)
        return True

    def _accept_setting(self, p: _Params, files: Files) -> bool:
        self.settings[str(len(self.settings))] = dict(p.raw)
        return True

    async def _get_updates(self, p: _Params) -> list[JSONDict]:
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
                raise _ApiError(409, _CONFLICT)
            if self._updates:
                break
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            await self._updates_signal.wait(remaining)
        return self._updates[:limit]

    def _chat_for(self, p: _Params) -> int:
        """Return a chat id the bot may write to, or raise like Telegram."""
        raw = p.opt_str("chat_id")
        if raw is None or raw == "":
            raise _ApiError(400, "Bad Request: chat_id is empty")
        if raw.startswith("@"):
            raise _ApiError(400, "Bad Request: chat not found")
        chat_id = p.req_int("chat_id")
        if chat_id > 0:
            if chat_id in self.blocked_users:
                raise _ApiError(403, "Forbidden: bot was blocked by the user")
            if chat_id not in self.started_users:
                raise _ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        elif chat_id not in self.chats:
            raise _ApiError(400, "Bad Request: chat not found")
        return chat_id

    def _parse_markup(self, p: _Params) -> tuple[JSONDict | None, Buttons, list[list[str]]]:
        markup = p.json("reply_markup")
        if markup is None:
            return None, [], []
        if not isinstance(markup, dict):
            raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        buttons: Buttons = []
        keyboard: list[list[str]] = []
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list):
                raise _ApiError(400, 'Bad Request: field "inline_keyboard" must be an Array')
            for row in rows:
                out: list[tuple[str, str | None]] = []
                for button in row:
                    text = str(button.get("text", ""))
                    if not text:
                        raise _ApiError(
                            400, "Bad Request: text buttons are unallowed in the inline keyboard"
                        )
                    data = button.get("callback_data")
                    if data is not None:
                        if not 1 <= len(str(data).encode()) <= 64:
                            raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                        out.append((text, str(data)))
                    elif any(key != "text" for key in button):
                        out.append((text, None))
                    else:
                        raise _ApiError(
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
        plain = _plain_text(text, parse_mode)
        if caption:
            if len(plain) > 1024:
                raise _ApiError(400, "Bad Request: message caption is too long")
            return plain
        if not plain.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if len(plain) > 4096:
            raise _ApiError(400, "Bad Request: message is too long")
        return plain

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _store_sent(self, message: SentMessage) -> SentMessage:
        self._sent[(message.chat_id, message.message_id)] = message
        self._messages_signal.notify()
        return message

    def _send_message(self, p: _Params, files: Files) -> JSONDict:
        chat_id = self._chat_for(p)
        text = p.opt_str("text") or ""
        if not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        parse_mode = _normalize_parse_mode(p.opt_str("parse_mode"))
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

    def _resolve_upload(self, p: _Params, files: Files, name: str, kind: str) -> StoredFile:
        value = p.opt_str(name)
        if value is not None and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
        elif value is None:
            upload = files.get(name)
        else:
            stored = self._files.get(value)
            if stored is None:
                raise _ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            return stored
        if upload is None:
            raise _ApiError(400, f"Bad Request: there is no {name} in the request")
        filename, data, mime = upload
        return self.store_file(data, kind=kind, file_name=filename, mime_type=mime)

    def _send_file(self, p: _Params, files: Files, kind: Literal["document", "photo"]) -> JSONDict:
        chat_id = self._chat_for(p)
        caption = p.opt_str("caption")
        parse_mode = _normalize_parse_mode(p.opt_str("parse_mode"))
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

    def _send_document(self, p: _Params, files: Files) -> JSONDict:
        return self._send_file(p, files, "document")

    def _send_photo(self, p: _Params, files: Files) -> JSONDict:
        return self._send_file(p, files, "photo")

    def _find_editable(self, p: _Params) -> SentMessage:
        if p.has("inline_message_id"):
            raise _ApiError(400, "Bad Request: inline messages are not supported by the fake")
        chat_id = p.req_int("chat_id")
        message_id = p.req_int("message_id")
        message = self._sent.get((chat_id, message_id))
        if message is None or message.deleted:
            if (chat_id, message_id) in self._user_messages:
                raise _ApiError(400, "Bad Request: message can't be edited")
            raise _ApiError(400, "Bad Request: message to edit not found")
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
            raise _ApiError(400, _NOT_MODIFIED)
        message.edits.append(MessageVersion(message.text, message.parse_mode, message.buttons))
        message.text, message.parse_mode, message.plain_text = text, parse_mode, plain
        message.reply_markup, message.buttons = markup, buttons
        message.edit_date = int(self.clock())
        self._messages_signal.notify()
        return self._message_json(message)

    def _edit_message_text(self, p: _Params, files: Files) -> JSONDict:
        message = self._find_editable(p)
        if message.kind != "text":
            raise _ApiError(400, "Bad Request: there is no text in the message to edit")
        text = p.opt_str("text") or ""
        if not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        parse_mode = _normalize_parse_mode(p.opt_str("parse_mode"))
        plain = self._checked_text(text, parse_mode, caption=False)
        markup, buttons, _ = self._parse_markup(p)
        return self._apply_edit(message, text, parse_mode, plain, markup, buttons)

    def _edit_message_reply_markup(self, p: _Params, files: Files) -> JSONDict:
        message = self._find_editable(p)
        markup, buttons, _ = self._parse_markup(p)
        if markup is not None and "inline_keyboard" not in markup:
            raise _ApiError(400, "Bad Request: only inline keyboards can be edited")
        return self._apply_edit(
            message, message.text, message.parse_mode, message.plain_text, markup, buttons
        )

    def _answer_callback_query(self, p: _Params, files: Files) -> bool:
        query_id = p.opt_str("callback_query_id") or ""
        user_id = self._open_callbacks.pop(query_id, None)
        if user_id is None:
            raise _ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        text = p.opt_str("text")
        if text is not None and len(text) > 200:
            raise _ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.callback_answers.append(
            CallbackAnswer(query_id, user_id, text, p.flag("show_alert"), p.opt_str("url"))
        )
        return True

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

    def _delete_message(self, p: _Params, files: Files) -> bool:
        if not self._delete_one(p.req_int("chat_id"), p.req_int("message_id")):
            raise _ApiError(400, "Bad Request: message to delete not found")
        return True

    def _delete_messages(self, p: _Params, files: Files) -> bool:
        chat_id = p.req_int("chat_id")
        ids = p.json("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise _ApiError(400, "Bad Request: message_ids must contain 1-100 identifiers")
        for message_id in ids:
            self._delete_one(chat_id, int(message_id))
        return True

    def _send_chat_action(self, p: _Params, files: Files) -> bool:
        chat_id = self._chat_for(p)
        action = p.opt_str("action") or ""
        if action not in _CHAT_ACTIONS:
            raise _ApiError(400, "Bad Request: wrong parameter action in request")
        self.chat_actions.append((chat_id, action))
        return True

    def _get_file(self, p: _Params, files: Files) -> JSONDict:
        stored = self._files.get(p.opt_str("file_id") or "")
        if stored is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    def _get_chat(self, p: _Params, files: Files) -> JSONDict:
        chat_id = p.req_int("chat_id")
        chat = self.chats.get(chat_id)
        if chat is None:
            raise _ApiError(400, "Bad Request: chat not found")
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

    def _leave_chat(self, p: _Params, files: Files) -> bool:
        chat_id = p.req_int("chat_id")
        if chat_id > 0:
            raise _ApiError(
                400, "Bad Request: chat member status can't be changed in private chats"
            )
        if self.chats.pop(chat_id, None) is None:
            raise _ApiError(400, "Bad Request: chat not found")
        self.left_chats.append(chat_id)
        return True

    def _message_json(self, message: SentMessage) -> JSONDict:
        data: JSONDict = {
            "message_id": message.message_id,
            "from": self._bot_user(),
            "chat": self.chats.get(message.chat_id, {"id": message.chat_id, "type": "private"}),
            "date": message.date,
        }
        if message.kind == "text":
            data["text"] = message.plain_text or ""
        elif message.plain_text:
            data["caption"] = message.plain_text
        stored = self._files.get(message.file_id or "")
        if message.kind == "document" and stored:
            data["document"] = self._document_json(stored)
        if message.kind == "photo" and stored:
            data["photo"] = [self._photo_json(stored)]
        if message.buttons and message.reply_markup:
            data["reply_markup"] = {"inline_keyboard": message.reply_markup["inline_keyboard"]}
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        return data

    # ------------------------------------------------------------------ files

    def store_file(
        self,
        data: bytes,
        *,
        kind: str = "documents",
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        """Store bytes under a new file_id and file_path (served for downloads)."""
        self._file_counter += 1
        n = self._file_counter
        suffix = ""
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1]
        elif kind == "photos":
            suffix = ".jpg"
        elif kind == "voice":
            suffix = ".oga"
        elif kind == "stickers":
            suffix = ".webp"
        stored = StoredFile(
            file_id=f"FAKE-{kind}-{n:06d}",
            file_unique_id=f"U{n:06d}",
            file_path=f"{kind}/file_{n}{suffix}",
            data=bytes(data),
            file_name=file_name,
            mime_type=mime_type,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def file(self, file_id: str) -> StoredFile:
        """Return a stored file by id (raises KeyError if unknown)."""
        return self._files[file_id]

    @staticmethod
    def _document_json(stored: StoredFile) -> JSONDict:
        data: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        if stored.file_name:
            data["file_name"] = stored.file_name
        if stored.mime_type:
            data["mime_type"] = stored.mime_type
        return data

    @staticmethod
    def _photo_json(stored: StoredFile) -> JSONDict:
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "width": 800,
            "height": 600,
        }

    # ------------------------------------------------------------------ simulation API

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

    # ------------------------------------------------------------------ query helpers

    def messages(self, chat_id: int, *, include_deleted: bool = False) -> list[SentMessage]:
        """Return the bot's messages in a chat, oldest first."""
        found = [m for (c, _), m in self._sent.items() if c == chat_id]
        found.sort(key=lambda m: m.message_id)
        return [m for m in found if include_deleted or not m.deleted]

    def all_messages(self, *, include_deleted: bool = False) -> list[SentMessage]:
        """Return every bot message in every chat."""
        return [m for m in self._sent.values() if include_deleted or not m.deleted]

    def last_message(self, chat_id: int) -> SentMessage:
        """Return the bot's newest non-deleted message in a chat (LookupError if none)."""
        found = self.messages(chat_id)
        if not found:
            raise LookupError(f"the bot sent no message to chat {chat_id}")
        return found[-1]

    def button(self, chat_id: int, label_substring: str) -> tuple[int, str]:
        """Return (message_id, callback_data) of the newest button whose label contains text."""
        needle = label_substring.casefold()
        labels: list[str] = []
        for message in reversed(self.messages(chat_id)):
            for row in message.buttons:
                for label, data in row:
                    labels.append(label)
                    if data is not None and needle in label.casefold():
                        return message.message_id, data
        raise LookupError(
            f"no button containing {label_substring!r} in chat {chat_id}; buttons: {labels}"
        )

    async def wait_for_message(
        self,
        chat_id: int,
        predicate: Callable[[SentMessage], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the documented test API
        *,
        after_message_id: int = 0,
    ) -> SentMessage:
        """Wait until a bot message in the chat (id > after_message_id) satisfies predicate."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for message in reversed(self.messages(chat_id)):
                if message.message_id > after_message_id and (
                    predicate is None or predicate(message)
                ):
                    return message
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = [m.plain_text or m.text for m in self.messages(chat_id)]
                raise TimeoutError(
                    f"no matching message in chat {chat_id} within {timeout}s; seen: {seen}"
                )
            await self._messages_signal.wait(remaining)

    def updates_pending(self) -> int:
        """Return how many updates are not yet confirmed by a getUpdates offset."""
        return len(self._updates)

    def last_message_id(self, chat_id: int) -> int:
        """Return the newest message id used in a chat (0 if none)."""
        return self._next_message_id.get(chat_id, 1) - 1

    def stats(self) -> JSONDict:
        """Return counters for monitoring and the control API."""
        return {
            "updates_total": self.updates_total,
            "updates_pending": len(self._updates),
            "next_update_id": self.next_update_id,
            "messages_sent": len(self._sent),
            "messages_deleted": sum(1 for m in self._sent.values() if m.deleted),
            "callback_answers": len(self.callback_answers),
            "too_many_requests": self.too_many_requests,
            "faults_pending": sum(f.remaining for f in self._faults),
            "users": len(self.users),
            "chats": len(self.chats),
            "calls": dict(self.call_counts),
        }
