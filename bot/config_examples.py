"""The example offices file: refused outside the demo (made-up staff ids and numbers)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from bot.config import ConfigError

__all__ = ["EXAMPLE_GROUPS", "EXAMPLE_NUMBERS", "EXAMPLE_ROSTER_IDS", "check_not_example"]


# the made-up values of config/offices.example.toml: a copy that still holds one of them would
# publish a stranger's number to reporters or give a stranger the staff's rights
EXAMPLE_ROSTER_IDS = frozenset(f"{office}0000000{n}" for office in (1, 2, 3) for n in range(1, 10))
EXAMPLE_GROUPS = frozenset({-1001000000001, -1001000000002, -1001000000003})
EXAMPLE_NUMBERS = frozenset({"081122334455"})  # made up; the others are the units' own


def _example_value(item: dict[str, Any]) -> str | None:
    """The first made-up value an office entry still holds, described (None: none)."""
    for uid in item.get("roster") or {}:
        if str(uid) in EXAMPLE_ROSTER_IDS:
            return f"the example roster (user id {uid})"
    if item.get("staff_chat_id") in EXAMPLE_GROUPS:
        return f"the example staff group id {item['staff_chat_id']}"
    for number in [*(item.get("phones") or []), *(item.get("whatsapp") or [])]:
        if str(number) in EXAMPLE_NUMBERS:
            return f"the example public number {number}"
    return None


def check_not_example(path: Path, *, allow: bool) -> None:
    """Refuse the example office file, or a copy still holding its made-up roster or numbers.

    Outside the demo the bot would otherwise show reporters a made-up number and give staff
    rights to made-up ids. ``allow`` (PPA_ALLOW_EXAMPLE=1) is for the demo and tests only.
    """
    if allow or not path.exists():
        return
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError:
        return  # load_offices says what is wrong with it
    fix = (
        "copy config/offices.example.toml to config/offices.toml, put your unit's own staff "
        "ids, group and numbers, and set PPA_OFFICES (PPA_ALLOW_EXAMPLE=1 only for a demo)"
    )
    if raw.get("example") is True:
        raise ConfigError(
            f"PPA_OFFICES: {path} is the example roster with made-up ids and numbers; {fix}"
        )
    for item in raw.get("office") or []:
        if isinstance(item, dict) and (found := _example_value(item)) is not None:
            raise ConfigError(
                f"PPA_OFFICES: {path}: office {item.get('id', '?')} still holds {found} "
                f"from the example roster; {fix}"
            )
