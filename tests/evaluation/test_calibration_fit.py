"""eval/calibration/fit.py's own pieces: the constrained logistic fit and the refusal operating point."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "eval" / "calibration"))

import fit  # noqa: E402


def test_fit_linear_matches_scikit_learn_when_no_sign_is_binding() -> None:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    rows = [{"cov": float(rng.random()), "length": float(rng.normal())} for _ in range(400)]
    y = [int(r["cov"] * 3 + r["length"] + rng.normal() * 0.5 > 1.5) for r in rows]
    model = fit.fit_linear(rows, y, ("cov", "length"))
    x = np.array([[r["cov"], r["length"]] for r in rows])
    reference = LogisticRegression(class_weight="balanced").fit((x - x.mean(0)) / x.std(0), y)
    assert np.allclose(model.coef, reference.coef_[0], atol=0.01)


def test_a_known_sign_is_kept_against_noise() -> None:
    rng = np.random.default_rng(1)
    rows = [{"cov": float(rng.random())} for _ in range(300)]
    y = [int(r["cov"] < 0.5) for r in rows]  # data that says more coverage is worse
    assert fit.fit_linear(rows, y, ("cov",)).coef[0] == 0.0  # the fit may ignore it, never invert it


def test_the_threshold_refuses_what_it_can_within_the_false_refusal_budget() -> None:
    probabilities = [0.1, 0.2, 0.3, 0.5, 0.35, 0.6, 0.7, 0.8, 0.85, 0.95]
    answerable = [0, 0, 0, 0, 1, 1, 1, 1, 1, 1]
    threshold = fit.refusal_threshold(probabilities, answerable, max_false_refusals=0.0)
    assert threshold == 0.35  # refuses 0.1–0.3; the next step would refuse an answerable one
    # One answerable refusal (0.35) allowed buys one more unanswerable (0.5); no step refuses more
    # answerable questions without refusing another unanswerable one.
    assert fit.refusal_threshold(probabilities, answerable, max_false_refusals=0.2) == 0.6


def test_the_false_refusal_budget_holds_in_every_corpus_not_only_on_average() -> None:
    # Corpus "a" has one answerable question at 0.4; pooled, refusing it costs 1 of 6 answerable
    # (within a 0.2 budget) and buys the unanswerable one at 0.45, but it is 1 of 2 of corpus "a".
    probabilities = [0.1, 0.45, 0.4, 0.9, 0.5, 0.6, 0.7, 0.8]
    answerable = [0, 0, 1, 1, 1, 1, 1, 1]
    corpora = ["a", "b", "a", "a", "b", "b", "b", "b"]
    assert fit.refusal_threshold(probabilities, answerable, 0.2) == 0.5
    assert fit.refusal_threshold(probabilities, answerable, 0.2, corpora) == 0.4
