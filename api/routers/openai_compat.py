"""OpenAI-compatible routes: POST /v1/chat/completions and GET /v1/models, for any `openai` client.

The answer comes from the same engine path as POST /ask (`ask` / `ask_stream`), with the same key,
rate limit, body limit and question checks. Streaming sends the *verified* answer: the engine's
draft tokens can still change or be dropped by citation checking, and an OpenAI stream can only
append, so they are not forwarded; the stream opens at once with the assistant role, keeps the
connection alive while the answer is drafted, then sends the answer text, the sources list, and
`finish_reason: "stop"`, so the deltas join to exactly the non-streamed content.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.responses import JSONResponse, Response, StreamingResponse

from api.deps import LoadedDep, MetricsDep, SettingsDep, rate_limit, require_api_key
from api.metrics import Metrics
from api.openai_errors import openai_error
from api.openai_models import model_table, resolve_model
from api.openai_schemas import (
    AnswerFields,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    ModelCard,
    ModelList,
    OpenAIErrorOut,
    Usage,
)
from api.openai_wire import answer_fields, ask_request, content_parts, pieces
from api.questionlog import OnAnswer, answer_logger, log_answer
from api.sse import SSE_HEADERS
from rag.config import Settings
from rag.errors import RagError
from rag.tokens import count_tokens
from rag.types import Answer

log = logging.getLogger("blograg.api")
router = APIRouter(prefix="/v1", tags=["openai"], dependencies=[Depends(require_api_key), Depends(rate_limit)])
STARTED = int(time.time())
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": OpenAIErrorOut} for status in (401, 404, 413, 422, 429, 503)
}


@router.get("/models", summary="List the models (generator profiles)", response_model=ModelList, responses=ERRORS)
async def list_models(settings: SettingsDep) -> ModelList:
    """`blograg` (the server's default generator) and a name for every other enabled generator spec."""
    return ModelList(data=[ModelCard(id=name, created=STARTED) for name in model_table(settings)])


@router.post(
    "/chat/completions",
    summary="Answer the conversation's last question, OpenAI style",
    description="OpenAI Chat Completions over the posts: `[n]` markers in the text, the sources as a Markdown "
    "list after it, and `citations`, `refused`, `query` beside `choices`. With `stream: true`: "
    "`data: {chat.completion.chunk}` events, then `data: [DONE]`.",
    response_model=None,
    responses={200: {"model": ChatCompletion, "content": {"text/event-stream": {}}}, **ERRORS},
)
async def chat_completions(
    body: ChatCompletionRequest, http: Request, loaded: LoadedDep, metrics: MetricsDep, settings: SettingsDep
) -> Response:
    """The answer to the last user message, with the earlier turns as history, as JSON or a stream."""
    request = ask_request(body, resolve_model(body.model, settings))
    engine = loaded.engine  # pinned for the whole request, even if a reindex swaps meanwhile
    reply = Reply(body, settings)
    on_answer = answer_logger(http, request.question, channel="openai")
    if request.stream:
        events = engine.ask_stream(request)
        stream = reply.stream(events, metrics, on_answer)
        return StreamingResponse(stream, media_type="text/event-stream", headers=SSE_HEADERS)
    answer = await run_in_threadpool(engine.ask, request)
    metrics.record_timings(answer.timings_ms)
    await log_answer(on_answer, answer)
    # Off the loop too: the first token count of a process loads the tokenizer's ranks from disk.
    completion = await run_in_threadpool(reply.completion, answer)
    return JSONResponse(completion.model_dump())


class Reply:
    """One completion's id, time and model, and its answer in both of OpenAI's shapes."""

    def __init__(self, body: ChatCompletionRequest, settings: Settings) -> None:
        self.body, self.settings = body, settings
        self.id, self.created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        self.question = next(m.content for m in reversed(body.messages) if m.role == "user")

    def completion(self, answer: Answer) -> ChatCompletion:
        content = "".join(content_parts(answer, self.question))
        choice = {"message": {"content": content}}
        return ChatCompletion.model_validate(
            {**self._head(), "choices": [choice], "usage": self._usage(content), **answer_fields(answer)}
        )

    async def stream(
        self, events: Iterator[dict[str, Any]], metrics: Metrics, on_answer: OnAnswer
    ) -> AsyncIterator[str]:
        yield self._chunk({"role": "assistant", "content": ""})
        try:
            answer = None
            async for event in iterate_in_threadpool(events):
                if event["event"] == "answer":
                    answer = event["answer"]
                else:
                    yield ": drafting\n\n"  # an SSE comment: clients skip it, proxies see a live stream
            if answer is None:
                raise RuntimeError("the engine's stream ended without an answer")
            metrics.record_timings(answer.timings_ms)
            await log_answer(on_answer, answer)  # before the client sees its answer_id
        except RagError as exc:
            metrics.record_error(type(exc).__name__)
            yield _data(openai_error(exc.to_json(), exc.http_status))
            return
        except Exception as exc:  # noqa: BLE001 - reported to the client in the stream, logged in full here
            log.exception("chat completion stream failed")
            metrics.record_error("InternalError")
            failure = {"error": "InternalError", "message": f"The answer failed: {type(exc).__name__}."}
            yield _data(openai_error({**failure, "hint": "See the server log."}, 500))
            return
        text, sources = content_parts(answer, self.question)
        for piece in [*pieces(text), *([sources] if sources else [])]:
            yield self._chunk({"content": piece})
        yield self._chunk({}, finish_reason="stop", **answer_fields(answer))
        options = self.body.stream_options
        if options is not None and options.include_usage:
            usage = await run_in_threadpool(self._usage, text + sources)
            yield _data({**self._head("chat.completion.chunk"), "choices": [], "usage": usage})
        yield "data: [DONE]\n\n"

    def _chunk(self, delta: dict[str, Any], finish_reason: str | None = None, **fields: Any) -> str:
        choice = {"delta": delta, "finish_reason": finish_reason}
        chunk = ChatCompletionChunk.model_validate({**self._head(), "choices": [choice], **fields})
        # The answer's own fields ride on the final chunk only, where they are known; a delta
        # names only what it carries, as OpenAI's do.
        payload = chunk.model_dump(exclude=None if fields else set(AnswerFields.model_fields))
        payload["choices"][0]["delta"] = chunk.choices[0].delta.model_dump(exclude_none=True)
        return _data(payload)

    def _head(self, kind: str | None = None) -> dict[str, Any]:
        head: dict[str, Any] = {"id": self.id, "created": self.created, "model": self.body.model}
        return head | ({"object": kind} if kind else {})

    def _usage(self, content: str) -> dict[str, int]:
        prompt = sum(count_tokens(m.content, self.settings.tokenizer) for m in self.body.messages)
        completion = count_tokens(content, self.settings.tokenizer)
        return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion).model_dump()


def _data(payload: dict[str, Any]) -> str:
    # json.dumps never emits a raw newline, so one `data:` line per event is always valid SSE.
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"
