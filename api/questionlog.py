"""The API's side of the question log: opened in the lifespan, written in one place after an answer.

Every front end that answers over HTTP (POST /ask as JSON or as events, and any later endpoint)
logs through `answer_logger`, so what is kept — and that a broken database only costs a warning —
is decided once (rag.insights.log.record_answer).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from starlette.concurrency import run_in_threadpool

from rag.config import Settings
from rag.insights.log import NoQuestionLog, QuestionLog, open_or_warn, record_answer
from rag.types import Answer

OnAnswer = Callable[[Answer], None]


async def open_log(app: FastAPI, settings: Settings) -> None:
    """Lifespan start: open (and migrate, and prune) the log off the event loop."""
    app.state.question_log = await run_in_threadpool(open_or_warn, settings)


async def close_log(app: FastAPI) -> None:
    question_log: QuestionLog = app.state.question_log
    await run_in_threadpool(question_log.close)
    app.state.question_log = NoQuestionLog()


def get_question_log(request: Request) -> QuestionLog:
    question_log: QuestionLog = request.app.state.question_log
    return question_log


QuestionLogDep = Annotated[QuestionLog, Depends(get_question_log)]


def answer_logger(request: Request, question: str, channel: str = "api") -> OnAnswer:
    """What to call (in a worker thread) with the final answer, before the client receives it: a
    reader who sends feedback on an answer_id always finds it logged."""
    question_log = get_question_log(request)
    return lambda answer: record_answer(question_log, question, answer, channel)


async def log_answer(on_answer: OnAnswer, answer: Answer) -> None:
    await run_in_threadpool(on_answer, answer)
