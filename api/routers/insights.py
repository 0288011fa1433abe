"""GET /admin/insights — what readers asked: an HTML page (the default), JSON, or the gaps as CSV."""

from __future__ import annotations

import threading
import weakref
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, JSONResponse, Response

from api.deps import HolderDep, SettingsDep, rate_limit, require_admin_key
from api.errors import AuthError, BrowserAuthError
from api.insights_page import render_page
from api.questionlog import QuestionLogDep
from api.schemas import ErrorOut
from api.state import EngineHolder
from rag.insights.entries import utc_now
from rag.insights.export import gaps_csv
from rag.insights.gaps import GapFinder
from rag.insights.log import QuestionLog, reader_of
from rag.insights.report import SINCE_HINT, Insights, build_insights, parse_since
from rag.pipeline import Engine


def require_admin_login(request: Request, settings: SettingsDep) -> None:
    """The admin key, which a browser may send from its own login box (any user name, key as password)."""
    try:
        require_admin_key(request, settings)
    except AuthError as exc:
        hint = f"{exc.hint} In a browser, give the key as the password (any user name)."
        raise BrowserAuthError(exc.message, hint) from None


router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin_login), Depends(rate_limit)])
_finders_lock = threading.Lock()


@router.get(
    "/insights",
    summary="What readers asked",
    description="Questions per day, refusal and helpful rates, p50/p95 latency, the most-cited posts and the "
    "coverage gaps (refused or 👎 questions grouped into topics, with the closest posts). `format=html` (a page "
    "with charts), `json` (the same as `rag insights --json`) or `csv` (the gaps).",
    response_model=None,
    responses={
        200: {"content": {"text/html": {}, "application/json": {}, "text/csv": {}}},
        401: {"model": ErrorOut},
        403: {"model": ErrorOut},
        409: {"model": ErrorOut, "description": "The server does not log questions."},
        422: {"model": ErrorOut},
        503: {"model": ErrorOut, "description": "The question log database is unavailable."},
    },
)
async def insights(
    request: Request,
    holder: HolderDep,
    question_log: QuestionLogDep,
    since: Annotated[str, Query(max_length=20, description=f"The period. {SINCE_HINT}")] = "30d",
    format: Annotated[Literal["html", "json", "csv"], Query(description="html, json or csv.")] = "html",
) -> Response:
    result = await run_in_threadpool(compute, request.app, holder, question_log, since)
    headers = {"Cache-Control": "no-store"}
    if format == "json":
        return JSONResponse(result.to_json(), headers=headers)
    if format == "csv":
        headers["Content-Disposition"] = 'attachment; filename="coverage-gaps.csv"'
        return Response(gaps_csv(result), media_type="text/csv; charset=utf-8", headers=headers)
    return HTMLResponse(render_page(result, since), headers=headers)


def compute(app: FastAPI, holder: EngineHolder, question_log: QuestionLog, since: str) -> Insights:
    reader = reader_of(question_log)
    now = utc_now()
    start = parse_since(since, now)
    entries, feedback = reader.entries(start), reader.feedback(start)
    loaded = holder.current
    if loaded is None:
        return build_insights(entries, feedback, start, now)
    engine = loaded.engine
    return build_insights(entries, feedback, start, now, engine.index.posts, _finder(app, engine))


def _finder(app: FastAPI, engine: Engine) -> GapFinder:
    """One GapFinder per loaded Engine (it keeps the question vectors); a reindex gets a new one."""
    with _finders_lock:
        finders: weakref.WeakKeyDictionary[Engine, GapFinder] | None = getattr(app.state, "gap_finders", None)
        if finders is None:
            finders = app.state.gap_finders = weakref.WeakKeyDictionary()
        if engine not in finders:
            finders[engine] = GapFinder(engine.embedder, engine.retriever)
        return finders[engine]
