"""Exception handlers: every error leaves the API as {"error", "message", "hint"} JSON."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response

from api.errors import ValidationFailed, error_response
from api.metrics import Metrics
from rag.errors import RagError

log = logging.getLogger("blograg.api")
JSON_HINT = 'Send a JSON object with Content-Type: application/json, e.g. {"question": "What is this blog about?"}.'
EXAMPLES = {
    "/search": '{"query": "release notes"}',
    "/admin/reindex": '{"rebuild": false}',
    "/v1/chat/completions": '{"model": "blograg", "messages": [{"role": "user", "content": "What is this about?"}]}',
    "/feedback": '{"answer_id": "<answer_id from /ask>", "helpful": true}',
}
FASTAPI_PARSE_ERROR = "There was an error parsing the body"  # FastAPI's words for a body json.loads rejects
UNPARSABLE_BODY = "The request body could not be read as JSON: it is not UTF-8 text, or it is nested too deeply."
_WHOLE_BODY_TYPES = frozenset({"model_attributes_type", "dict_type", "model_type", "missing"})
_JSON_KINDS = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "true/false",
    type(None): "null",
}


def json_hint(path: str = "/ask") -> str:
    """How to send a body to `path`, with an example."""
    if path not in EXAMPLES:
        return JSON_HINT
    return f"Send a JSON object with Content-Type: application/json, e.g. {EXAMPLES[path]}."


def validation_error(
    errors: Sequence[Any], content_type: str = "application/json", path: str = "/ask"
) -> ValidationFailed:
    """pydantic's error list -> one readable message plus per-field details."""
    details = [_detail(e) for e in errors]
    broken = [e for e in errors if e.get("type") == "json_invalid"]
    if broken:
        reason = broken[0].get("ctx", {}).get("error", "decode error")
        position = broken[0].get("loc", ("body", "?"))[-1]
        message = f"The request body is not valid JSON ({reason} at character {position})."
        return ValidationFailed(
            message, json_hint(path), [{"field": "body", "message": message, "type": "json_invalid"}]
        )
    whole = [e for e in errors if tuple(e.get("loc", ())) == ("body",) and e.get("type") in _WHOLE_BODY_TYPES]
    if whole:
        message = _not_an_object(whole[0], content_type)
        return ValidationFailed(message, json_hint(path), [{"field": "body", "message": message, "type": "body_type"}])
    summary = "; ".join(f"{d['field']}: {d['message']}" for d in details)
    return ValidationFailed(f"Invalid request: {summary}", "Fix the fields listed in `details`; see /docs.", details)


def _not_an_object(error: dict[str, Any], content_type: str) -> str:
    """Why the body as a whole is unusable: the wrong content type, nothing, or JSON that is not an object."""
    media = content_type.split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        sent = f"Content-Type {media!r}" if media else "no Content-Type"
        return f"The request body must be JSON sent with Content-Type: application/json; this request has {sent}."
    if error.get("type") == "missing":
        return "The request body is empty; it must be a JSON object."
    kind = _JSON_KINDS.get(type(error.get("input")), "another kind of value")
    return f"The request body must be a JSON object with named fields, not {kind}."


def _detail(error: dict[str, Any]) -> dict[str, Any]:
    loc = [str(part) for part in error.get("loc", ()) if part != "body"] or ["body"]
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return {"field": ".".join(loc), "message": message, "type": error.get("type", "")}


def install_handlers(app: FastAPI, metrics: Metrics) -> None:
    async def on_rag_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RagError)
        metrics.record_error(type(exc).__name__)
        return error_response(exc)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        content_type = request.headers.get("content-type", "")
        return await on_rag_error(request, validation_error(exc.errors(), content_type, request.url.path))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        hint = "See /docs for the endpoints and methods." if exc.status_code in (404, 405) else ""
        message = str(exc.detail)
        if exc.status_code == 400 and message == FASTAPI_PARSE_ERROR:
            message, hint = UNPARSABLE_BODY, json_hint(request.url.path)
        body = {"error": "HTTPError", "message": message, "hint": hint}
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    async def on_crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        metrics.record_error("InternalError")
        body = {"error": "InternalError", "message": "Unexpected server error.", "hint": "See the server log."}
        return JSONResponse(body, status_code=500)

    app.add_exception_handler(RagError, on_rag_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(Exception, on_crash)
