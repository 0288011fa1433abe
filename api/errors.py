"""HTTP-only members of the RagError family, and the one place a RagError becomes a response."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from rag.errors import RagError


class AuthError(RagError):
    """The API key is missing or wrong."""

    http_status = 401
    challenge = 'Bearer realm="blograg"'  # the WWW-Authenticate header of the 401


class BrowserAuthError(AuthError):
    """A page a person opens in a browser: the 401 asks for the key in the browser's own login box."""

    challenge = 'Basic realm="blograg admin", charset="UTF-8"'


class ForbiddenError(RagError):
    """The endpoint is switched off by configuration."""

    http_status = 403


class NotFoundError(RagError):
    """A post (or other resource) does not exist."""

    http_status = 404


class BodyTooLargeError(RagError):
    http_status = 413


class RateLimitedError(RagError):
    http_status = 429

    def __init__(self, message: str, hint: str, retry_after: int) -> None:
        super().__init__(message, hint)
        self.retry_after = retry_after


class ValidationFailed(RagError):
    """A request body does not match its schema (raised by pydantic, translated here)."""

    http_status = 422

    def __init__(self, message: str, hint: str, details: list[dict[str, Any]]) -> None:
        super().__init__(message, hint)
        self.details = details

    def to_json(self) -> dict[str, Any]:  # type: ignore[override]
        return {**super().to_json(), "details": self.details}


def error_response(err: RagError) -> JSONResponse:
    """The single RagError -> HTTP translation: status from the class, body from to_json()."""
    headers = {}
    if isinstance(err, RateLimitedError):
        headers["Retry-After"] = str(err.retry_after)
    if isinstance(err, AuthError):
        headers["WWW-Authenticate"] = err.challenge
    return JSONResponse(err.to_json(), status_code=err.http_status, headers=headers)


class ConflictError(RagError):
    """The request clashes with work already in progress."""

    http_status = 409
