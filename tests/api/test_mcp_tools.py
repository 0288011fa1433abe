"""The MCP tools through the SDK's own client, connected in-process to the real server (fast checks).

The same server runs over stdio (test_mcp_stdio.py) and Streamable HTTP (test_mcp_http.py).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult

from api.mcp_server import build_server
from api.state import EngineHolder
from rag.config import Settings
from rag.store import index_summary, read_index

TOOL_NAMES = {"search_posts", "ask", "get_post", "list_posts"}


@pytest.fixture(scope="module")
def holder(api_settings: Settings) -> EngineHolder:
    holder = EngineHolder(api_settings)
    holder.load()
    return holder


def run_with(holder: EngineHolder, body: Callable[[Client], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        async with Client(build_server(holder)) as client:
            return await body(client)

    return anyio.run(main)


def error_text(result: CallToolResult) -> str:
    assert result.is_error is True
    return result.content[0].text  # type: ignore[union-attr]


def test_tools_are_listed_with_descriptions_schemas_and_read_only_hints(holder: EngineHolder) -> None:
    tools = run_with(holder, lambda c: c.list_tools())
    by_name = {tool.name: tool for tool in tools.tools}
    assert set(by_name) == TOOL_NAMES
    for tool in by_name.values():
        assert tool.annotations is not None and tool.annotations.read_only_hint is True
        assert len(tool.description or "") > 80
        assert tool.input_schema["type"] == "object" and tool.input_schema["additionalProperties"] is False
        assert tool.output_schema is not None and tool.output_schema["type"] == "object"
    assert by_name["search_posts"].input_schema["required"] == ["query"]
    assert by_name["search_posts"].input_schema["properties"]["top_k"]["anyOf"][0]["maximum"] == 20
    assert by_name["ask"].input_schema["required"] == ["question"]
    assert set(by_name["ask"].input_schema["properties"]) == {"question", "history"}
    assert by_name["get_post"].input_schema["required"] == ["source"]
    assert set(by_name["list_posts"].input_schema["properties"]) == {"tag", "after", "before", "limit", "cursor"}


def test_search_posts_returns_passages_with_title_date_heading_url_and_text(holder: EngineHolder) -> None:
    args = {"query": "How do I set a TTL in Redis?", "top_k": 2}
    result = run_with(holder, lambda c: c.call_tool("search_posts", args))
    hits = result.structured_content["results"]
    assert not result.is_error and 1 <= len(hits) <= 2
    assert hits[0]["source"] == "html-post.html" and "Redis" in hits[0]["text"]
    assert {"title", "date", "heading", "url", "text", "source"} <= set(hits[0])
    assert json.loads(result.content[0].text) == result.structured_content


def test_search_filters_by_tag_and_date(holder: EngineHolder) -> None:
    result = run_with(holder, lambda c: c.call_tool("search_posts", {"query": "settings", "tags": ["postgres"]}))
    assert {hit["source"] for hit in result.structured_content["results"]} == {"english-markdown.md"}
    late = run_with(holder, lambda c: c.call_tool("search_posts", {"query": "payload", "after": "2030-01-01"}))
    assert late.structured_content["results"] == []


def test_ask_answers_with_verified_citations_and_refuses_what_the_posts_do_not_say(holder: EngineHolder) -> None:
    async def body(client: Client) -> tuple[Any, Any]:
        answered = await client.call_tool("ask", {"question": "How do I set a TTL in Redis?"})
        refused = await client.call_tool("ask", {"question": "谁是 2019 年的诺贝尔文学奖得主？"})
        return answered.structured_content, refused.structured_content

    answered, refused = run_with(holder, body)
    assert answered["refused"] is False and answered["citations"][0]["quote"] == "Set a TTL on every key."
    assert "[1]" in answered["answer"]
    assert refused["refused"] is True and refused["citations"] == []


def test_ask_follows_up_with_history(holder: EngineHolder) -> None:
    history = [
        {"role": "user", "content": "How do I tune Postgres autovacuum?"},
        {"role": "assistant", "content": "Lower the scale factor for large tables only. [1]"},
    ]
    args = {"question": "Which of its settings matter?", "history": history}
    query = run_with(holder, lambda c: c.call_tool("ask", args)).structured_content["query"]
    assert query != args["question"] and "autovacuum" in query.lower()


def test_get_post_pages_through_the_clean_text(holder: EngineHolder) -> None:
    post = holder.get().engine.index.posts["english-markdown.md"]

    async def body(client: Client) -> list[dict[str, Any]]:
        pages, offset = [], 0
        while offset is not None:
            result = await client.call_tool("get_post", {"source": post.source, "offset": offset, "limit": 300})
            pages.append(result.structured_content)
            offset = result.structured_content["next_offset"]
        return pages

    pages = run_with(holder, body)
    assert len(pages) == -(-len(post.text) // 300) > 1
    assert "".join(page["text"] for page in pages) == post.text
    assert all(len(page["text"]) <= 300 and page["total_chars"] == len(post.text) for page in pages)
    assert pages[0]["title"] == post.title and pages[0]["chunks"][0]["start"] == 0
    assert all(c["start"] < page["offset"] + len(page["text"]) for page in pages for c in page["chunks"])


def test_list_posts_pages_with_a_cursor_newest_first(holder: EngineHolder) -> None:
    async def body(client: Client) -> list[dict[str, Any]]:
        pages, cursor = [], None
        while True:
            args = {"limit": 3, **({"cursor": cursor} if cursor else {})}
            page = (await client.call_tool("list_posts", args)).structured_content
            pages.append(page)
            cursor = page["next_cursor"]
            if cursor is None:
                return pages

    pages = run_with(holder, body)
    listed = [post["source"] for page in pages for post in page["posts"]]
    assert sorted(listed) == sorted(holder.get().engine.index.posts) and len(pages) > 1
    dates = [post["date"] for page in pages for post in page["posts"] if post["date"]]
    assert dates == sorted(dates, reverse=True)
    tagged = run_with(holder, lambda c: c.call_tool("list_posts", {"tag": "PERFORMANCE"})).structured_content
    assert [post["source"] for post in tagged["posts"]] == ["english-markdown.md"] and tagged["total"] == 1
    args = {"tag": "security", "after": "2024-09-11", "before": "2024-09-11"}
    dated = run_with(holder, lambda c: c.call_tool("list_posts", args)).structured_content
    assert [post["source"] for post in dated["posts"]] == ["xss-payload.md"]


BAD_CALLS: list[tuple[str, dict[str, Any], str]] = [
    ("search_posts", {"query": "redis", "top_k": 99}, "top_k: Input should be less than or equal to 20"),
    ("search_posts", {"query": "   "}, "The query is empty."),
    ("search_posts", {"query": "redis", "after": "2024-13-01"}, "after:"),
    ("search_posts", {"query": "redis", "colour": "red"}, "colour: Extra inputs are not permitted"),
    ("ask", {}, "question: Field required"),
    ("ask", {"question": "x" * 2001}, "the limit is 2000"),
    ("ask", {"question": "Why?", "history": [{"role": "system", "content": "x"}]}, "history.0.role"),
    ("get_post", {"source": "missing.md"}, "No post with id 'missing.md' in the index."),
    ("get_post", {"source": "html-post.html", "limit": 0}, "limit:"),
    ("list_posts", {"cursor": "not-a-cursor"}, "The cursor is not one this server handed out."),
    ("no_such_tool", {}, "There is no tool 'no_such_tool'."),
]


def test_bad_arguments_are_tool_errors_with_a_fix_and_the_next_call_works(holder: EngineHolder) -> None:
    async def body(client: Client) -> list[tuple[CallToolResult, CallToolResult]]:
        results = []
        for name, arguments, _ in BAD_CALLS:
            bad = await client.call_tool(name, arguments)
            good = await client.call_tool("search_posts", {"query": "redis", "top_k": 1})
            results.append((bad, good))
        return results

    for (_, _, expected), (bad, good) in zip(BAD_CALLS, run_with(holder, body), strict=True):
        text = error_text(bad)
        assert text.startswith("Error: ") and expected in text and "\nFix: " in text
        assert good.is_error is False and good.structured_content["results"]


def test_a_crashing_tool_is_an_error_result_not_a_dead_session(holder: EngineHolder, monkeypatch: Any) -> None:
    engine = holder.get().engine
    original = engine.search

    def crash(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(engine, "search", original)  # only the first call fails
        raise RuntimeError("boom")

    monkeypatch.setattr(engine, "search", crash)

    async def body(client: Client) -> tuple[CallToolResult, CallToolResult]:
        return await client.call_tool("search_posts", {"query": "redis"}), await client.call_tool(
            "search_posts", {"query": "redis"}
        )

    crashed, recovered = run_with(holder, body)
    assert "Unexpected server error" in error_text(crashed) and "boom" not in error_text(crashed)
    assert recovered.is_error is False


def test_index_summary_resource_is_what_rag_info_shows(holder: EngineHolder, api_settings: Settings) -> None:
    async def body(client: Client) -> tuple[Any, Any, MCPError]:
        with pytest.raises(MCPError) as unknown:
            await client.read_resource("blograg://elsewhere")
        return await client.list_resources(), await client.read_resource("blograg://index"), unknown.value

    listed, read, unknown = run_with(holder, body)
    assert [str(r.uri) for r in listed.resources] == ["blograg://index"]
    assert json.loads(read.contents[0].text) == index_summary(read_index(api_settings.index_dir))
    assert "blograg://index" in str(unknown)


def test_without_an_index_every_tool_says_how_to_build_one(tmp_path: Path) -> None:
    holder = EngineHolder(Settings(index_dir=tmp_path / "none", embedder="hashing"))
    holder.load()
    result = run_with(holder, lambda c: c.call_tool("search_posts", {"query": "redis"}))
    text = error_text(result)
    assert "rag ingest" in text and "\nFix: " in text


def test_cursor_is_opaque_but_checked() -> None:
    from api.mcp_server.tools import _decode_cursor, _encode_cursor

    assert _decode_cursor(_encode_cursor(40)) == 40
    with pytest.raises(Exception, match="cursor"):
        _decode_cursor(base64.urlsafe_b64encode(b"posts:-1").decode())


def test_summary_without_paths_keeps_names_only() -> None:
    from api.mcp_server.server import _without_paths

    summary = {"embedder": "st:/srv/models/bge-small", "roots": ["/srv/blog/posts"], "path": "/srv/index/v-1", "x": 1}
    assert _without_paths(summary) == {"embedder": "st:bge-small", "roots": ["posts"], "path": "v-1", "x": 1}
    assert _without_paths({"embedder": "hashing:256"})["embedder"] == "hashing:256"


def test_tools_follow_a_reindex_swap(api_settings: Settings, tmp_path: Path) -> None:
    """The server reads the holder's current Engine per call, never a copy taken at start."""
    import shutil

    from api.state import load_engine
    from rag.pipeline import ingest

    posts = tmp_path / "posts"
    shutil.copytree(api_settings.posts[0], posts)
    settings = api_settings.model_copy(update={"index_dir": tmp_path / "index", "posts": [posts]})
    ingest(settings)
    holder = EngineHolder(settings)
    holder.load()

    def reindex() -> None:
        (posts / "new.md").write_text("---\ntitle: A new post\ndate: 2031-01-01\n---\n\nFresh words.\n", "utf-8")
        ingest(settings)
        holder.swap(load_engine(settings))

    async def body(client: Client) -> tuple[Any, Any]:
        before = (await client.call_tool("list_posts", {})).structured_content
        await anyio.to_thread.run_sync(reindex)  # while the session stays open
        return before, (await client.call_tool("list_posts", {"limit": 1})).structured_content

    before, after = run_with(holder, body)
    assert after["total"] == before["total"] + 1 and after["posts"][0]["source"] == "new.md"


def test_ask_is_logged_in_the_question_log_as_channel_mcp(holder: EngineHolder, tmp_path: Path) -> None:
    """MCP answers land in the same SQLite log as /ask, so `rag insights` sees what assistants asked."""
    import sqlite3

    from rag.insights.log import open_question_log

    settings = holder.settings.model_copy(update={"db_url": str(tmp_path / "q.sqlite")})
    question_log = open_question_log(settings)
    try:

        async def main() -> Any:
            async with Client(build_server(holder, lambda: question_log)) as client:
                searched = await client.call_tool("search_posts", {"query": "redis"})
                assert not searched.is_error
                return await client.call_tool("ask", {"question": "How do I set a TTL in Redis?"})

        answer = anyio.run(main).structured_content
    finally:
        question_log.close()
    conn = sqlite3.connect(tmp_path / "q.sqlite")
    try:
        rows = conn.execute("SELECT answer_id, question, channel FROM questions").fetchall()
    finally:
        conn.close()
    assert rows == [(answer["answer_id"], "How do I set a TTL in Redis?", "mcp")]  # searches are not answers
