"""HTML to Markdown-ish text: the article's words with headings, lists, tables and code kept readable.

Page chrome (menus, sidebars, comment boxes, share bars, hidden elements) is dropped before any text
is taken, so it never reaches the index or an answer. Inline elements are joined without spaces:
"Kube<b>rnetes</b>" is one word, and Chinese must not gain spaces between characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bs4 import BeautifulSoup, CData, NavigableString, Tag


def _words(text: str) -> frozenset[str]:
    """Space-separated word lists keep the long vocabularies below compact and easy to extend."""
    return frozenset(text.split())


_DROP_TAGS = _words(
    "script style svg noscript template iframe form button nav header footer aside link meta head title"
    " img picture video audio canvas object embed input select textarea dialog map"
)
_NEVER_CHROME = frozenset({"html", "body", "main", "article"})
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_BLOCKS = _words(
    "p div section article main blockquote figure figcaption dl dt dd address details summary center"
    " hgroup body html fieldset caption table thead tbody tfoot td th hr"
)
# Words in an element's id/class that mark navigation and page furniture rather than the article.
_CHROME_WORDS = _words(
    "nav navbar navigation menu sidebar breadcrumb breadcrumbs related recommend recommended"
    " recommendation recommendations comment comments footer share sharing toolbar advert advertisement"
    " ads ad copyright pagination pager popup cookie subscribe newsletter social"
)
_CHROME_PREFIXES = tuple(
    _words("nav menu sidebar breadcrumb recommend comment advert related share copyright toolbar footer")
)
_CHROME_CLASSES = frozenset({"tags-box", "article-info", "article-info-box", "post-meta-share"})
# <meta name/property/itemprop> values that carry post metadata, and the field each one fills.
_META_FIELDS = {
    "author": "author",
    "article:author": "author",
    "keywords": "keywords",
    "article:published_time": "date",
    "datepublished": "date",
    "date": "date",
    "pubdate": "date",
    "dc.date": "date",
    "og:url": "url",
    "article:tag": "tags",
}
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_WORD_SPLIT = re.compile(r"[-_\s]+|(?<=[a-z])(?=[A-Z])")
_BR = "\ue0b0"  # private-use sentinel: survives whitespace collapsing, becomes a newline afterwards
_CJK_CHARS = "\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef“”‘’"
_CJK_LINEBREAK = re.compile(f"(?<=[{_CJK_CHARS}])\\s*\\n\\s*(?=[{_CJK_CHARS}])")
_SPACES = re.compile(r"\s+")
_AROUND_BR = re.compile(f" ?{_BR} ?")
_BLOCK_START = re.compile(
    r"<(?:!doctype\s+html|html|head|body|div|p|article|section|main|h[1-6]|table|ul|ol|blockquote"
    r"|header|nav|figure|pre|center|font|span|dl)\b",
    re.I,
)
# Block syntax at the line start, or inline syntax anywhere: links, images, bold, code.
_MARKDOWN_LINE = re.compile(r"^\s*(#{1,6}\s|[-*+]\s|\d+[.)]\s|```|~~~|>|\||---+\s*$)|\]\(|\]\[|\*\*|`[^`]+`")


@dataclass
class _Block:
    text: str
    kind: str = ""  # items of one list, or rows of tables, join each other with one newline


def parse_html(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "lxml")


def html_to_text(html: str) -> str:
    """Render an HTML page or fragment as Markdown-ish text."""
    return soup_to_text(parse_html(html))


def soup_to_text(soup: BeautifulSoup) -> str:
    renderer = _Renderer(total_chars=len(soup.get_text()))
    renderer.walk(soup)
    renderer.flush()
    return renderer.join()


def looks_like_html(text: str) -> bool:
    """True when a "Markdown" body is really an HTML page (a scraped post saved with a .md name).

    Only a body that opens with a block-level tag and has almost no Markdown syntax qualifies: a
    Markdown post with embedded HTML blocks (tables, charts) is better served by the Markdown cleaner,
    which renders those blocks itself and keeps the Markdown around them.
    """
    lines = [line for line in text.splitlines() if line.strip()][:400]
    if not lines or _BLOCK_START.match(lines[0].lstrip()) is None:
        return False
    markdown = sum(1 for line in lines if _MARKDOWN_LINE.search(line))
    return markdown <= 0.1 * len(lines)


def html_metadata(soup: BeautifulSoup) -> dict[str, Any]:
    """Metadata a full HTML page carries in <head>: title, author, date, keywords, canonical URL, language."""
    meta: dict[str, Any] = {}
    if soup.title is not None and soup.title.get_text(strip=True):
        meta["html_title"] = soup.title.get_text(" ", strip=True)
    for tag in soup.find_all("meta"):
        key = _attr(tag, "name") or _attr(tag, "property") or _attr(tag, "itemprop")
        field = _META_FIELDS.get(key.lower(), "")
        content = _attr(tag, "content").strip()
        if field == "tags" and content:
            meta.setdefault("tags", []).append(content)  # one <meta property="article:tag"> per tag
        elif field and content:
            meta.setdefault(field, content)
    canonical = soup.find("link", rel="canonical")
    if isinstance(canonical, Tag) and _attr(canonical, "href"):
        meta["url"] = _attr(canonical, "href")
    if "date" not in meta and isinstance(time_tag := soup.find("time", datetime=True), Tag):
        meta["date"] = _attr(time_tag, "datetime")
    if soup.html is not None and _attr(soup.html, "lang"):
        meta["lang"] = _attr(soup.html, "lang")
    return meta


def _attr(tag: Tag, name: str) -> str:
    value = tag.get(name)
    if isinstance(value, list):
        return " ".join(value)
    return value or ""


def _collapse(text: str) -> str:
    """One space for any run of whitespace, except none at all where HTML source wrapped Chinese text."""
    text = _CJK_LINEBREAK.sub("", text)
    text = _SPACES.sub(" ", text)
    return _AROUND_BR.sub("\n", text).strip()


class _Renderer:
    def __init__(self, total_chars: int) -> None:
        self.blocks: list[_Block] = []
        self.inline: list[str] = []
        self.prefix = ""
        self.list_depth = 0
        self.list_count = 0  # numbers top-level lists, so two adjacent lists stay apart
        self.total_chars = total_chars

    def join(self) -> str:
        parts: list[str] = []
        for index, block in enumerate(self.blocks):
            if index:
                same_kind = block.kind and block.kind == self.blocks[index - 1].kind
                parts.append("\n" if same_kind else "\n\n")
            parts.append(block.text)
        return "".join(parts)

    def flush(self) -> None:
        text = _collapse("".join(self.inline))
        self.inline = []
        if text:
            self.emit(self.prefix + text, f"list-{self.list_count}" if self.list_depth > 0 else "")
            self.prefix = ""

    def emit(self, text: str, kind: str = "") -> None:
        self.blocks.append(_Block(text, kind))

    def walk(self, node: Any) -> None:
        if isinstance(node, NavigableString):
            if type(node) in (NavigableString, CData):  # skip comments, doctypes, processing instructions
                self.inline.append(str(node))
            return
        if not isinstance(node, Tag) or self._dropped(node):
            return
        name = node.name.lower()
        if name in _HEADINGS:
            self._heading(node, int(name[1]))
        elif name == "pre":
            self._pre(node)
        elif name == "br":
            self.inline.append(_BR)
        elif name in ("ul", "ol", "menu"):
            self._list(node)
        elif name == "li":
            self._item(node)
        elif name == "tr":
            self._row(node)
        elif name in _BLOCKS:
            self.flush()
            self._children(node)
            self.flush()
        else:  # inline element: no flush, so no space is inserted inside words
            self._children(node)

    def _children(self, node: Tag) -> None:
        for child in list(node.children):
            self.walk(child)

    def _dropped(self, tag: Tag) -> bool:
        name = tag.name.lower()
        if name in _DROP_TAGS:
            # An <article>'s own <header> holds the post's title, not site chrome.
            return not (name == "header" and tag.find_parent("article") and tag.find(_HEADINGS))
        if tag.has_attr("hidden") or _attr(tag, "aria-hidden") == "true":
            return True
        if _HIDDEN_STYLE.search(_attr(tag, "style")):
            return True
        if name in _NEVER_CHROME or not _is_chrome(tag):
            return False
        # A wrapper such as <div class="has-sidebar"> can hold the whole article; keep it.
        return len(tag.get_text()) <= 0.5 * self.total_chars

    def _inline_text(self, node: Tag) -> str:
        sub = _Renderer(self.total_chars)
        sub._children(node)
        sub.flush()
        return " ".join(block.text for block in sub.blocks).replace("\n", " ")

    def _heading(self, node: Tag, level: int) -> None:
        self.flush()
        text = self._inline_text(node)
        if text:
            self.emit(f"{'#' * level} {text}")

    def _pre(self, node: Tag) -> None:
        self.flush()
        code = node.get_text().strip("\n").rstrip()
        if not code.strip():
            return
        fence = "~~~" if "```" in code else "```"
        self.emit(f"{fence}{_code_language(node)}\n{code}\n{fence}")

    def _list(self, node: Tag) -> None:
        self.flush()
        if self.list_depth == 0:
            self.list_count += 1
        self.list_depth += 1
        self._children(node)
        self.flush()
        self.list_depth -= 1

    def _item(self, node: Tag) -> None:
        self.flush()
        self.prefix = "  " * max(self.list_depth - 1, 0) + "- "
        self._children(node)
        self.flush()
        self.prefix = ""

    def _row(self, node: Tag) -> None:
        self.flush()
        cells = [self._inline_text(cell) for cell in node.find_all(("td", "th"), recursive=False)]
        if any(cells):
            self.emit("| " + " | ".join(cells) + " |", "row")


def _is_chrome(tag: Tag) -> bool:
    for value in (_attr(tag, "id"), _attr(tag, "class")):
        for token in value.split():
            if token.lower() in _CHROME_CLASSES:
                return True
            for word in _WORD_SPLIT.split(token):
                word = word.lower()
                if word in _CHROME_WORDS or (len(word) > 3 and word.startswith(_CHROME_PREFIXES)):
                    return True
    return False


def _code_language(pre: Tag) -> str:
    code = pre.find("code")
    for tag in (pre, code):
        if isinstance(tag, Tag):
            for cls in _attr(tag, "class").split():
                if cls.startswith(("language-", "lang-")):
                    return cls.split("-", 1)[1]
    return ""
