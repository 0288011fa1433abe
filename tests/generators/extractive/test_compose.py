"""What to show: runners-up that add coverage, and posts that disagree on the asked number."""

from __future__ import annotations

from rag.generators.extractive.calibration import Tuning
from rag.generators.extractive.candidates import Candidate
from rag.generators.extractive.compose import choose, disagree, write
from rag.generators.extractive.question import analyse
from tests.generators.extractive.helpers import hit, idf_over


def cand(index: int, text: str, score: float, type_match: float = 0.0) -> Candidate:
    return Candidate(index, 0, len(text), text, score=score, features={"type_match": type_match})


def test_a_runner_up_is_kept_only_when_it_adds_asked_terms() -> None:
    idf = idf_over("queues are fast", "quotas are new", "queues and quotas", "other text")
    q = analyse("How do queues and quotas work?", idf)
    hits = [hit("Queues are fast.", "a.md"), hit("Queues are fast too.", "b.md"), hit("Quotas are new.", "c.md")]
    chosen = choose(
        q,
        [cand(0, "Queues are fast.", 2.0), cand(1, "Queues are fast too.", 1.8), cand(2, "Quotas are new.", 1.5)],
        hits,
        Tuning(),
    )
    assert [c.text for c in chosen] == ["Queues are fast.", "Quotas are new."]


def test_a_far_weaker_runner_up_is_not_kept() -> None:
    q = analyse("How do queues and quotas work?", idf_over("queues", "quotas"))
    hits = [hit("Queues are fast.", "a.md"), hit("Quotas are new.", "c.md")]
    chosen = choose(q, [cand(0, "Queues are fast.", 3.0), cand(1, "Quotas are new.", 0.0)], hits, Tuning())
    assert len(chosen) == 1


def test_another_post_is_shown_only_when_the_ranker_thinks_it_answers() -> None:
    q = analyse("How do queues and quotas work?", idf_over("queues", "quotas", "queues quotas"))
    hits = [hit("Queues are fast. Quotas are set per team.", "a.md"), hit("Quotas are new.", "c.md")]
    doubtful = [cand(0, "Queues are fast.", 0.5), cand(1, "Quotas are new.", -0.2)]
    assert [c.text for c in choose(q, doubtful, hits, Tuning())] == ["Queues are fast."]
    likely = [cand(0, "Queues are fast.", 0.5), cand(1, "Quotas are new.", 0.2)]
    assert len(choose(q, likely, hits, Tuning())) == 2
    # The same passage from the best one's own post needs no such confidence.
    same_post = [hit("Queues are fast.", "a.md"), hit("Quotas are new.", "a.md")]
    assert len(choose(q, doubtful, same_post, Tuning())) == 2


def test_posts_giving_different_numbers_are_stated_as_a_disagreement_newest_first() -> None:
    q = analyse("How many seats does the board have?", idf_over("board seats", "board members"))
    hits = [
        hit("The board has 9 seats.", "old.md", date="2020-01-01"),
        hit("The board now has 11 seats.", "new.md", date="2023-05-01"),
    ]
    cands = [cand(0, "The board has 9 seats.", 2.0, 1.0), cand(1, "The board now has 11 seats.", 1.9, 1.0)]
    chosen = choose(q, cands, hits, Tuning())
    assert len(chosen) == 2 and disagree(q, chosen, hits)
    text = write(q, chosen, hits, Tuning())
    assert text.startswith("The posts disagree")
    assert text.index("11 seats") < text.index("9 seats")
    assert "(2023-05-01)" in text and "[2]" in text and "[1]" in text


def test_the_same_number_in_two_posts_is_no_disagreement() -> None:
    q = analyse("How many seats does the board have?", idf_over("board seats"))
    hits = [hit("The board has 9 seats.", "a.md"), hit("Nine people, 9 seats in all.", "b.md")]
    chosen = [cand(0, "The board has 9 seats.", 2.0, 1.0), cand(1, "Nine people, 9 seats in all.", 1.9, 1.0)]
    assert not disagree(q, chosen, hits)


def test_an_answer_stops_at_the_length_budget() -> None:
    q = analyse("queues", idf_over("queues"))
    long = "Queues " + "x" * 690 + "."
    chosen = [cand(0, long, 2.0), cand(1, "Queues again here.", 1.9)]
    assert write(q, chosen, [hit(long), hit("Queues again here.", "b.md")], Tuning()).count("[") == 1


def test_a_pair_drops_a_lead_in_sentence_that_matches_nothing_asked() -> None:
    from rag.generators.extractive.candidates import candidates_of

    text = "On a miss it reads the database. Set a TTL on every key. Expire sessions hourly."
    h = hit(text, "a.md", title="Caching")
    q = analyse("How do I set a TTL?", idf_over("set ttl key", "database miss", "sessions expire", "other"))
    cands = candidates_of(h, 0)
    for c in cands:  # the pair of lead-in and match scores best, as a ranker fond of pairs would
        c.score = 2.0 if (c.sentences, c.position) == (2, 0) else 1.0 if c.sentences == 1 else 0.0
    chosen = choose(q, cands, [h], Tuning())
    assert chosen[0].text == "Set a TTL on every key."
    for c in cands:  # a pair whose first sentence holds the asked thing keeps its follow-up
        c.score = 2.0 if (c.sentences, c.position) == (2, 1) else 0.0
    assert choose(q, cands, [h], Tuning())[0].text == "Set a TTL on every key. Expire sessions hourly."


def test_a_shared_year_is_no_agreement_on_the_asked_number() -> None:
    q = analyse("How many seats does the board have?", idf_over("board seats", "board members"))
    hits = [hit("In 2021 the board had 9 seats.", "a.md"), hit("In 2021 the board grew to 11 seats.", "b.md")]
    chosen = [cand(0, hits[0].chunk.text, 2.0, 1.0), cand(1, hits[1].chunk.text, 1.9, 1.0)]
    assert disagree(q, chosen, hits)
