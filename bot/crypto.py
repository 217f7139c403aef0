"""Field encryption (AES-GCM) with key ids, and HMAC blind indexes for look-ups."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["Cipher", "KeyError_", "UnknownKeyError", "generate_key", "parse_key"]

_VERSION = b"\x01"
_KEY_ID_LEN = 4


class KeyError_(ValueError):
    """The secret key is missing or malformed."""


class UnknownKeyError(ValueError):
    """A stored value was encrypted under a key this process does not hold (wrong key)."""

    def __init__(self, found: str, current: str) -> None:
        super().__init__(f"value encrypted under unknown key {found}")
        self.found = found
        self.current = current


def generate_key() -> str:
    """A new random 256-bit key, URL-safe base64 (what PPA_SECRET_KEY expects)."""
    while True:
        key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")
        if not key.startswith("-"):  # a leading dash reads as an option on command lines
            return key


def parse_key(text: str) -> bytes:
    """Decode PPA_SECRET_KEY, raising KeyError_ with a clear reason."""
    text = text.strip()
    if not text:
        raise KeyError_("PPA_SECRET_KEY is empty. Make one with `ppa-bot keygen`.")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise KeyError_(
            "PPA_SECRET_KEY is not URL-safe base64. Make one with `ppa-bot keygen`."
        ) from None
    if len(raw) != 32:
        raise KeyError_(
            f"PPA_SECRET_KEY must decode to 32 bytes, got {len(raw)}. "
            "Make one with `ppa-bot keygen`."
        )
    return raw


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=b"ppa-bot:" + purpose).derive(master)


class Cipher:
    """Encrypts values under the current key; decrypts under any known key."""

    def __init__(self, key: str, old_keys: tuple[str, ...] = ()) -> None:
        master = parse_key(key)
        self._current = self._make(master)
        self._by_id: dict[bytes, AESGCM] = {self._current[0]: self._current[1]}
        # the secret keys by id, for subkeys of other purposes (the evidence file store)
        self._masters: dict[bytes, bytes] = {self._current[0]: master}
        for old in old_keys:
            old_master = parse_key(old)
            kid, aead = self._make(old_master)
            self._by_id.setdefault(kid, aead)
            self._masters.setdefault(kid, old_master)
        # blind indexes always use the current key's index subkey
        self._index_key = _derive(master, b"index")
        # MACs over rows that grant rights or route messages (roster, staff groups)
        self._mac_key = _derive(master, b"integrity")

    @staticmethod
    def _make(master: bytes) -> tuple[bytes, AESGCM]:
        kid = hashlib.sha256(b"ppa-bot:key-id:" + master).digest()[:_KEY_ID_LEN]
        return kid, AESGCM(_derive(master, b"fields"))

    @property
    def key_id(self) -> str:
        """Hex id of the current key (stored with every value)."""
        return self._current[0].hex()

    def encrypt(self, plaintext: bytes, *, context: bytes = b"") -> bytes:
        """version | key id | nonce | ciphertext+tag; ``context`` is bound as AAD."""
        kid, aead = self._current
        nonce = os.urandom(12)
        return _VERSION + kid + nonce + aead.encrypt(nonce, plaintext, context)

    def decrypt(self, blob: bytes, *, context: bytes = b"") -> bytes:
        """Reverse of encrypt; raises ValueError for an unknown key or a tampered value."""
        if len(blob) < 1 + _KEY_ID_LEN + 12 + 16 or blob[:1] != _VERSION:
            raise ValueError("not an encrypted value")
        kid = blob[1 : 1 + _KEY_ID_LEN]
        aead = self._by_id.get(kid)
        if aead is None:
            raise UnknownKeyError(kid.hex(), self.key_id)
        nonce = blob[1 + _KEY_ID_LEN : 1 + _KEY_ID_LEN + 12]
        try:
            return aead.decrypt(nonce, blob[1 + _KEY_ID_LEN + 12 :], context)
        except Exception:  # cryptography raises InvalidTag
            raise ValueError("encrypted value failed authentication") from None

    def key_id_of(self, blob: bytes) -> str:
        """The key id a stored value was encrypted under."""
        return blob[1 : 1 + _KEY_ID_LEN].hex()

    @staticmethod
    def json_text(value: Any) -> str:
        """The JSON that ``encrypt_json`` encrypts."""
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def encrypt_json(self, value: Any, *, context: bytes = b"") -> bytes:
        """Encrypt a JSON-serialisable value."""
        return self.encrypt(self.json_text(value).encode("utf-8"), context=context)

    def decrypt_json(self, blob: bytes, *, context: bytes = b"") -> Any:
        """Decrypt a value made by encrypt_json."""
        return json.loads(self.decrypt(blob, context=context).decode("utf-8"))

    def blind_index(self, kind: str, value: str) -> str:
        """Deterministic keyed hash for equality look-ups (tracking code, phone)."""
        mac = hmac.new(self._index_key, kind.encode() + b"\x00" + value.encode(), "sha256")
        return mac.hexdigest()

    def mac(self, kind: str, fields: Sequence[object]) -> str:
        """A keyed MAC (HMAC-SHA256, its own subkey) over a row's fields, for integrity."""
        data = json.dumps([kind, *fields], ensure_ascii=False, separators=(",", ":"), default=str)
        return hmac.new(self._mac_key, data.encode("utf-8"), "sha256").hexdigest()

    def mac_ok(self, kind: str, fields: Sequence[object], mac: str | None) -> bool:
        """Whether ``mac`` is this key's MAC of the fields (constant-time compare)."""
        return mac is not None and hmac.compare_digest(self.mac(kind, fields), mac)

    def subkey(self, purpose: str, key_id: str | None = None) -> bytes:
        """A 256-bit key for ``purpose`` (HKDF) derived from the current key, or from the known
        key with id ``key_id``; UnknownKeyError for a key this process does not hold."""
        kid = self._current[0] if key_id is None else bytes.fromhex(key_id)
        master = self._masters.get(kid)
        if master is None:
            raise UnknownKeyError(kid.hex(), self.key_id)
        return _derive(master, purpose.encode())
