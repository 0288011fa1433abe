"""Normalise front matter from any blog engine into the fields a Post needs.

Blogs disagree on key names (`date` / `pubDate` / `createTime`, `tags` / `tag` / `keywords`) and on
value shapes (lists, comma strings, empty strings, datetimes, odd date strings). Every function here
is total: bad values give None or an empty list, never an exception, because one odd post must not
stop an ingest.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from itertools import islice
from pathlib import Path
from typing import Any

from rag.inputs import safe_site_path
from rag.lexical import is_chinese
from rag.loading.markdown import prose_lines
from rag.sentences import HEADING


def _keys(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Checked in this order: the publication date first, the last-modified date only as a fallback.
_DATE_KEYS = _keys(
    "date pubdate pub_date published publishdate publish_date published_at date_published datepublished"
    " createtime create_time created created_at creation_date updated updated_at lastmod modified"
    " last_modified"
)
_TAG_KEYS = ("tags", "tag", "categories", "category", "keywords")
_AUTHOR_KEYS = ("author", "authors")
_URL_KEYS = ("url", "permalink", "link", "canonical", "canonical_url", "canonicalurl")
# A post's address relative to the site: Hugo `url`, Jekyll/Eleventy `permalink`, Zola `path`.
_SITE_PATH_KEYS = ("url", "permalink", "path")
_ALIAS_KEYS = ("aliases", "alias", "redirect_from")  # Hugo and Zola; Jekyll's redirect-from plugin
_LANG_KEYS = ("lang", "language", "locale")
_INDEX_STEMS = frozenset({"index", "_index", "readme"})
_TRUE_WORDS = frozenset({"true", "yes", "y", "on", "1"})

# YAML anchors can nest a short list into billions of items; tags never need more than this.
_MAX_TAG_ITEMS = 1000
_MAX_TAG_DEPTH = 4
_TITLE_MAX = 80

_YMD = re.compile(r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)")
_COMPACT_YMD = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T|$)")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_DAY_YEAR = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b")
_DAY_MONTH_YEAR = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})\b")
_TAG_SPLIT = re.compile(r"[,，、;；]")
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")


def normalise_metadata(meta: dict[str, Any], path: Path, body: str) -> dict[str, Any]:
    """Derive title, date, tags, author, url, slug, draft and language from front matter, path and body;
    and what a permalink needs: the site-relative address, aliases, categories, whether a slug was given."""
    slug = _first_string(meta, ("slug",))
    return {
        "title": _title(meta, body, path),
        "date": _date(meta, path),
        "tags": _tags(meta),
        "author": _author(meta),
        "url": _first_string(meta, _URL_KEYS),
        "slug": slug or _slug_from_path(path),
        "draft": _draft(meta),
        "language": _language(meta, body),
        "permalink": _site_path(meta),
        "aliases": _strings(meta, _ALIAS_KEYS),
        "categories": _categories(meta),
        "slug_given": slug is not None,
    }


# --- title -------------------------------------------------------------------------------------


def _title(meta: dict[str, Any], body: str, path: Path) -> str:
    explicit = clean_title(meta.get("title"))
    if explicit:
        return explicit
    lines = [line.strip() for line in prose_lines(body) if line.strip()]
    heading = _best_heading(lines)
    if heading:
        return heading
    page_title = clean_title(meta.get("html_title"))
    if page_title:
        return page_title
    if lines:
        return _shorten(clean_title(lines[0]) or lines[0])
    return _slug_from_path(path)


def clean_title(value: Any) -> str:
    """A title as plain text: no tags, no entities, one line."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    text = _HTML_TAG.sub("", html.unescape(str(value)))
    return " ".join(text.split())


def _best_heading(lines: list[str]) -> str:
    """The first line if it is a heading, else the first level-1 heading anywhere.

    A `## Background` deep in a post names a section, not the post, so only these two count.
    """
    for index, line in enumerate(lines):
        match = HEADING.match(line)
        if match and (index == 0 or len(match.group(1)) == 1):
            return clean_title(match.group(2))
    return ""


def _shorten(text: str) -> str:
    if len(text) <= _TITLE_MAX:
        return text
    cut = text[:_TITLE_MAX]
    space = cut.rfind(" ")
    if space > _TITLE_MAX // 2:  # Latin text: end on a word boundary
        cut = cut[:space]
    return cut.rstrip(" ,.;:，。；：") + "…"


# --- date --------------------------------------------------------------------------------------


def _date(meta: dict[str, Any], path: Path) -> str | None:
    for key in _DATE_KEYS:
        found = parse_date(meta.get(key))
        if found:
            return found
    zola_path = meta.get("path")
    if isinstance(zola_path, str):
        found = _valid_ymd(_YMD.search(zola_path))
        if found:
            return found
    # Jekyll names posts 2021-02-03-title.md; some archives use 2021/02/03/ folders.
    return _valid_ymd(_YMD.search(path.name)) or _valid_ymd(_YMD.search("/".join(path.parts[-4:])))


def parse_date(value: Any) -> str | None:
    """Any date-ish value as "YYYY-MM-DD", or None. Never raises."""
    try:
        return _parse_date(value)
    except (ValueError, TypeError, OverflowError, IndexError, OSError):
        return None


def _parse_date(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return _in_range(value.date())
    if isinstance(value, date):
        return _in_range(value)
    if isinstance(value, int | float):
        return _from_number(value)
    if isinstance(value, list | tuple):
        return next((d for d in (parse_date(v) for v in value) if d), None)
    if isinstance(value, str):
        return _from_string(value.strip())
    return None


def _from_number(value: float) -> str | None:
    if 19700101 <= value <= 21001231 and float(value).is_integer():
        return _from_string(str(int(value)))
    seconds = value / 1000 if value > 1e11 else value  # epoch milliseconds vs seconds
    if seconds < 1e8:
        return None
    return _in_range(datetime.fromtimestamp(seconds, tz=UTC).date())


def _from_string(text: str) -> str | None:
    if not text:
        return None
    found = _valid_ymd(_YMD.search(text)) or _valid_ymd(_COMPACT_YMD.match(text))
    if found:
        return found
    for pattern, order in ((_MONTH_DAY_YEAR, (3, 1, 2)), (_DAY_MONTH_YEAR, (3, 2, 1))):
        match = pattern.search(text)
        if match:
            year, month, day = (match.group(i) for i in order)
            if month[:3].lower() in _MONTHS:
                return _make_date(int(year), _MONTHS.index(month[:3].lower()) + 1, int(day))
    try:
        return _in_range(parsedate_to_datetime(text).date())  # RSS pubDate: "Tue, 10 Jun 2003 04:00:00 GMT"
    except (TypeError, ValueError, IndexError):
        return None


def _valid_ymd(match: re.Match[str] | None) -> str | None:
    if match is None:
        return None
    return _make_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))


def _make_date(year: int, month: int, day: int) -> str | None:
    try:
        return _in_range(date(year, month, day))
    except ValueError:
        return None


def _in_range(value: date) -> str | None:
    return value.isoformat() if 1970 <= value.year <= 2100 else None


# --- tags, author, url, slug, draft, language ---------------------------------------------------


def _tags(meta: dict[str, Any]) -> list[str]:
    sources: list[Any] = [meta.get(key) for key in _TAG_KEYS]
    taxonomies = meta.get("taxonomies")  # Zola keeps tags in a [taxonomies] table
    if isinstance(taxonomies, dict):
        sources.extend(taxonomies.get(key) for key in _TAG_KEYS)
    tags: list[str] = []
    seen: set[str] = set()
    for raw in islice(_flatten(sources), _MAX_TAG_ITEMS):
        tag = " ".join(raw.strip().lstrip("#").split())
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            tags.append(tag)
    return tags


def _flatten(value: Any, depth: int = 0) -> Iterator[str]:
    if isinstance(value, str):
        yield from _TAG_SPLIT.split(value)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield str(value)
    elif isinstance(value, Iterable) and not isinstance(value, dict | bytes) and depth < _MAX_TAG_DEPTH:
        for item in value:
            yield from _flatten(item, depth + 1)


def _author(meta: dict[str, Any]) -> str | None:
    for key in _AUTHOR_KEYS:
        names = [name for name in (_person(v) for v in _as_list(meta.get(key))) if name]
        if names:
            return ", ".join(names)
    return None


def _person(value: Any) -> str:
    if isinstance(value, dict):  # `author: {name: ..., url: ...}`
        value = value.get("name") or value.get("Name") or ""
    return clean_title(value)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _first_string(meta: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = meta.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _site_path(meta: dict[str, Any]) -> str | None:
    """The first url/permalink/path value that is a path on the site (absolute URLs are `url`'s).
    Zola serves a `path` with a trailing slash, whether or not the front matter writes one."""
    for key in _SITE_PATH_KEYS:
        value = meta.get(key)
        if isinstance(value, str) and safe_site_path(value):
            path = value.strip()
            if key == "path" and not path.endswith("/"):  # even "1.0-release": Zola always adds it
                path += "/"
            return path
    return None


def _strings(meta: dict[str, Any], keys: tuple[str, ...]) -> list[str]:
    found: list[str] = []
    for key in keys:
        found += [v.strip() for v in _as_list(meta.get(key)) if isinstance(v, str) and v.strip()]
    return list(dict.fromkeys(found))[:_MAX_TAG_ITEMS]


def _categories(meta: dict[str, Any]) -> list[str]:
    """Front matter categories in order. Jekyll reads a `categories` string as space-separated names
    (commas are accepted too)."""
    raw = meta.get("categories")
    if isinstance(raw, str):
        names: list[Any] = [name for part in _TAG_SPLIT.split(raw) for name in part.split()]
    else:
        names = [v for v in _as_list(raw) if isinstance(v, str | int)]
    names += [v for v in _as_list(meta.get("category")) if isinstance(v, str | int)]
    cleaned = [" ".join(str(name).split()) for name in names]
    return list(dict.fromkeys(c for c in cleaned if c))[:_MAX_TAG_ITEMS]


def _slug_from_path(path: Path) -> str:
    # Page bundles (`my-post/index.md`) are named by their folder.
    if path.stem.lower() in _INDEX_STEMS and path.parent.name:
        return path.parent.name
    return path.stem


def _draft(meta: dict[str, Any]) -> bool:
    if _truthy(meta.get("draft")):
        return True
    if meta.get("published") is False:  # Jekyll: `published: false`
        return True
    status = meta.get("status")
    return isinstance(status, str) and status.strip().lower() == "draft"


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return isinstance(value, str) and value.strip().lower() in _TRUE_WORDS


def _language(meta: dict[str, Any], body: str) -> str:
    declared = _first_string(meta, _LANG_KEYS)
    if declared:
        primary = re.split(r"[-_]", declared.lower())[0]
        if primary.isalpha() and 2 <= len(primary) <= 3:
            return primary
    return "zh" if is_chinese("\n".join(prose_lines(body))) else "en"
