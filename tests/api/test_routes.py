"""Every route's happy path and JSON shape, through the ASGI app (TestClient, lifespan included)."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from tests.api.helpers import EVIL_SOURCE, ClientFactory


def test_ask_returns_a_cited_answer_whose_quotes_are_in_the_post(client: TestClient) -> None:
    response = client.post("/ask", json={"question": "How do I set a TTL in Redis?"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"answer_id", "answer", "citations", "refused", "query", "generator", "timings_ms", "closest"}
    assert re.fullmatch("[0-9a-f]{32}", body["answer_id"])
    assert body["refused"] is False and body["generator"] == "extractive"
    assert "TTL" in body["answer"] and "[1]" in body["answer"]
    citation = body["citations"][0]
    assert citation["source"] == "html-post.html" and citation["n"] == 1
    post = client.get(f"/posts/{citation['source']}").json()
    # The offsets a citation carries must open exactly the quoted passage in the post viewer.
    assert post["text"][citation["start"] : citation["end"]] == citation["quote"]
    assert set(body["timings_ms"]) == {"retrieve", "generate", "total"}


def test_ask_refuses_with_closest_posts(client: TestClient) -> None:
    body = client.post("/ask", json={"question": "谁是 2019 年的诺贝尔文学奖得主？"}).json()
    assert body["refused"] is True and body["citations"] == []
    assert body["answer"].startswith("这些文章没有提供")
    assert body["closest"] and all({"source", "title", "start", "end"} <= set(p) for p in body["closest"])


def test_ask_uses_history_filters_and_top_k(client: TestClient) -> None:
    history = [
        {"role": "user", "content": "How do I tune Postgres autovacuum?"},
        {"role": "assistant", "content": "Lower the scale factor for large tables only. [1]"},
    ]
    payload = {
        "question": "Which of its settings matter?",
        "history": history,
        "top_k": 3,
        "filters": {"tags": ["postgres"]},
    }
    body = client.post("/ask", json=payload).json()
    # The follow-up was rewritten with the history before retrieval...
    assert "autovacuum" in body["query"].lower() and body["query"] != payload["question"]
    # ...and retrieval only saw posts tagged postgres.
    sources = {c["source"] for c in body["citations"]} | {p["source"] for p in body["closest"]}
    assert sources == {"english-markdown.md"}


def test_ask_refuses_a_follow_up_nothing_resolves(client: TestClient) -> None:
    body = client.post("/ask", json={"question": "Which of its settings matter?"}).json()
    assert body["refused"] is True and body["citations"] == [] and body["closest"] == []
    assert body["query"] == "Which of its settings matter?"


def test_search_returns_hits_honouring_top_k_and_filters(client: TestClient) -> None:
    hits = client.post("/search", json={"query": "KubeSphere 社区", "top_k": 3}).json()
    assert len(hits) == 3
    assert set(hits[0]) == {"source", "title", "url", "date", "heading", "text", "score", "chunk_id", "start", "end"}
    assert hits[0]["source"] == "003_1b2938f7d4bfcfbf.txt"
    dated = client.post("/search", json={"query": "cache", "filters": {"after": "2024-01-01"}}).json()
    assert dated and all((h["date"] or "") >= "2024-01-01" for h in dated)
    tagged = client.post("/search", json={"query": "payload", "filters": {"tags": ["XSS"]}}).json()
    assert {h["source"] for h in tagged} == {"xss-payload.md"}


def test_post_by_nested_id_has_text_and_chunk_anchors(client: TestClient) -> None:
    response = client.get(f"/posts/{EVIL_SOURCE}")
    assert response.status_code == 200
    post = response.json()
    assert post["source"] == EVIL_SOURCE and post["date"] == "2024-09-12" and post["tags"] == ["security"]
    assert "<script>window.__xss=6" in post["text"]  # served as data; the page must render it as text
    assert post["chunks"] and post["chunks"][0]["chunk_id"] == f"{EVIL_SOURCE}#0"
    for anchor in post["chunks"]:
        assert 0 <= anchor["start"] < anchor["end"] <= len(post["text"])


def test_script_urls_from_front_matter_never_reach_the_api(client: TestClient) -> None:
    # EVIL_POST's front matter says url: "javascript:window.__xss=2"
    assert client.get(f"/posts/{EVIL_SOURCE}").json()["url"] is None
    hits = client.post("/search", json={"query": "zebra payload", "top_k": 20}).json()
    assert any(h["source"] == EVIL_SOURCE for h in hits)
    assert all(h["url"] is None or h["url"].startswith(("http://", "https://")) for h in hits)


def test_unknown_post_is_a_clear_404(client: TestClient) -> None:
    response = client.get("/posts/no/such/post.md")
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "NotFoundError" and "no/such/post.md" in body["message"] and body["hint"]


def test_health_reports_the_loaded_index(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["index_loaded"] is True
    assert body["posts"] == 10 and body["chunks"] > 50
    assert body["embedder"] == "hashing:256" and body["generator"] == "extractive"


def test_health_is_503_with_a_fix_when_no_index(make_client: ClientFactory, tmp_path: Path) -> None:
    client = make_client(index_dir=tmp_path)
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["error"]["error"] == "IndexNotFoundError"
    ask = client.post("/ask", json={"question": "anything"})
    assert ask.status_code == 503 and "rag ingest" in ask.json()["hint"]


def test_chat_page_and_static_files_are_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "提问 / Ask" in page.text and '<script src="/static/app.js"' in page.text
    for name, kind in (("app.js", "javascript"), ("style.css", "text/css")):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200 and kind in response.headers["content-type"]


def test_unknown_route_is_json_404(client: TestClient) -> None:
    response = client.get("/nope")
    assert response.status_code == 404 and response.json()["hint"].startswith("See /docs")
