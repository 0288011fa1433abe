"""POST /search — the passages that best match a query (dense + keyword, fused)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from api.deps import LoadedDep, rate_limit, require_api_key
from api.schemas import ErrorOut, HitOut, SearchRequest

router = APIRouter(tags=["search"], dependencies=[Depends(require_api_key), Depends(rate_limit)])


@router.post(
    "/search",
    summary="Search the posts",
    description="Hits in rank order; the same JSON as `rag search --json`.",
    response_model=None,
    responses={
        200: {"model": list[HitOut], "description": "Hits, best first."},
        401: {"model": ErrorOut},
        422: {"model": ErrorOut},
        429: {"model": ErrorOut},
        503: {"model": ErrorOut},
    },
)
async def search(body: SearchRequest, loaded: LoadedDep) -> JSONResponse:
    filters = body.filters.to_filters() if body.filters else None
    hits = await run_in_threadpool(loaded.engine.search, body.query, body.top_k, filters)
    return JSONResponse([hit.to_json() for hit in hits])
