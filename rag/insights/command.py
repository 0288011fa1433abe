"""`rag insights`: what readers asked, how it went, and the topics the posts do not cover.

rag.cli registers `insights_command`; the shared CLI helpers come from rag.cli_support.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from rag.cli_support import IndexOpt, JsonOpt, build_settings, console, out, run_guarded
from rag.config import Settings
from rag.errors import InputError, RagError
from rag.insights.entries import utc_now
from rag.insights.export import gaps_csv, percent, sparkline
from rag.insights.gaps import GapFinder
from rag.insights.log import log_path
from rag.insights.report import SINCE_HINT, Insights, build_insights, parse_since
from rag.insights.sqlite import SqliteQuestionLog
from rag.types import Post


def insights_command(
    since: Annotated[str, typer.Option("--since", help=f"Period to look at. {SINCE_HINT}")] = "30d",
    json_output: JsonOpt = False,
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="Also write the coverage gaps to this CSV file.")
    ] = None,
    index: IndexOpt = None,
    db: Annotated[str | None, typer.Option("--db", help="Question log: a path or sqlite:///path (RAG_DB_URL).")] = None,
) -> None:
    """Questions per day, refusal and helpful rates, latency, the most-cited posts, and coverage gaps:
    refused or 👎 questions grouped into topics, with the posts closest to each."""
    settings = build_settings(index_dir=index, db_url=db)
    insights = run_guarded(lambda: collect(settings, since))
    if csv_file is not None:
        run_guarded(lambda: _write(csv_file, gaps_csv(insights)))
    if json_output:
        out.print(json.dumps(insights.to_json(), ensure_ascii=False, indent=2))
    else:
        show(insights)


def collect(settings: Settings, since: str) -> Insights:
    """Read the log of `settings` for the period and compute its insights (gaps with the index)."""
    now = utc_now()
    start = parse_since(since, now)
    question_log = SqliteQuestionLog(log_path(settings), create=False)
    try:
        entries, feedback = question_log.entries(start), question_log.feedback(start)
    finally:
        question_log.close()
    posts, finder = _index_roles(settings)
    return build_insights(entries, feedback, start, now, posts, finder)


def _index_roles(settings: Settings) -> tuple[dict[str, Post] | None, GapFinder | None]:
    """The index's posts (titles) and a gap finder with its embedder; none without a usable index."""
    from rag.pipeline import Engine

    try:
        engine = Engine(settings)
    except RagError as exc:
        console.print(f"[yellow]No coverage gaps:[/] {escape(exc.message)}")
        return None, None
    return engine.index.posts, GapFinder(engine.embedder, engine.retriever)


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        hint = "Check that the folder exists and is writable."
        raise InputError(f"Cannot write {path}: {exc.strerror or exc}.", hint) from exc
    console.print(f"Coverage gaps written to {path}")


def show(insights: Insights) -> None:
    """Insights for a terminal: a summary table, a line of bars per day, the posts, the gaps."""
    first = insights.per_day[0]["day"] if insights.per_day else "–"
    out.print(f"[bold]Questions since {escape(first)}[/] (until {insights.until:%Y-%m-%d %H:%M} UTC)")
    table = Table(show_header=False)
    table.add_row("questions", str(insights.questions))
    table.add_row("refused", f"{insights.refused} ({percent(insights.refusal_rate)})")
    table.add_row("rated helpful", f"{insights.helpful} of {insights.feedback} ({percent(insights.helpful_rate)})")
    p50, p95 = insights.latency_ms["p50"], insights.latency_ms["p95"]
    table.add_row("latency", "–" if p50 is None else f"p50 {p50:.0f} ms, p95 {p95:.0f} ms")
    counts = [day["questions"] for day in insights.per_day]
    table.add_row("per day", f"{sparkline(counts)}  (most {max(counts, default=0)})")
    out.print(table)
    if insights.most_cited:
        cited = Table(title="Most-cited posts")
        cited.add_column("citations", justify="right")
        cited.add_column("post")
        for post in insights.most_cited:
            cited.add_row(str(post["citations"]), escape(f"{post['title']}  ({post['source']})"))
        out.print(cited)
    _show_gaps(insights)


def _show_gaps(insights: Insights) -> None:
    out.print("[bold]Coverage gaps[/] (refused or 👎 questions, by topic)")
    if not insights.gaps:
        out.print(f"  {escape(insights.gaps_note)}")
    for rank, topic in enumerate(insights.gaps, 1):
        out.print(f"{rank}. {topic.label}", markup=False)
        out.print(f"   asked {topic.count}× ({topic.refused} refused, {topic.unhelpful} 👎) · {', '.join(topic.terms)}")
        for example in topic.examples[1:4]:
            out.print(f"   – {example}", markup=False)
        closest = "; ".join(f"{post['title']} ({post['source']})" for post in topic.closest)
        if closest:
            out.print(f"   closest posts: {closest}", markup=False)
