"""`extractive` — the default generator: no model, answers with the posts' own sentences.

Candidates are sentences (and adjacent sentence pairs, since a subject and its fact often sit in
neighbouring sentences) of the retrieved chunks. Each is scored by how much of the question's key
terms it covers, weighted by corpus rarity; the title and heading count for half. Retrieval scores
alone cannot tell "the posts name this person" from "the posts give this person's birth year", so
an answer is given only when the best candidate covers the question's key terms well enough.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np

from rag.generators.base import NO_ANSWER, GeneratorContext
from rag.lexical import light_stem, mentions, question_terms, specificity, tokenize
from rag.names import localise_names
from rag.sentences import sentence_spans
from rag.types import Hit

MIN_COVERAGE = 0.55  # share of the question's weighted key terms an answer must cover
KEEP_RATIO = 0.8  # extra sentences must score this close to the best one
MAX_SENTENCES = 3
# Verbs are often paraphrased (获得/荣获, won/received); the word after 什么/which names the kind
# of answer ("什么角色" is answered by "Co-chair"): both count for less.
KIND_WEIGHT = {"verb": 0.5, "type": 0.3}
# Names must be mentioned, and so must a specific term carrying most of the rest of the weight:
# "王泽锋 出生" is not answered by a sentence about 王泽锋 that never mentions a birth.
DOMINANT_SHARE = 0.5
NEAR_DUPLICATE = 0.75  # word-set Jaccard above which a sentence adds nothing new
LIST_BONUS = 1.15  # "which/哪些" questions prefer a sentence that enumerates
WRONG_TYPE_FACTOR = 0.7  # a "how many" answer without a count, a "when" answer without a year
CROSS_LINGUAL_MIN_SIMILARITY = 0.83  # e5 cosine of question and sentence when no terms are shared
_DIGITS = re.compile(r"\d")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
# A count, not a date part: "11 个", "9 名", "40 多家" but not "2 月", "3 日" or "2021".
_COUNT = re.compile(
    r"(?<![\d.])\d{1,3}(?:,\d{3})*(?![\d.]|\s*[年月日号])"
    r"|[一二两三四五六七八九十百千万]+\s*[个位名家项种人]"
)
_LIST_MARK = re.compile(r"^\s*(?:[-*+]\s+|\d+[.)]\s+|>\s*)")
_ASKS_NUMBER = re.compile(r"多少|几|how (many|much)|number of|数量", re.I)
_ASKS_TIME = re.compile(r"哪一?年|何时|什么时候|哪天|日期|\bwhen\b|\byear\b|\bdate\b", re.I)
_ASKS_LIST = re.compile(r"哪些|列举|有几种|\bwhich \w+s\b|\bwhat are\b|\blist\b|examples", re.I)
_LIST_SEPARATOR = re.compile(r"[、，,；;]|\b(?:and|和|及|与)\b|和")
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Candidate:
    source_index: int  # 0-based position in the sources list
    start: int  # offsets in the chunk text
    end: int
    text: str
    coverage: float = 0.0
    score: float = 0.0
    essentials: bool = True  # mentions every name and dominant term of the question
    fit: float = 1.0  # < 1 when it lacks what the question asks for (a count, a year)


def is_chinese(text: str) -> bool:
    letters = sum(ch.isalpha() for ch in text) or 1
    return len(_CJK.findall(text)) / letters > 0.15


class ExtractiveGenerator:
    spec = "extractive"

    def __init__(self, context: GeneratorContext) -> None:
        self.context = context

    def generate(self, question: str, sources: list[Hit], history: list[dict[str, str]] | None = None) -> str:
        chosen = self.select(question, sources)
        if not chosen:
            return NO_ANSWER
        return compose(chosen, sources, asks_count=bool(_ASKS_NUMBER.search(question)))

    def stream(
        self, question: str, sources: list[Hit], history: list[dict[str, str]] | None = None
    ) -> Iterator[str]:
        draft = self.generate(question, sources, history)
        for piece in re.split(r"(?<=[。！？.!?\]\n])", draft):
            if piece:
                yield piece

    def select(self, question: str, sources: list[Hit]) -> list[Candidate]:
        """The sentences that answer the question, best first; [] when the evidence is insufficient."""
        if _is_cross_lingual(question, sources):
            question = localise_names(question, [f"{h.post.title}\n{h.chunk.text}" for h in sources])
        weights = self._term_weights(question, sources)
        candidates = [c for i, hit in enumerate(sources) for c in _candidates(hit, i)]
        if not candidates or self._unverifiable(question, sources):
            return []
        if weights:
            self._score_lexically(question, candidates, sources, weights)
        if self._needs_dense(question, sources, weights):
            self._score_densely(question, candidates)
        candidates.sort(key=lambda c: -c.score)
        best = candidates[0]
        if best.coverage < MIN_COVERAGE:
            return []
        return [_with_list(c, sources[c.source_index]) for c in _pick(candidates, best)]

    def _term_weights(self, question: str, sources: list[Hit]) -> dict[str, tuple[float, str]]:
        """Key terms of the question -> (rarity weight, kind). Terms the posts never use are dropped
        when question and posts are in different languages (they cannot match lexically)."""
        kinds = question_terms(question)
        rarity = {t: self.context.idf(t) for t in kinds}
        if _is_cross_lingual(question, sources):
            rarity = {t: w for t, w in rarity.items() if w is not None or self._seen(t, sources)}
        # A key term no post uses as a token still counts, as much as the rarest one; a name the
        # posts use everywhere is still what the question is about, so entities get a floor.
        strongest = max((w for w in rarity.values() if w is not None), default=1.0)
        weights = {}
        for term, weight in rarity.items():
            value = max(weight if weight is not None else strongest, 0.1)
            if kinds[term] == "entity":
                value = max(value, strongest / 2)
            weights[term] = (value * KIND_WEIGHT.get(kinds[term], 1.0) * specificity(term), kinds[term])
        return weights

    def _unverifiable(self, question: str, sources: list[Hit]) -> bool:
        """Across languages, a name the posts never spell this way ("Wang Zefeng" for 王泽锋) cannot
        be checked lexically, and similarity alone confuses people: refuse rather than guess."""
        if not _is_cross_lingual(question, sources):
            return False
        kinds = question_terms(question)
        return any(kind == "entity" and not self._seen(term, sources) for term, kind in kinds.items())

    def _seen(self, term: str, sources: list[Hit]) -> bool:
        """Whether the posts use the term: names of several words are phrases, not index tokens."""
        if " " in term:
            return all(self.context.idf(light_stem(word)) is not None for word in term.split())
        return self.context.idf(term) is not None

    def _score_lexically(
        self, question: str, candidates: list[Candidate], sources: list[Hit], weights: dict[str, tuple[float, str]]
    ) -> None:
        total = sum(w for w, _ in weights.values())
        topical = sum(w for w, kind in weights.values() if kind != "entity")
        asks_number, asks_time = bool(_ASKS_NUMBER.search(question)), bool(_ASKS_TIME.search(question))
        asks_list = bool(_ASKS_LIST.search(question))
        contexts = [f"{h.post.title}\n{h.chunk.heading}" for h in sources]
        context_tokens = [set(tokenize(c, keep_stopwords=True)) for c in contexts]
        for cand in candidates:
            tokens = set(tokenize(cand.text, keep_stopwords=True))
            context, ctx_tokens = contexts[cand.source_index], context_tokens[cand.source_index]
            covered, essentials_ok = 0.0, True
            for term, (weight, kind) in weights.items():
                if mentions(cand.text, term, tokens):
                    covered += weight
                elif mentions(context, term, ctx_tokens):
                    covered += 0.5 * weight
                elif kind == "entity" or (weight > DOMINANT_SHARE * topical and specificity(term) >= 0.6):
                    essentials_ok = False
            cand.essentials = essentials_ok
            cand.coverage = covered / total if essentials_ok else min(covered / total, MIN_COVERAGE / 2)
            fit = 1.0
            if asks_number and not _COUNT.search(cand.text):
                fit *= WRONG_TYPE_FACTOR
            if asks_time and not _YEAR.search(cand.text):
                fit *= WRONG_TYPE_FACTOR
            if asks_list and len(_LIST_SEPARATOR.findall(cand.text)) >= 2:
                fit *= LIST_BONUS
            length_penalty = 0.05 if len(cand.text) > 240 else 0.0
            cand.fit = fit
            cand.score = cand.coverage * fit + 0.1 / (1 + cand.source_index) - length_penalty

    def _needs_dense(self, question: str, sources: list[Hit], weights: dict[str, tuple[float, str]]) -> bool:
        return self.context.embed_texts is not None and (not weights or _is_cross_lingual(question, sources))

    def _score_densely(self, question: str, candidates: list[Candidate], limit: int = 16) -> None:
        """Cross-lingual fallback: embed the most promising sentences and compare with the question."""
        assert self.context.embed_texts is not None and self.context.embed_query is not None
        candidates.sort(key=lambda c: (-c.score, c.source_index))
        pool = [c for c in candidates if len(c.text) < 400][:limit]
        if not pool:
            return
        vectors = np.asarray(self.context.embed_texts([c.text for c in pool]))
        similarities = vectors @ np.asarray(self.context.embed_query(question))
        for cand, similarity in zip(pool, similarities, strict=True):
            # Similarity vouches for words that cannot match across languages, never for a
            # missing name: a sentence about another project is not the answer.
            if cand.essentials and similarity >= CROSS_LINGUAL_MIN_SIMILARITY:
                cand.coverage = max(cand.coverage, 1.0)
            cand.score = (float(similarity) + 0.5 * cand.coverage) * cand.fit


def _is_cross_lingual(question: str, sources: list[Hit]) -> bool:
    """Question and posts in different languages (judged by the posts, not one chunk: a chunk of
    a Chinese post can be a table of English names)."""
    if not sources:
        return False
    chinese_posts = sum(hit.post.language == "zh" for hit in sources)
    return is_chinese(question) != (chinese_posts * 2 > len(sources))


def _candidates(hit: Hit, index: int) -> list[Candidate]:
    text = hit.chunk.text
    spans = [(s, e) for s, e in sentence_spans(text) if _useful(text[s:e])]
    singles = [Candidate(index, s, e, _clean(text[s:e])) for s, e in spans]
    pairs = [
        Candidate(index, a[0], b[1], _clean(text[a[0] : b[1]]))
        for a, b in zip(spans, spans[1:], strict=False)
        if b[1] - a[0] < 300
    ]
    return singles + pairs


def _with_list(cand: Candidate, hit: Hit, limit: int = 8) -> Candidate:
    """A sentence that introduces a list ("…以下这些 SIG：") is answered by the items after it."""
    text = hit.chunk.text
    lines = [line.strip() for line in text[cand.start : cand.end].splitlines() if line.strip()]
    ends_intro = lines[-1].endswith((":", "："))
    inside_list = len(lines) > 1 and lines[-2].endswith((":", "：")) and bool(_LIST_MARK.match(lines[-1]))
    if not (ends_intro or inside_list):
        return cand
    items: list[str] = []
    end = cand.end
    for start, stop in sentence_spans(text, cand.end):
        line = text[start:stop]
        if len(items) >= limit or not (_LIST_MARK.match(line) or line.lstrip().startswith("|")):
            break
        items.append("- " + _clean(line))
        end = stop
    if not items:
        return cand
    return replace(cand, end=end, text=cand.text + "\n" + "\n".join(items))


def _useful(sentence: str) -> bool:
    stripped = sentence.strip(" |-:*#>")
    return len(stripped) >= 6 and not set(stripped) <= set("-|: ")


def _clean(sentence: str) -> str:
    lines = [_LIST_MARK.sub("", line).strip() for line in sentence.splitlines()]
    return " ".join(line for line in lines if line)


def _overlaps(a: Candidate, b: Candidate) -> bool:
    return a.source_index == b.source_index and a.start < b.end and b.start < a.end


def _repeats(cand: Candidate, other: Candidate) -> bool:
    """Overlapping text, or (nearly) the same words: chunk overlap and reposted articles repeat
    sentences, sometimes with other punctuation or a changed word."""
    if _overlaps(cand, other):
        return True
    mine, theirs = set(tokenize(cand.text)), set(tokenize(other.text))
    return mine <= theirs or len(mine & theirs) / max(len(mine | theirs), 1) >= NEAR_DUPLICATE


def _pick(candidates: list[Candidate], best: Candidate) -> list[Candidate]:
    """The best candidate, plus close runners-up that add something (no overlaps, no repeats)."""
    chosen = [best]
    for cand in candidates[1:]:
        if len(chosen) >= MAX_SENTENCES or cand.score < KEEP_RATIO * best.score:
            break
        if cand.coverage >= MIN_COVERAGE and not any(_repeats(cand, c) for c in chosen):
            chosen.append(cand)
    return chosen


def _disagree(chosen: list[Candidate], sources: list[Hit]) -> bool:
    """Different posts giving different counts for a "how many" question: a likely conflict."""
    numbers: dict[str, set[str]] = {}
    for cand in chosen:
        found = {re.sub(r"\D", "", n) for n in _COUNT.findall(cand.text)} - {""}
        numbers.setdefault(sources[cand.source_index].post.source, set()).update(found)
    distinct = [frozenset(n) for n in numbers.values() if n]
    return len(numbers) > 1 and len(set(distinct)) > 1


def compose(chosen: list[Candidate], sources: list[Hit], asks_count: bool = False) -> str:
    """Sentences each followed by its [n]; when posts disagree on a count, both are stated, newest first."""
    if asks_count and _disagree(chosen, sources):
        chosen = sorted(chosen, key=lambda c: sources[c.source_index].post.date or "", reverse=True)
        chinese = is_chinese(chosen[0].text)
        lead = "各篇文章说法不一（按发布日期从新到旧）：" if chinese else "The posts disagree (newest first):"
        lines = [f"- {_dated(c, sources, chinese)}{c.text} [{c.source_index + 1}]" for c in chosen]
        return lead + "\n" + "\n".join(lines)
    return " ".join(f"{c.text} [{c.source_index + 1}]" for c in chosen)


def _dated(cand: Candidate, sources: list[Hit], chinese: bool) -> str:
    date = sources[cand.source_index].post.date
    if not date:
        return ""
    return f"（{date}）" if chinese else f"({date}) "


def create(arg: str, context: GeneratorContext) -> ExtractiveGenerator:
    return ExtractiveGenerator(context)
