"""Pydantic HTTP schemas: request validation, and response models that document the JSON in /docs.

Responses are built by the library's own `to_json()` methods (the single source of truth for the
shapes); the response models here describe them for OpenAPI and a test keeps the two in step.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from rag.answering import MAX_HISTORY_TURNS, MAX_QUESTION_CHARS, MAX_TURN_CHARS
from rag.answering import AskRequest as Ask
from rag.inputs import DAY_EXAMPLE, day_problem, describe_unusable
from rag.insights.entries import MAX_COMMENT_CHARS
from rag.retrieval import SearchFilters


def _usable(value: Any) -> Any:
    """Reject text no encoder accepts (NUL, lone surrogates) before anything else looks at it."""
    problem = describe_unusable(value) if isinstance(value, str) else None
    if problem is not None:
        raise ValueError(f"contains {problem}; send UTF-8 text without NUL characters or unpaired surrogates")
    return value


def _day(value: str | None) -> str | None:
    problem = None if value is None else day_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


Text = Annotated[str, BeforeValidator(_usable)]
Day = Annotated[str | None, BeforeValidator(_usable), AfterValidator(_day)]


def trimmed(value: str, what: str) -> str:
    """The rule /ask and /search apply to a question or query (and the MCP tools reuse)."""
    value = value.strip()
    if not value:
        raise ValueError(f"The {what} is empty.")
    if len(value) > MAX_QUESTION_CHARS:
        raise ValueError(f"The {what} is {len(value)} characters long; the limit is {MAX_QUESTION_CHARS}.")
    return value


class Filters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tags: list[Text] = Field(default_factory=list, max_length=50, description="Only posts with any of these tags.")
    after: Day = Field(None, description=f"Only posts dated on/after this day (YYYY-MM-DD, e.g. {DAY_EXAMPLE}).")
    before: Day = Field(None, description=f"Only posts dated on/before this day (YYYY-MM-DD, e.g. {DAY_EXAMPLE}).")

    def to_filters(self) -> SearchFilters:
        return SearchFilters(list(self.tags), self.after, self.before)


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"] = Field(description="Who said it.")
    content: Text = Field(max_length=MAX_TURN_CHARS, description="What was said (an earlier question or answer).")


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: Text = Field(description="The question, 1–2000 characters after trimming, any language.")
    top_k: int | None = Field(None, ge=1, le=20, description="Passages to answer from (1–20; server default).")
    filters: Filters | None = Field(None, description="Restrict retrieval by tag and date.")
    history: list[Turn] = Field(
        default_factory=list,
        max_length=MAX_HISTORY_TURNS,
        description="Earlier turns, oldest first, for follow-up questions.",
    )
    generator: Text | None = Field(None, max_length=200, description="Generator spec (default: server setting).")
    stream: bool = Field(False, description="Answer as server-sent events (same as Accept: text/event-stream).")

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        return trimmed(value, "question")

    def to_request(self, stream: bool = False) -> Ask:
        """The library's request; `stream` also when the client asked for events by its Accept header."""
        return Ask(
            question=self.question,
            history=tuple(turn.model_dump() for turn in self.history),
            filters=self.filters.to_filters() if self.filters else None,
            k=self.top_k,
            generator=self.generator,
            stream=self.stream or stream,
        )


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: Text = Field(description="What to look for, 1–2000 characters after trimming.")
    top_k: int | None = Field(None, ge=1, le=20, description="Number of hits (1–20; server default).")
    filters: Filters | None = Field(None, description="Restrict results by tag and date.")

    @field_validator("query")
    @classmethod
    def _query(cls, value: str) -> str:
        return trimmed(value, "query")


class ReindexRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rebuild: bool = Field(False, description="Re-embed every post instead of only new or changed ones.")


class HitOut(BaseModel):
    source: str = Field(description="Post path relative to the ingested folder; the id for GET /posts/{id}.")
    title: str = Field(description="Post title.")
    url: str | None = Field(
        description="Where the post is published: the site URL (RAG_SITE_URL) joined to its permalink, or the "
        "absolute URL its front matter gives; null when neither is known (use GET /posts/{source})."
    )
    date: str | None = Field(description="Post date, YYYY-MM-DD, when known.")
    heading: str = Field(description="Heading path of the passage, ' > ' joined.")
    text: str = Field(description="The passage.")
    score: float = Field(description="Fused retrieval score (higher is better).")
    chunk_id: str = Field(description="'<source>#<ordinal>'.")
    start: int = Field(description="Character offset where the passage starts in the cleaned post text.")
    end: int = Field(description="Character offset where the passage ends in the cleaned post text.")


class ClosestOut(BaseModel):
    source: str = Field(description="Post id.")
    title: str = Field(description="Post title.")
    url: str | None = Field(description="Public URL, when known.")
    date: str | None = Field(description="Post date, when known.")
    heading: str = Field(description="Heading of the closest passage.")
    score: float = Field(description="Retrieval score.")
    chunk_id: str = Field(description="The closest passage.")
    start: int = Field(description="Passage start offset in the cleaned text.")
    end: int = Field(description="Passage end offset in the cleaned text.")


class CitationOut(BaseModel):
    n: int = Field(description="The number used by the [n] markers in the answer.")
    source: str = Field(description="Post id (GET /posts/{id}).")
    title: str = Field(description="Post title.")
    url: str | None = Field(
        description="With a site URL (RAG_SITE_URL): the published post plus a `#:~:text=` fragment that "
        "highlights the quote. Without one: the post's own absolute URL, or null (use GET /posts/{source})."
    )
    date: str | None = Field(description="Post date, when known.")
    heading: str = Field(description="Heading path of the cited passage.")
    quote: str = Field(description="The sentence(s) that support the answer.")
    chunk_id: str = Field(description="The cited passage.")
    start: int = Field(description="Start offset of the quote in the cleaned post text.")
    end: int = Field(description="End offset of the quote in the cleaned post text.")
    post_url: str | None = Field(description="The published post without the text fragment; null when unknown.")


class AnswerOut(BaseModel):
    answer_id: str = Field(
        description="32 hex characters naming this answer; send it to POST /feedback.", pattern="^[0-9a-f]{32}$"
    )
    answer: str = Field(description="The answer with [n] citation markers, or a refusal sentence.")
    citations: list[CitationOut] = Field(description="Sources actually cited, numbered as in the text.")
    refused: bool = Field(description="True when the posts do not answer the question.")
    query: Text = Field(description="The search query used (rewritten from history for follow-ups).")
    generator: str = Field(description="Generator that produced the answer (notes a fallback).")
    timings_ms: dict[str, float] = Field(description="Milliseconds per stage: retrieve, generate, total.")
    closest: list[ClosestOut] = Field(description="On refusal: the closest posts.")


class ChunkAnchor(BaseModel):
    chunk_id: str = Field(description="'<source>#<ordinal>'.")
    heading: str = Field(description="Heading path of the passage.")
    start: int = Field(description="Start offset in `text`.")
    end: int = Field(description="End offset in `text`.")


class PostOut(BaseModel):
    source: str = Field(description="Post id: path relative to the ingested folder.")
    title: str = Field(description="Post title.")
    date: str | None = Field(description="Post date, YYYY-MM-DD, when known.")
    tags: list[str] = Field(description="Tags from the front matter.")
    author: str | None = Field(description="Author, when known.")
    url: str | None = Field(description="Public URL, when known.")
    slug: str = Field(description="Front matter slug, else the file name.")
    language: str = Field(description="Detected language code.")
    text: str = Field(description="Cleaned text; citation and chunk offsets index into it.")
    chunks: list[ChunkAnchor] = Field(description="The passages the index holds for this post, in order.")


class HealthOut(BaseModel):
    status: Literal["ok", "unavailable"] = Field(description="'ok' when an index is loaded.")
    index_loaded: bool = Field(description="Whether an Engine is serving queries.")
    posts: int = Field(description="Posts in the loaded index.")
    chunks: int = Field(description="Chunks in the loaded index.")
    embedder: str | None = Field(description="Embedder spec the index was built with.")
    generator: str = Field(description="Default generator spec.")
    index_created: str | None = Field(description="When the loaded index was written.")
    loaded_at: str | None = Field(description="When this server loaded it.")
    error: dict[str, str] | None = Field(description="Why no index is loaded, with a fix.")


class ReindexStatusOut(BaseModel):
    state: Literal["idle", "running", "done", "failed"] = Field(description="Reindex state.")
    started: str | None = Field(description="Start time (UTC, ISO 8601).")
    finished: str | None = Field(description="End time (UTC, ISO 8601).")
    stage: str = Field(description="Current ingest stage.")
    done: int = Field(description="Items done in the current stage.")
    total: int = Field(description="Items in the current stage.")
    seconds: float | None = Field(description="Duration of the last finished run.")
    report: dict[str, Any] | None = Field(description="Summary of the last successful run.")
    error: dict[str, str] | None = Field(description="Error of the last failed run, with a fix hint.")


class ErrorOut(BaseModel):
    error: str = Field(description="Error class, e.g. InputError, AuthError, ValidationFailed.")
    message: str = Field(description="What went wrong.")
    hint: str = Field(description="How to fix it.")


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer_id: str = Field(
        description="The `answer_id` of the answer (32 hex characters), from POST /ask.", pattern="^[0-9a-f]{32}$"
    )
    helpful: bool = Field(description="true for 👍 (the answer helped), false for 👎.")
    comment: Text | None = Field(
        None, max_length=MAX_COMMENT_CHARS, description=f"What was wrong or missing (up to {MAX_COMMENT_CHARS} chars)."
    )


class FeedbackOut(BaseModel):
    ok: Literal[True] = Field(description="The feedback was saved (a later vote on the same answer replaces it).")
