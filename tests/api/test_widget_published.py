"""The widget where the parts of issue 11 meet, in headless Chromium: the bot's RAG_SITE_URL is the demo
blog's origin, that blog (a plain http.server on another loopback port, under the strict CSP) serves
every post at its permalink, and the question log is a real SQLite file (RAG_DB_URL).

A source opens the published post scrolled to the quoted sentence (the `#:~:text=` fragment, which
browsers strip from the URL they report, is checked on the link and by where the page scrolled to,
as tests/api/test_links_browser.py does); a 👍 is a row in the feedback table; and the /feedback
request of a page whose origin is not allowed never passes the CORS preflight.
"""

from __future__ import annotations

import html
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from rag.textfragments import visible_blocks
from tests.api import test_browser, test_widget_browser
from tests.api.test_browser_feedback import rows
from tests.api.test_links_browser import CENTRE, QUESTION, SCROLLED
from tests.api.widget_site import (
    REFUSED_QUESTION,
    TTL_QUESTION,
    Site,
    api_answer,
    ask,
    assert_no_csp_violations,
    open_widget,
    serve_site,
)

pytestmark = pytest.mark.slow
driver = test_browser.driver  # the one headless Chromium setup of the browser tests
hooked = test_widget_browser.hooked  # ...with the CSP-violation and fetch hooks installed
shot = test_browser.shot
VOTED = "How do I tune Postgres autovacuum?"
# The widget's own feedback request (sendFeedback), made from whatever page is open.
FEEDBACK = """
const [url, body, done] = arguments;
fetch(url, {method: 'POST', mode: 'cors', credentials: 'omit', headers: {'Content-Type': 'application/json'},
            body: JSON.stringify(body)})
  .then((r) => done(['sent', r.status]), (e) => done(['refused', String(e)]));
"""


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, Path]]:
    root = tmp_path_factory.mktemp("widget-published")
    db = root / "log" / "questions.sqlite"
    db.parent.mkdir()
    with serve_site(root, published=True, db_url=str(db)) as site:
        yield site, db


def test_a_source_opens_the_published_post_at_the_quoted_sentence(
    hooked: WebDriver, published: tuple[Site, Path]
) -> None:
    site, _ = published
    root = open_widget(hooked, site.blog + "/")
    bot = ask(hooked, root, QUESTION)
    assert bot.get_attribute("data-state") == "done"
    citation = api_answer(site, QUESTION)["citations"][0]
    assert citation["post_url"].startswith(site.blog + "/")  # a bundled post, published on the blog
    assert citation["url"].startswith(citation["post_url"] + "#:~:text=")
    source = bot.find_element(By.CSS_SELECTOR, ".source")
    link = source.find_element(By.CSS_SELECTOR, "a")
    href = link.get_attribute("href") or ""
    assert href == hooked.execute_script("return new URL(arguments[0]).href", citation["url"])
    assert "#:~:text=" in href and link.text == citation["title"]
    quote = source.find_element(By.CSS_SELECTOR, ".quote").text
    assert quote == citation["quote"]
    shot(hooked, "widget-published.png")
    main, before = hooked.current_window_handle, set(hooked.window_handles)
    link.click()
    WebDriverWait(hooked, 10).until(lambda d: len(d.window_handles) > len(before))
    hooked.switch_to.window((set(hooked.window_handles) - before).pop())
    try:
        WebDriverWait(hooked, 10).until(lambda d: d.title == citation["title"])  # the blog's page of the post
        assert hooked.current_url.split("#")[0] == citation["post_url"]
        WebDriverWait(hooked, 10).until(lambda d: d.execute_script(SCROLLED))
        scroll, centre = hooked.execute_script(CENTRE)
        assert scroll > 3000 and visible_blocks(quote)[0] in centre  # below a 4000 px header: the fragment did it
    finally:
        hooked.close()
        hooked.switch_to.window(main)
    assert_no_csp_violations(hooked)


def test_thumbs_up_in_the_widget_is_a_row_in_the_feedback_table(
    hooked: WebDriver, published: tuple[Site, Path]
) -> None:
    site, db = published
    root = open_widget(hooked, site.blog + "/en.html")
    bot = ask(hooked, root, VOTED)
    assert bot.get_attribute("data-state") == "done"
    logged = rows(db, "SELECT answer_id, refused, channel FROM questions WHERE question = ?", VOTED)
    assert len(logged) == 1 and logged[0][1:] == (0, "api")
    answer_id = logged[0][0]
    assert rows(db, "SELECT * FROM feedback WHERE answer_id = ?", answer_id) == []
    up = bot.find_element(By.CSS_SELECTOR, ".feedback button.helpful")
    up.click()
    WebDriverWait(hooked, 10).until(lambda d: up.get_attribute("aria-pressed") == "true")
    assert bot.find_element(By.CSS_SELECTOR, ".feedback-status").text == "Thanks for the feedback."
    assert rows(db, "SELECT helpful, comment FROM feedback WHERE answer_id = ?", answer_id) == [(1, None)]
    sent = [body for url, body in hooked.execute_script("return window.__fetches") if url == site.bot + "/feedback"]
    assert sent == [{"answer_id": answer_id, "helpful": True}]
    assert_no_csp_violations(hooked)


def test_feedback_from_an_origin_not_allowed_never_reaches_the_database(
    hooked: WebDriver, published: tuple[Site, Path]
) -> None:
    site, db = published
    answer_id = api_answer(site, "What is the zebra payload?")["answer_id"]  # a logged answer
    vote = {"answer_id": answer_id, "helpful": False}
    hooked.get(site.other + "/en.html")  # the same page, from an origin outside RAG_ALLOWED_ORIGINS
    refused = hooked.execute_async_script(FEEDBACK, site.bot + "/feedback", vote)
    assert refused[0] == "refused", refused
    assert hooked.execute_script("return window.__csp") == []  # the preflight failed, not the page's CSP
    assert rows(db, "SELECT * FROM feedback WHERE answer_id = ?", answer_id) == []
    hooked.get(site.blog + "/en.html")  # the check can fail: the allowed blog sends the same request
    assert hooked.execute_async_script(FEEDBACK, site.bot + "/feedback", vote) == ["sent", 200]
    assert rows(db, "SELECT helpful FROM feedback WHERE answer_id = ?", answer_id) == [(0,)]


@pytest.fixture(scope="module")
def unlogged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with serve_site(tmp_path_factory.mktemp("widget-unlogged"), log_questions=False) as site:
        yield site


def test_a_server_that_logs_nothing_gets_asked_for_feedback_once(hooked: WebDriver, unlogged: Site) -> None:
    # Its answers still carry an answer_id, yet POST /feedback can only answer 409.
    root = open_widget(hooked, unlogged.blog + "/en.html")
    first = ask(hooked, root, VOTED)
    buttons = first.find_elements(By.CSS_SELECTOR, ".feedback button")
    assert len(buttons) == 2
    buttons[0].click()
    status = first.find_element(By.CSS_SELECTOR, ".feedback-status")
    WebDriverWait(hooked, 10).until(lambda d: status.text != "")
    assert status.text == "This assistant does not collect feedback."
    assert [b.get_attribute("aria-pressed") for b in buttons] == ["false", "false"]
    assert all(not b.is_enabled() for b in buttons)  # no second try that can only fail the same way
    second = ask(hooked, root, TTL_QUESTION)
    assert second.get_attribute("data-state") == "done"
    assert second.find_elements(By.CSS_SELECTOR, ".feedback") == []  # and no more thumbs that go nowhere
    root.find_element(By.CSS_SELECTOR, "button.new-chat").click()
    assert ask(hooked, root, VOTED).find_elements(By.CSS_SELECTOR, ".feedback") == []  # the server is the same
    sent = [url for url, _ in hooked.execute_script("return window.__fetches") if url == unlogged.bot + "/feedback"]
    assert len(sent) == 1
    assert_no_csp_violations(hooked)


def test_the_thumbs_are_drawn_not_left_to_an_emoji_font(hooked: WebDriver, published: tuple[Site, Path]) -> None:
    # Debian's chromium has no emoji font: a 👍 character there is an empty box. Every answer now has an
    # answer_id, so the thumbs are always on screen; they are SVG drawings, as on the chat page.
    site, _ = published
    root = open_widget(hooked, site.blog + "/en.html")
    bot = ask(hooked, root, TTL_QUESTION)
    buttons = bot.find_elements(By.CSS_SELECTOR, ".feedback button")
    assert [b.get_attribute("aria-label") for b in buttons] == ["Helpful", "Not helpful"]
    for button in buttons:
        assert button.text == ""  # no character for a font to miss
        drawing = button.find_element(By.CSS_SELECTOR, "svg path")
        width, height = drawing.size["width"], drawing.size["height"]
        assert width >= 12 and height >= 12, drawing.size
        stroke = "return getComputedStyle(arguments[0]).stroke"
        assert hooked.execute_script(stroke, drawing) not in ("none", "rgba(0, 0, 0, 0)")  # the outline shows
    shot(hooked, "widget-thumbs.png")


def test_a_refusal_lists_the_closest_posts_as_published(hooked: WebDriver, published: tuple[Site, Path]) -> None:
    site, _ = published
    root = open_widget(hooked, site.blog + "/en.html")
    refusal = ask(hooked, root, REFUSED_QUESTION)
    assert refusal.get_attribute("data-state") == "refused"
    links = refusal.find_elements(By.CSS_SELECTOR, ".closest a")
    expected = api_answer(site, REFUSED_QUESTION)["closest"]
    assert links and [link.get_attribute("href") for link in links] == [post["url"] for post in expected]
    for post in expected:
        assert post["url"].startswith(site.blog + "/")  # the blog's pages, not the bot's viewer
        with urllib.request.urlopen(post["url"], timeout=10) as page:  # and the blog has them
            assert f"<title>{html.escape(post['title'])}</title>" in page.read().decode("utf-8")
    assert refusal.find_elements(By.CSS_SELECTOR, ".feedback button.unhelpful")  # 👎 on a refusal marks a gap
