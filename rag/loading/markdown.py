"""Markdown to clean Markdown-ish text: the words a reader sees, with headings, lists and code kept.

Markup that carries no words is dropped (images, comments, link targets, shortcodes, Liquid tags,
emphasis markers, inline HTML). Fenced code is never touched: `Vec<T>`, `**kwargs` and `{{closure}}`
in code are content. HTML blocks embedded in Markdown (tables, <details>, chart <div>s) go through
the HTML renderer so their text survives and their tags do not.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator

from rag.loading.html import html_to_text

_FENCE_OPEN = re.compile(r"^[ \t]*(?:>[ \t]*)*(`{3,}|~{3,})(.*)$")  # also fences inside > quotes
_QUOTE_PREFIX = re.compile(r"^[ \t]*(?:>[ \t]*)*")
_RAW_ELEMENT = re.compile(
    r"<(script|style|noscript|template|iframe|svg|object|textarea)\b[^>]*>.*?</\1\s*>", re.DOTALL | re.I
)
_BLOCK_TAG_NAMES = (
    "address|article|aside|blockquote|center|details|dialog|dd|div|dl|dt|fieldset|figcaption|figure"
    "|footer|form|h[1-6]|header|hr|li|main|nav|ol|p|pre|section|summary|table|tbody|td|tfoot|th|thead"
    "|tr|ul|video|picture|img"
)
_HTML_BLOCK_START = re.compile(rf"^ {{0,3}}</?(?:{_BLOCK_TAG_NAMES})(?:\s|/?>|$)", re.I)
_INLINE_TAG_NAMES = (
    "a|abbr|b|bdi|bdo|big|blink|br|cite|code|data|del|dfn|em|font|i|img|input|ins|kbd|label|mark|meter"
    "|progress|q|rp|rt|ruby|s|samp|small|source|span|strike|strong|sub|sup|time|tt|u|var|wbr|button"
    "|picture|video|audio|track|embed|object|param|iframe|script|style|noscript|template|svg|path|link"
    "|meta|area|map|canvas|col|colgroup|caption|" + _BLOCK_TAG_NAMES
)
_INLINE_TAG = re.compile(rf"</?(?:{_INLINE_TAG_NAMES}|[a-z]+-[a-z0-9-]+)(?:\s[^<>]*)?/?>", re.I)
_PRE_START = re.compile(r"^ {0,3}<pre\b", re.I)
_ANY_TAG = re.compile(r"<[^<>]*>")
_BR_TAG = re.compile(r"<br\s*/?>", re.I)
# A code span may wrap onto the next line, but never across a blank line (that ends the paragraph).
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)((?:(?!\n[ \t>]*\n).)+?)(?<!`)\1(?!`)", re.DOTALL)
_COMMENT_OPEN = re.compile(r"<!--")
_AUTOLINK = re.compile(r"<((?:https?|ftp)://[^\s<>]+|mailto:[^\s<>]+|[\w.+-]+@[\w-]+\.[\w.-]+)>")
_IMAGE = re.compile(r"!\[[^\]]*\](?:\((?:[^()]|\([^()]*\))*\)|\[[^\]]*\])")
_LINK_TEXT = r"\[((?:[^\[\]]|\[[^\[\]]*\])*)\]"
_INLINE_LINK = re.compile(_LINK_TEXT + r"\((?:[^()]|\([^()]*\))*\)")
_REF_LINK = re.compile(_LINK_TEXT + r"\[[^\]]*\]")
_SHORTCUT_LINK = re.compile(_LINK_TEXT + r"(?![(:\[])")
_REF_DEF = re.compile(r"^ {0,3}\[([^\]^][^\]]*)\]:[ \t]*(?:\n[ \t]*)?\S.*$", re.M)  # URL may wrap
_FOOTNOTE_REF = re.compile(r"\[\^[^\]\s]+\](?!:)")
_FOOTNOTE_DEF = re.compile(r"^ {0,3}\[\^[^\]\s]+\]:[ \t]*", re.M)
_SHORTCODE = re.compile(r"\{\{[<%].*?[%>]\}\}", re.DOTALL)
_LIQUID = re.compile(r"\{%-?.*?-?%\}", re.DOTALL)
_IN_PARAGRAPH = r"((?:(?!\n[ \t]*\n).)+?)"  # any text, across line breaks but not across a blank line
_STRONG_STARS = re.compile(rf"\*\*(?=\S){_IN_PARAGRAPH}(?<=\S)\*\*", re.DOTALL)
_EM_STAR = re.compile(r"(?<![\w*\\])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*\\])\*(?![\w*])")  # *em*, not 2 * 3 * 4
_STRONG_UNDERSCORES = re.compile(rf"(?<![\w\\])__(?=\S){_IN_PARAGRAPH}(?<=\S)__(?!\w)", re.DOTALL)
_ASCII_IDENTIFIER = re.compile(r"[A-Za-z0-9_]+")
_BACKSLASH_ESCAPE = re.compile(r"\\([!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])")
_SETEXT_H1 = re.compile(r"^ {0,3}=+[ \t]*$")
_SETEXT_H2 = re.compile(r"^ {0,3}-{2,}[ \t]*$")
_THEMATIC_BREAK = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_NOT_PARAGRAPH = re.compile(r"^\s*$|^ {4}|^\s*(#|[-*+]\s|\d+[.)]\s|>|\||```|~~~)")
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")
_INVISIBLE = re.compile("[\u200b\u2060\ufeff]")
_BLANK_LIKE = re.compile(r"^(?:\s|&nbsp;|[\u200b-\u200d\u2060\ufeff])*$")
_MANY_BLANKS = re.compile(r"\n{3,}")


def split_fenced(text: str) -> list[tuple[bool, str]]:
    """Split text into (is_code, segment) runs; fence lines belong to their code segment."""
    if "```" not in text and "~~~" not in text:
        return [(False, text)]  # the common case, and this runs several times per post
    segments: list[tuple[bool, str]] = []
    buffer: list[str] = []
    fence = ""
    for line in text.split("\n"):
        if not fence:
            match = _FENCE_OPEN.match(line)
            if match and not (match.group(1)[0] == "`" and "`" in match.group(2)):
                _flush(segments, buffer, False)
                fence = match.group(1)
            buffer.append(line)
            continue
        buffer.append(line)
        stripped = _QUOTE_PREFIX.sub("", line).strip()
        if len(stripped) >= len(fence) and set(stripped) == {fence[0]}:
            _flush(segments, buffer, True)
            fence = ""
    _flush(segments, buffer, bool(fence))
    return segments


def _flush(segments: list[tuple[bool, str]], buffer: list[str], is_code: bool) -> None:
    if buffer:
        segments.append((is_code, "\n".join(buffer)))
        buffer.clear()


def prose_lines(text: str) -> Iterator[str]:
    """The lines of text outside fenced code blocks."""
    for is_code, segment in split_fenced(text):
        if not is_code:
            yield from segment.split("\n")


def clean_markdown(text: str) -> str:
    """Strip Markdown/HTML markup that carries no words; keep headings, lists, tables and fenced code."""
    text = _map_prose(_drop_comments(text), _convert_html)
    labels = {m.group(1).strip().casefold() for m in _REF_DEF.finditer(text)}
    return tidy(_map_prose(text, lambda segment: _clean_prose(segment, labels)))


def _map_prose(text: str, function: Callable[[str], str]) -> str:
    return "\n".join(segment if is_code else function(segment) for is_code, segment in split_fenced(text))


def _drop_comments(text: str) -> str:
    """Remove HTML comments opened in prose, even when they span code fences (commented-out drafts).

    An unclosed comment hides the rest of the post, as it does in a browser.
    """
    code = _code_ranges(text)
    out: list[str] = []
    position = 0
    for match in _COMMENT_OPEN.finditer(text):
        start = match.start()
        line_start = text.rfind("\n", 0, start) + 1
        if start < position or _inside(code, start) or text.count("`", line_start, start) % 2:
            continue  # inside a fence or an inline `code span`: literal text, not a comment
        out.append(text[position:start])
        end = text.find("-->", start + 4)
        position = len(text) if end < 0 else end + 3
    out.append(text[position:])
    return "".join(out)


def _code_ranges(text: str) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    offset = 0
    for is_code, segment in split_fenced(text):
        if is_code:
            ranges.append((offset, offset + len(segment)))
        offset += len(segment) + 1
    return ranges


def _inside(ranges: list[tuple[int, int]], index: int) -> bool:
    return any(start <= index < end for start, end in ranges)


def _convert_html(text: str) -> str:
    """Drop script-like elements; render block-level HTML through the HTML renderer.

    As in CommonMark, an HTML block ends at a blank line, except a <pre> block, which runs to
    its closing tag so that blank lines inside preformatted code do not split it.
    """
    text = _RAW_ELEMENT.sub("", text)
    out: list[str] = []
    block: list[str] = []
    in_pre = False
    for line in text.split("\n"):
        if in_pre or (block and line.strip()):
            block.append(line)
            in_pre = in_pre and "</pre>" not in line.lower()
        elif block:  # a blank line ends the block
            out.extend((_render_block(block), line))
            block = []
        elif _HTML_BLOCK_START.match(line):
            block.append(line)
            in_pre = _PRE_START.match(line) is not None and "</pre>" not in line.lower()
        else:
            out.append(line)
    if block:
        out.append(_render_block(block))
    return "\n".join(out)


def _render_block(lines: list[str]) -> str:
    block = "\n".join(lines)
    if not _ANY_TAG.sub("", block).strip():
        return ""  # only tags (`</div>`, `<hr>`, an <img>): skip the cost of an HTML parse
    return html_to_text(block)


def _clean_prose(text: str, labels: set[str]) -> str:
    kept: list[str] = []

    def keep(match: re.Match[str]) -> str:
        kept.append(match.group(0) if match.re is _CODE_SPAN else match.group(1))
        return f"\ue000{len(kept) - 1}\ue001"

    def restore(text: str) -> str:
        return _PLACEHOLDER.sub(lambda m: kept[int(m.group(1))], text)

    text = _AUTOLINK.sub(keep, _CODE_SPAN.sub(keep, text))
    text = _headings_and_rules(text)
    text = _links(text, labels, restore)
    text = _LIQUID.sub("", _SHORTCODE.sub("", text))
    text = _INLINE_TAG.sub("", _BR_TAG.sub("\n", text))
    text = _emphasis(text)
    text = _INLINE_TAG.sub("", html.unescape(text))  # entities may spell tags: &lt;b&gt;
    text = _BACKSLASH_ESCAPE.sub(r"\1", text)
    return restore(text)


def _headings_and_rules(text: str) -> str:
    """Setext headings become ATX (`#`, `##`); horizontal rules go."""
    lines = text.split("\n")
    out: list[str] = []
    for line in lines:
        previous = out[-1] if out else ""
        is_underline = _SETEXT_H1.match(line) or _SETEXT_H2.match(line)
        if is_underline and out and not _NOT_PARAGRAPH.match(previous):
            out[-1] = ("# " if line.strip()[0] == "=" else "## ") + previous.strip()
        elif not _THEMATIC_BREAK.match(line):
            out.append(line)
    return "\n".join(out)


def _links(text: str, labels: set[str], restore: Callable[[str], str]) -> str:
    text = _IMAGE.sub("", text)
    text = _INLINE_LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _REF_DEF.sub("", text)
    text = _FOOTNOTE_DEF.sub("", _FOOTNOTE_REF.sub("", text))
    # `[text]` alone is a link only when a `[text]: url` definition exists; otherwise it is prose.
    return _SHORTCUT_LINK.sub(
        lambda m: m.group(1) if restore(m.group(1)).strip().casefold() in labels else m.group(0), text
    )


def _emphasis(text: str) -> str:
    text = _EM_STAR.sub(r"\1", _STRONG_STARS.sub(r"\1", text))
    # `__init__` is a name, not emphasis: leave bare ASCII identifiers alone.
    return _STRONG_UNDERSCORES.sub(
        lambda m: m.group(0) if _ASCII_IDENTIFIER.fullmatch(m.group(1)) else m.group(1), text
    )


def tidy(text: str) -> str:
    """Trailing spaces off, invisible-only lines blanked, at most one blank line in a row (outside code)."""
    pieces = []
    for is_code, segment in split_fenced(text):
        if not is_code:
            segment = _INVISIBLE.sub("", segment.replace("\xa0", " "))
            lines = ["" if _BLANK_LIKE.match(line) else line.rstrip() for line in segment.split("\n")]
            segment = _MANY_BLANKS.sub("\n\n", "\n".join(lines))
        pieces.append(segment)
    return "\n".join(pieces).strip("\n")
