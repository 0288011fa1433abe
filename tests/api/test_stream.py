"""POST /ask as server-sent events: event order, the final answer, resets, and errors mid-stream."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rag.errors import GeneratorError
from tests.api.helpers import parse_sse

Events = list[tuple[str, dict[str, Any]]]


def stream(client: TestClient, payload: dict[str, Any], headers: dict[str, str] | None = None) -> Events:
    with client.stream("POST", "/ask", json=payload, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        return parse_sse(response.iter_lines())


def test_event_order_meta_tokens_citations_done(client: TestClient) -> None:
    events = stream(client, {"question": "CNCF TOC 有多少个席位？", "stream": True})
    names = [name for name, _ in events]
    assert names[0] == "meta" and names[-2:] == ["citations", "done"]
    assert set(names[1:-2]) == {"token"} and len(names) > 4
    meta, final = events[0][1], events[-2][1]
    assert meta["query"] == "CNCF TOC 有多少个席位？"
    assert meta["sources"] and set(meta["sources"][0]) >= {"source", "chunk_id", "start", "end", "text"}
    assert final["refused"] is False and final["citations"] and "[1]" in final["answer"]
    # The final answer is the authority: it matches the JSON endpoint, not necessarily the raw tokens.
    again = client.post("/ask", json={"question": "CNCF TOC 有多少个席位？"}).json()
    assert final == {**again, "timings_ms": final["timings_ms"], "answer_id": final["answer_id"]}
    assert len(final["answer_id"]) == 32 and final["answer_id"] != again["answer_id"]  # one id per answer
    assert events[-1][1] == {"timings_ms": final["timings_ms"]}


def test_accept_header_selects_streaming(client: TestClient) -> None:
    events = stream(client, {"question": "How do I set a TTL in Redis?"}, {"Accept": "text/event-stream"})
    assert [n for n, _ in events][-2:] == ["citations", "done"]


def test_refusal_streams_as_a_refused_answer(client: TestClient) -> None:
    events = stream(client, {"question": "谁是 2019 年的诺贝尔文学奖得主？", "stream": True})
    final = dict(events)["citations"]
    assert final["refused"] is True and final["closest"] and final["citations"] == []


def _fake_stream(*events: dict[str, Any], fail: Exception | None = None) -> Any:
    def ask_stream(*args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        yield from events
        if fail is not None:
            raise fail

    return ask_stream


def test_reset_is_forwarded(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = client.app.state.holder.current.engine  # type: ignore[attr-defined]
    real = engine.ask("How do I set a TTL in Redis?")
    fake = _fake_stream(
        {"event": "meta", "query": "q", "hits": real.hits},
        {"event": "token", "text": "draft from a flaky model"},
        {"event": "reset", "reason": "GeneratorError: timed out"},
        {"event": "answer", "answer": real},
    )
    monkeypatch.setattr(engine, "ask_stream", fake)
    events = stream(client, {"question": "q", "stream": True})
    assert [n for n, _ in events] == ["meta", "token", "reset", "citations", "done"]
    assert events[2][1] == {"reason": "GeneratorError: timed out"}


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (GeneratorError("The model server is down.", "Start it."), "GeneratorError"),
        (RuntimeError("boom"), "InternalError"),
    ],
)
def test_failure_mid_stream_becomes_an_error_event(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, failure: Exception, error: str
) -> None:
    engine = client.app.state.holder.current.engine  # type: ignore[attr-defined]
    monkeypatch.setattr(engine, "ask_stream", _fake_stream({"event": "meta", "query": "q", "hits": []}, fail=failure))
    events = stream(client, {"question": "q", "stream": True})
    assert [n for n, _ in events] == ["meta", "error"]
    body = events[1][1]
    assert body["error"] == error and body["message"] and body["hint"]
    metrics = client.get("/metrics").text
    assert f'blograg_errors_total{{error="{error}"}} 1' in metrics


def test_validation_errors_are_json_even_when_streaming(client: TestClient) -> None:
    response = client.post("/ask", json={"question": " ", "stream": True}, headers={"Accept": "text/event-stream"})
    assert response.status_code == 422 and response.json()["error"] == "ValidationFailed"
