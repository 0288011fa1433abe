"""Checks for what users type, at the edges (HTTP requests, command-line arguments) and in posts.

Text that cannot be encoded is found in user input (to reject it) and cleaned out of posts; dates
given as filters must be real YYYY-MM-DD days.

A Python `str` can hold what no UTF-8 text can: lone surrogates (U+D800–U+DFFF, from a JSON escape
such as "\\ud800" or from undecodable command-line bytes) and NUL characters. Both crash C code
further down (tokenizers, embedders, SQLite), so they stop at the edge: requests and command-line
arguments are rejected with a hint, posts are cleaned at ingest.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

from rag.errors import InputError

_UNUSABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"
TEXT_HINT = (
    "Send plain Unicode text encoded as UTF-8: remove NUL characters and unpaired surrogate escapes "
    "such as \\ud800 (a terminal not set to a UTF-8 locale can also produce them)."
)


def describe_unusable(text: str) -> str | None:
    """What makes `text` unusable, e.g. "an unpaired surrogate \\ud800 at character 3"; None if it is fine."""
    match = _UNUSABLE.search(text)
    if match is None:
        return None
    char = match.group(0)
    what = "a NUL character" if char == "\x00" else f"an unpaired surrogate \\u{ord(char):04x}"
    return f"{what} at character {match.start() + 1}"


def check_text(text: str, what: str) -> str:
    """`text` unchanged, or InputError naming the field (`what`) and the first unusable character."""
    problem = describe_unusable(text)
    if problem is not None:
        raise InputError(f"The {what} contains {problem}.", TEXT_HINT)
    return text


def clean_text(text: str) -> str:
    """Drop NUL characters and replace lone surrogates with U+FFFD, so the text encodes as UTF-8."""
    if _UNUSABLE.search(text) is None:
        return text
    return _UNUSABLE.sub(lambda m: "" if m.group(0) == "\x00" else REPLACEMENT, text)


DAY_FORMAT = "YYYY-MM-DD"
DAY_EXAMPLE = "2024-03-01"
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def day_problem(value: str) -> str | None:
    """Why `value` is not a YYYY-MM-DD day (a sentence with an example); None if it is one."""
    shown = repr(value[:40]) + ("…" if len(value) > 40 else "")
    if not _DAY.fullmatch(value):
        return f"expected a date as {DAY_FORMAT}, e.g. {DAY_EXAMPLE}; got {shown}"
    try:
        date.fromisoformat(value)
    except ValueError:
        return f"{shown} is not a real day; expected {DAY_FORMAT}, e.g. {DAY_EXAMPLE}"
    return None


def check_day(value: str | None, what: str) -> str | None:
    """`value` unchanged (None allowed), or InputError saying what a date filter must look like."""
    problem = None if value is None else day_problem(value)
    if problem is not None:
        raise InputError(f"The {what} date is not usable: {problem}.", f"Write the date as {DAY_FORMAT}.")
    return value


_WEB_SCHEMES = ("http", "https")


def safe_url(url: str | None) -> str | None:
    """`url` if it is an absolute http(s) address, else None: a post's link is shown to readers, and
    `javascript:`, `data:` or relative values from front matter must never become one."""
    if not isinstance(url, str) or not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return None
    return url.strip() if parts.scheme.lower() in _WEB_SCHEMES and parts.netloc else None


_PLACEHOLDER = re.compile(r"[{}]|(?:^|/):[A-Za-z_]")  # `{slug}` or Jekyll's `/:title/`: a template, not a path
_PATH_JUNK = re.compile(r"[\x00-\x20\x7f\\<>\"`]")


def safe_site_path(path: str | None) -> str | None:
    """`path` as a path on the blog's own site ("/2021/hello/", "about"), else None.

    Front matter writes a post's address relative to the site (Hugo `url`, Jekyll `permalink`, Zola
    `path`); it is joined to the site URL later. Anything with a scheme or host, a `..` segment, a
    template placeholder or characters no URL path holds is refused, so it can never become a link
    elsewhere."""
    if not isinstance(path, str) or not path.strip():
        return None
    path = path.strip()
    if _PATH_JUNK.search(path) or _PLACEHOLDER.search(path) or path.startswith("//"):
        return None
    try:
        parts = urlsplit(path)
    except ValueError:
        return None
    if parts.scheme or parts.netloc or ".." in path.split("/"):
        return None
    return path if path.startswith("/") else "/" + path
