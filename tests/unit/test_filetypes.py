"""Security review #16: a file's real type from its first bytes, never the sender's word."""

from __future__ import annotations

import pytest

from bot.domain.filetypes import ACCEPTED, DOCX, sniff

DOCX_BYTES = b"PK\x03\x04" + b"\x00" * 26 + b"[Content_Types].xml" + b"..." + b"word/document.xml"


@pytest.mark.parametrize(
    ("data", "declared", "real"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n....", "image/jpeg", "image/png"),  # stored as what it is
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", None, "image/webp"),
        (b"%PDF-1.7\n", "application/pdf", "application/pdf"),
        (b"OggS\x00\x02", "audio/ogg", "audio/ogg"),
        (b"ID3\x03\x00", "audio/mpeg", "audio/mpeg"),
        (b"\x00\x00\x00\x18ftypmp42", "video/mp4", "video/mp4"),
        (b"\x00\x00\x00\x18ftypheic", "image/heic", "image/heic"),
        (b"\x00\x00\x00\x18ftypM4A ", "audio/x-m4a", "audio/mp4"),
        (DOCX_BYTES, DOCX, DOCX),
        (b"Saya dipukul.\nTolong.", "text/plain", "text/plain"),
    ],
)
def test_accepted_types_are_recognised_by_their_content(
    data: bytes, declared: str | None, real: str
) -> None:
    assert sniff(data, declared=declared) == real
    assert real in ACCEPTED


@pytest.mark.parametrize(
    ("data", "declared"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00", "application/pdf"),  # a Windows program calling itself PDF
        (b"\x7fELF\x02\x01\x01", "image/jpeg"),
        (b"PK\x03\x04" + b"\x00" * 40 + b"payload.apk", DOCX),  # a ZIP that is no Word file
        (DOCX_BYTES, "application/pdf"),  # a ZIP claiming to be a PDF
        (b"#!/bin/sh\nrm -rf /\n", "application/pdf"),  # text, but not sent as text
        (b"\x00\x01\x02binary", "text/plain"),
        (b"", "application/pdf"),
    ],
)
def test_anything_else_is_refused_whatever_it_claims(data: bytes, declared: str) -> None:
    assert sniff(data, declared=declared) is None
