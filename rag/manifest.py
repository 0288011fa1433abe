"""What an index was built from, and the one place that decides whether given settings can use it.

Every index version carries a manifest.json. `Manifest` reads it and answers, for a search or an
ingest, ok / re-tokenize / rebuild / other posts (`Verdict`), always with the reason and a fix that
names the post folders the index was built from, so no suggested command indexes the wrong posts.
It also fills in what the user left unsaid: the index's own embedder and post folders.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from rag.chunking import ChunkerSettings
from rag.config import Settings
from rag.embedders.base import Embedder
from rag.errors import IndexMismatchError
from rag.lexical import LEXICAL_VERSION
from rag.store import FORMAT_VERSION, index_exists, package_versions, read_manifest
from rag.types import Post


class Action(StrEnum):
    OK = "ok"
    RETOKENIZE = "re-tokenize"  # re-chunk and re-tokenize; embeddings are reused
    REBUILD = "rebuild"  # every chunk must be embedded again
    OTHER_POSTS = "other posts"  # the index holds posts from folders the user did not name


@dataclass(frozen=True)
class Verdict:
    action: Action
    reason: str = ""
    hint: str = ""

    @property
    def ok(self) -> bool:
        return self.action is Action.OK

    def error(self) -> IndexMismatchError:
        return IndexMismatchError(self.reason, self.hint)


def chunker_of(settings: Settings) -> ChunkerSettings:
    return ChunkerSettings(settings.chunk_tokens, settings.chunk_overlap, settings.tokenizer)


def roots_of(posts: list[Path]) -> list[str]:
    """Post folders as sorted absolute paths: how a manifest records what an index was built from."""
    return sorted(str(Path(p).resolve()) for p in posts)


def own_index_dir(settings: Settings) -> Path:
    """The index a set of post folders gets under the index root: readable name plus a path hash."""
    roots = roots_of(list(settings.posts))
    digest = hashlib.sha256("\n".join(roots).encode("utf-8")).hexdigest()[:10]
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(roots[0]).name if roots else "posts").strip("-.") or "posts"
    return settings.index_root / f"{name[:40]}-{digest}"


def named(settings: Settings, field: str) -> bool:
    """Whether the user set `field` (flag, RAG_* variable or .env) rather than leaving the default."""
    return field in settings.model_fields_set


@dataclass(frozen=True)
class Manifest:
    """The manifest of an index's current version, with the index folder it belongs to."""

    data: dict[str, Any]
    index_dir: Path

    @property
    def embedder(self) -> str:
        return str(self.data.get("embedder", ""))

    @property
    def roots(self) -> list[str]:
        return sorted(self.data.get("roots", []))

    @classmethod
    def of(cls, index_dir: Path) -> Manifest | None:
        """The manifest of the index in `index_dir`, or None when there is no index yet."""
        return cls(read_manifest(index_dir), index_dir) if index_exists(index_dir) else None

    @classmethod
    def build(
        cls, settings: Settings, embedder: Embedder, posts: dict[str, Post], chunks: int, kind: str
    ) -> dict[str, Any]:
        """The manifest of a new version (`kind`: the FAISS index type); `created` and `versions` are informative."""
        return {
            "format": FORMAT_VERSION,
            "embedder": embedder.spec,
            "dimension": embedder.dim,
            "chunker": vars(chunker_of(settings)),
            "tokenizer": settings.tokenizer,
            "lexical": LEXICAL_VERSION,
            "faiss": kind,
            "posts": {source: post.content_hash for source, post in sorted(posts.items())},
            "counts": {"posts": len(posts), "chunks": chunks},
            "roots": roots_of(list(settings.posts)),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "versions": package_versions(),
        }

    def same_content(self, other: dict[str, Any]) -> bool:
        """Whether `other` describes the same index (only the informative fields may differ)."""
        informative = ("created", "versions")
        mine = {k: v for k, v in self.data.items() if k not in informative}
        return mine == {k: v for k, v in other.items() if k not in informative}

    def settings_for(self, settings: Settings) -> Settings:
        """`settings` with what the user did not name taken from the index: embedder and post folders."""
        values: dict[str, Any] = {}
        if not named(settings, "embedder") and self.embedder:
            values["embedder"] = self.embedder
        if not named(settings, "posts") and self.roots:
            values["posts"] = [Path(r) for r in self.roots]
        return settings.model_copy(update=values) if values else settings

    def for_search(self, embedder_spec: str) -> Verdict:
        """Can an engine with this embedder search the index as it is?"""
        if self.data.get("format") != FORMAT_VERSION:
            return self._rebuild(
                f"The index in {self.index_dir} has format {self.data.get('format')}, "
                f"this version reads {FORMAT_VERSION}.",
                self.embedder or embedder_spec,
            )
        if self.embedder != embedder_spec:
            return self._rebuild(
                f"The index in {self.index_dir} was built with embedder {self.embedder!r}, "
                f"but {embedder_spec!r} is configured.",
                embedder_spec,
                f", or drop --embedder (and RAG_EMBEDDER) to use {self.embedder} as built",
            )
        if self.data.get("lexical") != LEXICAL_VERSION:
            return Verdict(
                Action.RETOKENIZE,
                f"The index in {self.index_dir} stores keywords from an older tokenizer.",
                f"Run: {self.command()} (quick: embeddings are reused).",
            )
        return Verdict(Action.OK)

    def for_ingest(self, settings: Settings, embedder_spec: str) -> Verdict:
        """Can an ingest with these settings update the index in place, reusing what it holds?"""
        missing = self.other_roots(settings)
        if missing and not named(settings, "index_dir"):
            return Verdict(
                Action.OTHER_POSTS,
                f"The index in {self.index_dir} holds posts from {', '.join(missing)}, "
                f"not from {', '.join(map(str, settings.posts))}; indexing those here would remove its posts.",
                f"Give these posts their own index: rag ingest {_quoted(settings.posts)} "
                f"--index {shlex.quote(str(own_index_dir(settings)))}",
            )
        verdict = self.for_search(embedder_spec)
        if verdict.action is not Action.OK:
            return verdict
        if self.data.get("chunker") != vars(chunker_of(settings)):
            return Verdict(Action.RETOKENIZE, f"The index in {self.index_dir} was chunked with other settings.")
        return Verdict(Action.OK)

    def other_roots(self, settings: Settings) -> list[str]:
        """The folders this index holds posts from that `settings.posts` leaves out (their posts would go)."""
        wanted = roots_of(list(settings.posts))
        return [r for r in self.roots if r not in wanted]

    def command(self, *flags: str) -> str:
        """The `rag ingest` line that refreshes this index from the folders it was built from."""
        posts = _quoted(self.roots) if self.roots else "POSTS_DIR"
        return " ".join(["rag ingest", posts, *flags, "--index", shlex.quote(str(self.index_dir))])

    def _rebuild(self, reason: str, embedder_spec: str, alternative: str = "") -> Verdict:
        rebuild = self.command("--rebuild", "--embedder", shlex.quote(embedder_spec))
        where = "" if self.roots else " (name the folder of posts it was built from)"
        return Verdict(Action.REBUILD, reason, f"Rebuild it from its posts: {rebuild}{where}{alternative}.")


def _quoted(paths: list[str] | list[Path]) -> str:
    return " ".join(shlex.quote(str(p)) for p in paths)
