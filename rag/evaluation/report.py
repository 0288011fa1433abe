"""`rag eval --report DIR`: report.md, a self-contained report.html, the plots, results.json, ragas.jsonl."""

from __future__ import annotations

import base64
import html
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rag.evaluation import plots
from rag.evaluation.ragas import write_ragas
from rag.evaluation.runner import EvalRun
from rag.evaluation.tables import (
    Table,
    comparison_table,
    failure_table,
    kind_table,
    latency_table,
    summary_table,
)

CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; max-width: 1400px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; text-align: left; }
td { white-space: pre-wrap; } th { background: #f3f3f3; }
.note, .meta { color: #666; font-size: 0.9em; } img { max-width: 100%; }
"""


@dataclass
class Plot:
    name: str  # file name stem
    caption: str
    png: bytes


def write_report(runs: list[EvalRun], directory: Path, meta: dict[str, Any] | None = None) -> list[Path]:
    """Write every report file for `runs` (the first run is the baseline); returns the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    meta = {"generated": datetime.now(UTC).isoformat(timespec="seconds"), **(meta or {})}
    tables = build_tables(runs)
    figures = build_plots(runs)
    written = [_write_png(directory, plot) for plot in figures]
    written.append(_write(directory / "report.md", render_markdown(meta, tables, figures)))
    written.append(_write(directory / "report.html", render_html(meta, tables, figures, runs)))
    results = json.dumps(results_json(runs, meta), ensure_ascii=False, indent=1)
    written.append(_write(directory / "results.json", results))
    for i, run in enumerate(runs):
        name = "ragas.jsonl" if i == 0 else f"ragas-{slug(run.name)}.jsonl"
        written.append(write_ragas(run, directory / name))
    return written


def results_json(runs: list[EvalRun], meta: dict[str, Any]) -> dict[str, Any]:
    """The `--json` shape: the baseline run's fields at top level, other configurations under `compare`."""
    data = {"meta": meta, **runs[0].to_json()}
    if len(runs) > 1:
        data["compare"] = [run.to_json() for run in runs[1:]]
    return data


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-")[:60] or "config"


def build_tables(runs: list[EvalRun]) -> list[Table]:
    tables = [summary_table(runs)]
    if len(runs) > 1:
        tables.append(comparison_table(runs))
    tables += [kind_table(run) for run in runs]
    tables.append(latency_table(runs))
    tables += [failure_table(run) for run in runs]
    warnings = [[run.name, w] for run in runs for w in run.warnings]
    if warnings:
        tables.append(Table("Warnings", ["config", "warning"], warnings))
    return tables


def build_plots(runs: list[EvalRun]) -> list[Plot]:
    figures = [Plot("metrics", "Metrics per configuration", plots.metric_bars(runs))]
    latency = plots.latency_histogram(runs)
    if latency is not None:
        figures.append(Plot("latency", "Total latency per question", latency))
    figures.append(Plot("kinds", f"Metrics by question kind ({runs[0].name})", plots.kind_bars(runs[0])))
    return figures


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _write_png(directory: Path, plot: Plot) -> Path:
    path = directory / f"{plot.name}.png"
    path.write_bytes(plot.png)
    return path


# --- Markdown --------------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    # Answers and posts may hold "|", "<" or newlines; none may break the table or inject HTML.
    flat = html.escape(text, quote=False).replace("|", "\\|")
    return "<br>".join(line.strip() for line in flat.splitlines()) or " "


def render_markdown(meta: dict[str, Any], tables: list[Table], figures: list[Plot]) -> str:
    lines = ["# Evaluation report", ""]
    lines += [f"- {key}: {_md_cell(str(value))}" for key, value in meta.items()] + [""]
    for table in tables[:1]:
        lines += _md_table(table)
    lines += [f"![{plot.caption}]({plot.name}.png)\n" for plot in figures]
    for table in tables[1:]:
        lines += _md_table(table)
    return "\n".join(lines)


def _md_table(table: Table) -> list[str]:
    lines = [f"## {_md_cell(table.title)}", ""]
    if table.note:
        lines += [f"_{table.note}_", ""]
    if not table.rows:
        return lines + ["(none)", ""]
    lines.append("| " + " | ".join(_md_cell(h) for h in table.header) + " |")
    lines.append("|" + "---|" * len(table.header))
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows]
    return lines + [""]


# --- HTML ------------------------------------------------------------------------------------


def render_html(meta: dict[str, Any], tables: list[Table], figures: list[Plot], runs: list[EvalRun]) -> str:
    esc = html.escape
    title = "Evaluation report — " + ", ".join(run.name for run in runs)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        '<ul class="meta">' + "".join(f"<li>{esc(k)}: {esc(str(v))}</li>" for k, v in meta.items()) + "</ul>",
        _html_table(tables[0]),
    ]
    parts += [_html_figure(plot) for plot in figures]
    parts += [_html_table(table) for table in tables[1:]]
    parts.append("</body></html>")
    return "\n".join(parts)


def _html_figure(plot: Plot) -> str:
    data = base64.b64encode(plot.png).decode("ascii")
    caption = html.escape(plot.caption)
    image = f'<img alt="{caption}" src="data:image/png;base64,{data}">'
    return f"<figure>{image}<figcaption>{caption}</figcaption></figure>"


def _html_table(table: Table) -> str:
    esc = html.escape
    out = [f"<h2>{esc(table.title)}</h2>"]
    if table.note:
        out.append(f'<p class="note">{esc(table.note)}</p>')
    if not table.rows:
        return "\n".join(out + ["<p>(none)</p>"])
    head = "".join(f"<th>{esc(h)}</th>" for h in table.header)
    out.append(f"<table><thead><tr>{head}</tr></thead><tbody>")
    out += ["<tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in row) + "</tr>" for row in table.rows]
    out.append("</tbody></table>")
    return "\n".join(out)
