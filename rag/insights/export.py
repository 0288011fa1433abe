"""Insights as CSV (the coverage gaps, one topic a row) and as text for a terminal."""

from __future__ import annotations

import csv
import io

from rag.insights.report import Insights

GAP_COLUMNS = ("rank", "label", "count", "refused", "unhelpful", "terms", "examples", "closest_posts")
BLOCKS = " ▁▂▃▄▅▆▇█"


def gaps_csv(insights: Insights) -> str:
    """One row per gap topic; lists inside a cell are joined with ' | '."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(GAP_COLUMNS)
    for rank, topic in enumerate(insights.gaps, 1):
        closest = " | ".join(f"{post['title']} ({post['source']})" for post in topic.closest)
        row = (topic.label, topic.count, topic.refused, topic.unhelpful)
        writer.writerow((rank, *row, " | ".join(topic.terms), " | ".join(topic.examples), closest))
    return buffer.getvalue()


def sparkline(values: list[int]) -> str:
    """Counts as one line of block characters, the tallest a full block."""
    top = max(values, default=0)
    if top == 0:
        return BLOCKS[0] * len(values)
    return "".join(BLOCKS[max(1, round(v / top * (len(BLOCKS) - 1)))] if v else BLOCKS[0] for v in values)


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"
