"""The MCP tools: argument models (their JSON schemas are what clients see), output models, handlers.

Arguments are validated with the same annotated types and rules as /ask and /search (api.schemas);
`ask` goes through the API's own AskRequest to the Engine's ask path, so it answers exactly as
POST /ask does. Handlers are plain functions of (Loaded, arguments) -> JSON, run off the event loop.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.routers.posts import anchor, find_post
from api.schemas import AnswerOut, AskRequest, ChunkAnchor, Day, HitOut, Text, Turn, trimmed
from api.state import Loaded
from rag.answering import MAX_HISTORY_TURNS
from rag.errors import InputError
from rag.insights.log import QuestionLog, record_answer
from rag.retrieval import SearchFilters
from rag.types import Post

PAGE_CHARS = 8000  # default get_post page: a few screens of text, well inside any model's context
MAX_PAGE_CHARS = 20000
MAX_LIST = 100


class SearchArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: Text = Field(description="What to look for: keywords or a question, any language (1–2000 characters).")
    top_k: int | None = Field(None, ge=1, le=20, description="Number of passages (1–20; server default 5).")
    tags: list[Text] = Field(default_factory=list, max_length=50, description="Only posts with any of these tags.")
    after: Day = Field(None, description="Only posts dated on/after this day, YYYY-MM-DD.")
    before: Day = Field(None, description="Only posts dated on/before this day, YYYY-MM-DD.")

    @field_validator("query")
    @classmethod
    def _query(cls, value: str) -> str:
        return trimmed(value, "query")


class AskArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: Text = Field(description="The question, any language (1–2000 characters).")
    history: list[Turn] = Field(
        default_factory=list,
        max_length=MAX_HISTORY_TURNS,
        description="Earlier turns of this conversation, oldest first, so a follow-up like 'who made it?' "
        "is understood: [{role: 'user'|'assistant', content}].",
    )

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        return trimmed(value, "question")


class GetPostArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: Text = Field(
        min_length=1,
        max_length=1000,
        description="The post id: the `source` of a search hit, citation or list_posts entry.",
    )
    offset: int = Field(0, ge=0, description="Character offset to start reading at (from `next_offset`).")
    limit: int = Field(PAGE_CHARS, ge=1, le=MAX_PAGE_CHARS, description=f"Characters to return (1–{MAX_PAGE_CHARS}).")


class ListPostsArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tag: Text | None = Field(None, max_length=200, description="Only posts with this tag (case-insensitive).")
    after: Day = Field(None, description="Only posts dated on/after this day, YYYY-MM-DD.")
    before: Day = Field(None, description="Only posts dated on/before this day, YYYY-MM-DD.")
    limit: int = Field(20, ge=1, le=MAX_LIST, description=f"Posts per page (1–{MAX_LIST}).")
    cursor: Text | None = Field(None, max_length=200, description="`next_cursor` of the previous page.")


class SearchOut(BaseModel):
    results: list[HitOut] = Field(description="Passages, best first; `url` is the post's published address.")


class PostPageOut(BaseModel):
    source: str = Field(description="Post id.")
    title: str = Field(description="Post title.")
    date: str | None = Field(description="Post date, YYYY-MM-DD, when known.")
    tags: list[str] = Field(description="Tags from the front matter.")
    author: str | None = Field(description="Author, when known.")
    url: str | None = Field(description="Published URL, when known.")
    language: str = Field(description="Detected language code.")
    text: str = Field(description="This page of the cleaned text.")
    offset: int = Field(description="Where this page starts in the cleaned text.")
    total_chars: int = Field(description="Length of the whole cleaned text.")
    next_offset: int | None = Field(description="Pass as `offset` for the next page; null at the end.")
    chunks: list[ChunkAnchor] = Field(description="Passages that overlap this page (offsets into the whole text).")


class PostEntry(BaseModel):
    source: str = Field(description="Post id for get_post.")
    title: str = Field(description="Post title.")
    date: str | None = Field(description="Post date, when known.")
    tags: list[str] = Field(description="Tags.")
    url: str | None = Field(description="Published URL, when known.")


class PostListOut(BaseModel):
    posts: list[PostEntry] = Field(description="Posts, newest first.")
    total: int = Field(description="Posts matching the filters.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


@dataclass(frozen=True)
class ToolRun:
    """What one tool call runs against: the current Engine (and its lookups) and the question log."""

    loaded: Loaded
    question_log: QuestionLog


def search_posts(run: ToolRun, args: SearchArgs) -> dict[str, Any]:
    loaded = run.loaded
    filters = SearchFilters(list(args.tags), args.after, args.before)
    hits = loaded.engine.search(args.query, args.top_k, filters)
    return {"results": [hit.to_json() for hit in hits]}


def ask(run: ToolRun, args: AskArgs) -> dict[str, Any]:
    # The API's own request model, so validation and the conversion to the library's request are /ask's.
    request = AskRequest(question=args.question, history=args.history).to_request()
    answer = run.loaded.engine.ask(request)
    record_answer(run.question_log, request.question, answer, channel="mcp")  # never raises
    return answer.to_json()


def get_post(run: ToolRun, args: GetPostArgs) -> dict[str, Any]:
    loaded = run.loaded
    post = find_post(loaded, args.source)
    start, end = min(args.offset, len(post.text)), min(args.offset + args.limit, len(post.text))
    anchors = [anchor(c) for c in loaded.chunks_by_source.get(post.source, []) if c.start < end and c.end > start]
    return {
        **_entry(post),
        "author": post.author,
        "language": post.language,
        "text": post.text[start:end],
        "offset": start,
        "total_chars": len(post.text),
        "next_offset": end if end < len(post.text) else None,
        "chunks": anchors,
    }


def list_posts(run: ToolRun, args: ListPostsArgs) -> dict[str, Any]:
    loaded = run.loaded
    filters = SearchFilters([args.tag] if args.tag else [], args.after, args.before)
    posts = [post for post in loaded.engine.index.posts.values() if filters.matches(post)]
    # Newest first; undated posts last, in a stable order so cursors page through the same list.
    posts.sort(key=lambda p: p.source)
    posts.sort(key=lambda p: p.date or "", reverse=True)
    start = _decode_cursor(args.cursor) if args.cursor else 0
    end = start + args.limit
    return {
        "posts": [_entry(post) for post in posts[start:end]],
        "total": len(posts),
        "next_cursor": _encode_cursor(end) if end < len(posts) else None,
    }


def _entry(post: Post) -> dict[str, Any]:
    return {"source": post.source, "title": post.title, "date": post.date, "tags": post.tags, "url": post.url}


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"posts:{offset}".encode()).decode()


def _decode_cursor(cursor: str) -> int:
    try:
        kind, _, number = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind == "posts" and number.isdigit():
            return int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise InputError(
        "The cursor is not one this server handed out.",
        "Pass the `next_cursor` of the previous list_posts result unchanged, or omit `cursor` to start over.",
    )


@dataclass(frozen=True)
class ToolSpec:
    """One tool as clients see it (name, description, schemas) and the handler that runs it."""

    name: str
    title: str
    description: str
    args: type[BaseModel]
    output: type[BaseModel]
    handler: Callable[[ToolRun, Any], dict[str, Any]]


TOOLS = (
    ToolSpec(
        "search_posts",
        "Search the blog",
        "Find the passages of the blog's posts that best match a query (meaning and keywords combined). "
        "Each result has the post's title, date, section heading, published URL and the passage text. "
        "Use it to explore what the blog says; use `ask` for a short verified answer with citations.",
        SearchArgs,
        SearchOut,
        search_posts,
    ),
    ToolSpec(
        "ask",
        "Ask the blog",
        "Answer a question from the blog's posts only. The answer cites its sources as [n] markers; every "
        "citation is checked against the quoted passage. When the posts do not answer it, `refused` is true "
        "and `closest` lists the nearest posts — report that rather than guessing. Pass earlier turns in "
        "`history` for follow-up questions.",
        AskArgs,
        AnswerOut,
        ask,
    ),
    ToolSpec(
        "get_post",
        "Read a post",
        "Read one post: its metadata and cleaned text, a page at a time (`limit` characters from `offset`; "
        "follow `next_offset` until it is null). `source` comes from search_posts, ask citations or list_posts.",
        GetPostArgs,
        PostPageOut,
        get_post,
    ),
    ToolSpec(
        "list_posts",
        "List posts",
        "List the blog's posts, newest first, optionally only those with a tag or dated within a range. "
        "Pages through long lists with `cursor` (the previous page's `next_cursor`).",
        ListPostsArgs,
        PostListOut,
        list_posts,
    ),
)
