"""The SOP titles Babel sees are the titles in the SOP files."""

from __future__ import annotations

from pathlib import Path

from bot.i18n import I18n
from bot.sops.titles import render


def test_titles_data_is_up_to_date() -> None:
    shipped = (Path(__file__).resolve().parents[2] / "bot" / "sops" / "titles_data.py").read_text(
        encoding="utf-8"
    )
    assert shipped == render(), "run: .venv/bin/python -m bot.sops.titles > bot/sops/titles_data.py"


def test_step_titles_are_translated_to_indonesian() -> None:
    from bot.sops.titles_data import TITLES

    t = I18n().get("id")
    untranslated = [
        title
        for title in TITLES
        if t.gettext(title) == title
        and " " in title
        and not title.startswith(("SOP ", "Mediasi ", "Layanan "))
    ]
    assert not untranslated, untranslated
