"""Turn files of blog posts into `Post` objects: find files, decode, split front matter, clean, describe.

    posts, skipped = load_posts([Path("my-blog/content")])

One bad post never stops an ingest: `load_post` raises only `LoadError` (with a fix hint), and
`load_posts` records each failure as a `Skipped` entry and carries on.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rag.errors import LoadError, NoPostsError
from rag.inputs import clean_text
from rag.loading.authors import read_author_names, resolve_author_keys
from rag.loading.chrome import strip_chrome
from rag.loading.encodings import decode
from rag.loading.frontmatter import WARNING_KEY, normalise_metadata, split_front_matter
from rag.loading.html import html_metadata, looks_like_html, parse_html, soup_to_text
from rag.loading.markdown import clean_markdown
from rag.types import Post, Skipped

__all__ = ["SUPPORTED_SUFFIXES", "discover", "load_post", "load_posts", "nothing_to_index"]

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".md", ".markdown", ".html", ".htm", ".txt")
_HTML_SUFFIXES = (".html", ".htm")
_SKIP_DIRS = frozenset({"node_modules", "__pycache__"})
DEFAULT_MAX_POST_BYTES = 5_000_000  # Settings.max_post_bytes; a post is text, never gigabytes
_FILE_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def discover(paths: list[Path]) -> list[tuple[Path, Path]]:
    """Expand files and folders into sorted (file, root) pairs; hidden files and folders are skipped.

    `root` is the folder the user passed (or a file's own folder), so `Post.source` stays short and
    stable however the archive is mounted. A file named twice is returned once.
    """
    found: list[tuple[Path, Path]] = []
    seen: set[Path] = set()
    for path in paths:
        # Anything named that is not a folder is tried as a file, so a FIFO or device is reported, not ignored.
        pairs = _walk(path) if path.is_dir() else [(path, path.parent)] if os.path.lexists(path) else []
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


def load_post(
    path: Path, root: Path, authors: Mapping[str, str] | None = None, max_bytes: int = DEFAULT_MAX_POST_BYTES
) -> Post:
    """Load one post. Raises LoadError (message + fix hint) for any bad input, never anything else.

    Only a regular file inside `root` (after resolving symlinks) of at most `max_bytes` is read.
    `authors` maps author keys to names (see rag.loading.authors); by default it is read from `root`.
    """
    try:
        return _load_post(path, root, read_author_names(root) if authors is None else authors, max_bytes)
    except LoadError as exc:
        raise LoadError(f"{path}: {exc.message}", exc.hint) from exc
    except RecursionError as exc:
        raise LoadError(f"{path}: HTML is nested too deeply to read", "Simplify or re-export the page.") from exc
    except Exception as exc:  # one odd file must never stop an ingest: wrap whatever went wrong
        raise LoadError(
            f"{path}: could not be loaded ({type(exc).__name__}: {exc})",
            "Check that the file is a readable text post; re-save it as UTF-8 Markdown or HTML.",
        ) from exc


def _load_post(path: Path, root: Path, authors: Mapping[str, str], max_bytes: int) -> Post:
    data = _read(path, root, max_bytes)
    if not data.strip():
        raise LoadError("file is empty", "Write the post or delete the empty file.")
    text = decode(data)
    meta, body = split_front_matter(text)
    meta = resolve_author_keys(meta, authors)
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
        permalink=fields["permalink"],
        aliases=fields["aliases"],
        categories=fields["categories"],
        slug_given=fields["slug_given"],
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


def _read(path: Path, root: Path, max_bytes: int) -> bytes:
    """The file's bytes, if it is a regular file inside `root` and not over `max_bytes`.

    Opened non-blocking and checked on the open descriptor, so a FIFO cannot hang the ingest and a
    symlink to a device or to a file elsewhere (/etc/shadow) is refused rather than read."""
    try:
        target = _inside(path, root)
        fd = os.open(target, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop
        reason = getattr(exc, "strerror", None) or exc
        raise LoadError(f"cannot be read ({reason})", "Check the path and its permissions.") from exc
    try:
        _check_regular(path, os.fstat(fd), max_bytes)
        with os.fdopen(fd, "rb", closefd=False) as file:
            data = file.read(max_bytes + 1)
    finally:
        os.close(fd)
    if len(data) > max_bytes:  # it grew while we looked
        raise _refused(path, _too_large(max_bytes), _SIZE_HINT)
    return data


def _inside(path: Path, root: Path) -> Path:
    """`path` with symlinks resolved; LoadError if that leaves the posts folder `root`."""
    target, base = path.resolve(strict=True), root.resolve()
    if target != base and not target.is_relative_to(base):
        raise _refused(
            path,
            f"is a link to {target}, outside the posts folder {base}",
            "Copy the post into the posts folder, or ingest the folder it really lives in.",
        )
    return target


def _check_regular(path: Path, info: os.stat_result, max_bytes: int) -> None:
    kind = next((name for test, name in _FILE_KINDS if test(info.st_mode)), "not a regular file")
    if not stat.S_ISREG(info.st_mode):
        raise _refused(path, f"cannot be read: it is {kind}, not a regular file", "Only regular files are posts.")
    if info.st_size > max_bytes:
        raise _refused(path, _too_large(max_bytes, info.st_size), _SIZE_HINT)


_SIZE_HINT = "Split the post, or raise RAG_MAX_POST_BYTES if it really is one post."


def _too_large(max_bytes: int, size: int | None = None) -> str:
    actual = f"{size:,} bytes; " if size is not None else ""
    return f"is too large to be a post ({actual}the limit is {max_bytes:,} bytes)"


def _refused(path: Path, reason: str, hint: str) -> LoadError:
    """A file skipped for what it is rather than what it says: also worth a warning in the log."""
    log.warning("skipping %s: %s", path, reason)
    return LoadError(reason, hint)


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


def load_posts(
    paths: list[Path], include_drafts: bool = False, max_bytes: int = DEFAULT_MAX_POST_BYTES
) -> tuple[list[Post], list[Skipped]]:
    """Load every post under `paths`; failures and drafts become `Skipped` entries, never exceptions."""
    posts: list[Post] = []
    skipped = [Skipped(str(path), "not found") for path in paths if not os.path.lexists(path)]
    authors: dict[Path, dict[str, str]] = {}
    for file, root in discover(paths):
        if root not in authors:
            authors[root] = read_author_names(root)
        try:
            post = load_post(file, root, authors[root], max_bytes)
        except LoadError as exc:
            skipped.append(Skipped(str(file), exc.message.removeprefix(f"{file}: ")))
            continue
        if post.draft and not include_drafts:
            skipped.append(Skipped(str(file), "draft"))
            continue
        posts.append(post)
    return posts, skipped


def nothing_to_index(paths: list[Path], skipped: list[Skipped]) -> NoPostsError:
    """The error for an ingest that found no posts, saying why: no such folder, only bad files, or none."""
    missing = [str(path) for path in paths if not os.path.lexists(path)]
    if missing:
        verb = "does" if len(missing) == 1 else "do"
        return NoPostsError(
            f"Nothing to index: {', '.join(missing)} {verb} not exist (looked from {Path.cwd()}).",
            "Check the spelling, or pass the full path of an existing folder of posts: rag ingest PATH.",
        )
    where = ", ".join(map(str, paths))
    if skipped:
        first = skipped[0]
        return NoPostsError(
            f"No post in {where} could be loaded: {len(skipped)} skipped, e.g. {first.path}: {first.reason}.",
            "Fix or remove the files listed, or point rag ingest at another folder.",
        )
    suffixes = "/".join(SUPPORTED_SUFFIXES)
    return NoPostsError(f"No posts to index in {where}.", f"Point rag ingest at a folder of {suffixes} posts.")
