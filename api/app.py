"""The FastAPI app: `create_app(settings)`; the Engine is loaded once, in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse
from starlette.staticfiles import StaticFiles

from api.docs import install_docs
from api.handlers import install_handlers
from api.mcp_server.http import install_mcp
from api.metrics import Metrics
from api.middleware import BodyLimitMiddleware, CrashResponseMiddleware, MetricsMiddleware, SecurityHeadersMiddleware
from api.openai_errors import OpenAIErrorMiddleware
from api.questionlog import close_log, open_log
from api.ratelimit import RateLimiter
from api.routers import admin, ask, feedback, health, insights, openai_compat, posts, search
from api.routers import widget as widget_router
from api.state import EngineHolder
from rag.config import Settings, get_settings
from rag.insights.log import NoQuestionLog

STATIC_DIR = Path(__file__).resolve().parent / "static"
DESCRIPTION = (
    "Ask a blog's archive and get short answers citing the exact posts and passages. "
    "Errors are JSON `{error, message, hint}`; the hint says how to fix the request. "
    "When RAG_API_KEY is set, send it as `X-API-Key` or `Authorization: Bearer` "
    "(always required for /admin)."
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Models and index are loaded once per process, off the event loop.
    holder: EngineHolder = app.state.holder
    await run_in_threadpool(holder.load)
    await open_log(app, app.state.settings)
    try:
        async with app.state.mcp.running():  # the MCP transport's task group lives as long as the app
            yield
    finally:
        await close_log(app)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="blograg", version="0.1.0", description=DESCRIPTION, lifespan=lifespan, docs_url=None, redoc_url=None
    )
    metrics = Metrics()
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.holder = EngineHolder(settings)
    app.state.limiter = RateLimiter(settings.rate_limit_per_minute)
    install_handlers(app, metrics)
    app.state.question_log = NoQuestionLog()  # until the lifespan opens the configured one
    app.state.mcp = install_mcp(app, app.state.holder, settings, metrics)
    for module in (ask, search, posts, health, admin, feedback, insights):
        app.include_router(module.router)
    app.include_router(openai_compat.router)  # /v1: OpenAI-compatible chat completions and models
    app.include_router(widget_router.router)  # GET /widget.js, the embeddable chat
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_docs(app)

    @app.get("/", include_in_schema=False)
    async def chat_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    _add_middleware(app, settings, metrics)
    return app


def _add_middleware(app: FastAPI, settings: Settings, metrics: Metrics) -> None:
    # Added innermost first: crashes and the body limit are answered inside CORS, so a 500 or 413 still
    # carries CORS and security headers, and metrics is outermost so it counts every response.
    app.add_middleware(CrashResponseMiddleware, on_crash=app.exception_handlers[Exception])
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(OpenAIErrorMiddleware)  # outside the body limit, so /v1's 413 is restated too
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Authorization", "X-API-Key"],
            max_age=600,
        )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
