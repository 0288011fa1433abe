"""The answer path: rewrite -> retrieve -> generate -> verify -> Answer, with refusal and fallback.

`Answerer` gets its roles handed in (rag.pipeline.Engine composes them) and never calls back up:
a Retriever, the Generators (one instance per spec), a Verifier (citation checking, for every
generator) and a QueryRewriter (follow-ups). `ask` and `stream` are one path: `ask` is the last
event of `stream`. Nothing here raises to the user for a generator failure: the extractive answer
stands in, and the `generator` field says so.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator as Generator_
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from rag.citations import Verified, Verifier
from rag.errors import InputError
from rag.generators.base import Generator, is_no_answer
from rag.inputs import check_text
from rag.lexical import is_chinese
from rag.names import localise_names
from rag.retrieval import Retriever, SearchFilters
from rag.rewrite import QueryRewriter
from rag.types import Answer, Hit, Turn

log = logging.getLogger(__name__)
MAX_QUESTION_CHARS = 2000
MAX_HISTORY_TURNS = 50
MAX_TURN_CHARS = 8000
FALLBACK = "extractive"
Event = dict[str, Any]


@dataclass(frozen=True)
class AskRequest:
    """One question to answer and how: what `ask` and `ask_stream` take, from the CLI, the HTTP API
    (its pydantic body converts to this) and `rag eval` alike. `Engine.ask` also takes a bare
    question string: a request with every default."""

    question: str
    history: tuple[Turn, ...] = ()  # earlier turns, oldest first, for follow-up questions
    filters: SearchFilters | None = None
    k: int | None = None  # passages to answer from; None: the engine's default
    generator: str | None = None  # generator spec; None: the engine's default
    stream: bool = False  # the caller wants events as they happen (the HTTP API's SSE)


class Generators(Protocol):
    """Generator instances by spec (rag.caches.GeneratorPool); `default` when a request names none."""

    default: str

    def get(self, spec: str | None = None) -> Generator: ...


def validate_question(question: str) -> str:
    question = check_text((question or "").strip(), "question")
    if not question:
        raise InputError("The question is empty.", "Ask something, e.g. 'What is this blog about?'")
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(
            f"The question is {len(question)} characters long; the limit is {MAX_QUESTION_CHARS}.",
            "Shorten it to the actual question.",
        )
    return question


def parse_history(data: Any, where: str = "the history") -> tuple[Turn, ...]:
    """Earlier turns as the HTTP API's `history` takes them: a JSON list of {"role": "user" |
    "assistant", "content": "..."}, oldest first, at most MAX_HISTORY_TURNS turns."""
    example = 'e.g. [{"role": "user", "content": "What is X?"}, {"role": "assistant", "content": "X is ... [1]"}]'
    if not isinstance(data, list):
        raise InputError(f"{where} is not a list of turns.", f"Give a JSON list of turns, {example}.")
    if len(data) > MAX_HISTORY_TURNS:
        raise InputError(f"{where} has {len(data)} turns; the limit is {MAX_HISTORY_TURNS}.", "Keep the latest ones.")
    return tuple(_turn(item, n, where, example) for n, item in enumerate(data, 1))


def _turn(item: Any, n: int, where: str, example: str) -> Turn:
    if not isinstance(item, dict) or set(item) != {"role", "content"}:
        raise InputError(f"Turn {n} of {where} is not a {{role, content}} object.", f"Use turns like {example}.")
    role, content = item["role"], item["content"]
    if role not in ("user", "assistant"):
        raise InputError(f"Turn {n} of {where} has role {role!r}.", "A turn's role is 'user' or 'assistant'.")
    if not isinstance(content, str) or len(content) > MAX_TURN_CHARS:
        raise InputError(
            f"Turn {n} of {where} has no text content or more than {MAX_TURN_CHARS} characters.",
            "Give each turn's content as a string (an earlier question or answer).",
        )
    return {"role": role, "content": content}


def refusal_text(question: str) -> str:
    if is_chinese(question):
        return "这些文章没有提供回答这个问题所需的信息。以下是最接近的文章："
    return "The posts don't say. These are the closest posts:"


def unresolved_text(question: str) -> str:
    """The refusal for a follow-up whose pronoun nothing earlier in the conversation resolves."""
    if is_chinese(question):
        return "我不确定这个问题指的是什么。请在问题里写出具体的名称后再问一次。"
    return "I can't tell what this question refers to. Please ask again with the name of the thing you mean."


def closest_posts(hits: list[Hit], limit: int = 3) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for hit in hits:
        if hit.post.source not in seen and len(seen) < limit:
            seen[hit.post.source] = {k: v for k, v in hit.to_json().items() if k != "text"}
    return list(seen.values())


class Answerer:
    """One question at a time through the injected roles; holds no index or engine of its own."""

    def __init__(
        self,
        retriever: Retriever,
        generators: Generators,
        verifier: Verifier,
        rewriter: QueryRewriter,
        *,
        top_k: int = 5,
    ) -> None:
        self.retriever = retriever
        self.generators = generators
        self.verifier = verifier
        self.rewriter = rewriter
        self.top_k = top_k  # passages to answer from when a request does not say

    def ask(self, request: AskRequest) -> Answer:
        """The final event of `stream`: one path for both."""
        answer: Answer | None = None
        for event in self.stream(request):
            if event["event"] == "answer":
                answer = event["answer"]
        assert answer is not None
        return answer

    def stream(self, request: AskRequest) -> Iterator[Event]:
        """Events: meta, token*, reset?, answer (the verified Answer). The last draft wins over streamed tokens."""
        started = time.perf_counter()
        question = validate_question(request.question)
        spec = request.generator or self.generators.default
        backend = self.generators.get(spec)
        rewrite = self.rewriter.rewrite(question, request.history, getattr(backend, "rewrite_query", None))
        if not rewrite.resolved:
            yield {"event": "meta", "query": question, "hits": []}
            total = (time.perf_counter() - started) * 1000
            timings = {"retrieve": 0.0, "generate": 0.0, "total": total}
            yield {"event": "answer", "answer": Answer(unresolved_text(question), [], True, question, spec, timings)}
            return
        query, hits = self._retrieve(rewrite.query, request)
        retrieved = time.perf_counter()
        yield {"event": "meta", "query": query, "hits": hits}
        history = list(request.history) or None
        draft, used = yield from self._draft(backend, spec, query, hits, history)
        generated = time.perf_counter()
        timings = {
            "retrieve": (retrieved - started) * 1000,
            "generate": (generated - retrieved) * 1000,
            "total": (generated - started) * 1000,
        }
        yield {"event": "answer", "answer": self._finish(question, query, draft, hits, used, timings)}

    def _retrieve(self, query: str, request: AskRequest) -> tuple[str, list[Hit]]:
        top_k = request.k or self.top_k
        hits = self.retriever.search(query, top_k, request.filters)
        localised = localise_names(query, [f"{h.post.title}\n{h.chunk.text}" for h in hits])
        if localised != query:  # a romanised name found in Chinese in the posts: search again with it
            return localised, self.retriever.search(localised, top_k, request.filters)
        return query, hits

    def _draft(
        self, backend: Generator, spec: str, query: str, hits: list[Hit], history: list[Turn] | None
    ) -> Generator_[Event, None, tuple[str, str]]:
        """Stream the backend's draft; on any failure fall back to the extractive draft."""
        pieces: list[str] = []
        try:
            for piece in backend.stream(query, hits, history):
                pieces.append(piece)
                yield {"event": "token", "text": piece}
            draft = "".join(pieces)
            if not draft.strip():
                raise ValueError("empty answer")
            return draft, spec
        except Exception as exc:  # noqa: BLE001 - any backend failure must not reach the user
            if spec == FALLBACK:
                raise
            log.warning("generator %s failed, falling back to extractive: %s", spec, exc)
            draft = self.generators.get(FALLBACK).generate(query, hits, history)
            yield {"event": "reset", "reason": f"{type(exc).__name__}: {exc}"}
            return draft, f"{FALLBACK} (fallback: {spec} failed)"

    def _finish(
        self, question: str, query: str, draft: str, hits: list[Hit], used: str, timings: dict[str, float]
    ) -> Answer:
        verified = Verified("", [])
        if not is_no_answer(draft) and hits:
            verified = self.verifier.verify(draft, hits, used.startswith(FALLBACK), f"{question}\n{query}")
        if not verified.citations:
            return Answer(refusal_text(question), [], True, query, used, timings, closest_posts(hits), hits)
        return Answer(verified.answer, verified.citations, False, query, used, timings, [], hits)
