"""POST /ask — a cited answer as JSON, or streamed as server-sent events."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from api.deps import LoadedDep, MetricsDep, SettingsDep, check_generator, rate_limit, require_api_key
from api.questionlog import answer_logger, log_answer
from api.schemas import AnswerOut, AskRequest, ErrorOut
from api.sse import sse_response

router = APIRouter(tags=["ask"], dependencies=[Depends(require_api_key), Depends(rate_limit)])

SSE_DOC = (
    "With `stream: true` or `Accept: text/event-stream`: server-sent events `meta` {query, sources}, "
    "`token` {text}*, optionally `reset` {reason} (the draft is being replaced), `citations` (the final "
    "answer, same shape as the JSON response — replace the streamed text with it), `done` {timings_ms}; "
    "or `error` {error, message, hint}."
)


@router.post(
    "/ask",
    summary="Answer a question with citations",
    description="Answers from the posts with numbered [n] citations, or refuses with the closest posts. " + SSE_DOC,
    response_model=None,
    responses={
        200: {"model": AnswerOut, "content": {"text/event-stream": {}}, "description": "The answer."},
        401: {"model": ErrorOut},
        413: {"model": ErrorOut},
        422: {"model": ErrorOut},
        429: {"model": ErrorOut},
        503: {"model": ErrorOut, "description": "No index is loaded."},
    },
)
async def ask(
    body: AskRequest, request: Request, loaded: LoadedDep, metrics: MetricsDep, settings: SettingsDep
) -> Response:
    check_generator(body.generator, settings)
    engine = loaded.engine  # pinned for the whole request, even if a reindex swaps meanwhile
    ask_request = body.to_request(stream="text/event-stream" in request.headers.get("accept", ""))
    on_answer = answer_logger(request, ask_request.question)
    if ask_request.stream:
        return sse_response(engine.ask_stream(ask_request), metrics, on_answer)
    answer = await run_in_threadpool(engine.ask, ask_request)
    metrics.record_timings(answer.timings_ms)
    await log_answer(on_answer, answer)
    return JSONResponse(answer.to_json())
