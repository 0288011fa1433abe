"""POST /feedback — a reader's 👍/👎 (and an optional comment) on one logged answer."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from api.deps import rate_limit, require_api_key
from api.questionlog import QuestionLogDep
from api.schemas import ErrorOut, FeedbackOut, FeedbackRequest
from rag.insights.entries import Feedback

router = APIRouter(tags=["feedback"], dependencies=[Depends(require_api_key), Depends(rate_limit)])


@router.post(
    "/feedback",
    summary="Rate an answer",
    description="Saves 👍 (`helpful: true`) or 👎 for the answer with this `answer_id`; a later vote on the same "
    "answer replaces the earlier one. `rag insights` and /admin/insights count them, and 👎 questions join the "
    "refused ones in the coverage gaps.",
    response_model=None,
    responses={
        200: {"model": FeedbackOut},
        401: {"model": ErrorOut},
        404: {"model": ErrorOut, "description": "No logged answer has this answer_id."},
        409: {"model": ErrorOut, "description": "The server does not log questions (RAG_LOG_QUESTIONS=false)."},
        422: {"model": ErrorOut},
        429: {"model": ErrorOut},
        503: {"model": ErrorOut, "description": "The question log database is unavailable."},
    },
)
async def feedback(body: FeedbackRequest, question_log: QuestionLogDep) -> JSONResponse:
    vote = Feedback(body.answer_id, body.helpful, body.comment)
    await run_in_threadpool(question_log.add_feedback, vote)
    return JSONResponse({"ok": True})
