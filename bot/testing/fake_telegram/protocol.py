"""Wire-level basics of the fake Bot API: JSON types, errors and request parameters."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal, get_args

__all__ = [
    "FAULT_KINDS",
    "ApiError",
    "Buttons",
    "FakeConnectionDroppedError",
    "FaultKind",
    "Files",
    "Handler",
    "JSONDict",
    "Params",
]

FaultKind = Literal["429", "500", "timeout", "drop"]
FAULT_KINDS: tuple[FaultKind, ...] = get_args(FaultKind)
JSONDict = dict[str, Any]
Files = dict[str, tuple[str, bytes, str]]
Buttons = list[list[tuple[str, str | None]]]


class FakeConnectionDroppedError(Exception):
    """Signal that the fake closed the connection without sending a response."""


class ApiError(Exception):
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


class Params:
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
            raise ApiError(400, f"Bad Request: invalid {name} specified") from None

    def req_int(self, name: str) -> int:
        """Return a required integer parameter."""
        value = self.opt_int(name)
        if value is None:
            raise ApiError(400, f"Bad Request: {name} is empty")
        return value

    def opt_float(self, name: str) -> float | None:
        """Return a float parameter or None."""
        value = self.raw.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ApiError(400, f"Bad Request: invalid {name} specified") from None

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
                raise ApiError(400, f"Bad Request: can't parse {name} JSON object") from None
        return value


Handler = Callable[[Params, Files], Any]
