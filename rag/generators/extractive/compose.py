"""What to show: the best passage, further passages that add what it lacks, and, when posts give
different numbers for the asked quantity, both versions newest first. Written out with [n] markers."""

from __future__ import annotations

from rag.generators.extractive.calibration import Tuning
from rag.generators.extractive.candidates import Candidate, repeats, with_list
from rag.generators.extractive.features import Coverage
from rag.generators.extractive.question import Question
from rag.generators.extractive.slots import NUMERIC, slot_values
from rag.lexical import is_chinese
from rag.types import Hit


def choose(question: Question, candidates: list[Candidate], hits: list[Hit], tuning: Tuning) -> list[Candidate]:
    """The best passage, plus close runners-up that cover question terms it misses or give another
    post's number for a "how many" question."""
    ranked = sorted(candidates, key=lambda c: -c.score)
    best = ranked[0]
    chosen = [best]
    coverage = Coverage(question)
    covered = coverage.found(best.text)
    for cand in ranked[1:]:
        if len(chosen) >= tuning.max_passages or cand.score < best.score - tuning.keep_gap:
            break
        # Another post's number for the asked quantity is kept even when the sentence otherwise
        # repeats the best one: that is what a disagreement looks like.
        if _other_count(question, cand, chosen, hits):
            chosen.append(cand)
            continue
        if any(repeats(cand, kept) for kept in chosen):
            continue
        if _other_post(cand, best, hits) and cand.score < tuning.min_other_post_score:
            continue
        adds = coverage.found(cand.text) - covered
        if adds:
            chosen.append(cand)
            covered |= adds
    singles = {(c.source_index, c.position): c for c in candidates if c.sentences == 1}
    return [with_list(_trimmed(c, singles, coverage), hits[c.source_index]) for c in chosen]


def _other_post(cand: Candidate, best: Candidate, hits: list[Hit]) -> bool:
    return hits[cand.source_index].post.source != hits[best.source_index].post.source


def _trimmed(cand: Candidate, singles: dict[tuple[int, int], Candidate], coverage: Coverage) -> Candidate:
    """A pair keeps its first sentence only when that sentence holds part of what is asked (the
    subject the second one goes on about); a lead-in that matches nothing is dropped."""
    if cand.sentences < 2:
        return cand
    first, second = singles.get((cand.source_index, cand.position)), singles.get((cand.source_index, cand.position + 1))
    if first is None or second is None or coverage.found(first.text):
        return cand
    return second


def _counts(question: Question, text: str) -> frozenset[str]:
    """The values of the asked kind a passage gives (dates aside for a count: two posts of the same
    year agree on nothing by it)."""
    return slot_values(question.answer_type, text)


def _other_count(question: Question, cand: Candidate, chosen: list[Candidate], hits: list[Hit]) -> bool:
    """Another post states a different number for the asked quantity."""
    if question.answer_type not in NUMERIC or cand.features.get("type_match", 0) <= 0:
        return False
    post = hits[cand.source_index].post.source
    if any(hits[c.source_index].post.source == post for c in chosen):
        return False
    values = _counts(question, cand.text)
    return bool(values) and all(values.isdisjoint(_counts(question, c.text)) for c in chosen)


def disagree(question: Question, chosen: list[Candidate], hits: list[Hit]) -> bool:
    """Two posts give numbers for the asked quantity and share none of them."""
    if question.answer_type not in NUMERIC or len(chosen) < 2:
        return False
    by_post: dict[str, set[str]] = {}
    for cand in chosen:
        by_post.setdefault(hits[cand.source_index].post.source, set()).update(_counts(question, cand.text))
    values = [v for v in by_post.values() if v]
    return any(a.isdisjoint(b) for i, a in enumerate(values) for b in values[i + 1 :])


def write(question: Question, chosen: list[Candidate], hits: list[Hit], tuning: Tuning) -> str:
    """Passages each followed by its [n]; a disagreement is stated as such, newest post first."""
    if disagree(question, chosen, hits):
        chosen = sorted(chosen, key=lambda c: hits[c.source_index].post.date or "", reverse=True)
        chinese = is_chinese(chosen[0].text)
        lead = "各篇文章说法不一（按发布日期从新到旧）：" if chinese else "The posts disagree (newest first):"
        lines = [f"- {_dated(c, hits, chinese)}{c.text} [{c.source_index + 1}]" for c in chosen]
        return lead + "\n" + "\n".join(lines)
    pieces: list[str] = []
    for cand in chosen:
        if pieces and sum(map(len, pieces)) + len(cand.text) > tuning.max_answer_chars:
            break
        pieces.append(f"{cand.text} [{cand.source_index + 1}]")
    return " ".join(pieces)


def _dated(cand: Candidate, hits: list[Hit], chinese: bool) -> str:
    date = hits[cand.source_index].post.date
    if not date:
        return ""
    return f"（{date}）" if chinese else f"({date}) "
