"""Cold ingest of the bundled posts (per stage), index size on disk, and in-process latency of
`search` and `ask` (extractive) over the sample question set, with the index loaded.

    python eval/bench/bench_query.py [--questions eval/questions/sample.jsonl] [--repeat 3]

A table, not a test; about a minute on 2 cores (most of it embedding the bundled posts).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from rag.config import SAMPLE_POSTS_DIR, Settings
from rag.pipeline import Engine, ingest


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def timed(call: object, *args: object) -> float:
    started = time.perf_counter()
    call(*args)  # type: ignore[operator]
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=Path, default=Path("eval/questions/sample.jsonl"))
    parser.add_argument("--repeat", type=int, default=3, help="passes over the question set")
    args = parser.parse_args()
    questions = [json.loads(line)["question"] for line in args.questions.read_text().splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(index_dir=Path(tmp) / "index", posts=[SAMPLE_POSTS_DIR])
        report = ingest(settings)
        print(f"cold ingest of {len(report.indexed)} posts, {report.chunks} chunks:")
        for stage, seconds in report.seconds.items():
            print(f"  {stage:<6} {seconds:7.2f} s")
        print(f"  total  {sum(report.seconds.values()):7.2f} s")
        print(f"index on disk: {folder_bytes(settings.index_dir) / 1024:.0f} KiB")
        started = time.perf_counter()
        engine = Engine(settings)
        engine.ask(questions[0])  # warm jieba, pypinyin and the model
        print(f"engine load + first answer: {time.perf_counter() - started:.2f} s")
        search = [timed(engine.search, q) for _ in range(args.repeat) for q in questions]
        answers = [engine.ask(q) for _ in range(args.repeat) for q in questions]
    print(f"\n{len(questions)} questions x {args.repeat}, in process (ms):")
    print(f"{'':<22}{'p50':>8}{'p95':>9}{'mean':>9}")
    rows = {"search": search}
    for stage in ("retrieve", "generate", "total"):
        rows[f"ask: {stage}"] = [a.timings_ms[stage] for a in answers]
    for name, values in rows.items():
        p50, p95, mean = statistics.median(values), percentile(values, 0.95), statistics.mean(values)
        print(f"{name:<22}{p50:8.1f}{p95:9.1f}{mean:9.1f}")


if __name__ == "__main__":
    main()
