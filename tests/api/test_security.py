"""API key, rate limit, CORS and security headers (CSP strict on the page, relaxed only for /docs)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from api.ratelimit import RateLimiter
from tests.api.helpers import ClientFactory

ASK = {"question": "How do I set a TTL in Redis?"}


def test_api_key_required_for_ask_search_posts_when_set(make_client: ClientFactory) -> None:
    client = make_client(api_key="s3cret")
    for method, path, body in (("POST", "/ask", ASK), ("POST", "/search", {"query": "redis"})):
        missing = client.request(method, path, json=body)
        assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
        assert "X-API-Key" in missing.json()["hint"]
        wrong = client.request(method, path, json=body, headers={"X-API-Key": "nope"})
        assert wrong.status_code == 401 and wrong.json()["message"] == "The API key is wrong."
        assert client.request(method, path, json=body, headers={"X-API-Key": "s3cret"}).status_code == 200
        assert client.request(method, path, json=body, headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert client.get("/posts/html-post.html").status_code == 401
    assert client.get("/health").status_code == 200  # probes stay open


def test_no_key_configured_means_open_ask_but_closed_admin(client: TestClient) -> None:
    assert client.post("/ask", json=ASK).status_code == 200
    response = client.post("/admin/reindex")
    assert response.status_code == 403 and "RAG_API_KEY" in response.json()["hint"]
    assert client.get("/admin/reindex").status_code == 403


def test_admin_needs_the_key(make_client: ClientFactory) -> None:
    client = make_client(api_key="s3cret")
    assert client.get("/admin/reindex").status_code == 401
    status = client.get("/admin/reindex", headers={"Authorization": "Bearer s3cret"})
    assert status.status_code == 200 and status.json()["state"] == "idle"


def test_rate_limit_is_per_client_with_retry_after(make_client: ClientFactory) -> None:
    client = make_client(rate_limit_per_minute=3)
    for _ in range(3):
        assert client.post("/search", json={"query": "redis"}).status_code == 200
    limited = client.post("/ask", json=ASK)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1 and "3 per minute" in limited.json()["message"]
    assert client.get("/health").status_code == 200  # health and metrics are not limited
    other = TestClient(client.app, client=("10.0.0.2", 5000))  # another IP has its own budget
    assert other.post("/search", json={"query": "redis"}).status_code == 200


def test_rate_limiter_refills_over_the_minute() -> None:
    now = [1000.0]
    limiter = RateLimiter(6, clock=lambda: now[0])  # 6/min = one token every 10 s
    assert [limiter.check("a") for _ in range(6)] == [None] * 6
    assert limiter.check("a") == 10
    now[0] += 10
    assert limiter.check("a") is None and limiter.check("a") == 10
    assert RateLimiter(0).check("a") is None  # 0 switches it off


def test_chat_page_has_strict_csp_and_no_inline_code(client: TestClient) -> None:
    for path in ("/", "/static/app.js", "/static/style.css", "/ask"):
        response = client.get(path) if path != "/ask" else client.post(path, json=ASK)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
    page = client.get("/").text
    # Every script is external and there are no inline handlers or styles the CSP would block.
    assert all('src="' in tag for tag in re.findall(r"<script[^>]*>", page))
    assert not re.search(r"\son[a-z]+\s*=", page) and "<style" not in page and "style=" not in page
    script = client.get("/static/app.js").text
    assert not re.search(r"\.(inner|outer)HTML\s*=|insertAdjacentHTML|document\.write|eval\(", script)


def test_docs_are_served_offline_under_their_own_csp(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger-ui-bundle.js" in docs.text
    assert not re.search(r"https?://", docs.text), "the docs page must not load anything from the network"
    csp = docs.headers["content-security-policy"]
    assert "script-src 'self' 'unsafe-inline'" in csp and "https:" not in csp
    asset = client.get("/docs-assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.content) > 100_000
    assert client.get("/openapi.json").status_code == 200


def test_cors_from_settings(make_client: ClientFactory) -> None:
    client = make_client(cors_origins=["https://blog.example.com"])
    preflight = client.options(
        "/ask",
        headers={
            "Origin": "https://blog.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-api-key",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://blog.example.com"
    response = client.post("/search", json={"query": "redis"}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers


def test_reindex_status_never_runs_twice(make_client: ClientFactory) -> None:
    client = make_client(api_key="k")
    holder = client.app.state.holder  # type: ignore[attr-defined]
    holder._reindex_lock.acquire()  # pretend one is running
    try:
        response = client.post("/admin/reindex", headers={"X-API-Key": "k"})
        assert response.status_code == 409 and "already running" in response.json()["message"]
    finally:
        holder._reindex_lock.release()


PRIVATE_SPEC = "openai:team-model@http://10.1.2.3:8080/v1"


def test_health_hides_the_generator_url_without_the_key(make_client: ClientFactory) -> None:
    client = make_client(generator=PRIVATE_SPEC, api_key="s3cret")
    assert client.get("/health").json()["generator"] == "openai:team-model"
    assert client.get("/health", headers={"X-API-Key": "wrong"}).json()["generator"] == "openai:team-model"
    assert client.get("/health", headers={"X-API-Key": "s3cret"}).json()["generator"] == PRIVATE_SPEC
    open_server = make_client(generator="llamacpp:/home/ops/models/qwen.gguf")  # no key: nobody sees paths
    assert open_server.get("/health").json()["generator"] == "llamacpp:qwen.gguf"


def test_unknown_generator_422_does_not_list_the_enabled_specs(make_client: ClientFactory) -> None:
    client = make_client(allowed_generators=[PRIVATE_SPEC, "llamacpp:/home/ops/models/qwen.gguf"])
    response = client.post("/ask", json={"question": "redis ttl", "generator": "openai:gpt-4o"})
    assert response.status_code == 422
    text = response.text
    assert "10.1.2.3" not in text and "/home/ops" not in text and "team-model" not in text
    assert "RAG_ALLOWED_GENERATORS" in response.json()["hint"] and "extractive" in response.json()["hint"]


def test_the_key_is_checked_before_the_rate_limit_counts(make_client: ClientFactory) -> None:
    client = make_client(api_key="s3cret", rate_limit_per_minute=2)
    for _ in range(5):  # rejected requests use none of the budget
        assert client.post("/search", json={"query": "redis"}).status_code == 401
        assert client.post("/search", json={"query": "redis"}, headers={"X-API-Key": "bad"}).status_code == 401
    keyed = {"X-API-Key": "s3cret"}
    assert [client.post("/search", json={"query": "redis"}, headers=keyed).status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(make_client: ClientFactory) -> None:
    app = make_client(rate_limit_per_minute=1).app
    loopback = TestClient(app, client=("127.0.0.1", 5000))
    assert loopback.post("/search", json={"query": "redis"}, headers={"X-Forwarded-For": "10.0.0.1"}).status_code == 200
    assert loopback.post("/search", json={"query": "redis"}, headers={"X-Forwarded-For": "10.0.0.2"}).status_code == 429
    proxied = TestClient(
        make_client(rate_limit_per_minute=1, trusted_proxies=["10.9.0.0/16"]).app, client=("10.9.0.5", 1)
    )
    for ip in ("192.0.2.1", "192.0.2.2"):
        assert proxied.post("/search", json={"query": "redis"}, headers={"X-Forwarded-For": ip}).status_code == 200
    limited = proxied.post("/search", json={"query": "redis"}, headers={"X-Forwarded-For": "192.0.2.1"})
    assert limited.status_code == 429 and "192.0.2.1" in limited.json()["message"]
