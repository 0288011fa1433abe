"""FastAPI dependencies: settings, the loaded Engine, metrics, API key and rate limit checks."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from api.errors import AuthError, ForbiddenError, RateLimitedError
from api.metrics import Metrics
from api.ratelimit import RateLimiter
from api.state import EngineHolder, Loaded
from rag.config import Settings
from rag.errors import InputError


def get_settings(request: Request) -> Settings:
    """The Settings the app was created with (override in tests via app.dependency_overrides)."""
    settings: Settings = request.app.state.settings
    return settings


def get_holder(request: Request) -> EngineHolder:
    holder: EngineHolder = request.app.state.holder
    return holder


def get_loaded(holder: Annotated[EngineHolder, Depends(get_holder)]) -> Loaded:
    """The Engine current at the start of this request; it stays valid even if a reindex swaps."""
    return holder.get()


def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


SettingsDep = Annotated[Settings, Depends(get_settings)]
HolderDep = Annotated[EngineHolder, Depends(get_holder)]
LoadedDep = Annotated[Loaded, Depends(get_loaded)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]


def presented_key(request: Request) -> str:
    """The key from `X-API-Key` or `Authorization: Bearer <key>`; "" when neither is sent."""
    key = request.headers.get("x-api-key", "")
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if not key and scheme.lower() == "bearer":
        key = token.strip()
    return key


def _check_key(request: Request, expected: str) -> None:
    key = presented_key(request)
    if not key:
        hint = "Send it as `X-API-Key: <key>` or `Authorization: Bearer <key>`."
        raise AuthError("This endpoint needs an API key.", hint)
    if not hmac.compare_digest(key.encode(), expected.encode()):
        raise AuthError("The API key is wrong.", "Use the key configured in RAG_API_KEY on the server.")


def require_api_key(request: Request, settings: SettingsDep) -> None:
    """/ask and /search are open unless an API key is configured."""
    if settings.api_key:
        _check_key(request, settings.api_key)


def require_admin_key(request: Request, settings: SettingsDep) -> None:
    """/admin/* always needs a key: without a configured one, admin endpoints are off."""
    if not settings.api_key:
        raise ForbiddenError(
            "Admin endpoints are disabled because no API key is configured.",
            "Set RAG_API_KEY on the server and send it as X-API-Key, or run `rag ingest` and restart.",
        )
    _check_key(request, settings.api_key)


def rate_limit(request: Request) -> None:
    limiter: RateLimiter = request.app.state.limiter
    client = request.client.host if request.client else "unknown"
    wait = limiter.check(client)
    if wait is not None:
        raise RateLimitedError(
            f"Too many requests from {client}: the limit is {int(limiter.capacity)} per minute.",
            f"Wait {wait} s (see Retry-After) and slow down.",
            wait,
        )


def check_generator(spec: str | None, settings: Settings) -> None:
    """Clients may pick only generators the operator enabled: a spec can name a local model file or
    a paid API, so it is not the caller's choice alone."""
    allowed = {"extractive", settings.generator, *settings.allowed_generators}
    if spec is not None and spec not in allowed:
        raise InputError(
            f"Generator {spec!r} is not enabled on this server.",
            f"Omit 'generator' or use one of: {', '.join(sorted(allowed))}. "
            "Operators can enable more with RAG_ALLOWED_GENERATORS.",
        )
