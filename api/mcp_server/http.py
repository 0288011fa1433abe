"""`/mcp` in `rag serve`: the SDK's Streamable HTTP transport behind the API's own key and rate rules.

The session manager runs stateless with JSON responses: every POST carries one exchange, so a server
restart or reindex never strands a client on a session id, and no long-lived stream is needed for
tools that only answer. Its task group must live as long as the app, hence `running()`, entered by
the app's lifespan.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from mcp.server import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from api.deps import rate_limit, require_api_key
from api.errors import ForbiddenError, error_response
from api.mcp_server.server import build_server
from api.metrics import Metrics
from api.state import EngineHolder
from rag.config import Settings
from rag.errors import IndexNotFoundError, RagError

MCP_PATH = "/mcp"


class McpEndpoint:
    """The ASGI app at /mcp: API key, Origin and rate limit checks, then the SDK's transport."""

    def __init__(self, server: Server[Any], settings: Settings, metrics: Metrics) -> None:
        self.server = server
        self.settings = settings
        self.metrics = metrics
        self.route: Route | None = None
        self._manager: StreamableHTTPSessionManager | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run the transport for the app's lifetime (a manager runs once, so each start gets a new one)."""
        manager = StreamableHTTPSessionManager(app=self.server, stateless=True, json_response=True)
        async with manager.run():
            self._manager = manager
            try:
                yield
            finally:
                self._manager = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = self.route  # so /metrics counts these requests under /mcp, like any route
        request = Request(scope, receive)
        try:
            self._admit(request)
            manager = self._manager_or_raise()
        except RagError as exc:
            self.metrics.record_error(type(exc).__name__)
            await error_response(exc)(scope, receive, send)
            return
        await manager.handle_request(scope, receive, send)

    def _admit(self, request: Request) -> None:
        require_api_key(request, self.settings)
        origin = request.headers.get("origin")
        # Assistants are not browsers and send no Origin. A page in a browser does: unless the operator
        # listed its origin, refuse it, so a web page (or a DNS-rebound name) cannot drive the tools.
        if origin is not None and origin not in self.settings.cors_origins:
            raise ForbiddenError(
                f"/mcp does not accept browser requests from {origin}.",
                "Connect from an MCP client, or list the origin in RAG_ALLOWED_ORIGINS on the server.",
            )
        rate_limit(request, self.settings)

    def _manager_or_raise(self) -> StreamableHTTPSessionManager:
        if self._manager is None:
            # IndexNotFoundError is the API's 503: the server is starting or stopping.
            raise IndexNotFoundError("The MCP transport is not running.", "Retry once the server has started.")
        return self._manager


def install_mcp(app: FastAPI, holder: EngineHolder, settings: Settings, metrics: Metrics) -> McpEndpoint:
    """Add the /mcp route; the caller's lifespan must enter `endpoint.running()`."""
    # Every caller holds the key when one is configured; on an open server, the summary hides local paths.
    server = build_server(holder, lambda: app.state.question_log, local_paths=bool(settings.api_key))
    endpoint = McpEndpoint(server, settings, metrics)
    # POST only: stateless, the server never pushes, so a GET stream would only hold a task open forever;
    # the spec's answer for "no stream here" is 405.
    endpoint.route = Route(MCP_PATH, endpoint, methods=["POST"], include_in_schema=False)
    app.router.routes.append(endpoint.route)
    return endpoint
