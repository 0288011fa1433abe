"""The widget's browser-test world: a static blog (eval/demo-blog) on its own loopback origins under a
strict CSP header, the bot it embeds, and helpers to drive the <blog-chat> shadow DOM."""

from __future__ import annotations

import html
import json
import shutil
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi import FastAPI
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.shadowroot import ShadowRoot
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from api.app import create_app
from rag.config import Settings
from rag.loading import load_posts
from rag.permalinks import SiteLinks
from rag.pipeline import ingest
from tests.api.helpers import build_corpus, live_server
from tests.api.test_links_browser import render
from tests.support.loopback import serving

DEMO_BLOG = Path(__file__).resolve().parents[2] / "eval" / "demo-blog"
DEMO_BOT = "http://127.0.0.1:8000"  # the bot origin written in the demo page
HOST_CSP = "default-src 'none'; script-src {bot}; connect-src {bot}; style-src 'self'; img-src 'self'"
POST_PATH = "/posts/caching-with-redis/"
FIXTURE_URL = "https://blog.example.com/caching-with-redis/"  # the fixture post's canonical link
ACCENT = "rgb(15, 118, 110)"  # the demo page's data-accent="#0f766e"
TTL_QUESTION = "How do I set a TTL in Redis?"
REFUSED_QUESTION = "谁是 2019 年的诺贝尔文学奖得主？"
# Installed before any page script (CDP scripts are exempt from the page's CSP): CSP violations,
# and every fetch the page makes with its JSON body.
HOOKS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__csp.push([e.effectiveDirective, e.blockedURI, e.sourceFile, e.lineNumber]), true);
window.__fetches = [];
const pageFetch = window.fetch;
window.fetch = (url, options) => {
  window.__fetches.push([String(url), options && options.body ? JSON.parse(options.body) : null]);
  return pageFetch(url, options);
};
"""
# What the newest answer showed at each DOM change inside the shadow root: proof of streaming.
OBSERVE = """
const root = document.querySelector('blog-chat').shadowRoot;
window.__seen = [];
new MutationObserver(() => {
  const bots = root.querySelectorAll('.bot');
  const bot = bots[bots.length - 1];
  if (bot) window.__seen.push([bot.dataset.state, bot.querySelector('.text').textContent]);
}).observe(root, {subtree: true, childList: true, characterData: true});
"""


class CspHandler(SimpleHTTPRequestHandler):
    """Static files with the host page's Content-Security-Policy on every response."""

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", getattr(self.server, "csp", "default-src 'none'"))
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


@contextmanager
def static_site(root: Path) -> Iterator[ThreadingHTTPServer]:
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), partial(CspHandler, directory=str(root)))) as server:
        yield server


def origin_of(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


@dataclass
class Site:
    bot: str  # the bot's origin (serves /widget.js and /ask)
    blog: str  # the blog, in RAG_ALLOWED_ORIGINS
    other: str  # the same pages from an origin that is not
    app: FastAPI


def write_blog(root: Path, bot: str, blog: str) -> None:
    """The demo blog pointed at this bot, a copy with English UI, and the post the citations link to."""
    shutil.copytree(DEMO_BLOG, root, dirs_exist_ok=True)
    page = (DEMO_BLOG / "index.html").read_text(encoding="utf-8")
    assert page.count(DEMO_BOT) == 3  # the CSP's two sources and the script tag
    page = page.replace(DEMO_BOT, bot)
    (root / "index.html").write_text(page, encoding="utf-8")
    english = page.replace('data-lang="auto"', 'data-lang="en"')
    (root / "en.html").write_text(english, encoding="utf-8")
    (root / "key.html").write_text(english.replace(" defer>", ' data-api-key="k3y" defer>'), encoding="utf-8")
    own = '<div id="chat-here"><blog-chat data-title="Own title" data-lang="en"></blog-chat></div>\n</body>'
    (root / "own.html").write_text(page.replace("</body>", own), encoding="utf-8")
    (root / "blocking.html").write_text(english.replace(" defer>", ">"), encoding="utf-8")  # runs before <body>
    post = root / POST_PATH.strip("/") / "index.html"
    post.parent.mkdir(parents=True)
    post.write_text("<!DOCTYPE html><title>Caching with Redis</title><p>Set a TTL on every key.</p>", encoding="utf-8")


def publish_posts(root: Path, settings: Settings) -> None:
    """Every post published under the site URL, as a static page at its permalink: a heading, a screen of
    site header, the post's clean text (as a theme renders it), more page below — so a text fragment
    visibly scrolls. The spacing comes from a stylesheet: the blog's CSP forbids inline styles."""
    assert settings.site_url
    links = SiteLinks.parse(settings.site_url, settings.permalink)
    (root / "post.css").write_text(".spacer { height: 4000px; }\n", encoding="utf-8")
    spacer = '<div class="spacer">Site header</div>'
    posts, _ = load_posts(list(settings.posts))
    for post in posts:
        url = links.published_url(post)
        if url is None or not url.startswith(settings.site_url + "/"):
            continue  # a post with an absolute URL of its own lives on another site
        page = root / unquote(url.removeprefix(settings.site_url)).strip("/") / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        title = html.escape(post.title)
        head = f'<!DOCTYPE html><meta charset="utf-8"><title>{title}</title><link rel="stylesheet" href="/post.css">'
        page.write_text(f"{head}<h1>{title}</h1>{spacer}{render(post.text)}{spacer}", encoding="utf-8")


@contextmanager
def serve_site(root: Path, *, published: bool = False, **overrides: Any) -> Iterator[Site]:
    """The blog on two origins (one allowed, one not), the bot over a corpus whose post links to the blog.
    `published`: the bot's RAG_SITE_URL is the blog, which serves every post at its permalink;
    `overrides`: other settings of the bot (db_url=..., log_questions=False)."""
    with static_site(root / "blog") as blog_server, static_site(root / "blog") as other_server:
        blog = origin_of(blog_server)
        posts = build_corpus(root / "posts")
        html_post = posts / "html-post.html"  # its canonical link becomes the citation's url
        canonical = html_post.read_text(encoding="utf-8").replace(FIXTURE_URL, blog + POST_PATH)
        html_post.write_text(canonical, encoding="utf-8")
        settings = Settings(
            index_dir=root / "index", posts=[posts], embedder="hashing", rate_limit_per_minute=0, cors_origins=[blog]
        )
        settings = settings.with_overrides(site_url=blog if published else None, **overrides)
        ingest(settings)
        app = create_app(settings)
        with live_server(app) as bot:
            write_blog(root / "blog", bot, blog)
            if published:
                publish_posts(root / "blog", settings)
            for server in (blog_server, other_server):
                server.csp = HOST_CSP.format(bot=bot)  # type: ignore[attr-defined]
            yield Site(bot, blog, origin_of(other_server), app)


def open_widget(driver: WebDriver, url: str) -> ShadowRoot:
    driver.get(url)
    host = WebDriverWait(driver, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, "blog-chat"))
    root = host.shadow_root
    launcher = WebDriverWait(driver, 10).until(lambda d: root.find_element(By.CSS_SELECTOR, "button.launcher"))
    launcher.click()
    WebDriverWait(driver, 5).until(lambda d: root.find_element(By.CSS_SELECTOR, ".panel").is_displayed())
    return root


def ask(driver: WebDriver, root: ShadowRoot, question: str) -> WebElement:
    count = len(root.find_elements(By.CSS_SELECTOR, ".bot"))
    box = root.find_element(By.CSS_SELECTOR, "textarea")
    box.send_keys(question)
    box.send_keys(Keys.ENTER)
    WebDriverWait(driver, 10).until(lambda d: len(root.find_elements(By.CSS_SELECTOR, ".bot")) > count)
    bot = root.find_elements(By.CSS_SELECTOR, ".bot")[-1]
    WebDriverWait(driver, 30).until(lambda d: bot.get_attribute("data-state") != "streaming")
    return bot


def api_answer(site: Site, question: str) -> dict[str, Any]:
    """The JSON answer the API gives this question (what the widget's links must point at)."""
    body = json.dumps({"question": question}).encode()
    request = urllib.request.Request(site.bot + "/ask", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        answer: dict[str, Any] = json.load(response)
    return answer


def without_directive(url: str) -> str:
    # Browsers strip a text fragment (`#:~:text=`) from the URL they report.
    return url.split(":~:", 1)[0].removesuffix("#")


def assert_no_csp_violations(driver: WebDriver) -> None:
    assert driver.execute_script("return window.__csp") == []
    # The hook itself works: a <style> element on the host page is a violation it records.
    driver.execute_script("const s = document.createElement('style'); s.textContent = 'p {}'; document.head.append(s);")
    WebDriverWait(driver, 5).until(lambda d: d.execute_script("return window.__csp.length") >= 2)
    # One report per policy: the demo page's <meta> one and the server's header.
    assert [v[0] for v in driver.execute_script("return window.__csp")] == ["style-src-elem"] * 2


@dataclass
class WithId:
    """An engine answer whose JSON says (or omits) `answer_id`, as a logging server's would."""

    answer: Any
    answer_id: str | None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.answer, name)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = self.answer.to_json()
        body.pop("answer_id", None)
        return body if self.answer_id is None else {**body, "answer_id": self.answer_id}


def answer_ids(site: Site, monkeypatch: pytest.MonkeyPatch, answer_id: str | None) -> None:
    """From now on the server's answers carry `answer_id` (or none), whatever this branch's engine says."""
    engine = site.app.state.holder.current.engine
    stream = engine.ask_stream

    def relabelled(*args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        for event in stream(*args, **kwargs):
            yield {**event, "answer": WithId(event["answer"], answer_id)} if event["event"] == "answer" else event

    monkeypatch.setattr(engine, "ask_stream", relabelled)


@contextmanager
def required_key(app: FastAPI, key: str) -> Iterator[None]:
    """The running app demands `key` meanwhile (its dependencies read app.state.settings per request)."""
    settings = app.state.settings
    app.state.settings = settings.model_copy(update={"api_key": key})
    try:
        yield
    finally:
        app.state.settings = settings
