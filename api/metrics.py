"""Prometheus text exposition written by hand (prometheus_client is not a dependency).

Counters and histograms live behind one lock: requests finish on the event loop while stage
timings arrive from worker threads.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
Labels = tuple[tuple[str, str], ...]


def _labels(labels: Labels, extra: str = "") -> str:
    parts = [f'{k}="{_escape(v)}"' for k, v in labels]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def _le(bound: str) -> str:
    return 'le="' + bound + '"'


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Histogram:
    def __init__(self, buckets: Iterable[float] = LATENCY_BUCKETS) -> None:
        self.buckets = tuple(buckets)
        self.counts = [0] * len(self.buckets)
        self.total = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        for i, bound in enumerate(self.buckets):
            if value <= bound:
                self.counts[i] += 1
        self.total += value
        self.count += 1

    def lines(self, name: str, labels: Labels) -> list[str]:
        bounds = [*(str(b) for b in self.buckets), "+Inf"]
        counts = [*self.counts, self.count]
        rows = [f"{name}_bucket{_labels(labels, _le(b))} {c}" for b, c in zip(bounds, counts, strict=True)]
        rows.append(f"{name}_sum{_labels(labels)} {self.total:.6f}")
        rows.append(f"{name}_count{_labels(labels)} {self.count}")
        return rows


class Metrics:
    """Requests per route/method/status, request latency, answer stage latency, errors."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[Labels, int] = defaultdict(int)
        self.latency: dict[Labels, Histogram] = {}
        self.stages: dict[Labels, Histogram] = {}
        self.errors: dict[Labels, int] = defaultdict(int)

    def record_request(self, route: str, method: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(("route", route), ("method", method), ("status", str(status)))] += 1
            self.latency.setdefault((("route", route),), Histogram()).observe(seconds)

    def record_timings(self, timings_ms: dict[str, float]) -> None:
        """Stage timings of one answer (retrieve / generate / total), as reported by the engine."""
        with self._lock:
            for stage, ms in timings_ms.items():
                self.stages.setdefault((("stage", stage),), Histogram()).observe(ms / 1000)

    def record_error(self, error: str) -> None:
        with self._lock:
            self.errors[(("error", error),)] += 1

    def render(self, gauges: dict[str, tuple[str, float]]) -> str:
        """The /metrics body; `gauges` maps name -> (help, value) for point-in-time values."""
        out: list[str] = []
        with self._lock:
            _counter(out, "blograg_requests_total", "HTTP requests by route, method and status.", self.requests)
            _histograms(out, "blograg_request_duration_seconds", "HTTP request latency.", self.latency)
            _histograms(out, "blograg_answer_stage_seconds", "Time per answer stage (Answer.timings_ms).", self.stages)
            _counter(out, "blograg_errors_total", "Errors returned to clients, by error class.", self.errors)
        for name, (help_text, value) in gauges.items():
            out += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {value:g}"]
        return "\n".join(out) + "\n"


def _counter(out: list[str], name: str, help_text: str, values: dict[Labels, int]) -> None:
    out += [f"# HELP {name} {help_text}", f"# TYPE {name} counter"]
    out += [f"{name}{_labels(labels)} {value}" for labels, value in sorted(values.items())]


def _histograms(out: list[str], name: str, help_text: str, values: dict[Labels, Histogram]) -> None:
    out += [f"# HELP {name} {help_text}", f"# TYPE {name} histogram"]
    for labels, histogram in sorted(values.items()):
        out += histogram.lines(name, labels)
