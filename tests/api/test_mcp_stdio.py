"""`rag mcp` as a desktop assistant runs it: a real subprocess on stdio, driven by the SDK's client."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from rag.config import Settings
from rag.store import index_summary, read_index

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def server_params(index: Path, cwd: Path) -> StdioServerParameters:
    """Exactly what `rag mcp --print-config` tells a user to paste into their assistant's config."""
    # The SDK passes only a minimal environment to the child; the checkout goes first on its path.
    env = {"PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    printed = subprocess.run(
        [sys.executable, "-m", "rag", "mcp", "--print-config", "--index", str(index)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=True,
    )
    entry = json.loads(printed.stdout)["mcpServers"]["blog"]
    assert entry["args"][-2:] == ["--index", str(index.resolve())]
    return StdioServerParameters(command=entry["command"], args=entry["args"], env=env, cwd=cwd)


def run_session(params: StdioServerParameters, body: Any, stderr: Path) -> tuple[Any, list[Any]]:
    """Run `body(session)`; also return whatever the client could not parse as a protocol message."""
    garbage: list[Any] = []

    async def on_message(message: Any) -> None:
        if isinstance(message, Exception):
            garbage.append(message)

    async def main() -> Any:
        with stderr.open("w") as errlog:
            async with (
                stdio_client(params, errlog=errlog) as (read, write),
                ClientSession(read, write, message_handler=on_message) as session,
            ):
                await session.initialize()
                return await body(session)

    return anyio.run(main), garbage


def test_rag_mcp_over_stdio_lists_and_calls_every_tool(api_settings: Settings, tmp_path: Path) -> None:
    async def body(session: ClientSession) -> dict[str, Any]:
        tools = await session.list_tools()
        calls = {
            "search_posts": await session.call_tool("search_posts", {"query": "redis", "top_k": 2}),
            "bad": await session.call_tool("search_posts", {"query": "redis", "top_k": 0}),
            "ask": await session.call_tool("ask", {"question": "How do I set a TTL in Redis?"}),
            "get_post": await session.call_tool("get_post", {"source": "html-post.html"}),
            "list_posts": await session.call_tool("list_posts", {"tag": "postgres"}),
        }
        summary = await session.read_resource("blograg://index")
        return {"tools": tools, "summary": summary, **calls}

    got, garbage = run_session(server_params(api_settings.index_dir, tmp_path), body, tmp_path / "stderr.txt")
    assert garbage == []  # stdout carried protocol messages only
    assert {t.name for t in got["tools"].tools} == {"search_posts", "ask", "get_post", "list_posts"}
    assert all(t.annotations.read_only_hint and t.input_schema["properties"] for t in got["tools"].tools)
    assert got["search_posts"].structured_content["results"][0]["source"] == "html-post.html"
    assert got["bad"].is_error and "top_k: Input should be greater than or equal to 1" in got["bad"].content[0].text
    assert got["ask"].structured_content["citations"][0]["quote"] == "Set a TTL on every key."
    assert (
        "Redis" in got["get_post"].structured_content["text"]
        and got["get_post"].structured_content["next_offset"] is None
    )
    assert [p["source"] for p in got["list_posts"].structured_content["posts"]] == ["english-markdown.md"]
    assert json.loads(got["summary"].contents[0].text) == index_summary(read_index(api_settings.index_dir))


def test_rag_mcp_without_an_index_keeps_serving_and_says_how_to_build_one(tmp_path: Path) -> None:
    async def body(session: ClientSession) -> Any:
        first = await session.call_tool("ask", {"question": "What is this blog about?"})
        return first, await session.list_tools()

    params = server_params(tmp_path / "no-index", tmp_path)
    (result, tools), garbage = run_session(params, body, tmp_path / "stderr.txt")
    assert garbage == [] and len(tools.tools) == 4
    assert result.is_error and "rag ingest" in result.content[0].text
    assert "index not loaded" in (tmp_path / "stderr.txt").read_text()  # the log went to stderr


def test_stdout_holds_nothing_but_json_rpc(api_settings: Settings, tmp_path: Path) -> None:
    """What a desktop assistant reads, byte for byte: one JSON-RPC message per line, nothing else."""
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "raw", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "list_posts", "arguments": {"limit": 1}},
        },
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "rag", "mcp", "--index", str(api_settings.index_dir)]
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=tmp_path
    ) as process:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write("".join(json.dumps(m) + "\n" for m in messages).encode())
        process.stdin.flush()
        lines = _read_lines(process.stdout.fileno(), 2, timeout=60)
        process.stdin.close()  # end of input: the server exits
        assert process.wait(30) == 0
        lines += process.stdout.read().decode().splitlines()
    replies = [json.loads(line) for line in lines]
    assert [r["id"] for r in replies] == [1, 2] and all(r["jsonrpc"] == "2.0" for r in replies)
    assert replies[1]["result"]["structuredContent"]["total"] > 1


def _read_lines(fd: int, count: int, timeout: float) -> list[str]:
    """The first `count` lines from a pipe, unbuffered (so nothing is read ahead and lost)."""
    data, deadline = b"", time.monotonic() + timeout
    while data.count(b"\n") < count:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, "the server did not answer in time"
        chunk = os.read(fd, 65536)
        assert chunk, "the server closed stdout early"
        data += chunk
    return data.decode().splitlines()


def test_print_config_names_the_installed_rag_script_when_run_as_rag(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from rag.cli import mcp_config

    monkeypatch.setattr(sys, "argv", [str(tmp_path / ".venv" / "bin" / "rag"), "mcp", "--print-config"])
    monkeypatch.chdir(tmp_path)
    entry = mcp_config(Settings(index_dir=Path("index/default")), "extractive")["mcpServers"]["blog"]
    assert entry == {
        "command": str(tmp_path / ".venv" / "bin" / "rag"),
        "args": ["mcp", "--index", str(tmp_path.resolve() / "index" / "default"), "--generator", "extractive"],
    }


def test_the_readme_snippets_match_what_the_code_prints_and_serves() -> None:
    from api.mcp_server.http import MCP_PATH
    from rag.cli import mcp_config

    section = (ROOT / "README.md").read_text().split("### Assistants over MCP")[1].split("\n### ")[0]
    stdio, http = (json.loads(block.split("```")[0]) for block in section.split("```json\n")[1:])
    printed = mcp_config(Settings())["mcpServers"]["blog"]
    assert stdio["mcpServers"]["blog"].keys() == printed.keys() and stdio["mcpServers"]["blog"]["args"][:2] == [
        "mcp",
        "--index",
    ]
    assert http["mcpServers"]["blog"]["url"].endswith(f":8000{MCP_PATH}")
    assert "rag mcp --print-config" in section


def test_rag_mcp_speaks_the_newest_protocol_era_too(api_settings: Settings, tmp_path: Path) -> None:
    """`mcp.Client` negotiates the newest era both sides know (ClientSession above uses the handshake)."""
    from mcp import Client

    async def main() -> tuple[str, Any, Any]:
        async with Client(server_params(api_settings.index_dir, tmp_path)) as client:
            good = await client.call_tool("list_posts", {"limit": 1})
            return client.protocol_version, good, await client.call_tool("list_posts", {"limit": 0})

    version, good, bad = anyio.run(main)
    assert version > "2025-11-25" and good.structured_content["total"] > 1
    assert bad.is_error and "limit: Input should be greater than or equal to 1" in bad.content[0].text


def test_print_config_carries_the_site_url_so_assistants_get_published_deep_links(
    api_settings: Settings, tmp_path: Path
) -> None:
    index = api_settings.index_dir
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "rag", "mcp", "--print-config", "--index", str(index)]
    printed = subprocess.run(
        [*command, "--site-url", "https://blog.example.com", "--permalink", "hugo"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    entry = json.loads(printed.stdout)["mcpServers"]["blog"]
    assert entry["args"][-4:] == ["--site-url", "https://blog.example.com", "--permalink", "hugo"]
    params = StdioServerParameters(command=entry["command"], args=entry["args"], env=env, cwd=tmp_path)

    async def body(session: ClientSession) -> Any:
        return await session.call_tool("ask", {"question": "How do I set a TTL in Redis?"})

    got, _ = run_session(params, body, tmp_path / "stderr.txt")
    citations = got.structured_content["citations"]
    assert citations and not got.structured_content["refused"]
    for citation in citations:
        assert citation["url"].startswith("https://blog.example.com/") and "#:~:text=" in citation["url"]
        assert citation["post_url"] == citation["url"].split("#")[0]
