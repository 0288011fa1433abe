"""`extractive` — the default generator: no model, answers with the posts' own sentences.

Candidates are sentences (and adjacent sentence pairs, since a subject and its fact often sit in
neighbouring sentences) of the retrieved chunks. Each is scored by how much of the question's key
terms it covers, weighted by corpus rarity and by how specific a word is in general language; the
post title and heading vouch for the passage but rank a sentence only half as much. Retrieval scores
alone cannot tell "the posts name this person" from "the posts give this person's birth year", so
an answer is given only when the best candidate covers the question's key terms well enough.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np

from rag.generators.base import NO_ANSWER, GeneratorContext
from rag.generators.passages import COUNT, YEAR, Candidate, candidates_of, compose, repeats, with_list
from rag.lexical import is_chinese, light_stem, mentions, question_terms, specificity, tokenize
from rag.names import localise_names
from rag.types import Hit

MIN_COVERAGE = 0.55  # share of the question's weighted key terms an answer must cover
KEEP_RATIO = 0.8  # extra sentences must score this close to the best one
MAX_SENTENCES = 3
# Verbs are often paraphrased (获得/荣获, won/received); the word after 什么/which names the kind
# of answer ("什么角色" is answered by "Co-chair"): both count for less.
KIND_WEIGHT = {"verb": 0.5, "type": 0.3}
# Names must be mentioned, and so must a specific term carrying most of the rest of the weight:
# "王泽锋 出生" is not answered by a sentence about 王泽锋 that never mentions a birth.
DOMINANT_SHARE_ZH, DOMINANT_SHARE_EN = 0.5, 0.6
CONTEXT_RANK_SHARE = 0.5  # a term found only in the title/heading counts half when ranking sentences
ASKED_SHARE = 0.5  # of the specific words the question adds to the post's topic
LIST_BONUS = 1.15  # "which/哪些" questions prefer a sentence that enumerates
WRONG_TYPE_FACTOR = 0.7  # a "when" answer without a year ranks lower ("how many" needs a count)
CROSS_LINGUAL_MIN_SIMILARITY = 0.83  # e5 cosine of question and sentence when no terms are shared
_ASKS_NUMBER = re.compile(r"多少|几|how (many|much)|number of|数量", re.I)
_ASKS_TIME = re.compile(r"哪一?年|何时|什么时候|哪天|日期|\bwhen\b|\byear\b|\bdate\b", re.I)
_ASKS_LIST = re.compile(r"哪些|列举|有几种|\bwhich \w+s\b|\bwhat are\b|\blist\b|examples", re.I)
_LIST_SEPARATOR = re.compile(r"[、，,；;]|\b(?:and|和|及|与)\b|和")


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
        cross = _is_cross_lingual(question, sources)  # judged once, on the question as asked
        if cross:
            question = localise_names(question, [f"{h.post.title}\n{h.chunk.text}" for h in sources])
        weights = self._term_weights(question, sources, cross)
        candidates = [c for i, hit in enumerate(sources) for c in candidates_of(hit, i)]
        if not candidates or (cross and self._unverifiable(question, sources)):
            return []
        groups = conjoined(question, weights)
        if weights:
            self._score_lexically(question, candidates, sources, weights, groups)
        if self.context.embed_texts is not None and (cross or not weights):
            self._score_densely(question, candidates)
        candidates.sort(key=lambda c: -c.score)
        best = candidates[0]
        if best.coverage < MIN_COVERAGE:
            return []
        expanded = [with_list(c, sources[c.source_index]) for c in _pick(candidates, best)]
        chosen = [c for i, c in enumerate(expanded) if not any(repeats(c, kept) for kept in expanded[:i])]
        return chosen + _cover_groups(candidates, chosen, groups, sources)

    def _term_weights(self, question: str, sources: list[Hit], cross: bool) -> dict[str, tuple[float, str]]:
        """Key terms of the question -> (rarity weight, kind). Terms the posts never use are dropped
        when question and posts are in different languages (they cannot match lexically)."""
        kinds = question_terms(question)
        rarity = {t: self.context.idf(t) for t in kinds}
        if cross:
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
        kinds = question_terms(question)
        return any(kind == "entity" and not self._seen(term, sources) for term, kind in kinds.items())

    def _seen(self, term: str, sources: list[Hit]) -> bool:
        """Whether the posts use the term: names of several words are phrases, not index tokens."""
        if " " in term:
            return all(self.context.idf(light_stem(word)) is not None for word in term.split())
        return self.context.idf(term) is not None

    def _score_lexically(
        self,
        question: str,
        candidates: list[Candidate],
        sources: list[Hit],
        weights: dict[str, tuple[float, str]],
        groups: list[set[str]],
    ) -> None:
        grouped = set().union(*groups) if groups else set()
        group_weights = [max(weights[t][0] for t in group) for group in groups]
        total = sum(w for t, (w, _) in weights.items() if t not in grouped) + sum(group_weights)
        topical = sum(w for w, kind in weights.values() if kind != "entity")
        asks_number, asks_time = bool(_ASKS_NUMBER.search(question)), bool(_ASKS_TIME.search(question))
        asks_list = bool(_ASKS_LIST.search(question))
        contexts = [f"{h.post.title}\n{h.chunk.heading}" for h in sources]
        context_tokens = [set(tokenize(c, keep_stopwords=True)) for c in contexts]
        for cand in candidates:
            tokens = set(tokenize(cand.text, keep_stopwords=True))
            context, ctx_tokens = contexts[cand.source_index], context_tokens[cand.source_index]
            covered, from_context, essentials_ok = 0.0, 0.0, True
            for term, (weight, kind) in weights.items():
                if term in grouped:
                    continue
                if mentions(cand.text, term, tokens):
                    covered += weight
                elif mentions(context, term, ctx_tokens):
                    from_context += weight
                elif kind == "entity" or _dominant(term, weight, topical):
                    essentials_ok = False
            # "A 和 B 分别…": one sentence need only name one of A and B; others cover the rest.
            for group, weight in zip(groups, group_weights, strict=True):
                cand.names = {t for t in group if mentions(cand.text, t, tokens) or mentions(context, t, ctx_tokens)}
                covered += weight if cand.names else 0.0
                essentials_ok = essentials_ok and bool(cand.names)
            essentials_ok = essentials_ok and _asks_part_covered(cand.text, tokens, context, ctx_tokens, weights)
            cand.essentials = essentials_ok
            # The title and heading vouch for the passage (coverage) but do not single out a
            # sentence within it (ranking): every sentence of the post shares them.
            coverage = (covered + from_context) / total
            cand.coverage = coverage if essentials_ok else min(coverage, MIN_COVERAGE / 2)
            ranking = (covered + CONTEXT_RANK_SHARE * from_context) / total
            fit = 1.0
            if asks_number and not COUNT.search(cand.text):
                # "How many" is not answered by a sentence without a number, however on-topic.
                cand.essentials = False
                cand.coverage = min(cand.coverage, MIN_COVERAGE / 2)
            if asks_time and not YEAR.search(cand.text):
                fit *= WRONG_TYPE_FACTOR
            if asks_list and len(_LIST_SEPARATOR.findall(cand.text)) >= 2:
                fit *= LIST_BONUS
            length_penalty = 0.05 if len(cand.text) > 240 else 0.0
            cand.fit = fit
            relevance = ranking if cand.essentials else cand.coverage
            cand.score = relevance * fit + 0.1 / (1 + cand.source_index) - length_penalty

    def _score_densely(self, question: str, candidates: list[Candidate], limit: int = 12) -> None:
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


_CONJUNCTION = re.compile(r"^\s*(?:和|与|及|以及|跟|同|、|,|，|and|&)\s*$", re.I)


def _asks_part_covered(
    text: str, tokens: set[str], context: str, ctx_tokens: set[str], weights: dict[str, tuple[float, str]]
) -> bool:
    """The question minus the post's topic (its title and heading) is what is asked about it:
    "王泽锋 出生" on a post titled 王泽锋… asks about 出生. At least half of the specific words of
    that part must be in the sentence. Only Chinese words are judged: specificity comes from jieba's
    frequencies, and English questions paraphrase too much for a word-level test."""
    asked = {
        term: weight
        for term, (weight, kind) in weights.items()
        if kind not in ("entity", "type")
        and is_chinese(term)
        and specificity(term) >= 0.6
        and not mentions(context, term, ctx_tokens)
    }
    if not asked:
        return True
    found = sum(weight for term, weight in asked.items() if mentions(text, term, tokens))
    return found >= ASKED_SHARE * sum(asked.values())


def _dominant(term: str, weight: float, topical: float) -> bool:
    """A specific term carrying most of the question's non-name weight. Chinese questions are short
    and jieba's frequencies tell generic words apart; English ones paraphrase more, so a term must
    carry more of the weight there."""
    share = DOMINANT_SHARE_ZH if is_chinese(term) else DOMINANT_SHARE_EN
    return weight > share * topical and specificity(term) >= 0.6


def conjoined(question: str, weights: dict[str, tuple[float, str]]) -> list[set[str]]:
    """Entities joined by a conjunction in the question ("王泽锋和张磊", "KubeEdge and KubeSphere")."""
    lowered = question.lower()
    found = sorted(
        (lowered.find(term), term) for term, (_, kind) in weights.items() if kind == "entity" and term in lowered
    )
    groups: list[set[str]] = []
    for (start_a, a), (start_b, b) in zip(found, found[1:], strict=False):
        if _CONJUNCTION.match(lowered[start_a + len(a) : start_b]):
            if groups and a in groups[-1]:
                groups[-1].add(b)
            else:
                groups.append({a, b})
    return groups


def _cover_groups(
    candidates: list[Candidate], chosen: list[Candidate], groups: list[set[str]], sources: list[Hit]
) -> list[Candidate]:
    """For each conjoined name the chosen sentences do not mention, the best sentence that does."""
    extra: list[Candidate] = []
    covered = set().union(*(c.names for c in chosen))
    for group in groups:
        for cand in candidates:
            missing = group - covered
            if not missing:
                break
            fresh = not any(repeats(cand, c) for c in chosen + extra)
            if cand.coverage >= MIN_COVERAGE and cand.names & missing and fresh:
                extra.append(with_list(cand, sources[cand.source_index]))
                covered |= cand.names
    return extra


def _pick(candidates: list[Candidate], best: Candidate) -> list[Candidate]:
    """The best candidate, plus close runners-up that add something (no overlaps, no repeats)."""
    chosen = [best]
    for cand in candidates[1:]:
        if len(chosen) >= MAX_SENTENCES or cand.score < KEEP_RATIO * best.score:
            break
        if cand.coverage >= MIN_COVERAGE and not any(repeats(cand, c) for c in chosen):
            chosen.append(cand)
    return chosen


def create(arg: str, context: GeneratorContext) -> ExtractiveGenerator:
    return ExtractiveGenerator(context)
