"""What a question asks, in terms that carry across blogs: its keyword terms weighted by the index's
own document frequencies, the kind of answer it expects (a time, a count, a list), its language,
and whether it has any content at all."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from rag.generators.extractive.slots import asked_kind
from rag.lexical import is_chinese, tokenize

# Question words that name the expected answer type. These are words of the languages, not of a blog;
# the kinds asking for a value (a time, a count, a version …) are in slots.py.
_ASKS_LIST = re.compile(r"哪些|列举|哪几|\bwhich \w+s\b|\bwhat are\b|\blist\b|\bexamples?\b", re.I)
_ASKS_WHO = re.compile(r"谁|哪位|\bwho\b|\bwhom\b|\bwhose\b", re.I)
_VOWEL = re.compile(r"[aeiouy]", re.I)
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")  # a Chinese character

IdfFn = Callable[[str], "float | None"]
TranslateFn = Callable[[str], "tuple[str, ...]"]


@dataclass(frozen=True)
class Question:
    """A question analysed once against one index."""

    text: str
    terms: tuple[str, ...]  # distinct keyword tokens, in order
    weights: tuple[float, ...]  # index idf of each term; unknown terms get `unknown_weight`
    known: tuple[bool, ...]  # whether the index contains the term at all
    answer_type: str  # a value kind of slots.py ("time", "count", "version" …), "who", "list" or ""
    chinese: bool
    # Per term, the index's words for it in the other language ("born" -> 出生) when the index has
    # the term itself nowhere: a passage holding one of them covers the term.
    alternates: tuple[tuple[str, ...], ...] = ()

    @property
    def total_weight(self) -> float:
        return sum(self.weights)

    @property
    def known_weight(self) -> float:
        """Weight of the terms some post contains: all that a passage could cover."""
        return sum(w for w, k in zip(self.weights, self.known, strict=True) if k)

    @property
    def unknown_share(self) -> float:
        """Share of the question's weight on terms no post contains."""
        total = self.total_weight
        return sum(w for w, k in zip(self.weights, self.known, strict=True) if not k) / total if total else 1.0

    def rarest(self) -> str | None:
        """The known term the index finds rarest: usually what the question is really about."""
        known = [(w, t) for t, w, k in zip(self.terms, self.weights, self.known, strict=True) if k]
        return max(known)[1] if known else None


def analyse(text: str, idf: IdfFn, translate: TranslateFn | None = None) -> Question:
    """Terms (as the index tokenizes them), their rarity in this index, and the expected answer type.
    A term the index lacks but knows in the other language (`translate`) counts by those words."""
    terms = tuple(_terms(text))
    alternates = tuple(_alternates(t, idf, translate) for t in terms)
    # A translated term is as rare as its commonest rendering: any of them in a passage covers it.
    rarity = [_rarity(t, alts, idf) for t, alts in zip(terms, alternates, strict=True)]
    known = tuple(r is not None for r in rarity)
    strongest = max((r for r in rarity if r is not None), default=1.0)
    # A term no post contains weighs as much as the rarest one: it is what the posts would have to say.
    weights = tuple(max(r if r is not None else strongest, 0.05) for r in rarity)
    return Question(text, terms, weights, known, answer_type(text), is_chinese(text), alternates)


def _rarity(term: str, alternates: tuple[str, ...], idf: IdfFn) -> float | None:
    return min(idf(a) or 0.0 for a in alternates) if alternates else idf(term)


def _alternates(term: str, idf: IdfFn, translate: TranslateFn | None) -> tuple[str, ...]:
    if translate is None or idf(term) is not None:
        return ()
    return tuple(a for a in translate(term) if idf(a) is not None)


@lru_cache(maxsize=1024)
def _terms(text: str) -> list[str]:
    return list(dict.fromkeys(tokenize(text)))


def document_frequencies(tokens: list[list[str]], texts: list[str]) -> Counter[str]:
    """Chunks containing each term. A lone Chinese character counts every chunk whose text holds
    it: the segmenter rarely emits one as a token, so by tokens a function word would look as rare
    as a name, while by characters it is everywhere and a content character is not."""
    df: Counter[str] = Counter(t for chunk in tokens for t in set(chunk) if not _single_cjk(t))
    df.update(ch for text in texts for ch in set(text) if _single_cjk(ch))
    return df


def _single_cjk(term: str) -> bool:
    return len(term) == 1 and CJK.match(term) is not None


def answer_type(text: str) -> str:
    """The kind of answer the question's own words ask for; "" when they don't say."""
    kind = asked_kind(text)
    if kind:
        return kind
    for kind, pattern in (("who", _ASKS_WHO), ("list", _ASKS_LIST)):
        if pattern.search(text):
            return kind
    return ""


def is_junk(question: Question) -> bool:
    """No content at all ("?", "的的的"), or only strings that are no word of the posts and no word
    of any language ("xxxxxxxx", "asdfgh"): nothing can be answered."""
    if not question.terms:
        return True
    return all(not known and _gibberish(term) for term, known in zip(question.terms, question.known, strict=True))


def _gibberish(term: str) -> bool:
    """A Latin token that cannot be a word: one or two distinct letters repeated, no vowel, or a run of
    five consonants (keyboard mash). Numbers and CJK words are never called gibberish."""
    if not term.isascii() or not term.isalpha():
        return False
    if len(set(term)) <= 2 and len(term) >= 3:
        return True
    return len(term) >= 4 and (not _VOWEL.search(term) or re.search(r"[^aeiouy]{5}", term) is not None)


def idf_from_counts(df: int, docs: int) -> float:
    """BM25's idf, as the index would compute it; shared by the answerer and its tests."""
    return math.log(1 + (docs - df + 0.5) / (df + 0.5))
