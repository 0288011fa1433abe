"""Where a post is published: the site URL joined to the post's permalink, worked out at query time.

    links = SiteLinks.parse("https://blog.example.com", "jekyll")
    links.published_url(post)  # "https://blog.example.com/2021/02/03/hello.html"

Nothing here is stored in the index: the Engine applies it to the posts it loads, so another
`--site-url` or `--permalink` needs no reindex. What wins, in order:

1. an absolute URL the post gives itself (front matter `url`/`permalink`/`link`/`canonical`, an HTML
   page's canonical link) — kept as it is;
2. without a site URL, nothing more: the chat page's own post viewer is the link;
3. a site-relative front matter address (Hugo `url`, Jekyll `permalink`, Zola `path`), joined to the site URL;
4. the permalink pattern, filled from the post's date, file name, folders, slug and categories;
5. the first alias (`aliases`, `redirect_from`), when the pattern needs a date the post lacks. Aliases
   are redirects: a redirect page drops the text fragment, so they come after the pattern.
"""

from __future__ import annotations

import logging
import re
import string
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from urllib.parse import quote

from rag.errors import ConfigError
from rag.inputs import safe_url
from rag.types import Post

log = logging.getLogger(__name__)

# Each placeholder, with what it expands to (shown in errors and documented in README).
PLACEHOLDERS = {
    "year": "the post's year (front matter date, else the file name's), 4 digits",
    "month": "its month, 2 digits",
    "day": "its day, 2 digits",
    "slug": "front matter slug, else the file name without a leading date (2021-02-03-hello.md: hello)",
    "filename": "the file name without extension, as is (a bundle's index.md: the folder name)",
    "slug_or_filename": "front matter slug, else {filename}",
    "section": "the first folder of the post's path ('' at the top level)",
    "path": "all folders of the post's path (a bundle: the folders above it)",
    "categories": "front matter categories (and folders above _posts), lower-cased, joined by '/'",
    "file_date": "the date in the file or bundle name as YYYY/MM/DD ('' when the name has none)",
}


@dataclass(frozen=True)
class Scheme:
    """A permalink pattern; `with_slug` replaces it for posts whose front matter sets a slug."""

    pattern: str
    with_slug: str | None = None
    urlize: bool = False  # lower-case and hyphenate, as Hugo and Zola do to paths by default


# Each generator's default for blog posts (the --permalink preset names), as its docs describe it:
PRESETS = {
    # content/posts/my-post.md -> /posts/my-post/; page bundles by folder; slug replaces the last part;
    # paths lower-cased (disablePathToLower = false) with spaces as hyphens.
    "hugo": Scheme("/{path}/{slug_or_filename}/", urlize=True),
    # `permalink: date` = /:categories/:year/:month/:day/:title:output_ext; :title is the file name
    # after its date, or the slug.
    "jekyll": Scheme("/{categories}/{year}/{month}/{day}/{slug}.html"),
    # content/blog/2021-02-03-hello.md -> /blog/hello/: the date prefix leaves the slug; slugify on.
    "zola": Scheme("/{path}/{slug}/", urlize=True),
    # blog/2021-02-03-hello.md -> /blog/2021/02/03/hello (the date only from the file name);
    # a front matter slug is the whole path under /blog; no trailing slash.
    "docusaurus": Scheme("/blog/{file_date}/{path}/{slug}", with_slug="/blog/{slug}"),
}
DEFAULT_PERMALINK = "/{path}/{slug_or_filename}/"  # the post's path in the posts folder, like most generators

_BUNDLE_STEMS = frozenset({"index", "_index"})
_LEADING_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[-_](.*))?$")
_PATH_SAFE = "/!$&'()*+,;=:@~-._"


def parse_scheme(spec: str) -> Scheme:
    """A preset name or a pattern of {placeholders}; ConfigError naming the problem otherwise."""
    spec = (spec or "").strip()
    if spec.lower() in PRESETS:
        return PRESETS[spec.lower()]
    hint = f"Use a preset ({', '.join(PRESETS)}) or a pattern such as '/blog/{{year}}/{{month}}/{{slug}}/'"
    known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
    if not spec.startswith("/"):
        raise ConfigError(f"The permalink {spec!r} is neither a preset nor a pattern starting with '/'.", hint + ".")
    if re.search(r"(?:^|/):[a-z_]+", spec):
        raise ConfigError(
            f"The permalink {spec!r} uses :name placeholders.",
            f"Write them in braces, e.g. {{year}} for :year; placeholders: {known}.",
        )
    try:
        fields = [(name, form, conv) for _, name, form, conv in string.Formatter().parse(spec) if name is not None]
    except ValueError as exc:
        raise ConfigError(f"The permalink {spec!r} is not a valid pattern ({exc}).", f"{hint}.") from None
    unknown = [name + (f"!{conv}" if conv else "") + (f":{form}" if form else "") for name, form, conv in fields]
    unknown = [name for name in unknown if name not in PLACEHOLDERS]
    if unknown:
        raise ConfigError(
            f"The permalink {spec!r} has an unknown placeholder {{{unknown[0]}}}.", f"Placeholders: {known}."
        )
    return Scheme(spec)


def check_site_url(value: str | None) -> str | None:
    """The site's base URL (http or https, may end in a path such as /blog/), or None when empty."""
    if value is None or not value.strip():
        return None
    url = safe_url(value.strip())
    hint = "Give the blog's public base URL, e.g. --site-url https://blog.example.com (RAG_SITE_URL)."
    if url is None:
        raise ConfigError(f"The site URL {value!r} is not an absolute http(s) address.", hint)
    if "#" in url or "?" in url:
        raise ConfigError(f"The site URL {value!r} has a query or fragment; post paths are appended to it.", hint)
    return url.rstrip("/")


@dataclass(frozen=True)
class SiteLinks:
    """The site URL and permalink scheme; `published_url` is the whole rule (see the module doc)."""

    site_url: str | None
    scheme: Scheme

    @classmethod
    def parse(cls, site_url: str | None, permalink: str = DEFAULT_PERMALINK) -> SiteLinks:
        return cls(check_site_url(site_url), parse_scheme(permalink))

    def published_url(self, post: Post) -> str | None:
        """The post's public URL, or None when nothing says where it is."""
        if post.url:
            return post.url
        if self.site_url is None:
            return None
        path = _encode(post.permalink) if post.permalink else expand(self.scheme, post)
        if path is not None:
            return self.site_url + path
        if post.aliases:
            alias = post.aliases[0]
            return alias if safe_url(alias) else self.site_url + _encode(alias)
        return None


def expand(scheme: Scheme, post: Post) -> str | None:
    """The site path (percent-encoded) the scheme gives the post; None when it needs a date the post lacks."""
    pattern = scheme.with_slug if post.slug_given and scheme.with_slug else scheme.pattern
    values = placeholder_values(post)
    pieces: list[str] = []
    for literal, name, _, _ in string.Formatter().parse(pattern):
        pieces.append(_encode(literal))
        if name:
            value = values[name]
            if value is None:
                return None
            pieces.append(quote(_urlize(value) if scheme.urlize else value, safe=_PATH_SAFE))
    path = re.sub(r"/{2,}", "/", "".join(pieces))  # an empty {section} or {categories} leaves no empty segment
    return path if path.startswith("/") else "/" + path


def placeholder_values(post: Post) -> dict[str, str | None]:
    """What each placeholder means for this post (dates None when the post has none)."""
    parts = PurePosixPath(post.source).parts
    folders, stem = list(parts[:-1]), PurePosixPath(parts[-1]).stem if parts else ""
    if stem.lower() in _BUNDLE_STEMS:  # a page bundle (post/index.md) or section page (_index.md)
        stem = folders.pop() if folders else ""
    dated = _LEADING_DATE.match(stem)
    name = (dated.group(4) or stem) if dated else stem
    slug = post.slug if post.slug_given else name
    year, month, day = post.date.split("-") if post.date else (None, None, None)
    above_posts = folders[: folders.index("_posts")] if "_posts" in folders else []
    return {
        "year": year,
        "month": month,
        "day": day,
        "slug": slug,
        "filename": stem,
        "slug_or_filename": post.slug if post.slug_given else stem,
        "section": folders[0] if folders else "",
        "path": "/".join(folders),
        "categories": "/".join(dict.fromkeys(c.lower() for c in above_posts + post.categories)),
        "file_date": "/".join(dated.group(1, 2, 3)) if dated else "",
    }


def _urlize(value: str) -> str:
    return re.sub(r"\s+", "-", value.strip()).lower()


def _encode(path: str) -> str:
    """Percent-encode what a URL path cannot hold (spaces, Chinese as UTF-8); keep existing escapes."""
    return quote(path, safe=_PATH_SAFE + "%")


def publish(posts: dict[str, Post], links: SiteLinks) -> dict[str, Post]:
    """The posts with `url` set to where each is published (None where nothing says), for one Engine."""
    published = {source: replace(post, url=links.published_url(post)) for source, post in posts.items()}
    if links.site_url is not None:
        lost = [source for source, post in published.items() if post.url is None]
        if lost:
            log.warning(
                "%d posts have no published URL (the permalink %r needs a date they lack), e.g. %s; "
                "they link to the built-in viewer",
                len(lost),
                links.scheme.pattern,
                lost[0],
            )
    return published
