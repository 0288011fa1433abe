"""`rag eval QUESTIONS`: run a question set, print the metrics, optionally write a report.

rag.cli registers `eval_command`; the shared CLI helpers come from rag.cli_support.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rag.cli_support import PermalinkOpt, SiteUrlOpt, build_settings, console, out, progress_bar, run_guarded
from rag.config import Settings
from rag.evaluation.configs import EvalConfig, effective, parse_compare, prepare
from rag.evaluation.metrics import METRICS
from rag.evaluation.questions import Question, load_questions
from rag.evaluation.runner import EvalRun, require_known_posts, run_eval

COMPARE_HELP = (
    "Also evaluate another configuration: comma-separated key=value (generator, embedder, chunk_tokens, "
    "top_k); a repeated key starts a new configuration. Repeatable. Another embedder or chunk size gets "
    "its own index in <index>-compare-<name>."
)
BarUpdate = Callable[[str, int, int], None]  # update(label, done, total)


def eval_command(
    questions: Annotated[Path, typer.Argument(help="Question file (.jsonl, or .yaml/.yml).")],
    index: Annotated[Path | None, typer.Option("--index", help="Index folder (RAG_INDEX_DIR).")] = None,
    generator: Annotated[str | None, typer.Option("--generator", help="Generator spec (RAG_GENERATOR).")] = None,
    embedder: Annotated[str | None, typer.Option("--embedder", help="Embedder spec (RAG_EMBEDDER).")] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write report.md, report.html, plots and ragas.jsonl here.")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the metrics as one JSON object.")] = False,
    compare: Annotated[list[str] | None, typer.Option("--compare", help=COMPARE_HELP)] = None,
    posts: Annotated[
        list[Path] | None,
        typer.Option("--posts", help="Post folders for compare indexes (default: the main index's roots)."),
    ] = None,
    site_url: SiteUrlOpt = None,
    permalink: PermalinkOpt = None,
) -> None:
    """Evaluate retrieval and answers on a question set (hit@k, MRR, nDCG, facts, citations, refusals)."""
    settings = build_settings(
        index_dir=index, embedder=embedder, generator=generator, site_url=site_url, permalink=permalink
    )

    def body() -> list[EvalRun]:
        question_list = load_questions(questions)
        configs = [EvalConfig("baseline")] + parse_compare(compare or [])
        return evaluate_configs(settings, question_list, configs, posts, console, label=str(questions))

    runs = run_guarded(body)
    meta = {"questions_file": str(questions), "index": str(settings.index_dir)}
    if report is not None:
        from rag.evaluation.report import write_report

        write_report(runs, report, meta)
        console.print(f"Report written to {escape(str(report / 'report.html'))}")
    if json_output:
        from rag.evaluation.report import results_json

        typer.echo(json.dumps(results_json(runs, meta), ensure_ascii=False, indent=2))
    else:
        print_summary(runs)


def evaluate_configs(
    base: Settings,
    questions: list[Question],
    configs: list[EvalConfig],
    posts: list[Path] | None,
    console: Console,
    label: str = "the question set",
) -> list[EvalRun]:
    """One run per distinct configuration; engines are shared by configurations with the same index."""
    from rag.pipeline import Engine, ingest

    runs: list[EvalRun] = []
    engines: dict[tuple[str, str], Any] = {}
    seen: list[dict[str, Any]] = []
    for config in configs:
        settings, own_index = prepare(base, config, posts)
        if effective(settings) in seen:
            console.print(f"[yellow]Skipping {escape(config.name)}:[/] same settings as an earlier configuration.")
            continue
        seen.append(effective(settings))
        key = (str(settings.index_dir), settings.embedder)
        if key not in engines:
            if own_index:
                with progress_bar() as update:
                    ingest(settings, progress=lambda stage, done, total: update(f"ingest {stage}", done, total))
            engines[key] = Engine(settings)
            require_known_posts(engines[key], questions, str(settings.index_dir), label)
        with progress_bar() as update:
            runs.append(_run_one(engines[key], questions, config, settings, update))
    return runs


def _run_one(
    engine: Any, questions: list[Question], config: EvalConfig, settings: Settings, update: BarUpdate
) -> EvalRun:
    def progress(done: int, total: int, question_id: str) -> None:
        update(f"eval {config.name}", done, total)

    return run_eval(
        engine,
        questions,
        name=config.name,
        config=effective(settings),
        generator=settings.generator,
        top_k=settings.top_k,
        progress=progress,
    )


def print_summary(runs: list[EvalRun]) -> None:
    table = Table(title="Evaluation")
    table.add_column("metric")
    for run in runs:
        table.add_column(escape(run.name), justify="right")
    for metric in ("questions", "passed", *METRICS):
        table.add_row(metric, *[_cell(run.summary.get(metric)) for run in runs])
    for stage in dict.fromkeys(stage for run in runs for stage in run.latency_ms):
        table.add_row(f"{stage} ms p50 / p95", *[_ms(run.latency_ms.get(stage)) for run in runs])
    out.print(table)
    for run in runs:
        for warning in run.warnings:
            out.print(f"[yellow]warning[/] ({escape(run.name)}): {escape(warning)}")


def _cell(value: Any) -> str:
    return "—" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def _ms(spread: dict[str, float] | None) -> str:
    return "—" if spread is None else f"{spread['p50']:.0f} / {spread['p95']:.0f}"
