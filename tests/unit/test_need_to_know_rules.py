"""The need-to-know rule (bot.domain.permissions) and the HTML splitter of the details message."""

from __future__ import annotations

import html

import pytest

from bot.channels.telegram.handlers.staff import split_html
from bot.domain.office import Office, Role
from bot.domain.permissions import (
    IdentityFacts,
    may_grant_access,
    may_read_identity,
    may_receive_access,
)
from bot.testing.fake_telegram.formatting import render_plain

HEAD, OFFICER, MANAGER, PSY, MEDIATOR, STRANGER = 1, 2, 3, 4, 5, 99
OFFICE = Office(
    id="x",
    name="X",
    city="X",
    timezone="Asia/Jakarta",
    channels={"telegram": "-1"},
    hours={},
    roster={
        HEAD: frozenset({Role.KETUA}),
        OFFICER: frozenset({Role.PETUGAS}),
        MANAGER: frozenset({Role.MANAJER_KASUS}),
        PSY: frozenset({Role.PSIKOLOG}),
        MEDIATOR: frozenset({Role.MEDIATOR}),
    },
)
NOTHING = IdentityFacts()


def test_head_and_case_managers_always_strangers_never() -> None:
    everything = IdentityFacts(STRANGER, frozenset({STRANGER}), True, frozenset({STRANGER}))
    assert may_read_identity(OFFICE, NOTHING, HEAD)
    assert may_read_identity(OFFICE, NOTHING, MANAGER)
    assert not may_read_identity(OFFICE, everything, STRANGER)  # not on the roster


def test_other_roles_only_when_they_handle_the_case() -> None:
    for user in (OFFICER, PSY, MEDIATOR):
        assert not may_read_identity(OFFICE, NOTHING, user)
        assert may_read_identity(OFFICE, IdentityFacts(taken_by=user), user)
        assert may_read_identity(OFFICE, IdentityFacts(step_people=frozenset({user})), user)
        assert may_read_identity(OFFICE, IdentityFacts(granted=frozenset({user})), user)
        assert not may_read_identity(OFFICE, IdentityFacts(granted=frozenset({HEAD})), user)
    at_first = IdentityFacts(in_first_response=True)
    assert may_read_identity(OFFICE, at_first, OFFICER)
    assert not may_read_identity(OFFICE, at_first, PSY)


def test_grants() -> None:
    assert may_grant_access(OFFICE, HEAD)
    assert not any(may_grant_access(OFFICE, u) for u in (OFFICER, MANAGER, PSY, STRANGER))
    assert may_receive_access(OFFICE, PSY) and not may_receive_access(OFFICE, STRANGER)


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _check(parts: list[str], limit: int) -> str:
    """Each part fits and is valid Telegram HTML; returns the plain text of all parts."""
    for part in parts:
        assert part and _utf16(part) <= limit, part
        render_plain(part, "HTML")  # raises on a broken tag or entity
    return " ".join(render_plain(p, "HTML") for p in parts)


def test_short_text_is_one_part() -> None:
    assert split_html("<b>a</b> b", 100) == ["<b>a</b> b"]


def test_words_and_entities_are_never_cut() -> None:
    text = " ".join(html.escape(f"w{i}&<>") for i in range(300))
    parts = split_html(text, 97)
    assert len(parts) > 10
    assert _check(parts, 97).split() == [f"w{i}&<>" for i in range(300)]


def test_line_breaks_are_preferred_unless_they_come_early() -> None:
    line = "a first line long enough to count"
    assert split_html(line + "\n" + "second " * 10, 60)[0] == line
    # a line break early in the part would waste a message: a space is used instead
    assert split_html("first\n" + "second " * 10, 60)[0].startswith("first\nsecond second")


def test_tags_open_at_a_cut_are_closed_and_opened_again() -> None:
    text = "<b>" + " ".join(f"bold{i}" for i in range(50)) + '</b> <a href="https://x.y">link</a>'
    parts = split_html(text, 80)
    plain = _check(parts, 80)
    assert plain.split() == [f"bold{i}" for i in range(50)] + ["link"]
    assert all(p.startswith("<b>") for p in parts[:-1])


def test_a_word_longer_than_a_message_is_cut_but_not_inside_an_entity() -> None:
    word = "x" * 30 + "&amp;" * 30
    parts = split_html(f"start {word} end", 40)
    assert "".join(_check([p], 40).replace(" ", "") for p in parts) == (
        "start" + "x" * 30 + "&" * 30 + "end"
    )


def test_emoji_count_twice() -> None:
    text = " ".join("🔒" * 5 for _ in range(40))
    parts = split_html(text, 50)
    _check(parts, 50)
    assert "".join(parts).replace(" ", "") == "🔒" * 200


def test_cannot_split_below_a_tag() -> None:
    with pytest.raises(ValueError):
        split_html('<a href="https://example.org/a/long/address">x</a> and more words', 10)
