"""The chat page end to end in headless Chromium: streaming, citations, viewer, refusal, XSS, stop, layout."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from api.app import create_app
from rag.config import SAMPLE_POSTS_DIR, Settings
from rag.pipeline import ingest
from tests.api.helpers import EVIL_SOURCE, live_server

pytestmark = pytest.mark.slow
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROME_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,900",
)
# Records what the newest answer bubble showed at each DOM change, to prove text appeared while streaming.
OBSERVE = """
window.__seen = [];
new MutationObserver(() => {
  const bots = document.querySelectorAll('.msg.assistant');
  const bot = bots[bots.length - 1];
  if (bot) window.__seen.push([bot.dataset.state, bot.querySelector('.text').textContent]);
}).observe(document.getElementById('turns'), {subtree: true, childList: true, characterData: true});
"""
RECORD_FETCH = """
window.__bodies = [];
const realFetch = window.fetch;
window.fetch = (url, options) => { if (url === '/ask') window.__bodies.push(JSON.parse(options.body));
                                   return realFetch(url, options); };
"""
# Installed before any page script runs: every URL the page fetches, resolved, including those at load.
RECORD_ALL_FETCHES = """
window.__fetched = [];
const pageFetch = window.fetch;
window.fetch = (url, options) => { window.__fetched.push(new URL(url, location.href).href);
                                   return pageFetch(url, options); };
"""
BOX = "const b = arguments[0].getBoundingClientRect(); return {top: b.top, bottom: b.bottom};"
# The element a real click on arguments[0] lands on is arguments[0] (or inside it). Like WebDriver's click,
# aim at the centre of its first box: a link that wraps has one box per line.
HIT = """
const b = arguments[0].getClientRects()[0];
const hit = document.elementFromPoint((b.left + b.right) / 2, (b.top + b.bottom) / 2);
return hit !== null && arguments[0].contains(hit);
"""
# How many lines the text of arguments[0] is laid out on.
LINES = """
const range = document.createRange();
range.selectNodeContents(arguments[0]);
return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
"""
SIZES = {"phone": (390, 844), "desktop": (1280, 900)}
REFUSED_QUESTION = "谁是 2019 年的诺贝尔文学奖得主？"
# Enough turns that the page scrolls at both sizes; the refusal (tallest, with links) comes last.
QUESTIONS = ("How do I set a TTL in Redis?", "How do I tune Postgres autovacuum?", "What is the first payload?")
# #post= values that must never be fetched: they leave /posts/ (or the origin) once a browser resolves them.
HOSTILE_POSTS = (
    "../admin/reindex",
    "..%2Fadmin%2Freindex",
    "%2e%2e/admin/reindex",
    "%2E%2E%2Fadmin%2Freindex",
    "%252e%252e/admin/reindex",
    "notes/../../admin/reindex",
    "./../admin/reindex",
    "notes/%2e%2e/%2e%2e/admin/reindex",
    "..%5Cadmin%5Creindex",
    "/admin/reindex",
    "//evil.example/admin",
    "https://evil.example/admin",
    "javascript:alert(1)",
)


@pytest.fixture(scope="module")
def app_url(api_settings: Settings) -> Iterator[tuple[str, Any]]:
    app = create_app(api_settings)
    with live_server(app) as url:
        yield url, app


@pytest.fixture(scope="module")
def driver() -> Iterator[WebDriver]:
    if not (Path("/usr/bin/chromium").exists() and Path("/usr/bin/chromedriver").exists()):
        pytest.fail("Chromium is missing: apt-get update && apt-get install -y chromium chromium-driver")
    options = webdriver.ChromeOptions()
    for arg in CHROME_ARGS:
        options.add_argument(arg)
    profile = tempfile.mkdtemp(prefix="blograg-chrome-")
    options.add_argument(f"--user-data-dir={profile}")
    options.binary_location = "/usr/bin/chromium"
    browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture()
def page(driver: WebDriver, app_url: tuple[str, Any]) -> WebDriver:
    driver.get(app_url[0] + "/")
    WebDriverWait(driver, 10).until(lambda d: d.execute_script("return document.readyState") == "complete")
    return driver


@pytest.fixture(scope="module")
def sample_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server over the bundled sample posts only: what a new user sees after `rag serve`."""
    settings = Settings(
        index_dir=tmp_path_factory.mktemp("samples") / "index",
        posts=[SAMPLE_POSTS_DIR],
        embedder="hashing",
        rate_limit_per_minute=0,
    )
    ingest(settings)
    with live_server(create_app(settings)) as url:
        yield url


@pytest.fixture(params=sorted(SIZES))
def sized_page(request: pytest.FixtureRequest, driver: WebDriver, app_url: tuple[str, Any]) -> Iterator[WebDriver]:
    """The chat page in a viewport of a phone (390 px wide, touch) or of a desktop."""
    width, height = SIZES[request.param]
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        driver.get(app_url[0] + "/")
        WebDriverWait(driver, 10).until(lambda d: d.execute_script("return document.readyState") == "complete")
        yield driver
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def ask(driver: WebDriver, question: str, wait_done: bool = True) -> WebElement:
    count = len(driver.find_elements(By.CSS_SELECTOR, ".msg.assistant"))
    box = driver.find_element(By.ID, "question")
    box.send_keys(question)
    box.send_keys(Keys.ENTER)
    WebDriverWait(driver, 10).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".msg.assistant")) > count)
    bot = driver.find_elements(By.CSS_SELECTOR, ".msg.assistant")[-1]
    if wait_done:
        WebDriverWait(driver, 30).until(lambda d: bot.get_attribute("data-state") != "streaming")
    return bot


def clear_of_composer(driver: WebDriver, element: WebElement) -> bool:
    """Is all of `element` on screen, above the fixed composer's top edge?"""
    box = driver.execute_script(BOX, element)
    composer = driver.execute_script(BOX, driver.find_element(By.ID, "ask-form"))
    return bool(box["top"] >= 0 and box["bottom"] <= composer["top"] + 0.5)


def width_name(driver: WebDriver) -> str:
    return str(driver.execute_script("return window.innerWidth"))


def shot(driver: WebDriver, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / name))


def assert_inert(driver: WebDriver) -> None:
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018 - touching it raises when no alert is open
    assert driver.execute_script("return typeof window.__xss") == "undefined"
    assert (
        driver.execute_script("return document.querySelectorAll('#turns img, #sources img, #viewer img').length") == 0
    )
    assert driver.execute_script("return document.querySelectorAll('body script').length") == 0
    assert not driver.find_elements(By.CSS_SELECTOR, "a[href^='javascript:']")


def test_streamed_answer_with_citation_and_sources_panel(page: WebDriver) -> None:
    page.execute_script(OBSERVE)
    bot = ask(page, "How do I set a TTL in Redis?")
    assert bot.get_attribute("data-state") == "done"
    assert bot.find_element(By.CSS_SELECTOR, ".text").text.startswith("Set a TTL on every key.")
    seen = page.execute_script("return window.__seen")
    assert any(state == "streaming" and text for state, text in seen), seen  # draft shown before the final answer
    cite = bot.find_element(By.CSS_SELECTOR, "a.cite")
    assert cite.text == "[1]"
    cite.click()
    active = WebDriverWait(page, 5).until(lambda d: d.find_element(By.CSS_SELECTOR, "#sources li.source.active"))
    assert active.find_element(By.CSS_SELECTOR, ".quote").text == "Set a TTL on every key."
    assert "Caching with Redis" in active.text and "2024-06-01" in active.text
    link = active.find_element(By.CSS_SELECTOR, ".source-head a")
    assert link.get_attribute("href") == "https://blog.example.com/caching-with-redis/"
    shot(page, "chat-answer.png")


def test_viewer_opens_at_the_cited_passage(page: WebDriver) -> None:
    bot = ask(page, "CNCF TOC 有多少个席位？")
    bot.find_elements(By.CSS_SELECTOR, "a.cite")[-1].click()
    source = page.find_element(By.CSS_SELECTOR, "#sources li.source.active")
    quote = source.find_element(By.CSS_SELECTOR, ".quote").text
    title_link = source.find_element(By.CSS_SELECTOR, ".source-head a")
    assert "opens-viewer" in (title_link.get_attribute("class") or "")  # no URL: the title opens the viewer
    source.find_element(By.CSS_SELECTOR, "a.open-viewer").click()
    mark = WebDriverWait(page, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, "#viewer[open] mark.passage"))
    assert mark.text == quote
    visible = page.execute_script(
        "const m = arguments[0].getBoundingClientRect(), v = document.getElementById('viewer-text')"
        ".getBoundingClientRect(); return m.top >= v.top && m.top < v.bottom;",
        mark,
    )
    assert visible  # scrolled to the passage
    assert page.find_element(By.ID, "viewer-title").text == source.find_element(By.CSS_SELECTOR, ".source-head a").text
    shot(page, "post-viewer.png")
    page.find_element(By.ID, "viewer-close").click()
    assert not page.find_elements(By.CSS_SELECTOR, "#viewer[open]")


def test_refusal_looks_different_and_lists_closest_posts(page: WebDriver) -> None:
    answer = ask(page, "How do I set a TTL in Redis?")
    refusal = ask(page, "谁是 2019 年的诺贝尔文学奖得主？")
    assert refusal.get_attribute("data-state") == "refused" and "refused" in (refusal.get_attribute("class") or "")
    assert "没有提供" in refusal.find_element(By.CSS_SELECTOR, ".text").text
    assert "NO_ANSWER" not in refusal.text
    assert len(refusal.find_elements(By.CSS_SELECTOR, ".closest li a")) >= 1
    assert not refusal.find_elements(By.CSS_SELECTOR, "a.cite")
    style = "return getComputedStyle(arguments[0]).backgroundColor"
    assert page.execute_script(style, refusal) != page.execute_script(style, answer)
    shot(page, "refusal.png")


def test_xss_payloads_from_posts_stay_inert(page: WebDriver) -> None:
    bot = ask(page, "What is the zebra payload?")
    assert '<img src=x onerror="window.__xss=4;alert(4)">' in bot.find_element(By.CSS_SELECTOR, ".text").text
    bot.find_element(By.CSS_SELECTOR, "a.cite").click()
    source = page.find_element(By.CSS_SELECTOR, "#sources li.source.active")
    assert "opens-viewer" in (source.find_element(By.CSS_SELECTOR, ".source-head a").get_attribute("class") or "")
    assert_inert(page)
    source.find_element(By.CSS_SELECTOR, "a.open-viewer").click()
    text = WebDriverWait(page, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, "#viewer[open] #viewer-text"))
    WebDriverWait(page, 10).until(lambda d: "<script>window.__xss=6" in text.text)
    assert page.find_element(By.ID, "viewer-meta").text.endswith(EVIL_SOURCE)
    assert_inert(page)
    page.find_element(By.ID, "viewer-close").click()
    fixture = ask(page, "What is the first payload?")  # the tests/fixtures post with <script> and <img onerror>
    fixture.find_element(By.CSS_SELECTOR, "a.cite").click()
    assert "Escaping User Content" in page.find_element(By.CSS_SELECTOR, "#sources li.source.active").text
    shot(page, "xss-inert.png")
    assert_inert(page)


def test_follow_ups_send_history_and_new_chat_clears_it(page: WebDriver) -> None:
    page.execute_script(RECORD_FETCH)
    ask(page, "How do I tune Postgres autovacuum?")
    ask(page, "Which of its settings matter?")
    bodies = page.execute_script("return window.__bodies")
    assert bodies[0]["history"] == [] and bodies[0]["stream"] is True
    assert [t["role"] for t in bodies[1]["history"]] == ["user", "assistant"]
    assert bodies[1]["history"][0]["content"] == "How do I tune Postgres autovacuum?"
    page.find_element(By.ID, "new-chat").click()
    assert page.find_elements(By.CSS_SELECTOR, ".turn") == []
    assert page.find_elements(By.CSS_SELECTOR, "#sources li") == []
    ask(page, "How do I set a TTL in Redis?")
    assert page.execute_script("return window.__bodies")[-1]["history"] == []


def test_stop_button_aborts_a_running_answer(
    page: WebDriver, app_url: tuple[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = app_url[1].state.holder.current.engine

    def slow_stream(*args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        yield {"event": "meta", "query": "q", "hits": []}
        for _ in range(50):
            time.sleep(0.1)
            yield {"event": "token", "text": "slow "}

    monkeypatch.setattr(engine, "ask_stream", slow_stream)
    bot = ask(page, "Something slow", wait_done=False)
    stop = page.find_element(By.ID, "stop")
    WebDriverWait(page, 5).until(lambda d: "slow" in bot.find_element(By.CSS_SELECTOR, ".text").text)
    assert stop.is_displayed() and not page.find_element(By.ID, "ask").is_enabled()
    stop.click()
    WebDriverWait(page, 5).until(lambda d: bot.get_attribute("data-state") == "stopped")
    assert "已停止 / Stopped" in bot.text
    assert not stop.is_displayed() and page.find_element(By.ID, "ask").is_enabled()


def wait_clear_of_composer(driver: WebDriver, bot: WebElement, question: str) -> None:
    """Wait (scrolling may be smooth) until the answer is wholly above the composer; fail with both boxes."""
    try:
        WebDriverWait(driver, 5).until(lambda d: clear_of_composer(d, bot))
    except TimeoutException:
        boxes = [driver.execute_script(BOX, e) for e in (bot, driver.find_element(By.ID, "ask-form"))]
        pytest.fail(f"after {question!r} the answer {boxes[0]} is not above the composer {boxes[1]}")


def click_closest_post(driver: WebDriver, link: WebElement) -> None:
    """Click a closest-post link as a user would and check it did its job: the viewer, or the post's URL."""
    assert driver.execute_script(HIT, link), link.text  # nothing (the composer) lies over it
    before, main = set(driver.window_handles), driver.current_window_handle
    link.click()  # a real click at the link's centre; raises ElementClickInterceptedException when covered
    if "opens-viewer" in (link.get_attribute("class") or ""):
        title = WebDriverWait(driver, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, "#viewer[open] h2"))
        WebDriverWait(driver, 10).until(lambda d: title.text == link.text)
        driver.find_element(By.ID, "viewer-close").click()
        return
    WebDriverWait(driver, 10).until(lambda d: len(d.window_handles) > len(before))
    driver.switch_to.window((set(driver.window_handles) - before).pop())
    driver.close()
    driver.switch_to.window(main)


def ask_example(driver: WebDriver, index: int) -> tuple[str, bool, WebElement]:
    """Click example `index` in a new chat: its label, whether it is marked a refusal demo, the answer."""
    driver.find_element(By.ID, "new-chat").click()
    button = driver.find_elements(By.CSS_SELECTOR, "button.example")[index]
    label, demo = button.text, "refusal-demo" in (button.get_attribute("class") or "")
    button.click()
    bot = WebDriverWait(driver, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, ".msg.assistant"))
    WebDriverWait(driver, 30).until(lambda d: bot.get_attribute("data-state") != "streaming")
    return label, demo, bot


def test_each_new_answer_is_shown_above_the_composer(sized_page: WebDriver) -> None:
    for question in (*QUESTIONS, REFUSED_QUESTION):
        wait_clear_of_composer(sized_page, ask(sized_page, question), question)
    shot(sized_page, f"newest-answer-{width_name(sized_page)}.png")


def test_closest_posts_of_a_refusal_take_a_real_click(sized_page: WebDriver) -> None:
    for question in QUESTIONS:
        ask(sized_page, question)
    refusal = ask(sized_page, REFUSED_QUESTION)
    links = refusal.find_elements(By.CSS_SELECTOR, ".closest li a")
    assert links
    try:
        WebDriverWait(sized_page, 5).until(lambda d: all(d.execute_script(HIT, link) for link in links))
    finally:
        shot(sized_page, f"refusal-links-{width_name(sized_page)}.png")
    for link in links:
        click_closest_post(sized_page, link)


def test_header_and_composer_fit_the_screen(sized_page: WebDriver) -> None:
    for element_id in ("new-chat", "ask"):
        assert sized_page.execute_script(LINES, sized_page.find_element(By.ID, element_id)) == 1, element_id
    summary = sized_page.find_element(By.CSS_SELECTOR, "#settings summary")
    assert sized_page.execute_script(LINES, summary) == 1
    assert sized_page.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    box = sized_page.find_element(By.ID, "question")
    assert box.get_attribute("value") == ""
    # An empty textarea scrolls only when its placeholder does not fit: then the placeholder is cut off.
    assert sized_page.execute_script("return arguments[0].scrollHeight <= arguments[0].clientHeight", box)
    shot(sized_page, f"empty-page-{width_name(sized_page)}.png")


def test_examples_say_which_ones_the_bundled_posts_cannot_answer(driver: WebDriver, sample_url: str) -> None:
    driver.get(sample_url + "/")
    WebDriverWait(driver, 10).until(lambda d: d.execute_script("return document.readyState") == "complete")
    count = len(driver.find_elements(By.CSS_SELECTOR, "button.example"))
    assert count >= 2
    for index in range(count):
        label, demo, bot = ask_example(driver, index)
        question = driver.find_element(By.CSS_SELECTOR, ".msg.user .text").text
        assert question and question in label  # the label may add words; the question sent is the example's own
        assert (bot.get_attribute("data-state") == "refused") == demo, label
        if demo:
            assert "can't answer" in label, label  # says up front that it shows a refusal
    driver.find_element(By.ID, "new-chat").click()
    shot(driver, "examples.png")


@pytest.mark.parametrize("hostile", HOSTILE_POSTS)
def test_viewer_fetches_nothing_outside_posts(page: WebDriver, app_url: tuple[str, Any], hostile: str) -> None:
    page.execute_script("sessionStorage.setItem('blograg.apiKey', 'saved-key')")  # the key a leak would send
    script = page.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_ALL_FETCHES})
    try:
        page.get("about:blank")
        page.get(app_url[0] + "/#post=" + hostile)  # a link someone sent: read on page load
        title = WebDriverWait(page, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, "#viewer[open] h2"))
        WebDriverWait(page, 10).until(lambda d: "Cannot open" in title.text)
        page.find_element(By.ID, "viewer-close").click()
        # The dialog's close event is queued: let it run (it clears the hash) before the next link.
        WebDriverWait(page, 10).until(
            lambda d: (
                not d.find_elements(By.CSS_SELECTOR, "#viewer[open]") and d.execute_script("return location.hash") == ""
            )
        )
        page.execute_script("location.hash = arguments[0]", "post=" + hostile)  # and on a hash change
        WebDriverWait(page, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#viewer[open]"))
        assert "Cannot open" in title.text
        assert page.execute_script("return window.__fetched") == []
        assert "/posts/" in page.find_element(By.ID, "viewer-text").text  # says what a post address looks like
    finally:
        page.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", script)
        page.execute_script("sessionStorage.clear()")


def test_viewer_link_to_a_post_still_opens_it(page: WebDriver, app_url: tuple[str, Any]) -> None:
    script = page.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_ALL_FETCHES})
    try:
        page.get("about:blank")
        page.get(app_url[0] + "/#post=" + EVIL_SOURCE + "&start=0&end=5")
        WebDriverWait(page, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, "#viewer[open] mark.passage"))
        assert page.execute_script("return window.__fetched") == [app_url[0] + "/posts/" + EVIL_SOURCE]
        assert_inert(page)
    finally:
        page.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", script)
