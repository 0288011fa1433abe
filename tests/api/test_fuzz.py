"""1,000 hostile requests to /ask and /search (fixed seed): none may be answered with a 5xx.

Random bytes, deep nesting, huge bodies, unicode garbage, lone surrogates, bad types, bad history
and filters, hostile generator specs, wrong content types. Runs in-process against the shared
hashing-embedder index of the test corpus with the rate limit off, so it takes a few seconds.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from rag.config import Settings

REQUESTS = 1000
SEED = 1313
JSON = {"content-type": "application/json"}
HOSTILE_SPECS = [
    "llamacpp:/dev/zero",
    "llamacpp:../../etc/passwd",
    "openai:gpt@http://169.254.169.254/latest",
    "openai:x@file:///etc/shadow",
    "extractive\x00",
    "\ud800",
    "EXTRACTIVE",
    " extractive ",
    "hashing",
    "x" * 199,
    "x" * 5000,
    "",
]
Request = tuple[str, bytes, dict[str, str]]


def _garbage_text(rng: random.Random, length: int) -> str:
    """Unicode soup: lone surrogates, NUL and controls, RTL marks, combining marks, CJK, emoji, PUA."""
    pools = [
        (0xD800, 0xDFFF),
        (0x0000, 0x001F),
        (0x0300, 0x036F),
        (0x200B, 0x202E),
        (0x4E00, 0x9FFF),
        (0x1F300, 0x1FAFF),
        (0xE000, 0xF8FF),
        (0xFFF0, 0xFFFF),
        (0x0020, 0x007E),
        (0x10FFF0, 0x10FFFF),
    ]
    chars = []
    for _ in range(length):
        low, high = rng.choice(pools)
        chars.append(chr(rng.randint(low, high)))
    return "".join(chars)


def _value(rng: random.Random, depth: int = 0) -> Any:
    """Any JSON value of a random type, sometimes nested."""
    kinds: list[Callable[[], Any]] = [
        lambda: None,
        lambda: rng.choice([True, False]),
        lambda: rng.randint(-(10**20), 10**20),
        lambda: rng.choice([0.5, -1e308, 1e308, 3.0]),
        lambda: _garbage_text(rng, rng.randint(0, 40)),
        lambda: "ok question",
    ]
    if depth < 3:
        kinds.append(lambda: [_value(rng, depth + 1) for _ in range(rng.randint(0, 3))])
        kinds.append(lambda: {_garbage_text(rng, 3): _value(rng, depth + 1) for _ in range(rng.randint(0, 3))})
    return rng.choice(kinds)()


def _text_field(rng: random.Random) -> Any:
    choice = rng.random()
    if choice < 0.35:
        return _garbage_text(rng, rng.randint(1, 60))
    if choice < 0.5:
        return rng.choice(["\u0000\ud800", "\udfff", "a\ud83d", "\ud83d\ude00 redis ttl", "\x00", "TTL\x00 redis"])
    if choice < 0.8:
        return rng.choice(["How do I set a TTL in Redis?", "CNCF TOC 有多少个席位？", "LH-3316", "kubectl v1.30"])
    return _value(rng)


def _history(rng: random.Random) -> Any:
    choice = rng.random()
    if choice < 0.2:
        return _value(rng)
    turns = []
    for _ in range(rng.randint(0, 60 if choice > 0.9 else 4)):
        turn: Any = {"role": rng.choice(["user", "assistant", "system", "", 3]), "content": _text_field(rng)}
        if rng.random() < 0.2:
            turn = _value(rng)
        turns.append(turn)
    return turns


def _filters(rng: random.Random) -> Any:
    if rng.random() < 0.2:
        return _value(rng)
    filters: dict[str, Any] = {}
    if rng.random() < 0.6:
        filters["tags"] = rng.choice([[_text_field(rng)], _value(rng), ["redis"] * 51, ["\ud800"]])
    for key in ("after", "before"):
        if rng.random() < 0.5:
            filters[key] = rng.choice(
                ["2024-01-01", "2024/01/01", "2024-13-45", "0000-00-00", "9999-99-99", "\ud800", _value(rng)]
            )
    if rng.random() < 0.1:
        filters["colour"] = "blue"
    return filters


def _object(rng: random.Random, text_key: str) -> dict[str, Any]:
    body: dict[str, Any] = {text_key: _text_field(rng)}
    if rng.random() < 0.4:
        body["top_k"] = rng.choice([0, 1, 5, 20, 21, -1, 10**30, "5", 2.5, None, [], True])
    if rng.random() < 0.4:
        body["filters"] = _filters(rng)
    if text_key == "question":
        if rng.random() < 0.4:
            body["history"] = _history(rng)
        if rng.random() < 0.3:
            body["generator"] = rng.choice([*HOSTILE_SPECS, _value(rng)])
        if rng.random() < 0.2:
            body["stream"] = rng.choice([True, False, "yes", 1, None])
    if rng.random() < 0.05:
        body[_garbage_text(rng, 5)] = _value(rng)
    return body


def _raw_body(rng: random.Random, text_key: str) -> tuple[bytes, dict[str, str]]:
    """Bodies that are not a well-formed JSON object, or not JSON at all."""
    depth = rng.randint(100, 60_000)
    options: list[Callable[[], tuple[bytes, dict[str, str]]]] = [
        lambda: (rng.randbytes(rng.randint(0, 2000)), JSON),
        lambda: (b"[" * depth + b"]" * depth, JSON),
        lambda: (f'{{"{text_key}": '.encode() + b"[" * depth + b"]" * depth + b"}", JSON),
        lambda: (b'{"' + text_key.encode() + b'": "' + b"x" * rng.randint(60_000, 200_000) + b'"}', JSON),
        lambda: (
            json.dumps({text_key: "y" * 1999, "history": [{"role": "user", "content": "z" * 7999}] * 7}).encode(),
            JSON,
        ),
        lambda: (f'{{"{text_key}": "\\ud800\\u0000"}}'.encode(), JSON),
        lambda: (f'{{"{text_key}": "caf\xe9"}}'.encode("latin-1"), JSON),
        lambda: (f'{{"{text_key}": NaN, "top_k": Infinity}}'.encode(), JSON),
        lambda: (f"{text_key}=redis+ttl".encode(), {"content-type": "application/x-www-form-urlencoded"}),
        lambda: (
            f'{{"{text_key}": "redis"}}'.encode(),
            {"content-type": rng.choice(["text/plain", "", "multipart/form-data"])},
        ),
        lambda: (b"", JSON),
        lambda: (json.dumps(_value(rng)).encode(), JSON),
    ]
    return rng.choice(options)()


def fuzz_requests(seed: int, count: int) -> Iterator[Request]:
    rng = random.Random(seed)
    for _ in range(count):
        path = rng.choice(["/ask", "/search"])
        text_key = "question" if path == "/ask" else "query"
        if rng.random() < 0.35:
            body, headers = _raw_body(rng, text_key)
        else:
            body, headers = json.dumps(_object(rng, text_key)).encode(), JSON
        yield path, body, headers


@pytest.fixture()
def raw_client(api_settings: Settings) -> Iterator[TestClient]:
    """A client that reports server errors as responses (500s) instead of raising them."""
    with TestClient(create_app(api_settings), raise_server_exceptions=False) as client:
        yield client


def test_fuzzed_requests_never_get_a_5xx(raw_client: TestClient) -> None:
    statuses: Counter[int] = Counter()
    failures = []
    for path, body, headers in fuzz_requests(SEED, REQUESTS):
        response = raw_client.post(path, content=body, headers=headers)
        statuses[response.status_code] += 1
        if response.status_code >= 500 or "InternalError" in response.text:
            failures.append((path, body[:200], response.status_code, response.text[:200]))
    assert not failures, f"{len(failures)} of {REQUESTS} requests failed, e.g. {failures[:3]}; statuses {statuses}"
    assert sum(statuses.values()) == REQUESTS
    assert statuses[200] >= 50 and statuses[422] >= 100  # the fuzz reaches the engine as well as validation
