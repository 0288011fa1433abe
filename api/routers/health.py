"""GET /health (is an index serving?) and GET /metrics (Prometheus text format)."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, PlainTextResponse

from api.deps import HolderDep, MetricsDep, SettingsDep, key_is_valid
from api.schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    summary="Service health",
    description="200 when an index is loaded and queries are served; 503 with the reason and a fix otherwise. "
    "The generator's server URL or model path is shown only to requests with the API key.",
    response_model=None,
    responses={200: {"model": HealthOut}, 503: {"model": HealthOut}},
)
async def health(request: Request, holder: HolderDep, settings: SettingsDep) -> JSONResponse:
    loaded = holder.current
    generator = settings.generator if key_is_valid(request, settings) else public_spec(settings.generator)
    body: dict[str, Any] = {
        "status": "ok" if loaded else "unavailable",
        "index_loaded": loaded is not None,
        "posts": len(loaded.engine.index.posts) if loaded else 0,
        "chunks": len(loaded.engine.index.chunks) if loaded else 0,
        "embedder": loaded.engine.index.manifest.get("embedder") if loaded else None,
        "generator": generator,
        "index_created": loaded.engine.index.manifest.get("created") if loaded else None,
        "loaded_at": loaded.loaded_at if loaded else None,
        "error": holder.load_error.to_json() if holder.load_error else None,
    }
    return JSONResponse(body, status_code=200 if loaded else 503)


def public_spec(spec: str) -> str:
    """A generator spec without what only the operator should see: the server URL of
    `openai:<model>@<url>` and the folders of `llamacpp:<path>`."""
    backend, colon, arg = spec.partition(":")
    arg = arg.split("@", 1)[0]
    if backend == "llamacpp":
        arg = PurePath(arg).name
    return f"{backend}{colon}{arg}"


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    description="Requests per route and status, request latency, answer stage latency, errors, index size.",
    response_class=PlainTextResponse,
)
async def metrics(holder: HolderDep, registry: MetricsDep) -> PlainTextResponse:
    loaded = holder.current
    gauges = {
        "blograg_index_loaded": ("1 when an index is serving queries.", 1.0 if loaded else 0.0),
        "blograg_index_posts": ("Posts in the loaded index.", len(loaded.engine.index.posts) if loaded else 0),
        "blograg_index_chunks": ("Chunks in the loaded index.", len(loaded.engine.index.chunks) if loaded else 0),
        "blograg_reindex_running": ("1 while a reindex runs.", 1.0 if holder.status.state == "running" else 0.0),
    }
    return PlainTextResponse(registry.render(gauges), media_type="text/plain; version=0.0.4; charset=utf-8")
