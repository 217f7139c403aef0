"""What a file really is, from its first bytes (magic numbers), never from the sender's word.

The MIME type a chat app reports is what the sender's device claimed; a renamed executable or
archive can claim ``application/pdf``. Evidence is kept only when its content is one of the
types below, and it is stored with the type found here.
"""

from __future__ import annotations

__all__ = ["ACCEPTED", "HEAD_BYTES", "sniff"]

# how many leading bytes ``sniff`` reads (a ZIP's central directory is read from the end)
HEAD_BYTES = 64

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# every type evidence may have (what ``sniff`` can return)
ACCEPTED = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/heic",
        "application/pdf",
        "application/msword",
        DOCX,
        "audio/ogg",
        "audio/mpeg",
        "audio/mp4",
        "video/mp4",
        "video/quicktime",
        "text/plain",
    }
)

_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1"}
_AUDIO_MP4_BRANDS = {b"M4A ", b"M4B "}


def _iso_media(head: bytes) -> str | None:
    """ISO base media (MP4, M4A, MOV, HEIC): ``....ftyp<brand>``."""
    if head[4:8] != b"ftyp":
        return None
    brand = head[8:12]
    if brand in _HEIC_BRANDS:
        return "image/heic"
    if brand in _AUDIO_MP4_BRANDS:
        return "audio/mp4"
    if brand == b"qt  ":
        return "video/quicktime"
    return "video/mp4"


def _mpeg_audio(head: bytes) -> bool:
    """MP3: an ID3 tag, or an MPEG audio frame sync (11 bits set, layer III)."""
    if head.startswith(b"ID3"):
        return True
    return len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06 == 0x02


def _plain_text(head: bytes) -> bool:
    """UTF-8 text without control characters other than tab and line ends."""
    if not head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # the head may end in the middle of a character
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return all(c in "\t\r\n" or ord(c) >= 32 for c in text.lstrip("\ufeff"))


def sniff(data: bytes, *, declared: str | None = None) -> str | None:
    """The real type of a file from its first bytes (one of ``ACCEPTED``), or None: refuse.

    ``declared`` only tells a Word document (a ZIP container) from any other ZIP, and lets
    plain text through when it was sent as text; it never makes a file acceptable by itself.
    """
    head = bytes(data[:HEAD_BYTES])
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # OLE2: the old .doc
        return "application/msword" if declared == "application/msword" else None
    if head.startswith(b"PK\x03\x04"):  # a ZIP: only a Word document, and only as one
        # the central directory at the end names the parts: a Word document has word/...
        return DOCX if declared == DOCX and b"word/document.xml" in bytes(data[-65536:]) else None
    media = _iso_media(head)
    if media is not None:
        return media
    if _mpeg_audio(head):
        return "audio/mpeg"
    if declared == "text/plain" and _plain_text(head):
        return "text/plain"
    return None
