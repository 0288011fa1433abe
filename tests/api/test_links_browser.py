"""Text-fragment links in headless Chromium: the bot's posts published as a static blog on another
loopback port (RAG_SITE_URL), a question asked on the chat page, and a click on the source that lands
on the published post scrolled to the quoted sentence. Chromium exposes no DOM hook for the match,
so the test checks where the page scrolled to: the element at the centre of the screen holds it."""

from __future__ import annotations

import contextlib
import functools
import html
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from api.app import create_app
from rag.config import Settings
from rag.loading import load_posts
from rag.permalinks import SiteLinks
from rag.sentences import HEADING, LIST_MARK
from rag.textfragments import text_directive, visible_blocks
from tests.api import test_browser
from tests.api.helpers import live_server
from tests.api.test_browser import ask
from tests.support.loopback import serving

pytestmark = pytest.mark.slow
driver = test_browser.driver  # the one Chromium fixture of the browser tests
QUESTION = "王泽锋获得了什么奖？"
SPACER = '<div style="height: 4000px">Site header</div>'  # the sentence is far below the first screen
CENTRE = """
const hit = document.elementFromPoint(window.innerWidth / 2, window.innerHeight / 2);
return [window.scrollY, hit ? hit.textContent : ''];
"""
# Wait for the scroll to the fragment; it happens after load, once layout is done.
SCROLLED = "return window.scrollY > 0"


def render(text: str) -> str:
    """A cleaned post as a blog theme would render it: headings, list items, table cells, paragraphs."""
    parts: list[str] = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        heading = HEADING.match(line)
        if heading:
            parts.append(f"<h2>{html.escape(heading.group(2))}</h2>")
        elif line.lstrip().startswith("|"):
            cells = "".join(f"<td>{html.escape(c.strip())}</td>" for c in line.strip().strip("|").split("|"))
            parts.append(f"<table><tr>{cells}</tr></table>")
        elif LIST_MARK.match(line):
            parts.append(f"<ul><li>{html.escape(LIST_MARK.sub('', line).replace('`', ''))}</li></ul>")
        else:
            parts.append(f"<p>{html.escape(line.replace('`', ''))}</p>")
    return "\n".join(parts)


@pytest.fixture(scope="module")
def blog(api_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The indexed posts published as static pages at their default permalinks, on their own port."""
    root = tmp_path_factory.mktemp("published")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root)))
    site = f"http://127.0.0.1:{server.server_address[1]}"
    links = SiteLinks.parse(site)
    posts, _ = load_posts(list(api_settings.posts))
    for post in posts:
        url = links.published_url(post)
        if url is None or not url.startswith(site):
            continue  # posts with an absolute URL of their own live elsewhere
        page = root / unquote(url.removeprefix(site)).strip("/") / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        body = f"<h1>{html.escape(post.title)}</h1>{SPACER}{render(post.text)}{SPACER}"
        page.write_text(f'<!doctype html><meta charset="utf-8"><title>{html.escape(post.title)}</title>{body}')
    with serving(server):
        yield site


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None


def centre_after_load(browser: WebDriver, url: str) -> tuple[int, str]:
    browser.get("about:blank")
    browser.get(url)
    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return document.readyState") == "complete")
    with contextlib.suppress(TimeoutException):  # not scrolling is what the negative case expects
        WebDriverWait(browser, 5).until(lambda d: d.execute_script(SCROLLED))
    scroll, text = browser.execute_script(CENTRE)
    return int(scroll), str(text)


@pytest.mark.parametrize(
    "sentence",
    [
        "该奖项是云原生社区最高级别的个人荣誉，旨在嘉奖通过技术贡献、社区治理与生态推动对云原生领域产生持久影响的成员。",
        "弹性伸缩，通常是指在计算资源方面，系统能够按照负载自动增减实例数量的能力。",  # 是指 is no word to Chromium
        "The scheduler places pods on nodes, weighing requests, limits and affinity rules - then the kubelet "
        "starts the containers & reports back to the API server, every few seconds.",
    ],
)
def test_a_fragment_scrolls_chromium_to_the_sentence(driver: WebDriver, tmp_path: Path, sentence: str) -> None:
    (tmp_path / "page.html").write_text(
        f'<!doctype html><meta charset="utf-8">{SPACER}<p>Before.</p><p>{html.escape(sentence)}</p>{SPACER}',
        encoding="utf-8",
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(tmp_path)))
    with serving(server):
        page = f"http://127.0.0.1:{server.server_address[1]}/page.html"
        directive = text_directive(sentence, 0, len(sentence))
        assert directive is not None and "," in directive  # long enough for the start,end form
        decoded = driver.execute_script(
            "return arguments[0].split(',').map(decodeURIComponent)", directive.removeprefix("text=")
        )
        assert sentence.startswith(decoded[0]) and sentence.endswith(decoded[-1])  # the browser decodes it back
        scroll, centre = centre_after_load(driver, f"{page}#:~:{directive}")
        assert scroll > 3000 and sentence in centre
        missing = text_directive("Nothing like this sentence is on the page, anywhere at all.", 0, 60)
        assert centre_after_load(driver, f"{page}#:~:{missing}")[0] == 0  # the check can fail


def test_a_source_on_the_chat_page_opens_the_published_post_at_the_quote(
    driver: WebDriver,
    api_settings: Settings,
    blog: str,
) -> None:
    with live_server(create_app(api_settings.model_copy(update={"site_url": blog}))) as app_url:
        driver.get(app_url + "/")
        bot = ask(driver, QUESTION)
        assert bot.get_attribute("data-state") == "done"
        link = driver.find_element(By.CSS_SELECTOR, "#sources .source .post-link")
        href = str(link.get_attribute("href"))
        quote = driver.find_element(By.CSS_SELECTOR, "#sources .source .quote").text
        assert href.startswith(blog + "/") and "#:~:text=" in href
        assert link.get_attribute("target") == "_blank" and "noopener" in str(link.get_attribute("rel"))
        chat = driver.current_window_handle
        link.click()
        WebDriverWait(driver, 10).until(lambda d: len(d.window_handles) == 2)
        driver.switch_to.window(next(h for h in driver.window_handles if h != chat))
        try:
            WebDriverWait(driver, 10).until(lambda d: d.execute_script(SCROLLED))
            scroll, centre = driver.execute_script(CENTRE)
            assert driver.current_url.split("#")[0] == href.split("#")[0]
            first = visible_blocks(quote)[0]
            assert scroll > 3000 and first in centre
        finally:
            driver.close()
            driver.switch_to.window(chat)
