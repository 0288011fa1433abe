"""Remove scraped page chrome from post text: "related articles" teaser lists, view counters, separators.

Posts copied from blog platforms often end with the site's own furniture: a "目录" / "相关文章" /
"Related posts" line followed by link titles, one-line teasers and counters such as "<views> <comments>". That
text must never be indexed: it answers questions with other posts' summaries.

A marker line alone is not enough to cut, because a real section can be called "相关文章". We cut
only when the marker sits in the last part of the post (after _CUT_FROM of the text) and everything
after it has the shape of a link list: short lines, separators, counters, or long teaser lines that
are immediately followed by a separator or counter. One prose paragraph after the marker keeps it.
"""

from __future__ import annotations

import re

from rag.loading.markdown import split_fenced, tidy

_MARKERS = frozenset(
    {
        "目录",
        "相关文章",
        "推荐阅读",
        "相关推荐",
        "热门文章",
        "猜你喜欢",
        "延伸阅读",
        "上一篇",
        "下一篇",
        "related articles",
        "related posts",
        "recommended",
        "read more",
        "you may also like",
        "share this",
        "table of contents",
        "previous post",
        "next post",
    }
)
_PREV_NEXT = re.compile(r"^(上一篇|下一篇|previous post|next post)\s*[:：]\s*\S.{0,80}$", re.I)
_CUT_FROM = 0.6  # markers earlier than this share of the text are treated as real section titles
_SHORT = 40  # characters; link and teaser titles are short, prose lines are not
_LIST_ITEM = re.compile(r"^([-*+]|\d+[.)])\s")
_PIPE_ONLY = re.compile(r"^\|$")
_DIGITS_ONLY = re.compile(r"^\d+(?:\s+\d+)*$")
_IMAGE_NAME = re.compile(r"^[\w.-]+\.(?:png|jpe?g|gif|webp|svg|bmp)$", re.I)


def strip_chrome(text: str) -> str:
    """Cut a trailing link/teaser list after a chrome marker, and drop separator/counter lines."""
    lines = text.split("\n")
    in_code = _code_mask(text)
    cut = _cut_index(lines, in_code)
    kept = _drop_noise_runs(lines[:cut], in_code)
    return tidy("\n".join(_drop_marker_lists(kept, _code_mask("\n".join(kept)))))


def _drop_noise_runs(lines: list[str], in_code: list[bool]) -> list[str]:
    """Drop runs of separator/counter/image-name lines that stand alone or contain a `|` separator.

    A lone number inside a hard-wrapped paragraph ("see RFC\n1422 for details") is prose, so a run
    without a separator goes only when blank lines (or the text's edges) surround it.
    """
    out: list[str] = []
    index = 0
    while index < len(lines):
        end = index
        while end < len(lines) and not in_code[end] and _is_noise_or_image(lines[end].strip()):
            end += 1
        if end == index:
            out.append(lines[index])
            index += 1
            continue
        run = [line.strip() for line in lines[index:end]]
        alone = (index == 0 or not lines[index - 1].strip()) and (end == len(lines) or not lines[end].strip())
        if not (alone or "|" in run):
            out.extend(lines[index:end])
        index = end
    return out


def _is_noise_or_image(line: str) -> bool:
    return _is_noise(line) or _IMAGE_NAME.match(line) is not None


def _code_mask(text: str) -> list[bool]:
    mask: list[bool] = []
    for is_code, segment in split_fenced(text):
        mask.extend([is_code] * (segment.count("\n") + 1))
    return mask


def is_marker(line: str) -> bool:
    core = line.strip().lstrip("#").strip().rstrip(":：").strip().casefold()
    return core in _MARKERS or _PREV_NEXT.match(line.strip()) is not None


def _cut_index(lines: list[str], in_code: list[bool]) -> int:
    total = sum(len(line) + 1 for line in lines)
    offset = 0
    for index, line in enumerate(lines):
        late = offset >= _CUT_FROM * total
        offset += len(line) + 1
        if late and not in_code[index] and is_marker(line) and _is_link_list(lines[index + 1 :], in_code[index + 1 :]):
            return index
    return len(lines)


def _is_link_list(lines: list[str], in_code: list[bool]) -> bool:
    if any(in_code):
        return False  # link lists never contain code; a section with a code sample is real content
    rest = [line.strip() for line in lines if line.strip()]
    for index, line in enumerate(rest):
        following = rest[index + 1] if index + 1 < len(rest) else ""
        if not (_is_teaserish(line) or _is_noise(following)):
            return False  # a prose paragraph: this is a real section, not chrome
    return True


def _is_teaserish(line: str) -> bool:
    if _is_noise(line) or is_marker(line) or len(line) <= _SHORT:
        return True
    return _LIST_ITEM.match(line) is not None and len(line) <= 3 * _SHORT


def _is_noise(line: str) -> bool:
    return bool(_PIPE_ONLY.match(line) or _DIGITS_ONLY.match(line))


def _drop_marker_lists(lines: list[str], in_code: list[bool]) -> list[str]:
    """A plain (non-heading) marker late in the post followed by short titles and then prose again,
    e.g. "推荐阅读:" + three book titles: drop the marker and the titles, keep the prose."""
    total = sum(len(line) + 1 for line in lines)
    out: list[str] = []
    offset = 0
    skipping = False
    for index, line in enumerate(lines):
        late = offset >= _CUT_FROM * total
        offset += len(line) + 1
        stripped = line.strip()
        if in_code[index]:
            skipping = False
        elif skipping and (not stripped or _is_teaserish(stripped) and not stripped.startswith("#")):
            continue
        elif late and is_marker(line) and not stripped.startswith("#") and _next_is_title(lines, index):
            skipping = True
            continue
        else:
            skipping = False
        out.append(line)
    return out


def _next_is_title(lines: list[str], index: int) -> bool:
    following = next((line.strip() for line in lines[index + 1 :] if line.strip()), "")
    return bool(following) and _is_teaserish(following) and not is_marker(following)
