"""The fitted models are data: they round-trip, and a missing or broken file says how to fix it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.errors import ConfigError
from rag.generators.extractive.calibration import DEFAULT_PATH, Calibration, Linear, load_calibration
from rag.generators.extractive.features import FULL, LEXICAL, QUESTION


def test_linear_is_a_standardised_logistic_model() -> None:
    model = Linear(("a", "b"), (1.0, 0.0), (2.0, 1.0), (2.0, -1.0), 0.5)
    assert model.logit({"a": 3.0, "b": 1.0}) == pytest.approx(0.5 + 2.0 * 1.0 - 1.0)
    assert model.probability({"a": 1.0, "b": 0.0}) == pytest.approx(1 / (1 + 2.718281828**-0.5), rel=1e-6)
    assert 0.0 < model.probability({"a": 1e9}) <= 1.0  # no overflow


def test_the_packaged_calibration_loads_and_uses_the_features_the_code_computes() -> None:
    calibration = load_calibration()
    assert calibration.ranker_lexical.names == LEXICAL
    assert calibration.ranker.names == FULL
    assert calibration.refusal.names == QUESTION
    assert 0.0 < calibration.answer_threshold < 1.0
    assert calibration.fitted_on  # says what it was fitted on
    assert Calibration.from_json(json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))) == calibration


def test_round_trip(tmp_path: Path) -> None:
    calibration = load_calibration()
    path = tmp_path / "c.json"
    path.write_text(json.dumps(calibration.to_json()), encoding="utf-8")
    assert load_calibration(path) == calibration


def test_missing_or_broken_files_say_how_to_fix_them(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="fit"):
        load_calibration(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ConfigError, match="unreadable"):
        load_calibration(tmp_path / "bad.json")
