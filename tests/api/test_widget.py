"""GET /widget.js (type, caching, cross-origin loading), what the widget's source may not contain, and
the CORS allow-list (RAG_ALLOWED_ORIGINS) the widget's requests depend on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.app import create_app
from api.routers.widget import WIDGET_FILE
from rag.config import Settings
from tests.api.helpers import ClientFactory

BLOG = "https://blog.example.com"
PREFLIGHT = {
    "Origin": BLOG,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type,x-api-key",
}
# What a strict host CSP forbids or what would let a post's text become markup.
FORBIDDEN = (
    r"\.innerHTML\b",
    r"\.outerHTML\b",
    r"insertAdjacentHTML",
    r"document\.write",
    r"\beval\s*\(",
    r"new\s+Function\b",
    r"setTimeout\s*\(\s*['\"`]",
    r"setAttribute\(\s*['\"]style['\"]",
    r"\.style\.cssText",
)


def test_widget_js_is_a_cacheable_cross_origin_script(client: TestClient) -> None:
    response = client.get("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.content == WIDGET_FILE.read_bytes()
    etag = response.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)  # strong: no W/ prefix
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    assert response.headers["x-content-type-options"] == "nosniff"  # which is why the type must be right
    again = client.get("/widget.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert client.get("/widget.js", headers={"If-None-Match": f'"other", {etag}'}).status_code == 304
    assert client.get("/widget.js", headers={"If-None-Match": '"stale"'}).status_code == 200
    head = client.head("/widget.js")
    assert head.status_code == 200 and head.headers["etag"] == etag and head.content == b""


def test_widget_js_needs_no_key_and_is_documented(make_client: ClientFactory) -> None:
    client = make_client(api_key="s3cret")
    assert client.get("/widget.js").status_code == 200
    assert client.post("/ask", json={"question": "redis ttl"}).status_code == 401
    assert "/widget.js" in client.get("/openapi.json").json()["paths"]


def test_widget_source_has_nothing_a_strict_csp_blocks() -> None:
    source = WIDGET_FILE.read_text(encoding="utf-8")
    for pattern in FORBIDDEN:
        assert not re.search(pattern, source), pattern
    assert "adoptedStyleSheets" in source and "textContent" in source


def test_preflight_and_answers_for_an_allowed_origin(make_client: ClientFactory) -> None:
    client = make_client(cors_origins=[BLOG], api_key="k")
    preflight = client.options("/ask", headers=PREFLIGHT)  # a preflight carries no key, and needs none
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == BLOG
    allowed = {h.strip().lower() for h in preflight.headers["access-control-allow-headers"].split(",")}
    assert {"content-type", "x-api-key"} <= allowed
    assert "POST" in preflight.headers["access-control-allow-methods"]
    body = {"question": "How do I set a TTL in Redis?", "stream": True}
    answer = client.post("/ask", json=body, headers={"Origin": BLOG, "X-API-Key": "k"})
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == BLOG
    assert answer.headers["content-type"].startswith("text/event-stream")


def test_other_origins_get_no_cors_headers(make_client: ClientFactory) -> None:
    client = make_client(cors_origins=[BLOG])
    evil = "https://evil.example"
    preflight = client.options("/ask", headers={**PREFLIGHT, "Origin": evil})
    assert "access-control-allow-origin" not in preflight.headers
    answer = client.post("/ask", json={"question": "redis ttl"}, headers={"Origin": evil})
    assert "access-control-allow-origin" not in answer.headers
    unset = make_client()  # no allow-list: no page of another origin may call the API
    assert "access-control-allow-origin" not in unset.options("/ask", headers=PREFLIGHT).headers


@pytest.mark.parametrize("name", ["RAG_ALLOWED_ORIGINS", "RAG_CORS_ORIGINS"])
def test_allowed_origins_read_from_either_variable(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(name, '["https://Blog.Example.com/", "http://127.0.0.1:4000"]')
    assert Settings(_env_file=None).cors_origins == [BLOG, "http://127.0.0.1:4000"]  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "bad", ["blog.example.com", "https://blog.example.com/blog/", "ftp://x.example", "https://u@x.example"]
)
def test_an_origin_with_a_path_or_no_scheme_is_refused_with_an_example(bad: str) -> None:
    with pytest.raises(ValidationError, match="e.g. https://blog.example.com"):
        Settings(cors_origins=[bad])


def test_a_server_error_still_carries_cors_and_security_headers(
    api_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without CORS headers a 500 looks to the widget like "this site is not allowed": the browser hides it.
    app = create_app(api_settings.model_copy(update={"cors_origins": [BLOG]}))
    with TestClient(app, raise_server_exceptions=False) as client:

        def crash(*args: object, **kwargs: object) -> None:
            raise RuntimeError("boom")

        monkeypatch.setattr(app.state.holder.current.engine, "ask", crash)
        response = client.post("/ask", json={"question": "redis ttl"}, headers={"Origin": BLOG})
    assert response.status_code == 500 and response.json()["error"] == "InternalError"
    assert response.headers["access-control-allow-origin"] == BLOG
    assert "content-security-policy" in response.headers and "boom" not in response.text


def test_feedback_preflight_and_replies_follow_the_allow_list(make_client: ClientFactory, tmp_path: Path) -> None:
    # The widget's 👍/👎 is a cross-origin POST /feedback with JSON (and maybe a key): preflighted too.
    client = make_client(cors_origins=[BLOG], api_key="k", db_url=str(tmp_path / "q.sqlite"))
    preflight = client.options("/feedback", headers=PREFLIGHT)
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == BLOG
    allowed = {h.strip().lower() for h in preflight.headers["access-control-allow-headers"].split(",")}
    assert {"content-type", "x-api-key"} <= allowed and "POST" in preflight.headers["access-control-allow-methods"]
    key = {"X-API-Key": "k"}
    answer_id = client.post("/ask", json={"question": "How do I set a TTL in Redis?"}, headers=key).json()["answer_id"]
    vote = {"answer_id": answer_id, "helpful": True}
    sent = client.post("/feedback", json=vote, headers={"Origin": BLOG, **key})
    assert sent.status_code == 200 and sent.headers["access-control-allow-origin"] == BLOG
    # Refusals carry CORS headers too, or the widget could not read why (the browser would hide it).
    unknown = client.post("/feedback", json={**vote, "answer_id": "0" * 32}, headers={"Origin": BLOG, **key})
    assert unknown.status_code == 404 and unknown.headers["access-control-allow-origin"] == BLOG
    keyless = client.post("/feedback", json=vote, headers={"Origin": BLOG})
    assert keyless.status_code == 401 and keyless.headers["access-control-allow-origin"] == BLOG
    evil = "https://evil.example"
    refused = client.options("/feedback", headers={**PREFLIGHT, "Origin": evil})
    assert "access-control-allow-origin" not in refused.headers
    other = client.post("/feedback", json=vote, headers={"Origin": evil, **key})
    assert "access-control-allow-origin" not in other.headers  # (a browser never sends it: its preflight failed)


def test_a_server_that_logs_nothing_refuses_feedback_readably_cross_origin(make_client: ClientFactory) -> None:
    client = make_client(cors_origins=[BLOG], log_questions=False)
    answer_id = client.post("/ask", json={"question": "How do I set a TTL in Redis?"}).json()["answer_id"]
    off = client.post("/feedback", json={"answer_id": answer_id, "helpful": True}, headers={"Origin": BLOG})
    assert off.status_code == 409 and off.headers["access-control-allow-origin"] == BLOG  # what the widget acts on
