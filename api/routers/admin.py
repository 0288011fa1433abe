"""POST/GET /admin/reindex — re-ingest in the background and hot-swap the Engine."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import JSONResponse

from api.deps import HolderDep, rate_limit, require_admin_key
from api.errors import ConflictError
from api.schemas import ErrorOut, ReindexRequest, ReindexStatusOut

router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin_key), Depends(rate_limit)])
ADMIN_ERRORS: dict[int | str, dict[str, object]] = {401: {"model": ErrorOut}, 403: {"model": ErrorOut}}


@router.post(
    "/reindex",
    summary="Start a reindex",
    description="Re-ingests the configured post folders in a background thread. Queries keep being served by "
    "the current index until the new one is loaded, then it is swapped in at once. Poll GET /admin/reindex.",
    status_code=202,
    response_model=None,
    responses={202: {"model": ReindexStatusOut}, 409: {"model": ErrorOut}, **ADMIN_ERRORS},
)
async def start_reindex(holder: HolderDep, body: ReindexRequest | None = None) -> JSONResponse:
    if not holder.start_reindex(rebuild=body.rebuild if body else False):
        raise ConflictError("A reindex is already running.", "Poll GET /admin/reindex until its state is done.")
    return JSONResponse(holder.status.to_json(), status_code=202)


@router.get(
    "/reindex",
    summary="Reindex progress",
    description="State of the running or last reindex: stage progress, summary, or the error with a fix.",
    response_model=None,
    responses={200: {"model": ReindexStatusOut}, **ADMIN_ERRORS},
)
async def reindex_status(holder: HolderDep) -> JSONResponse:
    return JSONResponse(holder.status.to_json())
