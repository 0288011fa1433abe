"""Answer candidates for the extractive generator: sentences (and adjacent pairs) of retrieved
chunks, and how the chosen ones are written out with their [n] citations."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from rag.lexical import is_chinese, tokenize
from rag.sentences import LIST_MARK, is_item, sentence_spans
from rag.types import Hit

NEAR_DUPLICATE = 0.75  # word-set Jaccard above which a sentence adds nothing new
YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
# A count, not a date part: "11 个", "9 名", "40 多家", "5 年" but not "2 月", "3 日" or "2021".
COUNT = re.compile(
    r"(?<![\d.])\d{1,3}(?:,\d{3})*(?![\d.]|\s*[月日号])"
    r"|(?!一\s*[个位名家项种人])[一二两三四五六七八九十百千万]+\s*[个位名家项种人]"  # not 一种/一个: "a"
    r"|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundreds?|thousands?|millions?|billions?|dozens?)\b",
    re.I,
)
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}")
@dataclass
class Candidate:
    source_index: int  # 0-based position in the sources list
    start: int  # offsets in the chunk text
    end: int
    text: str
    coverage: float = 0.0
    score: float = 0.0
    essentials: bool = True  # mentions every name and dominant term of the question
    fit: float = 1.0  # < 1 when it lacks what the question asks for (a count, a year)
    names: set[str] = field(default_factory=set)  # conjoined question entities it mentions



def with_list(cand: Candidate, hit: Hit, limit: int = 8) -> Candidate:
    """A sentence that introduces a list or a table ("…以下这些 SIG：", a table's caption or header)
    is answered by the items or rows after it."""
    text = hit.chunk.text
    following = sentence_spans(text, cand.end)
    if not following or not _introduces(text[cand.start : cand.end], text[following[0][0] : following[0][1]]):
        return cand
    items: list[str] = []
    end = cand.end
    for start, stop in following:
        line = text[start:stop].strip()
        if len(items) >= limit or not is_item(line):
            break
        if not _TABLE_RULE.match(line):
            items.append(line if line.startswith("|") else "- " + _clean(line))
        end = stop
    if not items:
        return cand
    return replace(cand, end=end, text=cand.text + "\n" + "\n".join(items))


def _introduces(candidate: str, next_line: str) -> bool:
    lines = [line.strip() for line in candidate.splitlines() if line.strip()]
    colon = any(line.endswith((":", "：")) for line in lines[-2:])
    return (colon and is_item(next_line)) or next_line.strip().startswith("|")


def _useful(sentence: str) -> bool:
    """Prose worth quoting: not a table rule, not a piece of a code block."""
    stripped = sentence.strip(" |-:*#>")
    return len(stripped) >= 6 and not set(stripped) <= set("-|: ") and "```" not in sentence



def _clean(sentence: str) -> str:
    lines = [LIST_MARK.sub("", line).strip() for line in sentence.splitlines()]
    return " ".join(line for line in lines if line)



def _overlaps(a: Candidate, b: Candidate) -> bool:
    return a.source_index == b.source_index and a.start < b.end and b.start < a.end



def _words(text: str) -> set[str]:
    """Word tokens without numbers: "get 1.80.0 with rustup" repeats "get 1.81.0 with rustup"."""
    return {t for t in tokenize(text) if not any(ch.isdigit() for ch in t)}


def repeats(cand: Candidate, other: Candidate) -> bool:
    """Overlapping text, or (nearly) the same words: chunk overlap and reposted articles repeat
    sentences, sometimes with other punctuation or a changed word."""
    if _overlaps(cand, other):
        return True
    mine, theirs = _words(cand.text), _words(other.text)
    return mine <= theirs or len(mine & theirs) / max(len(mine | theirs), 1) >= NEAR_DUPLICATE



def _disagree(chosen: list[Candidate], sources: list[Hit]) -> bool:
    """Different posts giving different counts for a "how many" question: a likely conflict."""
    numbers: dict[str, set[str]] = {}
    for cand in chosen:
        found = {re.sub(r"\D", "", n) for n in COUNT.findall(cand.text)} - {""}
        numbers.setdefault(sources[cand.source_index].post.source, set()).update(found)
    distinct = [frozenset(n) for n in numbers.values() if n]
    return len(numbers) > 1 and len(set(distinct)) > 1



def compose(chosen: list[Candidate], sources: list[Hit], asks_count: bool = False) -> str:
    """Sentences each followed by its [n]; when posts disagree on a count, both are stated, newest first."""
    if asks_count and _disagree(chosen, sources):
        chosen = sorted(chosen, key=lambda c: sources[c.source_index].post.date or "", reverse=True)
        chinese = is_chinese(chosen[0].text)
        lead = "各篇文章说法不一（按发布日期从新到旧）：" if chinese else "The posts disagree (newest first):"
        lines = [f"- {_dated(c, sources, chinese)}{c.text} [{c.source_index + 1}]" for c in chosen]
        return lead + "\n" + "\n".join(lines)
    return " ".join(f"{c.text} [{c.source_index + 1}]" for c in chosen)



def _dated(cand: Candidate, sources: list[Hit], chinese: bool) -> str:
    date = sources[cand.source_index].post.date
    if not date:
        return ""
    return f"（{date}）" if chinese else f"({date}) "



def candidates_of(hit: Hit, index: int) -> list[Candidate]:
    """Every useful sentence of the chunk, and every pair of neighbouring useful sentences."""
    text = hit.chunk.text
    spans = sentence_spans(text)
    useful = [_useful(text[s:e]) for s, e in spans]
    singles = [Candidate(index, s, e, _clean(text[s:e])) for (s, e), ok in zip(spans, useful, strict=True) if ok]
    pairs = [
        Candidate(index, a[0], b[1], _clean(text[a[0] : b[1]]))
        for i, (a, b) in enumerate(zip(spans, spans[1:], strict=False))
        if useful[i] and useful[i + 1] and b[1] - a[0] < 300
    ]
    return singles + pairs


