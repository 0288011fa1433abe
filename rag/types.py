"""The words every part of the pipeline shares: plain dataclasses, no behaviour beyond (de)serialising."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from rag.inputs import safe_site_path, safe_url


@dataclass
class Post:
    """One blog post after loading: clean text plus the metadata a citation needs."""

    source: str  # path relative to the ingested folder, with forward slashes
    title: str
    text: str  # cleaned text: Markdown-ish headings (#), paragraphs, lists, table rows
    date: str | None = None  # ISO 8601 date (YYYY-MM-DD) when known
    tags: list[str] = field(default_factory=list)
    author: str | None = None
    url: str | None = None  # absolute http(s) address from the post itself; the Engine puts the published URL here
    slug: str = ""  # front matter slug, else the file name: the post's id in a site without a url
    draft: bool = False
    language: str = "zh"
    content_hash: str = ""  # sha256 of the raw file bytes; drives incremental ingest
    # What rag.permalinks needs to say where the post is published (front matter, as written):
    permalink: str | None = None  # the post's address relative to the site root, e.g. "/2021/hello/"
    aliases: list[str] = field(default_factory=list)  # other addresses of the post (redirects)
    categories: list[str] = field(default_factory=list)  # front matter categories (Jekyll puts them in URLs)
    slug_given: bool = False  # `slug` came from front matter rather than the file name

    def __post_init__(self) -> None:
        # Also applies to posts read back from an index built before this rule existed.
        self.url = safe_url(self.url)
        self.permalink = safe_site_path(self.permalink)
        self.aliases = [a for a in (safe_url(a) or safe_site_path(a) for a in self.aliases) if a]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Post:
        return cls(**data)


@dataclass
class Chunk:
    """A passage of a post, sized for the embedder, with where it came from."""

    chunk_id: str  # "<source>#<ordinal>"; stable while the post is unchanged
    source: str
    ordinal: int
    text: str  # the passage as shown to users
    heading: str  # heading path, " > " joined; "" before the first heading
    start: int  # character offsets of the passage in Post.text
    end: int
    embed_text: str = ""  # what the embedder sees: title and heading prefixed to text

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        return cls(**data)


@dataclass
class Hit:
    """A retrieved chunk with its post's metadata and a fused score."""

    chunk: Chunk
    post: Post
    score: float
    dense_rank: int | None = None
    keyword_rank: int | None = None
    dense_score: float | None = None  # cosine similarity of query and chunk, when dense retrieval found it

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of a hit, shared by `rag search --json` and `POST /search`."""
        return {
            "source": self.post.source,
            "title": self.post.title,
            "url": self.post.url,
            "date": self.post.date,
            "heading": self.chunk.heading,
            "text": self.chunk.text,
            "score": round(self.score, 6),
            "chunk_id": self.chunk.chunk_id,
            "start": self.chunk.start,
            "end": self.chunk.end,
        }


@dataclass
class Citation:
    """One numbered source actually cited by an answer."""

    n: int
    source: str
    title: str
    url: str | None
    date: str | None
    heading: str
    quote: str
    chunk_id: str = ""
    start: int = 0
    end: int = 0
    post_url: str | None = None  # the published post itself; `url` adds the text fragment of the quote

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def new_answer_id() -> str:
    """The one place an answer's id is made: 32 hex characters (uuid4), what feedback refers to."""
    return uuid.uuid4().hex


@dataclass
class Answer:
    """What `ask` returns; `to_json` is the shape of `rag ask --json` and `POST /ask`."""

    answer: str
    citations: list[Citation]
    refused: bool
    query: str
    generator: str
    timings_ms: dict[str, float] = field(default_factory=dict)
    closest: list[dict[str, Any]] = field(default_factory=list)  # closest posts offered on refusal
    hits: list[Hit] = field(default_factory=list)  # retrieved context (not serialised)
    answer_id: str = field(default_factory=new_answer_id)  # what POST /feedback and the question log refer to

    def to_json(self) -> dict[str, Any]:
        return {
            "answer_id": self.answer_id,
            "answer": self.answer,
            "citations": [c.to_json() for c in self.citations],
            "refused": self.refused,
            "query": self.query,
            "generator": self.generator,
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "closest": self.closest,
        }


@dataclass
class Skipped:
    """A file an ingest did not index, and why (shown in the ingest summary)."""

    path: str
    reason: str


# One earlier turn of a conversation: {"role": "user" | "assistant", "content": "..."}.
Turn = dict[str, str]
