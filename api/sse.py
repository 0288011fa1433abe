"""Engine events -> server-sent events: meta, token*, reset?, citations, done — or error.

The blocking engine generator runs in the thread pool one step at a time so the event loop stays
free; any exception becomes an `error` event, because a stream that just stops is indistinguishable
from a slow one for the client.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

from starlette.concurrency import iterate_in_threadpool
from starlette.responses import StreamingResponse

from api.metrics import Metrics
from api.questionlog import OnAnswer, log_answer
from rag.errors import RagError
from rag.types import Answer

log = logging.getLogger("blograg.api")
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def format_event(event: str, data: dict[str, Any]) -> str:
    # json.dumps never emits a raw newline, so one `data:` line per event is always valid SSE.
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _translate(event: dict[str, Any]) -> list[str]:
    kind = event["event"]
    if kind == "meta":
        return [format_event("meta", {"query": event["query"], "sources": [h.to_json() for h in event["hits"]]})]
    if kind == "answer":
        answer: Answer = event["answer"]
        body = answer.to_json()
        return [format_event("citations", body), format_event("done", {"timings_ms": body["timings_ms"]})]
    # token, reset, and any event a later engine adds: forwarded as they are.
    return [format_event(kind, {k: v for k, v in event.items() if k != "event"})]


async def answer_events(events: Iterator[dict[str, Any]], metrics: Metrics, on_answer: OnAnswer) -> AsyncIterator[str]:
    try:
        async for event in iterate_in_threadpool(events):
            if event["event"] == "answer":
                metrics.record_timings(event["answer"].timings_ms)
                await log_answer(on_answer, event["answer"])  # before the client sees its answer_id
            for chunk in _translate(event):
                yield chunk
    except RagError as exc:
        metrics.record_error(type(exc).__name__)
        yield format_event("error", exc.to_json())
    except Exception as exc:  # noqa: BLE001 - reported to the client as an event, logged in full here
        log.exception("answer stream failed")
        metrics.record_error("InternalError")
        message = f"The answer failed: {type(exc).__name__}."
        yield format_event("error", {"error": "InternalError", "message": message, "hint": "See the server log."})


def sse_response(events: Iterator[dict[str, Any]], metrics: Metrics, on_answer: OnAnswer) -> StreamingResponse:
    """The event stream of one answer; `on_answer` (the question log) gets the final Answer."""
    stream = answer_events(events, metrics, on_answer)
    return StreamingResponse(stream, media_type="text/event-stream", headers=SSE_HEADERS)
