"""OpenAPI describes every field and matches the library's JSON; /metrics exposes Prometheus text."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from pydantic import BaseModel

from api import schemas
from api.state import ReindexStatus
from tests.api.helpers import EVIL_SOURCE


def test_openapi_lists_every_endpoint_and_describes_every_field(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = {"/ask", "/search", "/posts/{id}", "/health", "/metrics", "/admin/reindex", "/feedback"}
    assert paths <= set(spec["paths"])
    assert {"get", "post"} <= set(spec["paths"]["/admin/reindex"])
    components = spec["components"]["schemas"]
    documented = [
        "AskRequest",
        "SearchRequest",
        "Filters",
        "Turn",
        "AnswerOut",
        "CitationOut",
        "HitOut",
        "ClosestOut",
        "PostOut",
        "ChunkAnchor",
        "HealthOut",
        "ReindexStatusOut",
        "ErrorOut",
        "FeedbackRequest",
        "FeedbackOut",
    ]
    for name in documented:
        for field, schema in components[name]["properties"].items():
            assert schema.get("description"), f"{name}.{field} has no description"


def _fields(model: type[BaseModel]) -> set[str]:
    return set(model.model_fields)


def test_response_models_match_the_library_json(client: TestClient) -> None:
    answer = client.post("/ask", json={"question": "How do I set a TTL in Redis?"}).json()
    refusal = client.post("/ask", json={"question": "谁是 2019 年的诺贝尔文学奖得主？"}).json()
    hit = client.post("/search", json={"query": "redis"}).json()[0]
    post = client.get(f"/posts/{EVIL_SOURCE}").json()
    pairs: list[tuple[type[BaseModel], dict[str, Any]]] = [
        (schemas.AnswerOut, answer),
        (schemas.CitationOut, answer["citations"][0]),
        (schemas.ClosestOut, refusal["closest"][0]),
        (schemas.HitOut, hit),
        (schemas.PostOut, post),
        (schemas.ChunkAnchor, post["chunks"][0]),
        (schemas.HealthOut, client.get("/health").json()),
        (schemas.ReindexStatusOut, ReindexStatus().to_json()),
    ]
    for model, body in pairs:
        assert _fields(model) == set(body), model.__name__
        model.model_validate(body)


def _value(text: str, series: str) -> float:
    match = re.search(rf"^{re.escape(series)} (\S+)$", text, re.M)
    assert match, f"{series} missing"
    return float(match.group(1))


def test_metrics_count_requests_stages_and_errors(client: TestClient) -> None:
    for _ in range(2):
        client.post("/ask", json={"question": "How do I set a TTL in Redis?"})
    with client.stream("POST", "/ask", json={"question": "redis cache-aside", "stream": True}) as response:
        response.read()
    client.post("/ask", json={"question": ""})
    client.get("/posts/missing.md")
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    assert _value(text, 'blograg_requests_total{route="/ask",method="POST",status="200"}') == 3
    assert _value(text, 'blograg_requests_total{route="/ask",method="POST",status="422"}') == 1
    assert _value(text, 'blograg_requests_total{route="/posts/{id:path}",method="GET",status="404"}') == 1
    for stage in ("retrieve", "generate", "total"):
        assert _value(text, f'blograg_answer_stage_seconds_count{{stage="{stage}"}}') == 3
        assert _value(text, f'blograg_answer_stage_seconds_bucket{{stage="{stage}",le="+Inf"}}') == 3
    assert _value(text, 'blograg_request_duration_seconds_count{route="/ask"}') == 4
    assert _value(text, 'blograg_errors_total{error="ValidationFailed"}') == 1
    assert _value(text, 'blograg_errors_total{error="NotFoundError"}') == 1
    assert _value(text, "blograg_index_loaded") == 1 and _value(text, "blograg_index_posts") == 10
    assert "# TYPE blograg_answer_stage_seconds histogram" in text
