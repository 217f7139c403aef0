"""Telegram's HTML and MarkdownV2 checks, turning formatted text into what users see."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from bot.testing.fake_telegram.protocol import ApiError

__all__ = ["normalize_parse_mode", "render_plain"]

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
        raise ApiError(400, f"Bad Request: can't parse entities: {message} at byte offset {offset}")

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
        raise ApiError(
            400,
            "Bad Request: can't parse entities: Can't find end of the entity starting at "
            f"byte offset {offset} (escape & as &amp;)",
        )
    parser = _TelegramHtml(text)
    parser.feed(text)
    parser.close()
    if parser.stack:
        raise ApiError(
            400,
            "Bad Request: can't parse entities: Can't find end tag corresponding to start tag "
            f'"{parser.stack[-1]}"',
        )
    return "".join(parser.plain)


def _parse_markdown_v2(text: str) -> str:
    """Validate MarkdownV2 roughly (reserved characters and balanced markers); return plain."""

    def fail(message: str, index: int) -> None:
        offset = len(text[:index].encode())
        raise ApiError(400, f"Bad Request: can't parse entities: {message} at byte offset {offset}")

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


def normalize_parse_mode(parse_mode: str | None) -> str | None:
    """Return the canonical parse mode name or raise 400."""
    if parse_mode is None or parse_mode == "":
        return None
    canonical = {"html": "HTML", "markdownv2": "MarkdownV2", "markdown": "Markdown"}
    try:
        return canonical[parse_mode.lower()]
    except KeyError:
        raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode!r}") from None


def render_plain(text: str, parse_mode: str | None) -> str:
    """Validate formatted text and return what the user would see."""
    if parse_mode == "HTML":
        return _parse_html(text)
    if parse_mode == "MarkdownV2":
        return _parse_markdown_v2(text)
    return text
