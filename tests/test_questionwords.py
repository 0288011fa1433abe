"""A question's words and their parts: what the follow-up rewriter reasons over."""

from __future__ import annotations

from rag.questionwords import analyse


def kinds(question: str) -> dict[str, str]:
    return {w.text: w.kind for w in analyse(question)}


def test_latin_words_are_names_by_capitals_and_digits_not_by_a_sentence_initial_capital() -> None:
    words = kinds("Tell me whether AcmeDB 2 runs on Linux?")
    assert words["Tell"] != "name"
    assert words["AcmeDB"] == "name" and words["Linux"] == "name"
    assert words["2"] == "number"


def test_pronouns_know_whether_they_stand_for_a_person() -> None:
    by_text = {w.text: w for w in analyse("Does he know what it does?")}
    assert by_text["he"].kind == "pronoun" and by_text["he"].person
    assert by_text["it"].kind == "pronoun" and not by_text["it"].person


def test_chinese_words_carry_offsets_into_the_question_and_person_names() -> None:
    question = "李明在哪家公司工作？"
    words = analyse(question)
    assert all(question[w.start : w.end] == w.text for w in words)
    assert any(w.person for w in words if w.text == "李明")
