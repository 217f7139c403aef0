"""What a code holder may see, and the legal holds that stop an erasure."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.breach import contact_route, notice_due
from bot.domain.consent import CONSENT_TEXTS, CONSENT_VERSION
from bot.domain.duration import Duration, Unit
from bot.domain.intake import question
from bot.domain.rights import HOLD_REASONS, HOLD_STEPS, legal_hold, own_answers, response_time

DETAILS = {
    "victim_name": "Siti",
    "victim_age": 16,
    "perpetrator": "Pak Budi",
    "when": "2026-02-01",
    "where": "Jl. Melati",
    "story": "Cerita",
    "notes": ["catatan petugas"],
    "phone": "+6281234567890",
    "call_time": "anytime",
    "consent_path": "reporter",
    "tracking_code": "AAAA-BBBB-CCCC",
}
COLUMNS = {"notify_mode": "normal", "help_wanted": ("legal",), "victim_sex": "female",
           "categories": ("psychological",)}  # fmt: skip


def test_a_victim_sees_her_own_answers_never_the_reported_party_or_notes() -> None:
    shown, more = own_answers("victim", DETAILS, COLUMNS)
    keys = {k for k, _ in shown}
    assert {"victim_name", "story", "phone", "violence", "help"} <= keys
    values = " ".join(str(v) for _, v in shown)
    for hidden in ("Pak Budi", "catatan petugas", "AAAA-BBBB-CCCC"):
        assert hidden not in values
    assert not more


def test_someone_else_sees_only_their_own_contact_data() -> None:
    shown, more = own_answers("family", DETAILS, COLUMNS)
    assert {k for k, _ in shown} == {"phone", "call_time", "notify", "help"}
    assert more


def test_every_shown_key_is_a_question_of_the_form() -> None:
    shown, _ = own_answers("victim", DETAILS, COLUMNS)
    for key, _ in shown:
        assert question(key).summary_label


def test_legal_holds_from_a_flag_or_an_open_step() -> None:
    assert legal_hold(None, ["first_response"]) is None
    assert legal_hold(None, ["serve", "accompany"]) == "pendampingan"
    assert legal_hold("pengadilan", []) == "pengadilan"
    assert set(HOLD_STEPS.values()) <= set(HOLD_REASONS)


def test_the_current_consent_names_the_provider_abroad_the_basis_and_the_rights() -> None:
    text = CONSENT_TEXTS[CONSENT_VERSION]
    for words in ("Pasal 56", "Pasal 20(2)", "outside Indonesia", "/status", "delete"):
        assert words in text


def test_breach_deadline_and_routes() -> None:
    at = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    assert (notice_due(at) - at).total_seconds() == 72 * 3600
    assert contact_route(True, "normal", True) == "bot"
    assert contact_route(True, "neutral", False) == "bot_neutral"
    assert contact_route(True, "none", True) == "phone"  # she asked for no messages
    assert contact_route(False, "normal", False) == "in_person"


def test_the_response_time_is_the_office_setting_or_three_working_days() -> None:
    assert response_time(None) == Duration(3, Unit.WORKING_DAYS)
    assert response_time(0) == Duration(3, Unit.WORKING_DAYS)
    assert response_time(5) == Duration(5, Unit.WORKING_DAYS)
