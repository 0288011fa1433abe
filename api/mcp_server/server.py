"""The MCP server over an EngineHolder, built on the SDK's low-level `Server`, and its stdio runner.

The low-level server (rather than MCPServer's decorated functions) lets each tool's arguments be
one pydantic model: its JSON schema is the tool's input schema, and a bad argument is reported
in /ask's words and with a fix, instead of pydantic's raw dump. Every failure of a call becomes a
tool result with `isError` — the session always survives to take the next call.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import PurePath
from typing import Any

import anyio
import anyio.to_thread
from mcp.server import Server, ServerRequestContext
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError
from mcp_types import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    CallToolRequestParams,
    CallToolResult,
    ListResourcesResult,
    ListToolsResult,
    PaginatedRequestParams,
    ReadResourceRequestParams,
    ReadResourceResult,
    Resource,
    TextContent,
    TextResourceContents,
    Tool,
    ToolAnnotations,
)
from pydantic import ValidationError

from api.handlers import validation_error
from api.mcp_server.tools import TOOLS, ToolRun, ToolSpec
from api.state import EngineHolder
from rag.config import Settings
from rag.errors import InputError, RagError
from rag.insights.log import NoQuestionLog, QuestionLog, open_or_warn
from rag.store import index_summary

log = logging.getLogger("blograg.mcp")
INDEX_URI = "blograg://index"
INSTRUCTIONS = (
    "Tools over one blog's archive. Use `ask` for a short answer whose [n] citations are verified against "
    "the posts (say so when `refused` is true: the posts do not tell); `search_posts` to find passages; "
    "`get_post` to read a post; `list_posts` to browse. Link readers to the `url` of a citation or hit."
)
ARGUMENT_HINT = "Correct the arguments named above; the tool's input schema says what each one accepts."
CRASH = RagError("Unexpected server error while running the tool.", "See the server's log (stderr); retry.")
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)


def build_server(
    holder: EngineHolder, question_log: Callable[[], QuestionLog] = NoQuestionLog, *, local_paths: bool = True
) -> Server[Any]:
    """An MCP server whose tools run against the holder's current Engine (so a reindex swap is seen)
    and log answers to `question_log()` (the app's, which its lifespan opens after this is built).
    Without `local_paths` the index summary names folders instead of showing their absolute paths."""
    by_name = {spec.name: spec for spec in TOOLS}

    async def list_tools(ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None) -> ListToolsResult:
        return ListToolsResult(tools=[_tool(spec) for spec in TOOLS])

    async def call_tool(ctx: ServerRequestContext[Any], params: CallToolRequestParams) -> CallToolResult:
        spec = by_name.get(params.name)
        if spec is None:
            names = ", ".join(by_name)
            return _error(InputError(f"There is no tool {params.name!r}.", f"Call one of: {names}."))
        try:
            data = await anyio.to_thread.run_sync(_run, holder, question_log(), spec, params.arguments or {})
        except RagError as exc:
            log.info("tool %s refused: %s", spec.name, exc.message)
            return _error(exc)
        except Exception:  # noqa: BLE001 - a crash must become a tool error, never end the session
            log.exception("tool %s crashed", spec.name)
            return _error(CRASH)
        return CallToolResult(content=[TextContent(text=_dumps(data))], structured_content=data)

    async def list_resources(
        ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None
    ) -> ListResourcesResult:
        summary = Resource(
            uri=INDEX_URI,
            name="index",
            title="Index summary",
            description="What `rag info --json` shows: embedder, chunker, versions, post folders and post ids.",
            mime_type="application/json",
        )
        return ListResourcesResult(resources=[summary])

    async def read_resource(ctx: ServerRequestContext[Any], params: ReadResourceRequestParams) -> ReadResourceResult:
        if str(params.uri) != INDEX_URI:
            raise MCPError(code=INVALID_PARAMS, message=f"There is no resource {params.uri}. Fix: read {INDEX_URI}.")
        try:
            summary = index_summary(holder.get().engine.index)
            text = _dumps(summary if local_paths else _without_paths(summary))
        except RagError as exc:  # no index loaded: the same message and fix as a tool call gets
            raise MCPError(code=INTERNAL_ERROR, message=_error_text(exc)) from None
        return ReadResourceResult(
            contents=[TextResourceContents(uri=INDEX_URI, text=text, mime_type="application/json")]
        )

    return Server(
        "blograg",
        version=_version(),
        title="blograg",
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_read_resource=read_resource,
    )


def _without_paths(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary for callers who need not know the server's file system (like /health without the key)."""
    backend, colon, arg = str(summary.get("embedder", "")).partition(":")
    return {
        **summary,
        "embedder": f"{backend}{colon}{PurePath(arg).name if '/' in arg else arg}",
        "roots": [PurePath(root).name for root in summary.get("roots", [])],
        "path": PurePath(str(summary.get("path", ""))).name,
    }


def _tool(spec: ToolSpec) -> Tool:
    return Tool(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        input_schema=spec.args.model_json_schema(),
        output_schema=spec.output.model_json_schema(),
        annotations=READ_ONLY.model_copy(update={"title": spec.title}),
    )


def _run(holder: EngineHolder, log_to: QuestionLog, spec: ToolSpec, arguments: dict[str, Any]) -> dict[str, Any]:
    try:
        args = spec.args.model_validate(arguments)
    except ValidationError as exc:
        # /ask's wording of the same pydantic errors ("Invalid request: top_k: ..."), with an MCP fix.
        raise InputError(validation_error(exc.errors()).message, ARGUMENT_HINT) from None
    return spec.handler(ToolRun(holder.get(), log_to), args)


def _error(exc: RagError) -> CallToolResult:
    """The CLI's two lines (`Error: ...`, `Fix: ...`) as a tool error the model can act on."""
    return CallToolResult(content=[TextContent(text=_error_text(exc))], is_error=True)


def _error_text(exc: RagError) -> str:
    return f"Error: {exc.message}" + (f"\nFix: {exc.hint}" if exc.hint else "")


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def _version() -> str:
    try:
        return version("blograg")
    except PackageNotFoundError:
        return "0"


def run_stdio(settings: Settings) -> None:
    """`rag mcp`: serve over stdin/stdout until the client closes stdin. Logs go to stderr."""
    holder = EngineHolder(settings)
    question_log = open_or_warn(settings)  # a broken database costs a warning, never the server
    try:
        anyio.run(_serve_stdio, build_server(holder, lambda: question_log), holder)
    finally:
        question_log.close()


async def _serve_stdio(server: Server[Any], holder: EngineHolder) -> None:
    # Inside stdio_server, fd 1 points at stderr: whatever loading the index prints cannot reach the
    # protocol stream. A missing index is remembered by the holder and reported by each tool call.
    async with stdio_server() as (read_stream, write_stream):
        await anyio.to_thread.run_sync(holder.load)
        await server.run(read_stream, write_stream, server.create_initialization_options())
