"""Text-fragment deep links (WICG Scroll to Text Fragment): `url#:~:text=start,end` lands a reader on
the quoted sentence, highlighted, in the published post.

    with_text_fragment("https://blog.example/p/", post.text, citation.start, citation.end)
    # "https://blog.example/p/#:~:text=The%20scheduler%20places%20pods,on%20each%20node."

The quote comes from the cleaned post text, which keeps a little Markdown the page does not show
(heading marks, list bullets, table pipes, code-span backticks): terms are taken from what is left
after removing those. A browser matches a term inside one block (paragraph, list item, table cell),
so a quote spanning lines gets the start,end form with the start from its first line and the end
from its last; a long one-line quote too, to keep links short. Terms begin and end on word
boundaries every browser agrees on (in Chinese: punctuation and changes of script, see `units`) and
grow until they point at this quote and not at an earlier sentence with the same words.
"""

from __future__ import annotations

import re
from urllib.parse import quote

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_UNITS = re.compile(rf"\s+|[{_CJK}]+|[^\s{_CJK}]+")
_CJK_RUN = re.compile(rf"[{_CJK}]+")
# Line syntax of the cleaned text that a rendered page does not show as text.
_LINE_MARKS = re.compile(r"^\s*(?:#{1,6}(?:\s+|$)|[-*+](?:\s+|$)|\d+[.)](?:\s+|$)|>\s*)+")
_TABLE_RULE = re.compile(r"^[\s|:\-]*$")
_FENCE = re.compile(r"^\s*(?:`{3,}|~{3,})")  # its language name is not shown either
# A code span may wrap onto the next line, never across a blank one (as the Markdown cleaner reads it).
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)((?:(?!\n\s*\n).)+?)(?<!`)\1(?!`)", re.DOTALL)
SHORT_QUOTE = 10.0  # a quote of at most ~10 words (20 CJK characters) on one line is matched whole
TERM_SIZE = 4.0  # start and end terms have at least ~4 words (8 CJK characters)


def with_text_fragment(url: str | None, text: str, start: int, end: int) -> str | None:
    """`url` with a text directive for text[start:end]; `url` unchanged when nothing quotable is left."""
    if url is None:
        return None
    directive = text_directive(text, start, end)
    if directive is None:
        return url
    return f"{url}:~:{directive}" if "#" in url else f"{url}#:~:{directive}"


def text_directive(text: str, start: int, end: int) -> str | None:
    """`text=term` or `text=start,end` (percent-encoded) for the quote text[start:end], or None."""
    blocks = visible_blocks(text[start:end])
    if not blocks:
        return None
    first, last = blocks[0], blocks[-1]
    if len(blocks) == 1 and size(first) <= SHORT_QUOTE:
        return "text=" + encode_term(first)
    page = " ".join(visible_blocks(text)).casefold()
    head = _start_term(first, page)
    tail = _end_term(last, " ".join(blocks), head)
    if len(blocks) == 1 and len(head) + len(tail) >= len(first):  # the terms would overlap
        return "text=" + encode_term(first)
    return f"text={encode_term(head)},{encode_term(tail)}"


def visible_blocks(quote: str) -> list[str]:
    """The quote's lines and table cells as a page shows them: marks, pipes and backticks removed,
    whitespace collapsed, empty pieces dropped."""
    blocks: list[str] = []
    unfenced = "\n".join(line for line in quote.split("\n") if not _FENCE.match(line))  # a fence's ``` line
    # What is left of a backtick after the code spans is one a sentence split cut off its span.
    for line in _CODE_SPAN.sub(r"\2", unfenced).replace("`", "").split("\n"):
        if "|" in line and _TABLE_RULE.match(line):
            continue  # a table's |---|---| rule row
        cells = line.split("|") if line.lstrip().startswith("|") else [line]
        for cell in cells:
            cleaned = " ".join(_LINE_MARKS.sub("", cell).split())
            if cleaned:
                blocks.append(cleaned)
    return blocks


def encode_term(term: str) -> str:
    """Percent-encode a term as the spec asks: UTF-8, and `-`, `,`, `&` too (they are its syntax);
    everything but letters, digits and `_.~` is encoded, which every browser decodes."""
    return quote(term, safe="").replace("-", "%2D")


def size(text: str) -> float:
    """Roughly the number of words: Latin words count 1, CJK characters 1/2, punctuation nothing."""
    cjk = sum(len(run) for run in _CJK_RUN.findall(text))
    latin = sum(any(ch.isalnum() for ch in word) for word in _CJK_RUN.sub(" ", text).split())
    return latin + cjk / 2


def units(text: str) -> list[str]:
    """`text` cut where every browser sees a word boundary (whitespace kept as units): Latin words,
    punctuation, and whole CJK runs. Browsers split CJK runs into words with ICU's dictionary, which
    often disagrees with any other segmenter (jieba cuts 是指|在 where ICU reads 是|指在, and a term
    ending in 是指 then matches nothing), so a Chinese term ends only at punctuation or a change of script."""
    return [match.group(0) for match in _UNITS.finditer(text)]


def _start_term(block: str, page: str) -> str:
    """The shortest opening of `block` of TERM_SIZE or more that occurs once in the page."""
    pieces = units(block)
    term = ""
    for i in range(len(pieces)):
        term = "".join(pieces[: i + 1]).strip()
        if term and size(term) >= TERM_SIZE and page.count(term.casefold()) <= 1:
            break
    return term


def _end_term(block: str, quote: str, head: str) -> str:
    """The shortest ending of `block` of TERM_SIZE or more whose first match after `head` ends the quote."""
    pieces = units(block)
    folded = quote.casefold()
    after = len(head)
    term = ""
    for i in range(len(pieces) - 1, -1, -1):
        term = "".join(pieces[i:]).strip()
        if term and size(term) >= TERM_SIZE and folded.find(term.casefold(), after) == len(folded) - len(term):
            break
    return term
