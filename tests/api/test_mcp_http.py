"""/mcp over Streamable HTTP on a real loopback uvicorn, driven by the SDK's own client."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client, ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from api.app import create_app
from rag.config import Settings
from tests.api.helpers import ClientFactory, live_server

pytestmark = pytest.mark.slow
KEY = "mcp-s3cret"
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream"}


@pytest.fixture(scope="module")
def server(api_settings: Settings) -> Iterator[str]:
    settings = api_settings.model_copy(update={"api_key": KEY})
    with live_server(create_app(settings), settings) as url:
        yield url


def with_session(url: str, headers: dict[str, str], body: Callable[[ClientSession], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        async with (
            httpx2.AsyncClient(headers=headers, timeout=60) as http,
            streamable_http_client(f"{url}/mcp", http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            return await body(session)

    return anyio.run(main)


def test_tools_are_listed_and_each_one_answers_over_http(server: str, api_settings: Settings) -> None:
    async def body(session: ClientSession) -> dict[str, Any]:
        tools = await session.list_tools()
        search = await session.call_tool("search_posts", {"query": "redis", "top_k": 1})
        answer = await session.call_tool("ask", {"question": "How do I set a TTL in Redis?"})
        listed = await session.call_tool("list_posts", {"limit": 2})
        post = await session.call_tool("get_post", {"source": "html-post.html", "limit": 50})
        summary = await session.read_resource("blograg://index")
        return {"tools": tools, "search": search, "ask": answer, "list": listed, "post": post, "summary": summary}

    got = with_session(server, {"Authorization": f"Bearer {KEY}"}, body)
    assert {t.name for t in got["tools"].tools} == {"search_posts", "ask", "get_post", "list_posts"}
    assert all(t.annotations.read_only_hint for t in got["tools"].tools)
    assert not any(got[name].is_error for name in ("search", "ask", "list", "post"))
    assert got["search"].structured_content["results"][0]["source"] == "html-post.html"
    assert got["ask"].structured_content["citations"][0]["quote"] == "Set a TTL on every key."
    assert len(got["list"].structured_content["posts"]) == 2 and got["list"].structured_content["next_cursor"]
    assert got["post"].structured_content["offset"] == 0 and len(got["post"].structured_content["text"]) == 50
    summary = json.loads(got["summary"].contents[0].text)  # callers hold the key: the operator's full view
    assert summary["embedder"].startswith("hashing") and summary["path"].startswith(str(api_settings.index_dir))


def test_a_bad_argument_is_a_tool_error_and_the_session_goes_on(server: str) -> None:
    async def body(session: ClientSession) -> tuple[Any, Any]:
        bad = await session.call_tool("search_posts", {"query": "redis", "before": "yesterday"})
        return bad, await session.call_tool("search_posts", {"query": "redis", "top_k": 1})

    bad, good = with_session(server, {"X-API-Key": KEY}, body)
    assert bad.is_error is True and "before:" in bad.content[0].text and "\nFix: " in bad.content[0].text
    assert good.is_error is False and good.structured_content["results"]


def test_the_ask_tool_answers_exactly_as_post_ask(server: str) -> None:
    question = "王泽锋从哪一年开始深耕云原生领域？"

    async def body(session: ClientSession) -> dict[str, Any]:
        result = await session.call_tool("ask", {"question": question})
        return dict(result.structured_content)

    over_mcp = with_session(server, {"X-API-Key": KEY}, body)
    over_http = httpx.post(f"{server}/ask", json={"question": question}, headers={"X-API-Key": KEY}, timeout=60).json()
    volatile = {"timings_ms", "answer_id"}  # per-call measurements and ids
    assert {k: v for k, v in over_mcp.items() if k not in volatile} == {
        k: v for k, v in over_http.items() if k not in volatile
    }
    assert "2015" in over_mcp["answer"] and over_mcp["citations"]


def test_the_sdk_client_in_auto_mode_works_too(api_settings: Settings) -> None:
    """`mcp.Client` negotiates the newest protocol era both sides speak; /mcp serves that era as well."""

    async def main(url: str) -> tuple[Any, Any, Any]:
        async with Client(f"{url}/mcp") as client:
            tools = await client.list_tools()
            search = await client.call_tool("search_posts", {"query": "redis", "top_k": 1})
            return tools, search, await client.read_resource("blograg://index")

    with live_server(create_app(api_settings), api_settings) as url:
        tools, result, summary = anyio.run(main, url)
    assert len(tools.tools) == 4 and result.structured_content["results"][0]["source"] == "html-post.html"
    # An open server (no key) does not show its file system, as /health does not.
    text = summary.contents[0].text
    assert str(api_settings.index_dir) not in text and str(api_settings.posts[0]) not in text
    assert json.loads(text)["roots"] == [api_settings.posts[0].name]


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "This endpoint needs an API key."),
        ({"X-API-Key": "wrong"}, "The API key is wrong."),
        ({"Authorization": "Bearer wrong"}, "The API key is wrong."),
    ],
)
def test_a_missing_or_wrong_key_is_refused(server: str, headers: dict[str, str], message: str) -> None:
    response = httpx.post(f"{server}/mcp", json=INITIALIZE, headers={**MCP_HEADERS, **headers}, timeout=30)
    assert response.status_code == 401 and response.json()["message"] == message
    assert response.json()["hint"] and response.headers["www-authenticate"].startswith("Bearer")


def test_the_sdk_client_with_a_wrong_key_cannot_connect(server: str) -> None:
    reached: list[bool] = []

    async def body(session: ClientSession) -> None:
        reached.append(True)

    with pytest.raises(ExceptionGroup) as refused:  # the SDK reports the 401 from its task group
        with_session(server, {"X-API-Key": "wrong"}, body)
    assert refused.group_contains(MCPError, match="error response", depth=None) and reached == []


def test_browser_origins_are_refused_unless_listed(server: str, api_settings: Settings) -> None:
    headers = {**MCP_HEADERS, "X-API-Key": KEY, "Origin": "http://evil.example"}
    response = httpx.post(f"{server}/mcp", json=INITIALIZE, headers=headers, timeout=30)
    assert response.status_code == 403 and "RAG_ALLOWED_ORIGINS" in response.json()["hint"]
    settings = api_settings.model_copy(update={"cors_origins": ["http://evil.example"]})
    with live_server(create_app(settings), settings) as url:
        allowed = httpx.post(f"{url}/mcp", json=INITIALIZE, headers=headers, timeout=30)
    assert allowed.status_code == 200 and allowed.json()["result"]["serverInfo"]["name"] == "blograg"


def test_without_a_configured_key_mcp_is_open_like_ask(api_settings: Settings) -> None:
    with live_server(create_app(api_settings), api_settings) as url:
        response = httpx.post(f"{url}/mcp", json=INITIALIZE, headers=MCP_HEADERS, timeout=30)
        metrics = httpx.get(f"{url}/metrics", timeout=30).text
    assert response.status_code == 200 and response.json()["result"]["serverInfo"]["name"] == "blograg"
    assert 'route="/mcp"' in metrics


def test_only_post_is_served_and_the_rate_limit_counts_mcp_after_the_key(make_client: ClientFactory) -> None:
    client = make_client(api_key=KEY, rate_limit_per_minute=2)
    headers = {**MCP_HEADERS, "X-API-Key": KEY}
    assert client.get("/mcp", headers=headers).status_code == 405  # no server-push stream to hang open
    assert client.post("/mcp", json=INITIALIZE, headers={**MCP_HEADERS, "X-API-Key": "wrong"}).status_code == 401
    assert [client.post("/mcp", json=INITIALIZE, headers=headers).status_code for _ in range(3)] == [200, 200, 429]
