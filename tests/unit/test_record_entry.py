"""Parsing what staff type to complete the SIMFONI record; the vocabulary's integrity."""

from __future__ import annotations

import pytest

from bot.domain.intake import QUESTIONS, question
from bot.domain.record_entry import RecordEntryError, parse_record_words
from bot.domain.simfoni import VOCABULARIES, by_token, term

__all__: list[str] = []


def test_words_become_codes() -> None:
    e = parse_record_words(
        ["tempat=lpk", "wilayah=Kec._Ciledug", "layanan=kesehatan,pemulangan",
         "korban.jk=P", "korban2.usia=34", "pelaku3.hubungan=rekan_kerja", "pelaku1.usia=13-17"]
    )  # fmt: skip
    assert (e.place, e.region, e.services) == ("lpk", "Kec. Ciledug", ("kesehatan", "pemulangan"))
    assert e.victims == {1: {"sex": "female"}, 2: {"age_group": "25-44"}}
    assert e.parties == {3: {"relation": "coworker"}, 1: {"age_group": "13-17"}}
    assert not e.empty and parse_record_words([]).empty


@pytest.mark.parametrize(
    "word",
    ["tempat=kantor", "korban1.nama=Ani", "pelaku.pendidikan=sd", "korban0.jk=p", "usia",
     "korban1.usia=200", "wilayah=" + "x" * 81, "layanan=pijat"],
)  # fmt: skip
def test_anything_else_is_named(word: str) -> None:
    with pytest.raises(RecordEntryError) as err:
        parse_record_words(["tempat=sekolah", word])
    assert str(err.value) == word


def test_vocabularies_have_unique_codes_and_tokens() -> None:
    for name, terms in VOCABULARIES.items():
        codes = [t.code for t in terms]
        tokens = [t.typed for t in terms]
        assert len(set(codes)) == len(codes) and len(set(tokens)) == len(tokens), name
        for t in terms:
            assert by_token(name, t.typed) == t and term(name, t.code) == t


def test_the_form_speaks_simfonis_categories() -> None:
    violence = {o.value for o in question("violence").options}
    assert "domestic" not in violence  # KDRT is a place (rumah tangga), not a type
    assert violence == {t.code for t in VOCABULARIES["violence"]}
    relations = {o.value for o in question("relation").options}
    assert {"teacher", "caregiver", "employer", "coworker"} <= relations
    assert relations == {t.code for t in VOCABULARIES["relation"]}
    places = {o.value for o in question("place").options} | {"unknown"}
    assert places == {t.code for t in VOCABULARIES["place"]}
    # every question with a child wording keeps it short
    for q in QUESTIONS:
        for p in (q.child_prompt, q.child_self_prompt):
            assert p is None or len(p) <= 120 or q.key == "child_ok", q.key
