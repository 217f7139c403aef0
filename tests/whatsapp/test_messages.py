"""Cloud API bodies: buttons when they fit, lists of at most 10 rows, nothing dropped."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.channels.whatsapp.messages import BODY_MAX, Choice, choice_messages, wa_format
from bot.channels.whatsapp.payload import parse_webhook, sign, signature_ok
from bot.testing.fake_whatsapp import SentWa, WebhookMaker


def _rows(messages: list[dict[str, object]]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for m in messages:
        out += SentWa("1", dict(m), "x").choices
    return out


def test_three_short_choices_are_reply_buttons() -> None:
    msgs = choice_messages("Q?", [Choice(str(i), f"opt {i}") for i in range(3)], pick="Pilih")
    assert len(msgs) == 1 and msgs[0]["interactive"]["type"] == "button"


def test_a_long_label_or_a_fourth_choice_makes_a_list() -> None:
    long = [Choice("a", "x" * 21), Choice("b", "y")]
    assert choice_messages("Q?", long, pick="Pilih")[0]["interactive"]["type"] == "list"
    four = [Choice(str(i), "o") for i in range(4)]
    assert choice_messages("Q?", four, pick="Pilih")[0]["interactive"]["type"] == "list"


def test_25_choices_are_three_lists_and_every_one_is_there() -> None:
    choices = [
        Choice(f"id{i}", f"Pilihan nomor {i} dengan label yang panjang sekali") for i in range(25)
    ]
    msgs = choice_messages("Q?", choices, pick="Pilih")
    assert [len(SentWa("1", dict(m), "x").choices) for m in msgs] == [10, 10, 5]
    assert [cid for cid, _ in _rows(msgs)] == [c.id for c in choices]
    for m in msgs:
        for row in m["interactive"]["action"]["sections"][0]["rows"]:
            assert len(row["title"]) <= 24 and len(row["description"]) <= 72


def test_a_body_too_long_for_an_interactive_goes_first_as_text() -> None:
    body = "k" * (BODY_MAX + 1)
    msgs = choice_messages(body, [Choice("y", "Ya"), Choice("n", "Tidak")], pick="Pilih")
    assert msgs[0] == {"type": "text", "text": {"body": body, "preview_url": False}}
    assert msgs[1]["interactive"]["body"]["text"] == "Pilih"


def test_wa_format_turns_html_into_whatsapp_marks() -> None:
    assert (
        wa_format("<b>Kasus</b> &amp; <i>kode</i> <code>AB</code>") == "*Kasus* & _kode_ ```AB```"
    )


def test_signature_is_checked_on_the_raw_bytes() -> None:
    raw = b'{"object":"whatsapp_business_account"}'
    assert signature_ok("s3cret", raw, sign("s3cret", raw))
    assert not signature_ok("s3cret", raw + b" ", sign("s3cret", raw))
    assert not signature_ok("s3cret", raw, None)
    assert not signature_ok("", raw, sign("", raw))  # no app secret: nothing is accepted


def test_parse_messages_and_statuses() -> None:
    maker = WebhookMaker("s", "1")
    at = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    body, wamid = maker.text("628123", "halo", at)
    parsed = parse_webhook(body)
    assert parsed is not None
    (m,), statuses = parsed
    assert (m.wa_id, m.message_id, m.kind, m.text, m.sent_at) == (
        "628123",
        wamid,
        "text",
        "halo",
        at,
    )
    assert statuses == []
    assert parse_webhook({"object": "page"}) is None
    bad, _ = maker.message("not-digits", at, type="text", text={"body": "x"})
    assert parse_webhook(bad) == ([], [])
