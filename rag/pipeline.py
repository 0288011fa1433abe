"""The orchestrators everything else calls: `ingest()` builds the index, `Engine` answers from it.

`Engine` loads an index and composes the answer path (`compose_answerer`): the retriever, the
generators, the citation verifier and the follow-up rewriter, with the caches they share
(rag.caches), are built here and handed to `rag.answering.Answerer`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from rag.answering import Answerer, AskRequest
from rag.caches import GeneratorPool, TermRarity, VectorCache
from rag.chunking import ChunkerSettings, TokenChunker
from rag.citations import CitationVerifier, make_support
from rag.config import Settings
from rag.embedders.base import Embedder, create_embedder
from rag.errors import IndexMismatchError, NoPostsError
from rag.generators.base import GeneratorContext
from rag.lexical import LEXICAL_VERSION, tokenize
from rag.loading import load_posts
from rag.retrieval import HybridRetriever, RetrievalSettings, Retriever, SearchFilters
from rag.rewrite import FollowUpRewriter
from rag.store import (
    FORMAT_VERSION,
    IndexData,
    build_faiss,
    check_compatible,
    index_exists,
    package_versions,
    read_index,
    text_hash,
    write_index,
)
from rag.types import Answer, Chunk, Hit, Post, Skipped

# progress(stage, done, total): the CLI draws a bar, the API logs, tests ignore it.
Progress = Callable[[str, int, int], None]


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


@dataclass
class IngestReport:
    indexed: list[str] = field(default_factory=list)  # new or changed posts (re-chunked)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    chunks: int = 0
    embedded: int = 0  # chunks sent to the embedder
    reused: int = 0  # chunks whose vectors came from the previous index
    seconds: dict[str, float] = field(default_factory=dict)
    index_path: str = ""


def chunker_settings(settings: Settings) -> ChunkerSettings:
    return ChunkerSettings(settings.chunk_tokens, settings.chunk_overlap, settings.tokenizer)


def _manifest(settings: Settings, embedder: Embedder, posts: dict[str, Post], chunks: int, kind: str) -> dict[str, Any]:
    return {
        "format": FORMAT_VERSION,
        "embedder": embedder.spec,
        "dimension": embedder.dim,
        "chunker": vars(chunker_settings(settings)),
        "tokenizer": settings.tokenizer,
        "lexical": LEXICAL_VERSION,
        "faiss": kind,
        "posts": {source: post.content_hash for source, post in sorted(posts.items())},
        "counts": {"posts": len(posts), "chunks": chunks},
        "roots": posts_roots(settings),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": package_versions(),
    }


def posts_roots(settings: Settings) -> list[str]:
    """The post folders as absolute paths: how the manifest records what an index was built from."""
    return sorted(str(Path(p).resolve()) for p in settings.posts)


def _previous(settings: Settings, embedder: Embedder, rebuild: bool) -> tuple[IndexData | None, bool]:
    """The old index, if it can seed an incremental ingest, and whether its chunks can be kept."""
    if rebuild or not index_exists(settings.index_dir):
        return None, False
    old = read_index(settings.index_dir)
    check_compatible(old.manifest, embedder.spec, settings.index_dir)
    # Other chunker settings or keyword tokenizer: re-chunk and re-tokenize everything; vectors are
    # still reused by text hash, so this is quick.
    same_chunks = old.manifest.get("chunker") == vars(chunker_settings(settings))
    return old, same_chunks and old.manifest.get("lexical") == LEXICAL_VERSION


class _Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def stage(self, name: str, started: float) -> float:
        now = time.perf_counter()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - started
        return now


def ingest(
    settings: Settings,
    embedder: Embedder | None = None,
    rebuild: bool = False,
    progress: Progress = _no_progress,
) -> IngestReport:
    """Load, chunk, embed and index the posts in `settings.posts`; only new or changed posts are redone."""
    timer, report = _Timer(), IngestReport()
    started = time.perf_counter()
    embedder = embedder or create_embedder(settings.embedder)
    posts, report.skipped = load_posts(list(settings.posts), include_drafts=settings.include_drafts)
    if not posts:
        raise NoPostsError(
            f"No posts to index in {', '.join(map(str, settings.posts))}.",
            "Point rag ingest at a folder of .md/.markdown/.html/.htm/.txt posts.",
        )
    started = timer.stage("load", started)
    old, keep_chunks = _previous(settings, embedder, rebuild)
    by_source = {p.source: p for p in posts}
    chunks, tokens = _chunk_all(settings, embedder, by_source, old if keep_chunks else None, report)
    if old is not None:
        report.removed = sorted(set(old.posts) - set(by_source))
    started = timer.stage("chunk", started)
    vectors = _embed_all(embedder, chunks, old, report, progress)
    started = timer.stage("embed", started)
    data = _assemble(settings, embedder, by_source, chunks, tokens, vectors)
    report.index_path = str(write_index(settings.index_dir, data))
    timer.stage("index", started)
    report.seconds, report.chunks = timer.seconds, len(chunks)
    return report


def _chunk_all(
    settings: Settings,
    embedder: Embedder,
    posts: dict[str, Post],
    old: IndexData | None,
    report: IngestReport,
) -> tuple[list[Chunk], list[list[str]]]:
    """Chunks for every post; unchanged posts keep their old chunks and tokens."""
    chunker = TokenChunker(chunker_settings(settings))
    old_rows = _rows_by_source(old)
    chunks: list[Chunk] = []
    tokens: list[list[str]] = []

    def fits(text: str) -> bool:
        return embedder.count_tokens(text) <= embedder.max_tokens

    for source, post in posts.items():
        previous = old.posts.get(source) if old is not None else None
        if old is not None and previous is not None and previous.content_hash == post.content_hash:
            rows = old_rows.get(source, [])
            chunks += [old.chunks[r] for r in rows]
            tokens += [old.tokens[r] for r in rows]
            report.unchanged.append(source)
            continue
        new = chunker.chunk(post, fits=fits)
        chunks += new
        tokens += [tokenize(c.embed_text) for c in new]
        report.indexed.append(source)
    return chunks, tokens


def _rows_by_source(old: IndexData | None) -> dict[str, list[int]]:
    rows: dict[str, list[int]] = {}
    for i, chunk in enumerate(old.chunks if old else []):
        rows.setdefault(chunk.source, []).append(i)
    return rows


def _embed_all(
    embedder: Embedder,
    chunks: list[Chunk],
    old: IndexData | None,
    report: IngestReport,
    progress: Progress,
    batch: int = 32,
) -> np.ndarray:
    """Vectors for all chunks; a vector is reused whenever the same embed text was embedded before."""
    cache = {} if old is None else {text_hash(c.embed_text): old.vectors[i] for i, c in enumerate(old.chunks)}
    vectors = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
    todo = []
    for i, chunk in enumerate(chunks):
        cached = cache.get(text_hash(chunk.embed_text))
        if cached is not None:
            vectors[i] = cached
        else:
            todo.append(i)
    report.reused, report.embedded = len(chunks) - len(todo), len(todo)
    progress("embed", 0, len(todo))
    for start in range(0, len(todo), batch):
        rows = todo[start : start + batch]
        vectors[rows] = embedder.embed_passages([chunks[r].embed_text for r in rows])
        progress("embed", min(start + batch, len(todo)), len(todo))
    return vectors


def _assemble(
    settings: Settings,
    embedder: Embedder,
    posts: dict[str, Post],
    chunks: list[Chunk],
    tokens: list[list[str]],
    vectors: np.ndarray,
) -> IndexData:
    import bm25s

    faiss_index, kind = build_faiss(vectors, settings.approximate_above)
    bm25 = bm25s.BM25()
    bm25.index([t or [""] for t in tokens], show_progress=False)
    manifest = _manifest(settings, embedder, posts, len(chunks), kind)
    return IndexData(manifest, posts, chunks, vectors, tokens, faiss_index, bm25)


def compose_answerer(settings: Settings, index: IndexData, embedder: Embedder, retriever: Retriever) -> Answerer:
    """The answer path's roles over one loaded index, with the caches they share."""
    rarity = TermRarity(index.tokens)
    vectors = VectorCache(embedder, index)
    context = GeneratorContext(
        settings,
        rarity.idf,
        vectors.sentence_vectors,
        vectors.query_vector,
        index.vectors,
        vectors.chunk_vector,
    )
    generators = GeneratorPool(context, settings.generator)
    # Embedding similarity may support a paraphrase in another language than its source.
    verifier = CitationVerifier(make_support(lambda sentence, hit: vectors.similarity(sentence, hit.chunk.chunk_id)))
    return Answerer(retriever, generators, verifier, FollowUpRewriter(rarity.idf), top_k=settings.top_k)


class Engine:
    """A loaded index with its embedder: what `search` and `ask` run against."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or create_embedder(settings.embedder)
        index = read_index(settings.index_dir)
        check_compatible(index.manifest, self.embedder.spec, settings.index_dir)
        if index.manifest.get("lexical") != LEXICAL_VERSION:
            raise IndexMismatchError(
                f"The index in {settings.index_dir} stores keywords from an older tokenizer.",
                f"Run: rag ingest --index {settings.index_dir} (quick: embeddings are reused).",
            )
        self.index = index
        self.retriever = HybridRetriever(
            self.index,
            self.embedder,
            RetrievalSettings(settings.candidates, settings.rrf_k, settings.per_post_cap),
        )
        self.answerer = compose_answerer(settings, self.index, self.embedder, self.retriever)

    def search(self, query: str, top_k: int | None = None, filters: SearchFilters | None = None) -> list[Hit]:
        return self.retriever.search(query, top_k or self.settings.top_k, filters)

    def ask(self, request: AskRequest | str) -> Answer:
        """A short answer with verified citations, or a refusal with the closest posts."""
        return self.answerer.ask(_request(request))

    def ask_stream(self, request: AskRequest | str) -> Iterator[dict[str, Any]]:
        """Events as they happen: meta (query, hits), token (draft pieces), reset, answer (final)."""
        return self.answerer.stream(_request(request))

    def info(self) -> dict[str, Any]:
        manifest = self.index.manifest
        return {
            "index": str(self.index.path),
            "embedder": manifest.get("embedder"),
            "dimension": manifest.get("dimension"),
            "faiss": manifest.get("faiss"),
            "posts": len(self.index.posts),
            "chunks": len(self.index.chunks),
            "chunker": manifest.get("chunker"),
            "created": manifest.get("created"),
            "versions": manifest.get("versions"),
        }


def _request(request: AskRequest | str) -> AskRequest:
    """A bare question is a request with every default."""
    return AskRequest(request) if isinstance(request, str) else request
