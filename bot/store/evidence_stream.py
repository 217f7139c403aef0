"""The evidence file format: a STREAM-like chain of AES-GCM segments (no I/O here).

A file is a header, then segments of at most ``SEGMENT`` plaintext bytes, each sealed with
AES-GCM (16-byte tag) under a per-file key::

    header  = MAGIC | version (1) | key id (4) | salt (16)
    file key = HKDF-SHA256(subkey "evidence-files" of the secret key, salt, info = file id)
    nonce_i  = i (11 bytes, big-endian) | final flag (1 byte: 1 on the last segment)
    AAD_i    = header | file id | i (8 bytes) | final flag

Every segment but the last holds exactly ``SEGMENT`` bytes; the last one may be empty. A
segment moved to another place (reordered), taken from another file, or a file cut short at a
segment boundary (its new last segment was not sealed as final) fails authentication, as does
any changed byte. The key id says which secret key the file is under (key rotation).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.crypto import Cipher

__all__ = [
    "DIGEST_PURPOSE",
    "FILE_PURPOSE",
    "HEADER_LEN",
    "MAGIC",
    "SEGMENT",
    "SEGMENT_OVERHEAD",
    "EvidenceFileError",
    "Header",
    "SegmentCipher",
    "digest_of",
    "row_digest",
]

MAGIC = b"PPAE"
_VERSION = 1
_KEY_ID_LEN = 4
_SALT_LEN = 16
HEADER_LEN = len(MAGIC) + 1 + _KEY_ID_LEN + _SALT_LEN
# plaintext bytes per segment, and what sealing adds to each (the GCM tag)
SEGMENT = 64 * 1024
SEGMENT_OVERHEAD = 16
# HKDF purposes of the secret key (bot/crypto.py Cipher.subkey)
FILE_PURPOSE = "evidence-files"
DIGEST_PURPOSE = "evidence-digest"


class EvidenceFileError(ValueError):
    """An evidence file is missing, damaged, cut short, reordered or not this file."""


@dataclass(frozen=True)
class Header:
    """A file's header: which secret key it is under, and its per-file salt."""

    key_id: str
    salt: bytes

    def encode(self) -> bytes:
        """The header's bytes as stored at the start of the file."""
        return MAGIC + bytes([_VERSION]) + bytes.fromhex(self.key_id) + self.salt

    @classmethod
    def decode(cls, data: bytes) -> Header:
        """Parse a header (EvidenceFileError if it is not one)."""
        if len(data) != HEADER_LEN or not data.startswith(MAGIC) or data[4] != _VERSION:
            raise EvidenceFileError("not an evidence file")
        return cls(data[5 : 5 + _KEY_ID_LEN].hex(), data[5 + _KEY_ID_LEN :])


class SegmentCipher:
    """Seals and opens the segments of one file (its id and header are bound to each)."""

    def __init__(self, cipher: Cipher, file_id: str, header: Header) -> None:
        base = cipher.subkey(FILE_PURPOSE, header.key_id)
        key = HKDF(
            algorithm=SHA256(), length=32, salt=header.salt, info=b"file:" + file_id.encode()
        ).derive(base)
        self._aead = AESGCM(key)
        self._prefix = header.encode() + file_id.encode()

    @staticmethod
    def _nonce(index: int, final: bool) -> bytes:
        return index.to_bytes(11, "big") + (b"\x01" if final else b"\x00")

    def _aad(self, index: int, final: bool) -> bytes:
        return self._prefix + index.to_bytes(8, "big") + (b"\x01" if final else b"\x00")

    def seal(self, index: int, plaintext: bytes | bytearray | memoryview, final: bool) -> bytes:
        """Segment ``index`` sealed (``final``: the file's last segment)."""
        nonce, aad = self._nonce(index, final), self._aad(index, final)
        return self._aead.encrypt(nonce, bytes(plaintext), aad)

    def open(self, index: int, sealed: bytes, final: bool) -> bytes:
        """Segment ``index`` opened; EvidenceFileError if it is not that segment of this file."""
        try:
            return self._aead.decrypt(self._nonce(index, final), sealed, self._aad(index, final))
        except Exception:  # cryptography raises InvalidTag
            raise EvidenceFileError(
                f"segment {index} fails authentication (damaged, cut short or reordered)"
            ) from None


def digest_of(cipher: Cipher, key_id: str | None = None) -> hmac.HMAC:
    """A keyed digest (HMAC-SHA256) of a file's plaintext: without the key, a known photo
    cannot be matched against the stored digest."""
    return hmac.new(cipher.subkey(DIGEST_PURPOSE, key_id), digestmod="sha256")


def row_digest(
    cipher: Cipher, case_id: int, ref: str, content: str, key_id: str | None = None
) -> str:
    """What a row keeps as its digest: a MAC over its case, its file's name and the keyed digest
    of the content. A file reference (with its digest) copied from another case's row into
    this one does not verify: staff of this case are never sent that case's file."""
    mac = hmac.new(cipher.subkey(DIGEST_PURPOSE, key_id), digestmod="sha256")
    mac.update(f"evidence-row\x00{int(case_id)}\x00{ref}\x00{content}".encode())
    return mac.hexdigest()
