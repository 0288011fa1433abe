"""MCP server for assistants: `rag mcp` (stdio) and Streamable HTTP at /mcp in `rag serve`.

It lives in api/ beside the HTTP API because it is another edge over the same Engine: it validates
with the API's pydantic schemas, follows the EngineHolder's reindex swaps, and applies the API's key
and rate rules; the core library (rag/) imports neither FastAPI nor the MCP SDK.
"""

from api.mcp_server.server import build_server, run_stdio

__all__ = ["build_server", "run_stdio"]
