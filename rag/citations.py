"""Citation verification for every generator: parse [n], check each cited sentence against its
chunk, re-attribute or drop what is unsupported, renumber by first use, and attach quotes.

A chunk supports a sentence when it shares enough of its key terms (or, across languages, its
meaning) and does not contradict it: every quantity the sentence states must be in the chunk, and
a sentence negated where the chunk's matching sentence is not (or the other way round) is not
supported (rag.claims)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from rag.claims import is_negated, unsupported_quantities
from rag.lexical import content_terms, is_chinese
from rag.sentences import LIST_MARK, sentence_spans
from rag.textfragments import with_text_fragment
from rag.types import Citation, Hit

LEXICAL_SUPPORT = 0.5  # share of a sentence's key terms that its cited chunk must contain
CROSS_LANGUAGE_MIN_LEXICAL = 0.2  # ...which must still share some names, identifiers or numbers
UNCITED_GROUNDING = 0.6  # an uncited sentence survives only if the sources contain most of its terms

# [1], [1, 2], [1][2], 【1】, [^1], [Source 1]
_MARKER = re.compile(r"\s*(?:\[\^?(?:source\s*)?(\d+(?:\s*[,，、]\s*\d+)*)\]|【(\d+)】)", re.I)
_REFUSAL = re.compile(
    r"(do(es)? not (contain|mention|say|provide)|don't (contain|mention|say)|not (mentioned|provided|stated)"
    r"|no information|cannot answer|can't answer|未提及|没有提到|没有提及|无法回答|并未|未说明|没有相关|不包含)",
    re.I,
)

_LEADING_PUNCTUATION = re.compile(r"^\s*[。.!?！？；;，,]+")

SupportFn = Callable[[str, Hit], float]


@dataclass
class Segment:
    text: str  # the sentence(s), markers removed
    cited: list[int] = field(default_factory=list)  # 1-based source numbers


@dataclass
class Verified:
    answer: str
    citations: list[Citation]
    supported: int = 0  # cited segments kept
    dropped: int = 0  # citations removed as unsupported or out of range


def parse_segments(draft: str) -> list[Segment]:
    """Split a draft into segments, each with the markers that follow it."""
    segments: list[Segment] = []
    position = 0
    for match in _MARKER.finditer(draft):
        numbers = [int(n) for n in re.findall(r"\d+", match.group(1) or match.group(2))]
        text = _move_leading_punctuation(draft[position : match.start()], segments)
        if text.strip() or not segments:
            segments.append(Segment(text.strip(), numbers))
        else:  # adjacent markers: [1][2]
            segments[-1].cited.extend(numbers)
        position = match.end()
    tail = _move_leading_punctuation(draft[position:], segments)
    for start, end in sentence_spans(tail):
        if segments and not segments[-1].cited and _continues(tail[start:end]):
            segments[-1].text += tail[start:end]
        else:
            segments.append(Segment(tail[start:end].strip()))
    return [s for s in segments if s.text]


def _move_leading_punctuation(text: str, segments: list[Segment]) -> str:
    """'claim [1]. Next' -> the '.' belongs to the claim before the marker."""
    lead = _LEADING_PUNCTUATION.match(text)
    if lead and segments:
        segments[-1].text += lead.group(0).strip()
        return text[lead.end() :]
    return text


def _continues(piece: str) -> bool:
    return piece[:1] in "。.!?！？；;"


def lexical_support(sentence: str, hit: Hit) -> float:
    terms = content_terms(sentence)
    if not terms:
        return 1.0
    chunk_terms = content_terms(f"{hit.post.title}\n{hit.chunk.heading}\n{hit.chunk.text}")
    return len(terms & chunk_terms) / len(terms)


def make_support(dense: Callable[[str, Hit], float] | None = None, threshold: float | None = None) -> SupportFn:
    """Lexical overlap; embedding similarity only for a sentence in another language than its
    source, where most words cannot overlap (names, identifiers and numbers still must). In the
    same language similarity is no proof: a claim about a person is close to any passage about them
    while the passage never says it. `threshold` is the embedder's own `dense_support`."""

    def support(sentence: str, hit: Hit) -> float:
        lexical = lexical_support(sentence, hit)
        same_language = is_chinese(sentence) == (hit.post.language == "zh")
        if dense is None or threshold is None:
            return lexical
        if lexical >= LEXICAL_SUPPORT or same_language or lexical < CROSS_LANGUAGE_MIN_LEXICAL:
            return lexical
        return LEXICAL_SUPPORT if dense(sentence, hit) >= threshold else lexical

    return support


def source_text(hit: Hit) -> str:
    """What a citation may rest on: the chunk with its post's title, heading and date."""
    return f"{hit.post.title}\n{hit.chunk.heading}\n{hit.post.date or ''}\n{hit.chunk.text}"


def contradicts(sentence: str, hit: Hit) -> bool:
    """The sentence states a quantity the chunk does not, or flips the polarity of the chunk sentence
    it otherwise matches ("keep it for 5 days" against "2 hours"; "X is not needed" against
    "X is needed")."""
    if unsupported_quantities(sentence, source_text(hit)):
        return True
    for start, end in sentence_spans(sentence):  # a claim may be several sentences or list items
        part = sentence[start:end]
        match = _matching_sentence(part, hit.chunk.text)
        if match is not None and is_negated(part) != is_negated(match):
            return True
    return False


def _matching_sentence(sentence: str, text: str) -> str | None:
    """The chunk sentence sharing most of the claim's key terms, if it shares at least LEXICAL_SUPPORT."""
    terms = content_terms(sentence)
    if not terms:
        return None
    best, best_share = None, LEXICAL_SUPPORT
    for start, end in sentence_spans(text):
        candidate = text[start:end]
        share = len(terms & content_terms(candidate)) / len(terms)
        if share >= best_share:
            best, best_share = candidate, share
    return best


def _supports(sentence: str, hit: Hit, support: SupportFn) -> bool:
    return support(sentence, hit) >= LEXICAL_SUPPORT and not contradicts(sentence, hit)


def sentence_similarity(embed: Callable[[list[str]], np.ndarray]) -> Callable[[str, Hit], float]:
    """Dense similarity of a claim to the chunk sentence closest to it, both embedded as passages:
    a claim restates one sentence, and a whole chunk's vector dilutes that sentence among the others
    (a translated claim then scores like unrelated text). For `make_support`'s `dense`."""

    def similarity(claim: str, hit: Hit) -> float:
        sentences = [hit.chunk.text[a:b].strip() for a, b in sentence_spans(hit.chunk.text)]
        sentences = [s for s in sentences if s]
        if not sentences:
            return 0.0
        vectors = embed([claim, *sentences])
        return float(np.max(vectors[1:] @ vectors[0]))

    return similarity


def answer_support(question: str, support: SupportFn) -> SupportFn:
    """`support`, but a sentence that restates the question before giving its fact ("people call
    X by the short name X1" for "what do people call X for short?") may instead be judged on the
    terms it adds to the question: the reader's wording is not the source's, and it is no claim.
    One sentence of the source (with the post's title and heading) must hold what the sentence adds
    together with some of what it restates, so a term found anywhere in the chunk is no support.
    Only in the source's language: across languages the restated words cannot be checked."""
    asked = content_terms(question)

    def judged(sentence: str, hit: Hit) -> float:
        score = support(sentence, hit)
        terms = content_terms(sentence)
        added, restated = terms - asked, terms & asked
        same_language = is_chinese(sentence) == (hit.post.language == "zh")
        if score >= LEXICAL_SUPPORT or not added or not restated or not same_language:
            return score
        return max(score, _added_share(added, restated, hit))

    return judged


def _added_share(added: set[str], restated: set[str], hit: Hit) -> float:
    """The best share of `added` that one source sentence holds along with a term of `restated`."""
    context = content_terms(f"{hit.post.title}\n{hit.chunk.heading}")
    best = 0.0
    for start, end in sentence_spans(hit.chunk.text):
        terms = context | content_terms(hit.chunk.text[start:end])
        if terms & restated:
            best = max(best, len(added & terms) / len(added))
    return best


def verify(draft: str, sources: list[Hit], support: SupportFn | None = None, *, deep_links: bool = False) -> Verified:
    """Keep only citations whose chunk supports the sentence; renumber them in order of first use.
    `deep_links`: a citation's `url` gets a text fragment of its quote (the posts are published)."""
    support = support or make_support()
    segments = _strip_trailing_refusal(parse_segments(draft))
    kept: list[tuple[str, list[int]]] = []
    dropped = supported = 0
    for segment in segments:
        numbers = _checked_numbers(segment, sources, support)
        dropped += len(set(segment.cited) - set(numbers))
        if numbers:
            supported += 1
            kept.append((segment.text, numbers))
        elif not segment.cited and _grounded(segment.text, sources):
            kept.append((segment.text, []))
    return _renumber(kept, sources, supported, dropped, deep_links)


def _checked_numbers(segment: Segment, sources: list[Hit], support: SupportFn) -> list[int]:
    numbers: list[int] = []
    for n in dict.fromkeys(segment.cited):
        if not 1 <= n <= len(sources):
            continue
        if _supports(segment.text, sources[n - 1], support):
            numbers.append(n)
    # Re-attribute a wrongly cited claim, and cite an uncited one (small models forget markers),
    # to the source that does support it.
    if not numbers and sources and (segment.cited or not _is_connective(segment.text)):
        scores = [support(segment.text, hit) for hit in sources]
        for best in sorted(range(len(sources)), key=lambda i: -scores[i]):  # ties: the earlier source
            if scores[best] < LEXICAL_SUPPORT:
                break
            if not contradicts(segment.text, sources[best]):
                numbers.append(best + 1)
                break
    return numbers


def _is_connective(text: str) -> bool:
    """A sentence with (almost) no content words, e.g. "Here is what the posts say:"."""
    return len(content_terms(text)) < 3


def _grounded(text: str, sources: list[Hit]) -> bool:
    """An uncited sentence may stay when the sources hold most of its terms and all its quantities."""
    if unsupported_quantities(text, "\n".join(source_text(h) for h in sources)):
        return False
    terms = content_terms(text)
    if not terms:
        return True
    available = set().union(*(content_terms(h.chunk.text + " " + h.post.title) for h in sources)) if sources else set()
    return len(terms & available) / len(terms) >= UNCITED_GROUNDING


def _strip_trailing_refusal(segments: list[Segment]) -> list[Segment]:
    """Small models often append "the sources don't say more" after a real, cited answer."""
    while len(segments) > 1 and any(s.cited for s in segments[:-1]) and _REFUSAL.search(segments[-1].text):
        segments = segments[:-1]
    return segments


def _renumber(
    kept: list[tuple[str, list[int]]], sources: list[Hit], supported: int, dropped: int, deep_links: bool
) -> Verified:
    order: dict[int, int] = {}
    pieces: list[str] = []
    for text, numbers in kept:
        for n in numbers:
            order.setdefault(n, len(order) + 1)
        markers = "".join(f"[{order[n]}]" for n in numbers)
        pieces.append(f"{text} {markers}".rstrip() if markers else text)
    answer = _join(pieces)
    citations = [
        _citation(new, sources[old - 1], [t for t, ns in kept if old in ns], deep_links) for old, new in order.items()
    ]
    return Verified(answer, citations, supported, dropped)


def _join(pieces: list[str]) -> str:
    joined = ""
    for piece in pieces:
        if joined and not (joined.endswith("\n") or piece.startswith("\n")):
            joined += "\n" if piece.startswith("- ") else " "
        joined += piece
    return joined.strip()


def best_quote(hit: Hit, claims: list[str]) -> tuple[str, int, int]:
    """The chunk passage that supports the claims, with its offsets in the cleaned post: the claim
    itself when it is quoted verbatim (extractive answers), else the best-overlapping sentence."""
    text = hit.chunk.text
    for claim in claims:
        at = text.find(claim)
        if claim and at >= 0:
            return claim, hit.chunk.start + at, hit.chunk.start + at + len(claim)
    spans = sentence_spans(text) or [(0, len(text))]
    wanted = set().union(*(content_terms(c) for c in claims)) if claims else set()

    def overlap(span: tuple[int, int]) -> float:
        terms = content_terms(text[span[0] : span[1]])
        return len(terms & wanted) / (1 + len(terms) ** 0.5)

    start, end = max(spans, key=overlap)
    mark = LIST_MARK.match(text[start:end])  # a list item is quoted without its bullet
    if mark and mark.end() < end - start:
        start += mark.end()
    return text[start:end], hit.chunk.start + start, hit.chunk.start + end


def _citation(n: int, hit: Hit, claims: list[str], deep_links: bool) -> Citation:
    quote, start, end = best_quote(hit, claims)
    post, chunk = hit.post, hit.chunk
    # One click lands on the quoted sentence of the published post.
    url = with_text_fragment(post.url, post.text, start, end) if deep_links else post.url
    return Citation(
        n, post.source, post.title, url, post.date, chunk.heading, quote, chunk.chunk_id, start, end, post.url
    )


class Verifier(Protocol):
    """The Verifier role: checks every generator's citations (mandatory, whatever wrote the draft)."""

    def verify(self, draft: str, sources: list[Hit], quoted: bool, question: str = "") -> Verified:
        """`quoted`: the draft quotes the sources verbatim (the extractive generator), so word overlap
        is the whole proof; a paraphrase may also be supported across languages by embeddings, and
        a sentence restating the `question` is judged on what it adds (see `answer_support`)."""
        ...


class CitationVerifier:
    """`verify` with lexical support for quotes and `paraphrase_support` for everything else."""

    def __init__(self, paraphrase_support: SupportFn | None = None, deep_links: bool = False) -> None:
        self.paraphrase_support = paraphrase_support or make_support()
        self.deep_links = deep_links  # citation URLs get a text fragment (a site URL is configured)

    def verify(self, draft: str, sources: list[Hit], quoted: bool, question: str = "") -> Verified:
        if quoted:
            return verify(draft, sources, make_support(), deep_links=self.deep_links)
        support = answer_support(question, self.paraphrase_support) if question else self.paraphrase_support
        return verify(draft, sources, support, deep_links=self.deep_links)
