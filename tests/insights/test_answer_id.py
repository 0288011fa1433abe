"""Every answer carries its own id (what feedback and the question log refer to)."""

from __future__ import annotations

import re

from rag.config import Settings
from rag.pipeline import Engine, ingest


def test_every_answer_has_a_fresh_32_hex_id(hashing_settings: Settings) -> None:
    ingest(hashing_settings)
    engine = Engine(hashing_settings)
    answered = engine.ask("王泽锋获得了什么奖？")
    refused = engine.ask("谁是 2019 年的诺贝尔文学奖得主？")
    unresolved = engine.ask("它是谁开发的？")
    ids = [a.to_json()["answer_id"] for a in (answered, refused, unresolved)]
    assert all(re.fullmatch("[0-9a-f]{32}", i) for i in ids)
    assert len(set(ids)) == 3
    assert not answered.refused and unresolved.refused
    streamed = [e["answer"] for e in engine.ask_stream("王泽锋获得了什么奖？") if e["event"] == "answer"][0]
    assert streamed.answer_id not in ids and streamed.to_json()["answer_id"] == streamed.answer_id
