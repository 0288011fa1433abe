from __future__ import annotations

from pathlib import Path

import pytest

from rag.config import Settings
from rag.errors import InputError
from rag.pipeline import Engine, ingest
from rag.retrieval import SearchFilters


@pytest.fixture()
def engine(hashing_settings: Settings) -> Engine:
    ingest(hashing_settings)
    return Engine(hashing_settings)


def test_keyword_hit_ranks_first(engine: Engine) -> None:
    hits = engine.search("KubeSphere 社区 OpenFunction", 5)
    assert hits[0].post.source == "003_1b2938f7d4bfcfbf.txt"
    assert hits[0].keyword_rank is not None and hits[0].dense_rank is not None


def test_per_post_cap(engine: Engine) -> None:
    hits = engine.search("张磊 CNCF TOC Kubernetes", 10)
    per_post: dict[str, int] = {}
    for hit in hits:
        per_post[hit.post.source] = per_post.get(hit.post.source, 0) + 1
    assert max(per_post.values()) <= engine.settings.per_post_cap


def test_tag_and_date_filters(engine: Engine) -> None:
    only_2022 = engine.search("社区", 10, SearchFilters(after="2022-01-01", before="2022-12-31"))
    assert only_2022 and {h.post.source for h in only_2022} == {"003_1b2938f7d4bfcfbf.txt"}
    tagged = engine.search("云原生", 10, SearchFilters(tags=["Kubernetes"]))
    assert tagged and all("kubernetes" in [t.lower() for t in h.post.tags] for h in tagged)
    assert engine.search("云原生", 10, SearchFilters(tags=["no-such-tag"])) == []


def test_hit_json_shape(engine: Engine) -> None:
    hit = engine.search("KubeEdge", 1)[0].to_json()
    assert set(hit) >= {"source", "title", "url", "date", "heading", "text", "score", "chunk_id"}
    post_text = engine.index.posts[hit["source"]].text
    assert post_text[hit["start"] : hit["end"]] == hit["text"]


def test_empty_query_is_rejected(engine: Engine) -> None:
    with pytest.raises(InputError):
        engine.search("   ")


def _identifier_corpus(root: Path) -> None:
    """One short post holds 'LH-3316'; a long post holds '3316' and 'LH' apart, in every paragraph."""
    root.mkdir()
    ticket = "The login page timed out after the cache change. Ticket LH-3316 tracks the fix, which raises "
    (root / "ticket.md").write_text(f"---\ntitle: Fixing the login timeout\n---\n\n{ticket}the session timeout.\n")
    words = ["server", "cache", "request", "latency", "build", "release", "queue", "worker", "lh", "port"]
    paragraphs = [
        f"Paragraph {i}: build 3316 of the {words[i % 10]} {words[(i * 3) % 10]} ran at port {1000 + i * 7} "
        f"and lh {words[(i * 7) % 10]} stayed green."
        for i in range(600)
    ]
    (root / "long.md").write_text("---\ntitle: Build log\n---\n\n" + "\n\n".join(paragraphs))
    for n in range(3):
        (root / f"other{n}.md").write_text(f"---\ntitle: Other {n}\n---\n\nSomething about {' '.join(words)}.\n")


@pytest.mark.parametrize("query", ["LH-3316", "lh-3316", "What is LH-3316?", "LH-3316 是什么？"])
def test_a_whole_identifier_outranks_its_parts(tmp_path: Path, query: str) -> None:
    _identifier_corpus(tmp_path / "posts")
    settings = Settings(index_dir=tmp_path / "index", posts=[tmp_path / "posts"], embedder="hashing")
    ingest(settings)
    hits = Engine(settings).search(query, 3)
    assert hits[0].post.source == "ticket.md", [(h.post.source, h.score) for h in hits]
    assert hits[0].score > hits[1].score
