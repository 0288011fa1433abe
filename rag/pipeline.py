"""The orchestrators everything else calls: `ingest()` builds the index, `Engine` answers from it.

`Engine` loads an index and composes the answer path (`compose_answerer`): the retriever, the
generators, the citation verifier and the follow-up rewriter, with the caches they share
(rag.caches), are built here and handed to `rag.answering.Answerer`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rag.answering import Answerer, AskRequest
from rag.caches import GeneratorPool, TermRarity, VectorCache, generator_context
from rag.chunking import ChunkerSettings, TokenChunker
from rag.citations import CitationVerifier, make_support, sentence_similarity
from rag.config import Settings
from rag.embedders.base import Embedder, create_embedder
from rag.errors import NoPostsError
from rag.lexical import load_segmenter, tokenize
from rag.loading import load_posts, nothing_to_index
from rag.manifest import Action, Manifest, chunker_of, roots_of
from rag.permalinks import SiteLinks, publish
from rag.retrieval import HybridRetriever, RetrievalSettings, Retriever, SearchFilters
from rag.rewrite import FollowUpRewriter
from rag.store import (
    IndexData,
    build_faiss,
    faiss_kind,
    index_lock,
    read_index,
    remove_stale_versions,
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
    roots: list[str] = field(default_factory=list)  # the post folders indexed, absolute


def chunker_settings(settings: Settings) -> ChunkerSettings:
    return chunker_of(settings)


def posts_roots(settings: Settings) -> list[str]:
    """The post folders as absolute paths: how the manifest records what an index was built from."""
    return roots_of(list(settings.posts))


def _previous(
    manifest: Manifest | None, settings: Settings, embedder: Embedder, rebuild: bool
) -> tuple[IndexData | None, bool]:
    """The old index, if it can seed an incremental ingest, and whether its chunks can be kept."""
    if manifest is None:
        return None, False
    verdict = manifest.for_ingest(settings, embedder.spec)
    if verdict.action is Action.OTHER_POSTS or (verdict.action is Action.REBUILD and not rebuild):
        raise verdict.error()
    if rebuild:
        return None, False
    # Other chunker settings or keyword tokenizer: re-chunk and re-tokenize everything; vectors are
    # still reused by text hash, so this is quick.
    return read_index(settings.index_dir), verdict.ok


def _require_roots(settings: Settings, manifest: Manifest | None) -> None:
    """Posts taken from the manifest must still be there: a vanished folder would empty the index."""
    if manifest is None or settings.posts != [Path(r) for r in manifest.roots]:
        return
    gone = [r for r in manifest.roots if not Path(r).is_dir()]
    if gone:
        raise NoPostsError(
            f"The index in {settings.index_dir} was built from {', '.join(gone)}, which no longer exists.",
            f"Name the folder of posts to index: rag ingest POSTS_DIR --index {settings.index_dir}",
        )


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
    """Load, chunk, embed and index the posts in `settings.posts`; only new or changed posts are redone.

    Unnamed settings come from the existing index (its embedder and post folders), so a plain
    re-ingest or `rebuild` never indexes other posts into it. Holds the index's write lock throughout.
    """
    with index_lock(settings.index_dir):
        manifest = Manifest.of(settings.index_dir)
        if manifest is not None:
            settings = manifest.settings_for(settings)
            _require_roots(settings, manifest)
        return _ingest_locked(settings, manifest, embedder or create_embedder(settings.embedder), rebuild, progress)


def _ingest_locked(
    settings: Settings, manifest: Manifest | None, embedder: Embedder, rebuild: bool, progress: Progress
) -> IngestReport:
    timer, report = _Timer(), IngestReport(roots=roots_of(list(settings.posts)))
    started = time.perf_counter()
    posts, report.skipped = load_posts(list(settings.posts), settings.include_drafts, settings.max_post_bytes)
    if not posts:
        raise nothing_to_index(list(settings.posts), report.skipped)
    started = timer.stage("load", started)
    old, keep_chunks = _previous(manifest, settings, embedder, rebuild)
    by_source = {p.source: p for p in posts}
    chunks, tokens = _chunk_all(settings, embedder, by_source, old if keep_chunks else None, report)
    if old is not None:
        report.removed = sorted(set(old.posts) - set(by_source))
    started = timer.stage("chunk", started)
    if (
        old is not None
        and manifest is not None
        and _nothing_changed(settings, embedder, manifest, by_source, old.posts, len(chunks), report)
    ):
        remove_stale_versions(settings.index_dir)  # still tidy up after a crashed writer
        report.index_path, report.reused = str(old.path), len(chunks)
        report.seconds, report.chunks = timer.seconds, len(chunks)
        return report
    vectors = _embed_all(embedder, chunks, old, report, progress)
    started = timer.stage("embed", started)
    data = _assemble(settings, embedder, by_source, chunks, tokens, vectors)
    report.index_path = str(write_index(settings.index_dir, data))
    timer.stage("index", started)
    report.seconds, report.chunks = timer.seconds, len(chunks)
    return report


def _nothing_changed(
    settings: Settings,
    embedder: Embedder,
    manifest: Manifest,
    posts: dict[str, Post],
    old_posts: dict[str, Post],
    chunks: int,
    report: IngestReport,
) -> bool:
    """No post new, changed or removed, and the same settings: the current version is already this index."""
    if report.indexed or report.removed:
        return False
    if any(old_posts.get(source) != post for source, post in posts.items()):
        return False  # same files, but this version reads more from them (e.g. the permalink fields)
    kind = faiss_kind(chunks, settings.approximate_above)
    return manifest.same_content(Manifest.build(settings, embedder, posts, chunks, kind))


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
    manifest = Manifest.build(settings, embedder, posts, len(chunks), kind)
    return IndexData(manifest, posts, chunks, vectors, tokens, faiss_index, bm25)


def compose_answerer(
    settings: Settings, index: IndexData, embedder: Embedder, retriever: Retriever, deep_links: bool = False
) -> Answerer:
    """The answer path's roles over one loaded index, with the caches they share. `deep_links`: the
    posts are published (a site URL is set), so citations link to their quotes with text fragments."""
    rarity = TermRarity(index.tokens, [chunk.text for chunk in index.chunks])
    vectors = VectorCache(embedder, index)
    generators = GeneratorPool(generator_context(settings, rarity, vectors), settings.generator)
    # Embedding similarity may support a paraphrase in another language than its source.
    # A translated claim is compared with its source's closest sentence, not the whole chunk.
    support = make_support(sentence_similarity(vectors.sentence_vectors), embedder.dense_support)
    verifier = CitationVerifier(support, deep_links)
    return Answerer(retriever, generators, verifier, FollowUpRewriter(rarity.idf), top_k=settings.top_k)


class Engine:
    """A loaded index with its embedder: what `search` and `ask` run against."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        manifest = Manifest.of(settings.index_dir)
        if manifest is not None:
            settings = manifest.settings_for(settings)  # an index is searched with its own embedder
        self.settings = settings
        self.links = SiteLinks.parse(settings.site_url, settings.permalink)  # a bad pattern fails here, not per query
        self.embedder = embedder or create_embedder(settings.embedder)
        index = read_index(settings.index_dir)
        verdict = Manifest(index.manifest, settings.index_dir).for_search(self.embedder.spec)
        if not verdict.ok:
            raise verdict.error()
        index.posts = publish(index.posts, self.links)  # published URLs from today's settings: no reindex
        self.index = index
        load_segmenter()  # else the first Chinese question in a process waits for jieba to load
        self.retriever = HybridRetriever(
            self.index,
            self.embedder,
            RetrievalSettings(settings.candidates, settings.rrf_k, settings.per_post_cap),
        )
        deep_links = self.links.site_url is not None
        self.answerer = compose_answerer(settings, self.index, self.embedder, self.retriever, deep_links)

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
