"""Answer candidates: sentences and neighbouring pairs, minus captions, headlines and code."""

from __future__ import annotations

from rag.generators.extractive.candidates import candidates_of, clean, repeats, with_list
from tests.generators.extractive.helpers import hit


def texts(text: str) -> list[str]:
    return [c.text for c in candidates_of(hit(text), 0)]


def test_sentences_and_neighbouring_pairs() -> None:
    found = texts("The scheduler was rewritten in spring. It now handles ten thousand jobs.")
    assert "The scheduler was rewritten in spring." in found
    assert "It now handles ten thousand jobs." in found
    assert any("spring. It now" in t for t in found)


def test_image_captions_never_become_candidates() -> None:
    found = texts("▲ Figure of the new queue layout\n\nThe queue keeps jobs in order of arrival.")
    assert not any("Figure" in t for t in found)


def test_a_headline_glued_to_its_paragraph_is_split_off() -> None:
    found = texts("Faster queues for everyone\nThe queue keeps jobs in order of arrival.")
    assert "The queue keeps jobs in order of arrival." in found
    assert not any(t.startswith("Faster queues") for t in found)


def test_headings_and_code_are_not_quoted() -> None:
    found = texts("## Installing the tool\n\n```\npip install tool\n```\n\nInstalling takes a minute.")
    assert found == ["Installing takes a minute."]


def test_a_sentence_that_introduces_a_list_brings_its_items() -> None:
    text = "The release adds three features:\n- faster queues\n- quotas\n- a web console\n\nThat is all."
    h = hit(text)
    intro = next(c for c in candidates_of(h, 0) if c.text.startswith("The release adds"))
    assert with_list(intro, h).text.splitlines()[1:] == ["- faster queues", "- quotas", "- a web console"]


def test_repeats_are_overlap_or_nearly_the_same_words() -> None:
    a, b = candidates_of(hit("Queues got faster in version two. Quotas arrived."), 0)[:2]
    again = candidates_of(hit("Queues got faster in version three.", source="b.md"), 0)[0]
    assert repeats(a, again)  # a release note repeating last release's sentence with a new number
    assert not repeats(a, b)


def test_clean_drops_list_marks_and_joins_lines() -> None:
    assert clean("- first item\n- second item") == "first item second item"
