"""Which updates may run at the same time: lanes by chat and user."""

from __future__ import annotations

from telegram import Chat, Message, Update, User

from bot.channels.telegram.lanes import ALONE, InFlight, conflicts, lane_keys


def _message(update_id: int, chat: int, user: int | None) -> Update:
    sender = User(user, "Uji", is_bot=False) if user is not None else None
    kind = Chat.PRIVATE if chat > 0 else Chat.SUPERGROUP
    msg = Message(1, None, Chat(chat, kind), from_user=sender)  # type: ignore[arg-type]
    return Update(update_id, message=msg)


def test_an_update_is_in_the_lanes_of_its_chat_and_its_user() -> None:
    assert lane_keys(_message(1, 5, 5)) == {5}
    assert lane_keys(_message(2, -100, 5)) == {-100, 5}
    assert lane_keys(Update(3)) == {ALONE}


def test_updates_conflict_when_they_share_a_chat_or_a_user() -> None:
    private, group = lane_keys(_message(1, 5, 5)), lane_keys(_message(2, -100, 5))
    colleague = lane_keys(_message(3, -100, 6))
    stranger = lane_keys(_message(4, 7, 7))
    assert conflicts(private, group)  # the same person in two chats
    assert conflicts(group, colleague)  # the same group
    assert not conflicts(private, colleague) and not conflicts(private, stranger)
    assert not conflicts(private, set())


def test_an_update_without_chat_or_user_runs_alone() -> None:
    alone, private = lane_keys(Update(1)), lane_keys(_message(2, 5, 5))
    assert conflicts(alone, private) and conflicts(private, alone)
    assert not conflicts(alone, set())


def test_in_flight_knows_the_owner_until_the_update_leaves() -> None:
    busy = InFlight()
    busy.enter(10, frozenset({-100, 5}))
    assert busy.owner(5) == 10 and busy.busy(-100) and not busy.busy(6)
    assert busy.held_by_other(5, 11) and not busy.held_by_other(5, 10)
    assert not busy.held_by_other(None, 11)
    busy.leave(frozenset({-100, 5}))
    assert busy.owner(5) is None and not busy.held_by_other(5, 11)
