"""Turn files of blog posts into `Post` objects: find files, decode, split front matter, clean, describe.

    posts, skipped = load_posts([Path("my-blog/content")])

One bad post never stops an ingest: `load_post` raises only `LoadError` (with a fix hint), and
`load_posts` records each failure as a `Skipped` entry and carries on.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Any

from rag.errors import LoadError
from rag.inputs import clean_text
from rag.loading.chrome import strip_chrome
from rag.loading.encodings import decode
from rag.loading.frontmatter import WARNING_KEY, normalise_metadata, split_front_matter
from rag.loading.html import html_metadata, looks_like_html, parse_html, soup_to_text
from rag.loading.markdown import clean_markdown
from rag.types import Post, Skipped

__all__ = ["SUPPORTED_SUFFIXES", "discover", "load_post", "load_posts"]

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".md", ".markdown", ".html", ".htm", ".txt")
_HTML_SUFFIXES = (".html", ".htm")
_SKIP_DIRS = frozenset({"node_modules", "__pycache__"})


def discover(paths: list[Path]) -> list[tuple[Path, Path]]:
    """Expand files and folders into sorted (file, root) pairs; hidden files and folders are skipped.

    `root` is the folder the user passed (or a file's own folder), so `Post.source` stays short and
    stable however the archive is mounted. A file named twice is returned once.
    """
    found: list[tuple[Path, Path]] = []
    seen: set[Path] = set()
    for path in paths:
        pairs = [(path, path.parent)] if path.is_file() else _walk(path) if path.is_dir() else []
        for file, root in pairs:
            key = _identity(file)
            if file.suffix.lower() in SUPPORTED_SUFFIXES and key not in seen:
                seen.add(key)
                found.append((file, root))
    return found


def _identity(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # symlink loops: fall back to the path as written
        return path.absolute()


def _walk(root: Path) -> list[tuple[Path, Path]]:
    files: list[Path] = []
    for folder, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in _SKIP_DIRS)
        files.extend(Path(folder) / name for name in filenames if not name.startswith("."))
    return [(file, root) for file in sorted(files, key=lambda f: f.relative_to(root).parts)]


def load_post(path: Path, root: Path) -> Post:
    """Load one post. Raises LoadError (message + fix hint) for any bad input, never anything else."""
    try:
        return _load_post(path, root)
    except LoadError as exc:
        raise LoadError(f"{path}: {exc.message}", exc.hint) from exc
    except RecursionError as exc:
        raise LoadError(f"{path}: HTML is nested too deeply to read", "Simplify or re-export the page.") from exc
    except Exception as exc:  # one odd file must never stop an ingest: wrap whatever went wrong
        raise LoadError(
            f"{path}: could not be loaded ({type(exc).__name__}: {exc})",
            "Check that the file is a readable text post; re-save it as UTF-8 Markdown or HTML.",
        ) from exc


def _load_post(path: Path, root: Path) -> Post:
    data = _read(path)
    if not data.strip():
        raise LoadError("file is empty", "Write the post or delete the empty file.")
    text = decode(data)
    meta, body = split_front_matter(text)
    if WARNING_KEY in meta:
        log.warning("%s: %s", path, meta[WARNING_KEY])
    cleaned, page_meta = _clean_body(body, path)
    text = clean_text(strip_chrome(cleaned))
    if not text.strip():
        raise LoadError(
            "no text left after removing front matter and markup",
            "Add body text to the post, or exclude the file (section index pages have no body).",
        )
    fields = _clean_fields(normalise_metadata({**page_meta, **meta}, path, text))
    return Post(
        source=_source(path, root),
        title=fields["title"],
        text=text,
        date=fields["date"],
        tags=fields["tags"],
        author=fields["author"],
        url=fields["url"],
        slug=fields["slug"],
        draft=fields["draft"],
        language=fields["language"],
        content_hash=hashlib.sha256(data).hexdigest(),
    )


def _clean_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Metadata without NULs or lone surrogates (front matter escapes such as "\\0" can make them)."""
    cleaned: dict[str, Any] = {}
    for key, value in fields.items():
        if isinstance(value, str):
            value = clean_text(value)
        elif isinstance(value, list):
            value = [clean_text(v) if isinstance(v, str) else v for v in value]
        cleaned[key] = value
    return cleaned


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise LoadError(f"cannot be read ({exc.strerror or exc})", "Check the path and its permissions.") from exc


def _clean_body(body: str, path: Path) -> tuple[str, dict[str, Any]]:
    """HTML files, and "Markdown" files that are really saved web pages, go through the HTML renderer."""
    if path.suffix.lower() in _HTML_SUFFIXES or looks_like_html(body):
        soup = parse_html(body)
        return soup_to_text(soup), html_metadata(soup)
    return clean_markdown(body), {}


def _source(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def load_posts(paths: list[Path], include_drafts: bool = False) -> tuple[list[Post], list[Skipped]]:
    """Load every post under `paths`; failures and drafts become `Skipped` entries, never exceptions."""
    posts: list[Post] = []
    skipped = [Skipped(str(path), "not found") for path in paths if not path.exists()]
    for file, root in discover(paths):
        try:
            post = load_post(file, root)
        except LoadError as exc:
            skipped.append(Skipped(str(file), exc.message.removeprefix(f"{file}: ")))
            continue
        if post.draft and not include_drafts:
            skipped.append(Skipped(str(file), "draft"))
            continue
        posts.append(post)
    return posts, skipped
