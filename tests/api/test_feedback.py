"""The question log through the API, over real HTTP: /ask (JSON and events) logs, POST /feedback rates."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from rag.config import Settings
from tests.api.helpers import ClientFactory, live_server, parse_sse

QUESTION = "How do I set a TTL in Redis?"


@pytest.fixture()
def logged(api_settings: Settings, tmp_path: Path) -> Iterator[tuple[httpx.Client, Path]]:
    db = tmp_path / "log" / "q.sqlite"
    settings = api_settings.model_copy(update={"db_url": f"sqlite:///{db}"})
    with live_server(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as http:
        yield http, db


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_json_answer_is_logged_and_feedback_lands(logged: tuple[httpx.Client, Path]) -> None:
    http, db = logged
    answer = http.post("/ask", json={"question": f"  {QUESTION} "}).json()
    [row] = rows(db, "SELECT answer_id, question, refused, sources, generator, latency_ms FROM questions")
    assert row[:5] == (answer["answer_id"], QUESTION, 0, '["html-post.html"]', "extractive")
    assert row[5] == pytest.approx(answer["timings_ms"]["total"], abs=0.01)
    response = http.post("/feedback", json={"answer_id": answer["answer_id"], "helpful": False, "comment": "too short"})
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert rows(db, "SELECT answer_id, helpful, comment FROM feedback") == [(answer["answer_id"], 0, "too short")]


def test_streamed_answer_is_logged_before_its_id_reaches_the_client(logged: tuple[httpx.Client, Path]) -> None:
    http, db = logged
    with http.stream("POST", "/ask", json={"question": "谁是 2019 年的诺贝尔文学奖得主？", "stream": True}) as response:
        lines = response.iter_lines()
        for event, data in parse_sse(lines):
            if event == "citations":
                # The stream is still open ("done" not read yet) and the row is already there.
                assert rows(db, "SELECT answer_id, refused, sources FROM questions") == [(data["answer_id"], 1, "[]")]
                assert http.post("/feedback", json={"answer_id": data["answer_id"], "helpful": True}).json()["ok"]
                break
        else:
            pytest.fail("no citations event")
    assert rows(db, "SELECT helpful FROM feedback") == [(1,)]


def test_bad_feedback_gets_clear_errors(logged: tuple[httpx.Client, Path]) -> None:
    http, db = logged
    unknown = http.post("/feedback", json={"answer_id": "0" * 32, "helpful": True})
    assert unknown.status_code == 404 and unknown.json()["error"] == "UnknownAnswerError"
    assert unknown.json()["hint"]
    malformed = http.post("/feedback", json={"answer_id": "not-an-id", "helpful": True})
    assert malformed.status_code == 422 and malformed.json()["details"][0]["field"] == "answer_id"
    answer_id = http.post("/ask", json={"question": QUESTION}).json()["answer_id"]
    long = http.post("/feedback", json={"answer_id": answer_id, "helpful": False, "comment": "x" * 2001})
    assert long.status_code == 422 and long.json()["details"][0]["field"] == "comment"
    missing = http.post("/feedback", json={"answer_id": answer_id})
    assert missing.status_code == 422 and missing.json()["details"][0]["field"] == "helpful"
    assert rows(db, "SELECT count(*) FROM feedback") == [(0,)]


def test_feedback_needs_the_key_and_counts_against_the_rate_limit(api_settings: Settings, tmp_path: Path) -> None:
    settings = api_settings.model_copy(
        update={"db_url": str(tmp_path / "q.sqlite"), "api_key": "k", "rate_limit_per_minute": 2}
    )
    with live_server(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as http:
        body = {"answer_id": "0" * 32, "helpful": True}
        assert http.post("/feedback", json=body).status_code == 401
        assert http.post("/feedback", json=body, headers={"X-API-Key": "k"}).status_code == 404
        assert http.post("/feedback", json=body, headers={"X-API-Key": "k"}).status_code == 404
        limited = http.post("/feedback", json=body, headers={"X-API-Key": "k"})
        assert limited.status_code == 429 and limited.headers["retry-after"]


def test_logging_off_writes_nothing_and_feedback_says_why(api_settings: Settings, tmp_path: Path) -> None:
    db = tmp_path / "off" / "q.sqlite"
    settings = api_settings.model_copy(update={"db_url": str(db), "log_questions": False})
    with live_server(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as http:
        answer = http.post("/ask", json={"question": QUESTION}).json()
        with http.stream("POST", "/ask", json={"question": QUESTION, "stream": True}) as response:
            assert "citations" in dict(parse_sse(response.iter_lines()))
        off = http.post("/feedback", json={"answer_id": answer["answer_id"], "helpful": True})
    assert off.status_code == 409 and "RAG_LOG_QUESTIONS" in off.json()["hint"]
    assert not db.parent.exists()


def test_the_default_log_sits_beside_the_index_folder(make_client: ClientFactory, api_settings: Settings) -> None:
    answer_id = make_client().post("/ask", json={"question": QUESTION}).json()["answer_id"]
    db = api_settings.index_dir.parent / "index.questions.sqlite"
    assert rows(db, f"SELECT count(*) FROM questions WHERE answer_id = '{answer_id}'") == [(1,)]
    assert not list(api_settings.index_dir.rglob("*.sqlite"))  # not inside the index's versions


def test_a_broken_database_never_costs_an_answer(
    api_settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    settings = api_settings.model_copy(update={"db_url": str(blocker / "q.sqlite")})
    with caplog.at_level(logging.WARNING), live_server(create_app(settings)) as url, httpx.Client(base_url=url) as http:
        answer = http.post("/ask", json={"question": QUESTION})
        assert answer.status_code == 200 and answer.json()["refused"] is False
        with http.stream("POST", "/ask", json={"question": QUESTION, "stream": True}) as response:
            assert dict(parse_sse(response.iter_lines()))["citations"]["answer"] == answer.json()["answer"]
        saved = http.post("/feedback", json={"answer_id": answer.json()["answer_id"], "helpful": True})
    assert saved.status_code == 503 and saved.json()["error"] == "QuestionLogError"
    assert "question log off" in caplog.text


def test_openai_completions_are_logged_with_their_channel(logged: tuple[httpx.Client, Path]) -> None:
    """Both /v1 shapes (JSON and stream) log the answer under channel 'openai', and its id takes feedback."""
    http, db = logged
    body = {"model": "blograg", "messages": [{"role": "user", "content": QUESTION}]}
    completion = http.post("/v1/chat/completions", json=body).json()
    with http.stream("POST", "/v1/chat/completions", json={**body, "stream": True}) as response:
        streamed = "".join(response.iter_text())
    assert "[DONE]" in streamed
    logged_rows = rows(db, "SELECT answer_id, question, channel FROM questions")
    assert len(logged_rows) == 2 and {r[1:] for r in logged_rows} == {(QUESTION, "openai")}
    ids = {r[0] for r in logged_rows}
    assert completion["answer_id"] in ids and all(i == completion["answer_id"] or i in streamed for i in ids)
    assert http.post("/feedback", json={"answer_id": completion["answer_id"], "helpful": True}).json()["ok"]
