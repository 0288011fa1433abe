"""Published links end to end: the Engine resolves URLs from stored post metadata at load time (another
site URL needs no reindex), citations carry the text fragment, `rag ask --json` prints post_url,
bad link settings stop the CLI with a fix, and an index from before the link fields is refreshed."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import unquote

from typer.testing import CliRunner

from rag.cli import app
from rag.config import Settings
from rag.pipeline import Engine, ingest
from rag.textfragments import visible_blocks
from rag.types import Citation

SITE = "https://blog.example.org"
QUESTION = "王泽锋获得了什么奖？"
runner = CliRunner()


def fragment_terms(citation: Citation | dict[str, object]) -> list[str]:
    data = citation if isinstance(citation, dict) else citation.to_json()
    url, post_url = str(data["url"]), str(data["post_url"])
    assert url.startswith(post_url + "#:~:text=")
    return [unquote(term) for term in url.split("#:~:text=", 1)[1].split(",")]


def assert_points_at_quote(citation: Citation | dict[str, object]) -> None:
    data = citation if isinstance(citation, dict) else citation.to_json()
    visible = " ".join(visible_blocks(str(data["quote"])))
    terms = fragment_terms(data)
    assert visible.startswith(terms[0]) and visible.endswith(terms[-1])


def test_the_site_url_is_applied_at_load_time_without_a_reindex(hashing_settings: Settings) -> None:
    report = ingest(hashing_settings)
    plain = Engine(hashing_settings)
    published = Engine(hashing_settings.with_overrides(site_url=SITE, permalink="/blog/{year}/{month}/{slug}/"))
    assert Path(report.index_path) == plain.index.path == published.index.path  # the same stored version
    answer = published.ask(QUESTION)
    citation = answer.citations[0]
    post = published.index.posts[citation.source]
    year, month, _ = str(post.date).split("-")
    assert citation.post_url == f"{SITE}/blog/{year}/{month}/{post.source.removesuffix('.txt')}/"
    assert_points_at_quote(citation)
    hits = [hit.to_json() | {"dated": bool(hit.post.date)} for hit in published.search(QUESTION, top_k=10)]
    assert {h["dated"] for h in hits} == {True, False}  # the sample posts have both
    assert all(h["url"].startswith(f"{SITE}/blog/") if h["dated"] else h["url"] is None for h in hits)
    # Without a site URL nothing changes: no URL, so the chat page opens its own viewer.
    before = plain.ask(QUESTION).citations[0]
    assert (before.url, before.post_url) == (None, None)


def test_rag_ask_json_prints_the_fragment_url_and_post_url(tmp_path: Path, sample_posts: Path) -> None:
    index = str(tmp_path / "idx")
    assert runner.invoke(app, ["ingest", str(sample_posts), "--index", index, "--embedder", "hashing"]).exit_code == 0
    args = ["ask", QUESTION, "--index", index, "--json", "--site-url", SITE + "/", "--permalink", "hugo"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    citation = json.loads(result.stdout)["citations"][0]
    assert citation["post_url"] == f"{SITE}/{citation['source'].removesuffix('.txt')}/"
    assert_points_at_quote(citation)
    result = runner.invoke(app, ["search", QUESTION, "--index", index, "--json", "--site-url", SITE])
    assert json.loads(result.stdout)[0]["url"].startswith(SITE + "/")


def test_bad_link_settings_stop_the_cli_with_a_fix(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ask", "q", "--index", str(tmp_path), "--permalink", "/{yaer}/"])
    assert result.exit_code == 2 and "unknown placeholder {yaer}" in result.output and "Fix:" in result.output
    result = runner.invoke(app, ["search", "q", "--index", str(tmp_path), "--site-url", "blog.example.org"])
    assert result.exit_code == 2 and "site URL" in result.output
    result = runner.invoke(app, ["ask", "q", "--index", str(tmp_path)], env={"RAG_PERMALINK": ":year/:title"})
    assert result.exit_code == 2 and "neither a preset" in result.output


def test_an_index_from_before_the_link_fields_is_refreshed_by_ingest(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "hello.md").write_text("---\ntitle: Hello\nurl: /greetings/hello/\n---\nHello there.\n", encoding="utf-8")
    settings = Settings(index_dir=tmp_path / "index", posts=[posts], embedder="hashing")
    first = ingest(settings)
    stored = Path(first.index_path) / "posts.jsonl"
    old = [{k: v for k, v in json.loads(line).items() if k not in ("permalink", "aliases")} for line in stored.open()]
    stored.write_text("".join(json.dumps(row) + "\n" for row in old), encoding="utf-8")
    site = settings.with_overrides(site_url=SITE)
    assert Engine(site).index.posts["hello.md"].url == f"{SITE}/hello/"  # the pattern: the url was not stored
    second = ingest(settings)
    assert second.index_path != first.index_path and second.reused == second.chunks  # nothing re-embedded
    assert os.path.basename(os.readlink(settings.index_dir / "current")) == Path(second.index_path).name
    assert Engine(site).index.posts["hello.md"].url == f"{SITE}/greetings/hello/"
