"""PNG plots for the report, drawn with matplotlib's Agg canvas (no display, no pyplot global state)."""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from rag.evaluation.metrics import METRICS
from rag.evaluation.runner import EvalRun

# Plot labels stay ASCII (metric names, config names, kinds): the default font has no CJK glyphs.


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


def metric_bars(runs: list[EvalRun]) -> bytes:
    """Grouped horizontal bars: one group per metric, one bar per configuration."""
    metrics = [m for m in METRICS if any(run.summary.get(m) is not None for run in runs)]
    fig = Figure(figsize=(8, 0.3 * len(metrics) * len(runs) + 1.5))
    ax = fig.add_subplot()
    height = 0.8 / len(runs)
    positions = np.arange(len(metrics))
    for i, run in enumerate(runs):
        values = [run.summary.get(m) or 0.0 for m in metrics]
        ax.barh(positions + i * height, values, height=height, label=run.name)
    ax.set_yticks(positions + height * (len(runs) - 1) / 2, labels=metrics)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("score (false_refusal_rate: lower is better)")
    ax.legend(loc="lower right", fontsize="small")
    ax.set_title("Metrics per configuration")
    return _png(fig)


def latency_histogram(runs: list[EvalRun], stage: str = "total") -> bytes | None:
    """Histogram of one stage's latency per question; None when no run recorded that stage."""
    series = [(run.name, _stage_ms(run, stage)) for run in runs]
    series = [(name, values) for name, values in series if values]
    if not series:
        return None
    fig = Figure(figsize=(8, 3.5))
    ax = fig.add_subplot()
    ax.hist([values for _, values in series], bins=20, label=[name for name, _ in series])
    ax.set_xlabel(f"{stage} latency per question (ms)")
    ax.set_ylabel("questions")
    ax.legend(fontsize="small")
    ax.set_title(f"Latency ({stage})")
    return _png(fig)


def _stage_ms(run: EvalRun, stage: str) -> list[float]:
    return [r.timings_ms[stage] for r in run.records if stage in r.timings_ms and not r.error]


KIND_METRICS = ("hit@5", "answer_contains", "refusal_accuracy")


def kind_bars(run: EvalRun, metrics: tuple[str, ...] = KIND_METRICS) -> bytes:
    kinds = list(run.by_kind)
    fig = Figure(figsize=(8, 3.5))
    ax = fig.add_subplot()
    width = 0.8 / len(metrics)
    positions = np.arange(len(kinds))
    for i, metric in enumerate(metrics):
        values = [run.by_kind[k].get(metric) for k in kinds]
        ax.bar(positions + i * width, [v or 0.0 for v in values], width=width, label=metric)
    ax.set_xticks(positions + width * (len(metrics) - 1) / 2, labels=kinds, rotation=20)
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize="small")
    ax.set_title(f"By kind ({run.name}); a missing bar means the metric does not apply")
    return _png(fig)
