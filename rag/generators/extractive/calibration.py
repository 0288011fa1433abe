"""The fitted part of the extractive answerer, loaded from data: two passage rankers and the
refusal model (logistic regressions fitted by eval/calibration/fit.py on the dev corpora), plus the
tuning knobs that are choices rather than fits. Nothing fitted is a constant in code."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.errors import ConfigError

DEFAULT_PATH = Path(__file__).with_name("calibration.json")


@dataclass(frozen=True)
class Tuning:
    """Choices about what to show, in one place."""

    dense_pool: int = 8  # sentences embedded per question (the latency budget)
    dense_pool_cross_lingual: int = 12  # more when words cannot match across languages
    max_passages: int = 3
    keep_gap: float = 1.0  # a further passage must score within this many log-odds of the best
    # A passage of another post than the best one's is shown only when the ranker itself finds it
    # likelier than not to hold an answer (log-odds >= 0): on the dev sets two in three such
    # passages that scored lower cited a post that does not answer the question.
    min_other_post_score: float = 0.0
    max_answer_chars: int = 700
    # The refusal threshold is set so that at most this share of answerable dev questions is
    # refused in each dev corpus (measured with models not fitted on that corpus).
    max_false_refusals: float = 0.10


@dataclass(frozen=True)
class Linear:
    """A standardised linear model: logit = intercept + sum(coef * (x - mean) / scale)."""

    names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float

    def logit(self, features: dict[str, float]) -> float:
        total = self.intercept
        for name, mean, scale, coef in zip(self.names, self.mean, self.scale, self.coef, strict=True):
            total += coef * (features.get(name, 0.0) - mean) / (scale or 1.0)
        return total

    def probability(self, features: dict[str, float]) -> float:
        return 1.0 / (1.0 + math.exp(-max(min(self.logit(features), 50.0), -50.0)))

    def to_json(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in vars(self).items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Linear:
        return cls(
            tuple(data["names"]),
            tuple(data["mean"]),
            tuple(data["scale"]),
            tuple(data["coef"]),
            float(data["intercept"]),
        )


@dataclass(frozen=True)
class Calibration:
    """The three fitted models, the refusal threshold and where they came from."""

    ranker_lexical: Linear  # picks which sentences are worth embedding
    ranker: Linear  # ranks passages with sentence similarity too
    refusal: Linear  # probability that the best passage answers the question
    answer_threshold: float  # answer when that probability is at least this
    tuning: Tuning = field(default_factory=Tuning)
    fitted_on: tuple[str, ...] = ()
    embedder: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "ranker_lexical": self.ranker_lexical.to_json(),
            "ranker": self.ranker.to_json(),
            "refusal": self.refusal.to_json(),
            "answer_threshold": self.answer_threshold,
            "tuning": vars(self.tuning),
            "fitted_on": list(self.fitted_on),
            "embedder": self.embedder,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Calibration:
        return cls(
            Linear.from_json(data["ranker_lexical"]),
            Linear.from_json(data["ranker"]),
            Linear.from_json(data["refusal"]),
            float(data["answer_threshold"]),
            Tuning(**data.get("tuning", {})),
            tuple(data.get("fitted_on", ())),
            str(data.get("embedder", "")),
        )


def load_calibration(path: str | Path | None = None) -> Calibration:
    """The packaged calibration, or another one (`extractive:<path>`, e.g. a leave-one-out fold)."""
    target = Path(path) if path else DEFAULT_PATH
    try:
        return Calibration.from_json(json.loads(target.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise ConfigError(
            f"No extractive calibration at {target}.",
            "Use 'extractive' for the packaged one, or fit one: python eval/calibration/fit.py",
        ) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"The extractive calibration {target} is unreadable ({exc}).",
            "Re-fit it with python eval/calibration/fit.py, or use plain 'extractive'.",
        ) from None
