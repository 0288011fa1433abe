"""/admin/insights as one server-rendered HTML page: summary figures, charts as inline SVG, the
most-cited posts and the coverage gaps. No script and no inline style (the page runs under the
app's strict CSP): colours come from /static/insights.css, shapes from SVG attributes.
Every string from the log or the posts goes through `esc`."""

from __future__ import annotations

import math
import unicodedata
from html import escape
from typing import Any
from urllib.parse import urlencode

from rag.insights.export import percent
from rag.insights.gaps import GapTopic
from rag.insights.report import Insights

PERIODS = ("7d", "30d", "90d", "all")
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 200, 52, 24, 10


def esc(value: Any) -> str:
    return escape(str(value), quote=True)


def render_page(insights: Insights, since: str) -> str:
    figures = [
        (insights.questions, "questions"),
        (percent(insights.refusal_rate), f"refused ({insights.refused})"),
        (percent(insights.helpful_rate), f"rated helpful ({insights.helpful} of {insights.feedback})"),
        (_ms(insights.latency_ms["p50"]), "latency p50"),
        (_ms(insights.latency_ms["p95"]), "latency p95"),
    ]
    cards = "".join(f'<div class="card"><b>{esc(v)}</b><span>{esc(label)}</span></div>' for v, label in figures)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>blograg · What readers asked</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/insights.css">
</head>
<body>
<header>
<h1>What readers asked</h1>
<p class="period">{esc(_period(insights))}</p>
<nav aria-label="Period">{_period_links(since)} · <a href="?{_query(since, "json")}">JSON</a></nav>
</header>
<main>
<section class="cards" aria-label="Summary">{cards}</section>
<section><h2>Questions per day</h2>{day_chart(insights.per_day)}
<p class="legend"><span class="key answered"></span> answered <span class="key refused"></span> refused</p></section>
<section><h2>Refusal rate per day</h2>{rate_chart(insights.per_day)}</section>
<section><h2>Most-cited posts</h2>{cited_chart(insights.most_cited)}</section>
<section><h2>Coverage gaps</h2>
<p class="hint">Refused questions and answers rated unhelpful, grouped into topics: what readers wanted that the
posts don't say.
<a href="?{_query(since, "csv")}">Download as CSV</a></p>
{_gaps(insights)}
</section>
</main>
</body>
</html>
"""


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f} ms"


def _period(insights: Insights) -> str:
    start = insights.since.strftime("%Y-%m-%d %H:%M") if insights.since else "the first logged question"
    return f"From {start} to {insights.until:%Y-%m-%d %H:%M} UTC"


def _query(since: str, fmt: str | None = None) -> str:
    return esc(urlencode({"since": since, **({"format": fmt} if fmt else {})}))


def _period_links(since: str) -> str:
    links = []
    for period in PERIODS:
        current = ' aria-current="page"' if period == since else ""
        links.append(f'<a href="?{_query(period)}"{current}>{esc(period)}</a>')
    return " ".join(links)


def _svg(label: str, body: str, height: int = HEIGHT) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{esc(label)}" '
        f'xmlns="http://www.w3.org/2000/svg">{body}</svg>'
    )


def _axis(top_label: str, first: str, last: str) -> str:
    base = HEIGHT - BOTTOM
    return (
        f'<line class="axis" x1="{LEFT}" y1="{base}" x2="{WIDTH}" y2="{base}"/>'
        f'<line class="grid" x1="{LEFT}" y1="{TOP}" x2="{WIDTH}" y2="{TOP}"/>'
        f'<text class="tick" x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end">{esc(top_label)}</text>'
        f'<text class="tick" x="{LEFT - 6}" y="{base}" text-anchor="end">0</text>'
        f'<text class="tick" x="{LEFT}" y="{HEIGHT - 6}">{esc(first)}</text>'
        f'<text class="tick" x="{WIDTH}" y="{HEIGHT - 6}" text-anchor="end">{esc(last)}</text>'
    )


def day_chart(days: list[dict[str, Any]]) -> str:
    """Stacked bars per day: answered below, refused on top; a tooltip per day."""
    if not days:
        return '<p class="empty">No questions in this period.</p>'
    top = max(max(d["questions"] for d in days), 1)
    step = (WIDTH - LEFT) / len(days)
    scale = (HEIGHT - BOTTOM - TOP) / top
    bars = []
    for i, day in enumerate(days):
        x, width = LEFT + i * step + step * 0.1, max(step * 0.8, 1.0)
        answered, refused = day["questions"] - day["refused"], day["refused"]
        y_answered = HEIGHT - BOTTOM - answered * scale
        y_refused = y_answered - refused * scale
        tip = f"{day['day']}: {day['questions']} questions, {refused} refused"
        bars.append(
            f"<g><title>{esc(tip)}</title>"
            f'<rect class="bar answered" x="{x:.1f}" y="{y_answered:.1f}" width="{width:.1f}" '
            f'height="{answered * scale:.1f}"/>'
            f'<rect class="bar refused" x="{x:.1f}" y="{y_refused:.1f}" width="{width:.1f}" '
            f'height="{refused * scale:.1f}"/></g>'
        )
    return _svg("Questions per day", _axis(str(top), days[0]["day"], days[-1]["day"]) + "".join(bars))


def rate_chart(days: list[dict[str, Any]]) -> str:
    """The share of each day's questions that were refused, as a line (days without questions skipped);
    the scale ends at the next 10 % above the highest day, so a steady 15 % is not a flat line at 0."""
    asked = [(i, d) for i, d in enumerate(days) if d["questions"]]
    if not asked:
        return '<p class="empty">No questions in this period.</p>'
    highest = max(d["refused"] / d["questions"] for _, d in asked)
    top = max(math.ceil(highest * 10 - 1e-9) / 10, 0.1)
    step = (WIDTH - LEFT) / len(days)
    span = HEIGHT - BOTTOM - TOP
    points, dots = [], []
    for i, day in asked:
        rate = day["refused"] / day["questions"]
        x, y = LEFT + (i + 0.5) * step, HEIGHT - BOTTOM - rate / top * span
        points.append(f"{x:.1f},{y:.1f}")
        tip = f"{day['day']}: {rate * 100:.0f} % refused ({day['refused']} of {day['questions']})"
        dots.append(f'<circle class="dot" cx="{x:.1f}" cy="{y:.1f}" r="3"><title>{esc(tip)}</title></circle>')
    line = f'<polyline class="line" points="{" ".join(points)}"/>'
    axis = _axis(f"{top * 100:.0f} %", days[0]["day"], days[-1]["day"])
    return _svg("Refusal rate per day", axis + line + "".join(dots))


def _clip(text: str, budget: int = 44) -> str:
    """`text` cut to fit a label: a wide (CJK) character takes two units of the budget."""
    used = 0
    for n, char in enumerate(text):
        used += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
        if used > budget:
            return text[:n].rstrip() + "…"
    return text


def cited_chart(posts: list[dict[str, Any]]) -> str:
    """Horizontal bars: how often each post was cited."""
    if not posts:
        return '<p class="empty">No answer cited a post in this period.</p>'
    row, label_width = 26, 300
    top = max(p["citations"] for p in posts)
    rows = []
    for n, post in enumerate(posts):
        y = n * row + 4
        width = (WIDTH - label_width - 60) * post["citations"] / top
        title = _clip(post["title"])
        rows.append(
            f"<g><title>{esc(post['title'])} ({esc(post['source'])}): {post['citations']} citations</title>"
            f'<text class="label" x="{label_width - 8}" y="{y + 15}" text-anchor="end">{esc(title)}</text>'
            f'<rect class="bar answered" x="{label_width}" y="{y}" width="{width:.1f}" height="{row - 8}"/>'
            f'<text class="tick" x="{label_width + width + 6:.1f}" y="{y + 15}">{post["citations"]}</text></g>'
        )
    return _svg("Most-cited posts", "".join(rows), height=len(posts) * row + 8)


def _gaps(insights: Insights) -> str:
    if not insights.gaps:
        return f'<p class="empty">{esc(insights.gaps_note)}</p>'
    return '<ol class="gaps">' + "".join(_gap(topic) for topic in insights.gaps) + "</ol>"


def _gap(topic: GapTopic) -> str:
    terms = "".join(f'<span class="term">{esc(term)}</span>' for term in topic.terms)
    examples = "".join(f"<li>{esc(question)}</li>" for question in topic.examples[1:])
    closest = ", ".join(f'<a href="{esc(_post_href(post))}">{esc(post["title"])}</a>' for post in topic.closest)
    return (
        f'<li class="gap"><h3>{esc(topic.label)}</h3>'
        f'<p class="meta">asked {topic.count}× · {topic.refused} refused · {topic.unhelpful} rated unhelpful</p>'
        f'<p class="terms">{terms}</p>'
        + (f'<ul class="examples">{examples}</ul>' if examples else "")
        + (f'<p class="closest">Closest posts: {closest}</p>' if closest else "")
        + "</li>"
    )


def _post_href(post: dict[str, Any]) -> str:
    """The post as published when it has a web address, else the chat page's viewer."""
    url = post.get("url")
    if isinstance(url, str) and url.startswith(("https://", "http://")):
        return url
    return "/#" + urlencode({"post": post["source"]})
