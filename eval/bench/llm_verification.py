"""How many correct LLM answers survive citation verification, on a fixed mix of dev questions.

    python eval/bench/llm_verification.py --model /path/to/model.gguf --indexes /work/idx-main \
        --out eval/bench/llm_drafts.json                    # generate (≈15 s a question on 2 cores)
    python eval/bench/llm_verification.py --replay eval/bench/llm_drafts.json   # verification only

For each question the retrieved chunks and the model's raw draft are recorded; then the draft goes
through the answer path's own verification (`Answerer._finish`: citation parsing, support checks,
refusal) exactly as `rag ask --generator llamacpp:…` would. `--replay` re-runs only that last step
on the recorded drafts and chunks, so a change to rag/citations.py is measured in seconds.

A draft is *correct* when it is not a refusal and contains every expected fact; it is *kept* when the
verified answer still does; *thrown away* when the draft was correct and the verified answer is not.
For the questions the posts cannot answer, *let through* counts verified answers that are not refusals.
For English questions the language of the draft and of the verified answer is reported.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from rag.citations import parse_segments  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.evaluation.matching import contains_fact  # noqa: E402
from rag.evaluation.questions import Question, load_questions  # noqa: E402
from rag.generators.base import is_no_answer  # noqa: E402
from rag.lexical import is_chinese  # noqa: E402
from rag.pipeline import Engine  # noqa: E402
from rag.types import Hit  # noqa: E402

# Per corpus: how many questions of each group (spread evenly over the set, in file order).
MIX = {
    "volcano-zh-blog": {"zh": 5, "en": 4, "none": 1},
    "cncf-glossary-zh": {"zh": 4, "en": 3, "none": 1},
    "rust-blog": {"en": 6, "none": 1},
    "sample": {"zh": 2, "en": 2, "none": 1},
}
_MARKERS = re.compile(r"\[\^?\d+(?:\s*[,，、]\s*\d+)*\]|【\d+】")


@dataclass
class Case:
    corpus: str
    question: Question

    @property
    def group(self) -> str:
        if not self.question.answerable:
            return "none"
        return "zh" if is_chinese(self.question.question) else "en"


def pick(questions: list[Question], counts: dict[str, int], corpus: str) -> list[Case]:
    """`counts[group]` questions of each group, evenly spaced through the file."""
    cases: list[Case] = []
    for group, count in counts.items():
        pool = [c for c in (Case(corpus, q) for q in questions) if c.group == group]
        cases += [pool[i * len(pool) // count] for i in range(min(count, len(pool)))]
    return cases


def has_facts(question: Question, text: str) -> bool:
    clean = _MARKERS.sub("", text)
    return bool(question.answer_contains) and all(contains_fact(clean, f) for f in question.answer_contains)


def hits_from(engine: Engine, saved: list[dict[str, Any]]) -> list[Hit]:
    """Rebuild recorded hits from the index (same chunk ids, same order)."""
    chunks = {c.chunk_id: c for c in engine.index.chunks}
    posts = engine.index.posts
    return [Hit(chunks[item["chunk_id"]], posts[chunks[item["chunk_id"]].source], item["score"]) for item in saved]


def segments_report(engine: Engine, question: str, draft: str, hits: list[Hit]) -> list[dict[str, Any]]:
    """Each draft segment with its cited sources' support scores (what verification looked at)."""
    support = engine.answerer.support(question, "llamacpp")
    rows = []
    for segment in parse_segments(draft):
        scores = {n: round(support(segment.text, hits[n - 1]), 2) for n in segment.cited if 1 <= n <= len(hits)}
        best = max((round(support(segment.text, h), 2) for h in hits), default=0.0)
        rows.append({"text": segment.text, "cited": segment.cited, "support": scores, "best": best})
    return rows


def verify_case(engine: Engine, case: Case, record: dict[str, Any], hits: list[Hit]) -> dict[str, Any]:
    draft = record["draft"]
    answer = engine.answerer._finish(case.question.question, case.question.question, draft, hits, "llamacpp", {})
    english = not is_chinese(case.question.question)
    result = {
        "draft_refused": is_no_answer(draft),
        "draft_correct": not is_no_answer(draft) and has_facts(case.question, draft),
        "refused": answer.refused,
        "kept": not answer.refused and has_facts(case.question, answer.answer),
        "answer": answer.answer,
        "segments": segments_report(engine, case.question.question, draft, hits),
    }
    if english:
        result["draft_english"] = not is_chinese(_MARKERS.sub("", draft))
        result["answer_english"] = not is_chinese(answer.answer)
    return result


def load_cases(indexes: Path) -> tuple[list[Case], dict[str, Engine]]:
    registry = json.loads((ROOT / "eval/corpora.json").read_text(encoding="utf-8"))["corpora"]
    cases: list[Case] = []
    engines: dict[str, Engine] = {}
    for corpus, counts in MIX.items():
        cases += pick(load_questions(ROOT / registry[corpus]["questions"]), counts, corpus)
        engines[corpus] = Engine(Settings(index_dir=indexes / corpus))
    return cases, engines


def generate(cases: list[Case], engines: dict[str, Engine], model: Path) -> list[dict[str, Any]]:
    from rag.generators.llamacpp import LlamaCppGenerator

    records = []
    generator: LlamaCppGenerator | None = None
    for n, case in enumerate(cases, 1):
        engine = engines[case.corpus]
        generator = generator or LlamaCppGenerator(model, engine.settings)
        hits = engine.search(case.question.question)
        started = time.perf_counter()
        draft = generator.generate(case.question.question, hits)
        seconds = time.perf_counter() - started
        print(f"[{n}/{len(cases)}] {case.question.id} {seconds:.1f}s {draft[:80]!r}", flush=True)
        saved = [{"chunk_id": h.chunk.chunk_id, "score": h.score} for h in hits]
        record = {"corpus": case.corpus, "id": case.question.id, "draft": draft, "hits": saved}
        records.append({**record, "seconds": round(seconds, 1)})
    return records


def summarise(cases: list[Case], results: list[dict[str, Any]]) -> dict[str, Any]:
    answerable = [r for c, r in zip(cases, results, strict=True) if c.question.answerable]
    unanswerable = [r for c, r in zip(cases, results, strict=True) if not c.question.answerable]
    english = [r for c, r in zip(cases, results, strict=True) if c.question.answerable and c.group == "en"]
    correct = [r for r in answerable if r["draft_correct"]]
    return {
        "questions": len(results),
        "answerable": len(answerable),
        "drafts_correct": len(correct),
        "kept": sum(r["kept"] for r in correct),
        "thrown_away": sum(not r["kept"] for r in correct),
        "answers_with_facts": sum(r["kept"] for r in answerable),
        "wrong_drafts_not_refused": sum(not r["draft_correct"] and not r["refused"] for r in answerable),
        "unanswerable": len(unanswerable),
        "unanswerable_draft_refused": sum(r["draft_refused"] for r in unanswerable),
        "unanswerable_let_through": sum(not r["refused"] for r in unanswerable),
        "english_questions": len(english),
        "english_drafts_in_english": sum(r["draft_english"] for r in english),
        "english_answers_in_english": sum(r["answer_english"] for r in english if not r["refused"]),
        "english_answers_not_refused": sum(not r["refused"] for r in english),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="a GGUF instruct model (generate mode)")
    parser.add_argument("--replay", type=Path, help="a drafts file written by an earlier run: verify only")
    parser.add_argument("--indexes", type=Path, default=Path("index/dev"), help="one index per corpus, by name")
    parser.add_argument("--out", type=Path, default=Path("eval/bench/llm_drafts.json"))
    parser.add_argument("--details", action="store_true", help="print every question's verification")
    args = parser.parse_args()
    if not args.model and not args.replay:
        parser.error("give --model (generate) or --replay FILE (verify recorded drafts)")
    cases, engines = load_cases(args.indexes)
    if args.replay:
        records = json.loads(args.replay.read_text(encoding="utf-8"))["records"]
    else:
        records = generate(cases, engines, args.model)
        payload = {"model": args.model.name, "records": records}
        args.out.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    by_id = {(r["corpus"], r["id"]): r for r in records}
    cases = [c for c in cases if (c.corpus, c.question.id) in by_id]
    results = []
    for case in cases:
        record = by_id[(case.corpus, case.question.id)]
        results.append(verify_case(engines[case.corpus], case, record, hits_from(engines[case.corpus], record["hits"])))
        if args.details:
            print(json.dumps({"id": case.question.id, "group": case.group, **results[-1]}, ensure_ascii=False))
    print(json.dumps(summarise(cases, results), indent=1))


if __name__ == "__main__":
    main()
