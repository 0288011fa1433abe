"""The QueryRewriter role: a follow-up question -> a standalone search query.

"What is X?" then "Who develops it?" must search for who develops X. The heuristic keeps the
conversation's topic (the main name of the last standalone question, else its main noun phrase,
else its content words; the rarest in the index wins) and puts it where a follow-up leans on it:
in place of a pronoun that nothing earlier in the question stands for, else in front of the
question (zero anaphora: "是谁开发的？", openers: "what about the license?"). A question with
nothing of its own ("为什么？", "那么第二年呢？") gets the whole earlier question in front, since
it reuses its predicate too. A follow-up that nothing earlier resolves is reported unresolved, and
the answer path refuses it instead of answering something else. An LLM generator's
`rewrite_query` replaces the heuristic's query when there is history to rewrite from.

All the word lists here are words of the languages (pronouns, openers, auxiliaries), never of a blog.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from rag.lexical import STOPWORDS, tokenize
from rag.questionwords import CJK_RUN as _CJK
from rag.questionwords import PRONOUN_EN as _PRONOUN_EN
from rag.questionwords import PRONOUN_ZH as _PRONOUN_ZH
from rag.questionwords import Word, analyse
from rag.questionwords import chinese_words as _chinese_words
from rag.types import Turn

log = logging.getLogger(__name__)

IdfFn = Callable[[str], "float | None"]
LlmRewrite = Callable[[str, list[Turn]], "str | None"]

MAX_HISTORY_CHARS = 300
UNKNOWN_RARITY = 100.0  # a term no chunk contains ranks as the rarest: it is what the question is about

_OPENER = re.compile(r"^\s*(?:(?:and|what about|how about|also|then|so)\b|那么|那|还有|另外|然后|并且|而且)", re.I)
_DUMMY_EN = frozenset(["it", "they"])  # may stand for nothing: "is it possible to ...", "how do they ..."
_COPULA = "是"
# "What award did X receive?" then "Where was it given?": the thing pronoun stands for the thing the
# earlier question asked about (its wh-word's noun), said together with the earlier topic.
_THING_PRONOUNS = frozenset(["it", "its", "它"])
_ASKED_THING_EN = re.compile(r"\b(?:what|which)\s+([a-z][a-z-]+)\b", re.I)
_ASKED_THING_ZH = re.compile(r"(?:什么|哪个|哪一个|哪家|哪所|哪款|哪种|哪项|哪部|哪篇)([\u4e00-\u9fff]{1,4})")
_NOT_A_THING = frozenset(
    ["year", "month", "day", "date", "time", "kind", "sort", "type", "way", "one", "ones", "of",
     "时候", "样", "样的", "意思", "地方", "原因"]
)  # fmt: skip
_TOPICAL = ("name", "noun", "content")
_AUXILIARY_EN = frozenset(
    ["is", "are", "was", "were", "am", "be", "do", "does", "did", "can", "could", "will", "would",
     "shall", "should", "may", "might", "must", "has", "have", "had"]
)  # fmt: skip


@dataclass(frozen=True)
class Rewrite:
    """The query to search, or `resolved=False` when the question leans on a topic nothing gives."""

    query: str
    resolved: bool = True


class QueryRewriter(Protocol):
    """The QueryRewriter role: the question in the light of the earlier turns."""

    def rewrite(self, question: str, history: Sequence[Turn], llm: LlmRewrite | None = None) -> Rewrite: ...


class FollowUpRewriter:
    """The LLM's rewrite when there is one and history to rewrite from, else the heuristic."""

    def __init__(self, idf: IdfFn | None = None) -> None:
        self.idf = idf

    def rewrite(self, question: str, history: Sequence[Turn], llm: LlmRewrite | None = None) -> Rewrite:
        heuristic = resolve_follow_up(question, history, self.idf)
        if not heuristic.resolved or not history or llm is None:
            return heuristic
        try:
            rewritten = llm(question, list(history))
        except Exception as exc:  # noqa: BLE001 - a failed rewrite falls back to the heuristic
            log.warning("LLM query rewrite failed, using the heuristic: %s", exc)
            return heuristic
        return Rewrite(str(rewritten)) if rewritten and str(rewritten).strip() else heuristic


@dataclass(frozen=True)
class Conversation:
    """What the earlier user questions leave for the next one: the standalone question that set
    the topic, and the last question as it was resolved ("" when it could not be)."""

    topic_from: str = ""
    last: str = ""


def conversation(history: Sequence[Turn] | None, idf: IdfFn | None = None) -> Conversation:
    """Replay the user turns: a standalone question sets the topic, a follow-up keeps the topic it
    leaned on ("What is X?", "Who develops it?" -> still X)."""
    state = Conversation()
    for turn in history or []:
        text = turn.get("content", "").strip()[-MAX_HISTORY_CHARS:] if turn.get("role") == "user" else ""
        if text:
            rewrite = _step(text, state, idf)
            # A question that stands on its own sets the topic; so does one searched as it is for want of one.
            sets_topic = not leans_on_context(text, analyse(text)) or (
                not state.topic_from and rewrite == Rewrite(text)
            )
            state = Conversation(text if sets_topic else state.topic_from, rewrite.query if rewrite.resolved else "")
    return state


def resolve_follow_up(question: str, history: Sequence[Turn] | None, idf: IdfFn | None = None) -> Rewrite:
    """The heuristic: resolve what the question leans on with the conversation's topic."""
    return _step(question, conversation(history, idf), idf)


def _step(question: str, state: Conversation, idf: IdfFn | None) -> Rewrite:
    words = analyse(question)
    if not leans_on_context(question, words):
        return Rewrite(question)
    if not any(w.kind in _TOPICAL for w in words):  # ellipsis ("为什么？", "那么第二年呢？"): the whole question
        return Rewrite(f"{state.last} {question}") if state.last and state.topic_from else Rewrite(question, False)
    wants_person = any(w.person for w in dangling(words))
    found = topic(state.topic_from, idf, wants_person) if state.topic_from else ""
    if found:
        thing = _asked_thing(state.topic_from) if _only_thing_pronouns(words) else ""
        if thing and thing not in found:
            found = f"{found}{thing}" if _CJK.match(thing) else f"{found} {thing}"
        return Rewrite(_resolve(question, words, found))
    if stands_alone(words):
        return Rewrite(question)
    return Rewrite(question, resolved=False)


def _only_thing_pronouns(words: Sequence[Word]) -> bool:
    pronouns = dangling(words)
    return bool(pronouns) and all(w.text.lower() in _THING_PRONOUNS for w in pronouns)


def _asked_thing(question: str) -> str:
    """The noun the question's wh-word asks about ("What award …" -> "award", "什么奖" -> "奖"), or ""."""
    for match in _ASKED_THING_EN.finditer(question):
        word = match.group(1).lower()
        if word not in STOPWORDS and word not in _AUXILIARY_EN and word not in _NOT_A_THING:
            return match.group(1)
    for match in _ASKED_THING_ZH.finditer(question):
        first = next(iter(_chinese_words(match.group(1), 0)), None)
        if first is not None and first.kind in ("noun", "name") and first.text not in _NOT_A_THING:
            return first.text
    return ""


def previous_topic(history: Sequence[Turn] | None, idf: IdfFn | None = None, wants_person: bool = False) -> str:
    """The conversation's topic so far ("" when there is none)."""
    state = conversation(history, idf)
    return topic(state.topic_from, idf, wants_person) if state.topic_from else ""


def heuristic_rewrite(question: str, history: Sequence[Turn] | None, idf: IdfFn | None = None) -> str:
    """The heuristic's query (the question itself when it cannot be resolved)."""
    return resolve_follow_up(question, history, idf).query


def looks_like_follow_up(question: str) -> bool:
    """Whether the question leans on an earlier turn: "为什么？", "那他呢？", "and the year after?"."""
    return leans_on_context(question, analyse(question))


def leans_on_context(question: str, words: Sequence[Word]) -> bool:
    """A pronoun with nothing before it in the question to stand for, a demonstrative or an opener,
    no content at all, or (Chinese) no subject."""
    if _OPENER.search(question) or dangling(words) or any(w.kind == "deictic" for w in words):
        return True
    if not any(w.kind in _TOPICAL for w in words):
        return True
    return bool(_CJK.search(question)) and not _has_subject(words)


def dangling(words: Sequence[Word]) -> list[Word]:
    """The pronouns with no antecedent earlier in the question: no name or noun before them, nor two
    content words ("so that the cache ... it", "一个系统……它" stand for something of their own)."""
    found: list[Word] = []
    for i, word in enumerate(words):
        if word.kind != "pronoun":
            continue
        before = words[:i]
        content = {w.text.lower() for w in before if w.kind == "content"}
        if not any(w.kind in ("name", "noun") for w in before) and len(content) < 2:
            found.append(word)
    return found


def stands_alone(words: Sequence[Word]) -> bool:
    """Enough to search for without the earlier turns: no pronoun left dangling but English "it" or
    "they" (which often stand for nothing: "is it possible to ..."), and a name or two content words."""
    if any(w.text.lower() not in _DUMMY_EN for w in dangling(words)):
        return False
    if any(w.kind == "name" for w in words):
        return True
    return len({w.text.lower() for w in words if w.kind in ("noun", "content")}) >= 2


def _has_subject(words: Sequence[Word]) -> bool:
    """A name or noun, or a word right before the copula ("缓存是什么？": jieba tags 缓存 a verb)."""
    if any(w.kind in ("name", "noun") for w in words):
        return True
    return any(w.kind == "content" and nxt.text == _COPULA for w, nxt in zip(words, words[1:], strict=False))


def topic(question: str, idf: IdfFn | None = None, wants_person: bool = False) -> str:
    """The main name or term of a question: phrases with a name beat noun phrases, which beat runs
    of other content words; a person's name first when a personal pronoun asks for one; then the
    phrase the index finds rarest; then the earliest."""
    phrases = _phrases(question, analyse(question))
    if not phrases:
        return ""

    def rank(item: tuple[int, str, list[Word]]) -> tuple[int, int, float, int]:
        position, text, members = item
        kinds = {w.kind for w in members}
        level = 2 if "name" in kinds else 1 if "noun" in kinds else 0
        person = int(wants_person and any(w.person for w in members))
        return (level, person, _rarity(text, idf), -position)

    return max(phrases, key=rank)[1]


def _rarity(text: str, idf: IdfFn | None) -> float:
    if idf is None:
        return 0.0
    values = [idf(t) for t in tokenize(text)]
    return max((UNKNOWN_RARITY if v is None else v for v in values), default=0.0)


def _phrases(question: str, words: Sequence[Word]) -> list[tuple[int, str, list[Word]]]:
    """Maximal runs of adjacent topical words (only spaces between them), as (run number, text, words)."""
    runs: list[list[Word]] = [[]]
    leads: list[Word | None] = [None]  # the word before each run
    for i, word in enumerate(words):
        run = runs[-1]
        if run and _joins(run, word, question[run[-1].end : word.start], leads[-1]):
            run.append(word)
        elif word.kind in _TOPICAL:
            runs.append([word])
            leads.append(words[i - 1] if i else None)
    return [(i, question[r[0].start : r[-1].end], r) for i, r in enumerate(runs) if r]


def _joins(run: list[Word], word: Word, gap: str, before: Word | None) -> bool:
    """Whether `word` continues the phrase `run`. Content words run together ("error budget"); a
    name or noun takes the names and nouns after it, and in English also the plain words after it
    ("Acme scheduler") unless an auxiliary before it makes it a subject ("does Acme support ...")."""
    last = run[-1]
    if gap.strip() or word.kind not in _TOPICAL:
        return False
    if last.kind == "content":
        return word.kind == "content"
    if word.kind in ("name", "noun"):
        return True
    latin = not _CJK.match(word.text)
    return latin and not (before is not None and before.text.lower() in _AUXILIARY_EN)


def _resolve(question: str, words: Sequence[Word], found: str) -> str:
    """Put the topic in place of the personal pronouns, or in front of the question."""
    pronouns = dangling(words)
    if not pronouns:
        return f"{found} {question}"
    pieces: list[str] = []
    position = 0
    for word in pronouns:
        pieces += [question[position : word.start], _substitute(word.text, found)]
        position = word.end
    return "".join(pieces + [question[position:]])


def _substitute(pronoun: str, found: str) -> str:
    lower = pronoun.lower()
    if lower in _PRONOUN_EN:
        return found + _PRONOUN_EN[lower]
    for chinese in _PRONOUN_ZH:
        if chinese in pronoun:
            return pronoun.replace(chinese, found, 1)
    return found
