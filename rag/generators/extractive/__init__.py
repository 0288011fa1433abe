"""`extractive` — the default generator: no model, answers with the posts' own sentences.

Two decisions, kept apart. What to show: the sentences of the retrieved chunks (and neighbouring
pairs) are ranked by fitted models over signals that carry across blogs (coverage of the question's
terms weighted by the index's own document frequencies, dense similarity relative to the query's
background, position, answer type). Whether to answer: one calibrated probability that the best
passage answers the question, over retrieval strength, coverage of the question's rare terms, the
share of the question the index never mentions, similarity and answer-type match. The models are
data (calibration.json), fitted by eval/calibration/fit.py; `extractive:<path>` loads another fit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from rag.generators.base import NO_ANSWER, GeneratorContext
from rag.generators.extractive.calibration import Calibration, load_calibration
from rag.generators.extractive.candidates import Candidate
from rag.generators.extractive.compose import choose, write
from rag.generators.extractive.evidence import Evidence, embed_pool, gather, score
from rag.generators.extractive.question import is_junk
from rag.names import localise_names
from rag.types import Hit


@dataclass
class Decision:
    """The evidence, the passages chosen, and the probability that they answer the question."""

    evidence: Evidence | None
    chosen: list[Candidate]
    probability: float

    @property
    def refused(self) -> bool:
        return not self.chosen


class ExtractiveGenerator:
    spec = "extractive"

    def __init__(self, context: GeneratorContext, calibration: Calibration) -> None:
        self.context = context
        self.calibration = calibration

    def generate(self, question: str, sources: list[Hit], history: list[dict[str, str]] | None = None) -> str:
        decision = self.decide(question, sources)
        if decision.refused or decision.evidence is None:
            return NO_ANSWER
        return write(decision.evidence.question, decision.chosen, sources, self.calibration.tuning)

    def stream(self, question: str, sources: list[Hit], history: list[dict[str, str]] | None = None) -> Iterator[str]:
        draft = self.generate(question, sources, history)
        for piece in re.split(r"(?<=[。！？.!?\]\n])", draft):
            if piece:
                yield piece

    def decide(self, question: str, sources: list[Hit]) -> Decision:
        """Rank the evidence, then answer only if the refusal model says the best passage answers."""
        evidence = self.evidence(question, sources)
        if evidence is None:
            return Decision(None, [], 0.0)
        chosen = choose(evidence.question, evidence.candidates, sources, self.calibration.tuning)
        probability = self.calibration.refusal.probability(evidence.question_features(chosen))
        if probability < self.calibration.answer_threshold:
            return Decision(evidence, [], probability)
        return Decision(evidence, chosen, probability)

    def evidence(self, question: str, sources: list[Hit]) -> Evidence | None:
        """Scored candidates, or None when there is nothing to weigh (junk question, no passages)."""
        # A romanised Chinese name in an English question is matched to the posts' spelling.
        question = localise_names(question, [f"{h.post.title}\n{h.chunk.text}" for h in sources])
        evidence = gather(question, sources, self.context)
        if is_junk(evidence.question) or not evidence.candidates:
            return None
        score(evidence, self.calibration.ranker_lexical)
        embed_pool(evidence, self.context, self.calibration.tuning)
        if not evidence.candidates:
            return None
        score(evidence, self.calibration.ranker)
        return evidence


def create(arg: str, context: GeneratorContext) -> ExtractiveGenerator:
    return ExtractiveGenerator(context, load_calibration(arg or None))
