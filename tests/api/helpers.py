"""Shared helpers for the API tests: the test corpus, SSE parsing, a real uvicorn server in a thread."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.server import server_config
from rag.config import SAMPLE_POSTS_DIR, Settings

ClientFactory = Callable[..., TestClient]  # make_client(**settings overrides) -> a running app
FIXTURE_POSTS = Path(__file__).resolve().parents[1] / "fixtures" / "posts"
# Fixture posts that load cleanly (others are deliberately broken: binary, empty, bad YAML...).
LOADABLE_FIXTURES = ("xss-payload.md", "html-post.html", "english-markdown.md", "prompt-injection.md")
EVIL_SOURCE = "notes/2024/evil.md"
# The loaders strip raw HTML from Markdown, so the fixture's payloads never reach the cleaned text.
# Payloads in code spans and fences do survive; this post carries those, plus a javascript: URL.
EVIL_POST = """---
title: "Zebra payloads <img src=x onerror=window.__xss=1>"
date: 2024-09-12
url: "javascript:window.__xss=2"
tags: [security]
---

# Heading <script>window.__xss=3</script>

The zebra payload is `<img src=x onerror="window.__xss=4;alert(4)">` in inline code.

```html
<script>window.__xss=6;alert(6)</script>
```
"""


def build_corpus(target: Path) -> Path:
    """Bundled sample posts + the loadable fixture posts + a nested post whose payload survives cleaning."""
    shutil.copytree(SAMPLE_POSTS_DIR, target)
    for name in LOADABLE_FIXTURES:
        shutil.copy(FIXTURE_POSTS / name, target / name)
    evil = target / EVIL_SOURCE
    evil.parent.mkdir(parents=True)
    evil.write_text(EVIL_POST, encoding="utf-8")
    return target


def parse_sse(lines: Iterable[str]) -> list[tuple[str, dict[str, Any]]]:
    """SSE text lines -> [(event, data)], following the spec's event/data/blank-line framing."""
    events: list[tuple[str, dict[str, Any]]] = []
    event, data = "message", list[str]()
    for line in lines:
        if line == "":
            if data:
                events.append((event, json.loads("\n".join(data))))
            event, data = "message", []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    return events


@contextmanager
def live_server(app: FastAPI, settings: Settings | None = None) -> Iterator[str]:
    """Run `app` under a real uvicorn on a free loopback port; yields the base URL. With `settings`,
    uvicorn is configured exactly as `rag serve` does it (api.server)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    options: dict[str, Any] = {"log_level": "warning", "timeout_graceful_shutdown": 5}
    config = server_config(app, settings, "127.0.0.1", port, **options) if settings else uvicorn.Config(app, **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()
