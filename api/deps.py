"""FastAPI dependencies: settings, the loaded Engine, metrics, API key and rate limit checks."""

from __future__ import annotations

import base64
import hmac
import ipaddress
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
    """The key from `X-API-Key`, `Authorization: Bearer <key>`, or a browser's `Authorization: Basic`
    login (any user name, the key as password); "" when none is sent."""
    key = request.headers.get("x-api-key", "")
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if not key and scheme.lower() == "bearer":
        key = token.strip()
    if not key and scheme.lower() == "basic":
        key = _basic_password(token.strip())
    return key


def _basic_password(token: str) -> str:
    try:
        return base64.b64decode(token, validate=True).decode("utf-8").partition(":")[2]
    except (ValueError, UnicodeDecodeError):
        return ""


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


def key_is_valid(request: Request, settings: Settings) -> bool:
    """Whether the request carries the configured API key (False when none is configured)."""
    key = presented_key(request)
    return bool(settings.api_key and key) and hmac.compare_digest(key.encode(), settings.api_key.encode())


def client_address(request: Request, settings: Settings) -> str:
    """Who the rate limit counts: the connection's peer, or, when that peer is a configured trusted
    proxy (RAG_TRUSTED_PROXIES), the nearest untrusted address in X-Forwarded-For. The header is
    anyone's to write, so it is never believed from other peers (loopback included)."""
    peer = request.client.host if request.client else "unknown"
    trusted = [ipaddress.ip_network(entry, strict=False) for entry in settings.trusted_proxies]
    if not _is_trusted(peer, trusted):
        return peer
    forwarded = [hop.strip() for hop in ",".join(request.headers.getlist("x-forwarded-for")).split(",")]
    for hop in reversed([hop for hop in forwarded if hop]):
        if not _is_trusted(hop, trusted):
            return hop
    return peer


def _is_trusted(address: str, trusted: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def rate_limit(request: Request, settings: SettingsDep) -> None:
    """Counts a request; routers list it after the key check, so rejected keys use no budget."""
    limiter: RateLimiter = request.app.state.limiter
    client = client_address(request, settings)
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
        # The enabled specs are not listed: they can hold a private server URL or a model file path.
        raise InputError(
            f"Generator {spec!r} is not enabled on this server.",
            "Omit 'generator' to use the server's default, or send 'extractive'. Operators enable more specs "
            'with RAG_ALLOWED_GENERATORS, a JSON list such as ["openai:gpt-4o-mini"].',
        )
