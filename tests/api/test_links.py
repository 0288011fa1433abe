"""Published links over HTTP: with RAG_SITE_URL, /ask citations (JSON and the SSE `citations` event)
link to the published post plus a text fragment of the quote, /search hits and GET /posts carry the
published URL; without it, a post without a URL of its own still has none (the page's viewer)."""

from __future__ import annotations

from urllib.parse import unquote

from rag.textfragments import visible_blocks
from tests.api.helpers import ClientFactory, parse_sse

SITE = "https://blog.example.org/notes"
QUESTION = "王泽锋获得了什么奖？"
REDIS_QUESTION = "How do I set a TTL in Redis?"
REDIS_URL = "https://blog.example.com/caching-with-redis/"  # the fixture page's canonical link


def check_citation(citation: dict[str, str]) -> None:
    assert citation["post_url"] == f"{SITE}/{citation['source'].removesuffix('.txt')}/"  # the default pattern
    prefix = citation["post_url"] + "#:~:text="
    assert citation["url"].startswith(prefix)
    terms = [unquote(term) for term in citation["url"].removeprefix(prefix).split(",")]
    visible = " ".join(visible_blocks(citation["quote"]))
    assert visible.startswith(terms[0]) and visible.endswith(terms[-1])


def test_ask_citations_carry_the_fragment_url_when_the_site_url_is_set(make_client: ClientFactory) -> None:
    client = make_client(site_url=SITE)
    body = client.post("/ask", json={"question": QUESTION}).json()
    assert body["refused"] is False and body["citations"]
    check_citation(body["citations"][0])
    with client.stream("POST", "/ask", json={"question": QUESTION, "stream": True}) as response:
        events = dict(parse_sse(response.iter_lines()))
    assert events["citations"]["citations"] == body["citations"]
    source = body["citations"][0]["source"]
    assert client.get(f"/posts/{source}").json()["url"] == body["citations"][0]["post_url"]
    hits = client.post("/search", json={"query": QUESTION}).json()
    assert any(hit["url"] == body["citations"][0]["post_url"] for hit in hits)


def test_without_a_site_url_citations_keep_todays_links(make_client: ClientFactory) -> None:
    client = make_client()
    citation = client.post("/ask", json={"question": QUESTION}).json()["citations"][0]
    assert (citation["url"], citation["post_url"]) == (None, None)  # the page opens its viewer
    own = client.post("/ask", json={"question": REDIS_QUESTION}).json()["citations"][0]
    assert own["url"] == own["post_url"] == REDIS_URL  # a post's own absolute URL, as before: no fragment


def test_a_post_with_its_own_url_keeps_it_and_gains_the_fragment(make_client: ClientFactory) -> None:
    own = make_client(site_url=SITE).post("/ask", json={"question": REDIS_QUESTION}).json()["citations"][0]
    assert own["post_url"] == REDIS_URL and own["url"] == REDIS_URL + "#:~:text=Set%20a%20TTL%20on%20every%20key."
