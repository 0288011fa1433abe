"""The <blog-chat> widget in headless Chromium on a blog of another origin under a strict CSP.

The blog is eval/demo-blog served by a plain `http.server` on its own loopback port, sending
`default-src 'none'; script-src <bot>; connect-src <bot>; style-src 'self'; img-src 'self'`; the bot
is the real app under uvicorn with that blog (only) in its CORS allow-list (see widget_site.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.api import test_browser
from tests.api.helpers import EVIL_SOURCE
from tests.api.widget_site import (
    ACCENT,
    HOOKS,
    OBSERVE,
    POST_PATH,
    REFUSED_QUESTION,
    TTL_QUESTION,
    Site,
    answer_ids,
    api_answer,
    ask,
    assert_no_csp_violations,
    open_widget,
    required_key,
    serve_site,
    without_directive,
)

pytestmark = pytest.mark.slow
driver = test_browser.driver  # the one headless Chromium setup of the browser tests
shot = test_browser.shot  # screenshots go to test-artifacts/ (git-ignored)

ACTIVE = "const r = document.querySelector('blog-chat').shadowRoot; return r.activeElement;"
RECT = "const b = arguments[0].getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom];"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with serve_site(tmp_path_factory.mktemp("widget")) as served:
        yield served


@pytest.fixture()
def hooked(driver: WebDriver) -> Iterator[WebDriver]:
    script = driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": HOOKS})
    try:
        yield driver
    finally:
        driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", script)


@pytest.fixture()
def phone(hooked: WebDriver) -> Iterator[WebDriver]:
    metrics = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
    hooked.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        yield hooked
    finally:
        hooked.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_streamed_cited_answer_on_a_strict_csp_page_links_to_the_post(hooked: WebDriver, site: Site) -> None:
    root = open_widget(hooked, site.blog + "/en.html")
    hooked.execute_script(OBSERVE)
    bot = ask(hooked, root, TTL_QUESTION)
    assert bot.get_attribute("data-state") == "done" and bot.get_attribute("aria-busy") == "false"
    assert bot.find_element(By.CSS_SELECTOR, ".text").text.startswith("Set a TTL on every key.")
    seen = hooked.execute_script("return window.__seen")
    assert any(state == "streaming" and text for state, text in seen), seen  # the draft showed while streaming
    chip = bot.find_element(By.CSS_SELECTOR, ".text button.chip")
    assert chip.text == "[1]" and "Caching with Redis" in (chip.get_attribute("aria-label") or "")
    chip.click()
    source = bot.find_element(By.CSS_SELECTOR, ".source.active")
    link = source.find_element(By.CSS_SELECTOR, "a")
    assert hooked.execute_script(ACTIVE) == link  # the chip moved focus to its source
    assert source.find_element(By.CSS_SELECTOR, ".quote").text == "Set a TTL on every key."
    assert source.find_element(By.CSS_SELECTOR, ".date").text == "2024-06-01"
    citation = api_answer(site, TTL_QUESTION)["citations"][0]
    assert link.get_attribute("href") == hooked.execute_script("return new URL(arguments[0]).href", citation["url"])
    assert without_directive(citation["url"]) == site.blog + POST_PATH
    assert link.get_attribute("target") == "_blank" and link.get_attribute("rel") == "noopener"
    shot(hooked, "widget-desktop.png")
    main, before = hooked.current_window_handle, set(hooked.window_handles)
    link.click()
    WebDriverWait(hooked, 10).until(lambda d: len(d.window_handles) > len(before))
    hooked.switch_to.window((set(hooked.window_handles) - before).pop())
    try:
        WebDriverWait(hooked, 10).until(lambda d: d.title == "Caching with Redis")
        assert without_directive(hooked.current_url) == without_directive(citation["url"])
    finally:
        hooked.close()
        hooked.switch_to.window(main)
    assert hooked.execute_script("return document.querySelectorAll('blog-chat').length") == 1
    assert_no_csp_violations(hooked)


def test_the_blog_css_stays_out_and_the_accent_comes_in(hooked: WebDriver, site: Site) -> None:
    root = open_widget(hooked, site.blog + "/")
    send = root.find_element(By.CSS_SELECTOR, "button.send")
    style = "const s = getComputedStyle(arguments[0]); return [s.backgroundColor, s.fontFamily, s.borderStyle];"
    background, font, border = hooked.execute_script(style, send)
    assert background == ACCENT  # the adopted stylesheet applied, with data-accent
    assert "Georgia" not in font and border != "dashed"  # the blog's `* {font-family}` and `button {…}` did not
    page_button = hooked.find_element(By.CSS_SELECTOR, "article button")
    assert hooked.execute_script(style, page_button)[0] == "rgb(225, 29, 72)"  # and the widget's none leak out
    assert root.find_element(By.CSS_SELECTOR, ".panel h2").text == "问问这个博客 / Ask this blog"
    assert root.find_element(By.CSS_SELECTOR, "button.new-chat").text == "新对话"  # data-lang=auto on a zh page
    assert_no_csp_violations(hooked)


def test_refusal_says_so_in_the_chosen_language_with_the_closest_posts(hooked: WebDriver, site: Site) -> None:
    for page, wording in (("/en.html", "The posts don't say."), ("/", "文章里没有提到。")):
        root = open_widget(hooked, site.blog + page)
        refusal = ask(hooked, root, REFUSED_QUESTION)
        assert refusal.get_attribute("data-state") == "refused"
        assert refusal.find_element(By.CSS_SELECTOR, ".status").text == wording
        assert not refusal.find_elements(By.CSS_SELECTOR, "button.chip")
        links = refusal.find_elements(By.CSS_SELECTOR, ".closest a")
        assert links
        expected = api_answer(site, REFUSED_QUESTION)["closest"]
        assert [link.text for link in links] == [post["title"] for post in expected]
        for link, post in zip(links, expected, strict=True):
            href = link.get_attribute("href") or ""
            # No published URL: the bot's own viewer, opened at the passage.
            assert href == post["url"] or href.startswith(site.bot + "/#post="), href
    assert_no_csp_violations(hooked)


def test_follow_ups_send_history_and_new_chat_clears_it(hooked: WebDriver, site: Site) -> None:
    root = open_widget(hooked, site.blog + "/en.html")
    ask(hooked, root, "How do I tune Postgres autovacuum?")
    ask(hooked, root, "Which of its settings matter?")
    bodies = [body for url, body in hooked.execute_script("return window.__fetches") if url == site.bot + "/ask"]
    assert bodies[0]["history"] == [] and bodies[0]["stream"] is True
    assert [turn["role"] for turn in bodies[1]["history"]] == ["user", "assistant"]
    assert bodies[1]["history"][0]["content"] == "How do I tune Postgres autovacuum?"
    root.find_element(By.CSS_SELECTOR, "button.new-chat").click()
    assert root.find_elements(By.CSS_SELECTOR, ".turn") == []
    assert root.find_element(By.CSS_SELECTOR, ".intro").is_displayed()
    ask(hooked, root, TTL_QUESTION)
    last = [body for url, body in hooked.execute_script("return window.__fetches") if url == site.bot + "/ask"][-1]
    assert last["history"] == []


def test_keyboard_focus_stays_in_the_panel_and_escape_closes_it(hooked: WebDriver, site: Site) -> None:
    root = open_widget(hooked, site.blog + "/en.html")
    launcher = root.find_element(By.CSS_SELECTOR, "button.launcher")
    panel = root.find_element(By.CSS_SELECTOR, ".panel")
    assert hooked.execute_script(ACTIVE) == root.find_element(By.CSS_SELECTOR, "textarea")  # opening focuses the box
    assert panel.get_attribute("role") == "dialog" and panel.get_attribute("aria-modal") == "true"
    assert root.find_element(By.CSS_SELECTOR, ".log").get_attribute("aria-live") == "polite"
    ask(hooked, root, TTL_QUESTION)  # links and chips to tab through
    visited = set()
    for _ in range(12):
        hooked.switch_to.active_element.send_keys(Keys.TAB)
        active = hooked.execute_script(ACTIVE)
        assert active is not None and hooked.execute_script("return arguments[0].contains(arguments[1])", panel, active)
        visited.add(active.id)
        name = active.get_attribute("aria-label") or active.text or active.get_attribute("placeholder")
        assert name, active.get_attribute("outerHTML")  # every control says what it is
    assert len(visited) >= 5  # it moved, and wrapped around instead of leaving for the page
    hooked.switch_to.active_element.send_keys(Keys.ESCAPE)
    WebDriverWait(hooked, 5).until(lambda d: not panel.is_displayed())
    assert hooked.execute_script(ACTIVE) == launcher and launcher.get_attribute("aria-expanded") == "false"
    launcher.send_keys(Keys.ENTER)
    WebDriverWait(hooked, 5).until(lambda d: panel.is_displayed())
    assert launcher.get_attribute("aria-expanded") == "true"


def test_an_origin_not_allowed_is_refused_with_a_clear_error(hooked: WebDriver, site: Site) -> None:
    root = open_widget(hooked, site.other + "/en.html")  # same page, same bot, but not in RAG_ALLOWED_ORIGINS
    bot = ask(hooked, root, TTL_QUESTION)
    assert bot.get_attribute("data-state") == "error"
    assert bot.find_element(By.CSS_SELECTOR, ".error-message").text == "Can't reach the assistant."
    hint = bot.find_element(By.CSS_SELECTOR, ".error-hint").text
    assert site.other in hint and "RAG_ALLOWED_ORIGINS" in hint
    assert [url for url, _ in hooked.execute_script("return window.__fetches")] == [site.bot + "/ask"]  # it did try
    assert hooked.execute_script("return window.__csp") == []  # refused by CORS, not by the page's CSP
    shot(hooked, "widget-refused-origin.png")


def test_a_390_px_phone_gets_a_full_screen_panel_without_sideways_scrolling(phone: WebDriver, site: Site) -> None:
    root = open_widget(phone, site.blog + "/en.html")
    bot = ask(phone, root, TTL_QUESTION)
    bot.find_element(By.CSS_SELECTOR, "button.chip").click()
    panel = root.find_element(By.CSS_SELECTOR, ".panel")
    left, top, right, bottom = phone.execute_script(RECT, panel)
    assert (left, top) == (0, 0) and right == 390 and bottom == 844
    assert phone.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    log = root.find_element(By.CSS_SELECTOR, ".log")
    assert phone.execute_script("return arguments[0].scrollWidth <= arguments[0].clientWidth", log)
    for selector in ("button.send", "button.new-chat", "button.close", "textarea"):
        box = phone.execute_script(RECT, root.find_element(By.CSS_SELECTOR, selector))
        assert box[0] >= 0 and box[2] <= 390, selector
    shot(phone, "widget-390.png")
    assert_no_csp_violations(phone)


def test_answers_without_an_id_get_no_thumbs(hooked: WebDriver, site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    answer_ids(site, monkeypatch, None)
    root = open_widget(hooked, site.blog + "/en.html")
    bot = ask(hooked, root, TTL_QUESTION)
    assert bot.get_attribute("data-state") == "done"
    assert bot.find_elements(By.CSS_SELECTOR, ".feedback button") == []


def test_thumbs_up_posts_feedback_for_the_answer(
    hooked: WebDriver, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer_id = "0123456789abcdef0123456789abcdef"
    answer_ids(site, monkeypatch, answer_id)
    root = open_widget(hooked, site.blog + "/en.html")
    bot = ask(hooked, root, TTL_QUESTION)
    buttons = bot.find_elements(By.CSS_SELECTOR, ".feedback button")
    assert [b.get_attribute("aria-label") for b in buttons] == ["Helpful", "Not helpful"]
    assert [b.get_attribute("aria-pressed") for b in buttons] == ["false", "false"]
    buttons[0].click()
    status = bot.find_element(By.CSS_SELECTOR, ".feedback-status")
    WebDriverWait(hooked, 10).until(lambda d: status.text != "")  # thanks, or why it failed: never silence
    sent = [body for url, body in hooked.execute_script("return window.__fetches") if url == site.bot + "/feedback"]
    assert sent == [{"answer_id": answer_id, "helpful": True}]
    assert_no_csp_violations(hooked)


def test_data_api_key_is_sent_through_the_cors_preflight(hooked: WebDriver, site: Site) -> None:
    with required_key(site.app, "k3y"):
        root = open_widget(hooked, site.blog + "/en.html")
        refused = ask(hooked, root, TTL_QUESTION)
        assert refused.get_attribute("data-state") == "error"
        assert refused.find_element(By.CSS_SELECTOR, ".error-message").text == "This endpoint needs an API key."
        assert refused.find_element(By.CSS_SELECTOR, ".error-hint").text.startswith("Send it as `X-API-Key")
        root = open_widget(hooked, site.blog + "/key.html")
        bot = ask(hooked, root, TTL_QUESTION)
        assert bot.get_attribute("data-state") == "done"


def test_a_script_in_head_without_defer_still_adds_the_widget(hooked: WebDriver, site: Site) -> None:
    root = open_widget(hooked, site.blog + "/blocking.html")
    assert ask(hooked, root, TTL_QUESTION).get_attribute("data-state") == "done"
    assert hooked.execute_script("return document.querySelectorAll('blog-chat').length") == 1


def test_a_blog_chat_element_on_the_page_is_used_with_its_own_settings(hooked: WebDriver, site: Site) -> None:
    root = open_widget(hooked, site.blog + "/own.html")
    assert hooked.execute_script("return document.querySelectorAll('blog-chat').length") == 1
    assert hooked.execute_script("return document.querySelector('blog-chat').parentElement.id") == "chat-here"
    assert root.find_element(By.CSS_SELECTOR, ".panel h2").text == "Own title"  # its data-title wins
    assert root.find_element(By.CSS_SELECTOR, "button.new-chat").text == "New chat"  # and its data-lang
    assert_no_csp_violations(hooked)


def test_payloads_in_posts_stay_text_and_a_javascript_url_is_no_link(hooked: WebDriver, site: Site) -> None:
    root = open_widget(hooked, site.blog + "/en.html")
    bot = ask(hooked, root, "What is the zebra payload?")
    assert '<img src=x onerror="window.__xss=4;alert(4)">' in bot.find_element(By.CSS_SELECTOR, ".text").text
    link = bot.find_element(By.CSS_SELECTOR, ".source a")
    assert link.text == "Zebra payloads"
    # Its front matter says url: "javascript:…"; the link goes to the bot's viewer for the post instead.
    assert (link.get_attribute("href") or "").startswith(site.bot + "/#post=" + EVIL_SOURCE.replace("/", "%2F"))
    count = "return document.querySelector('blog-chat').shadowRoot.querySelectorAll(arguments[0]).length"
    assert hooked.execute_script(count, "img, script, [onerror]") == 0
    assert hooked.execute_script(count, "a[href^='javascript:']") == 0
    assert hooked.execute_script("return typeof window.__xss") == "undefined"
    assert_no_csp_violations(hooked)  # an injected handler or inline script would have been reported
    quote = bot.find_element(By.CSS_SELECTOR, ".quote").text
    main, before = hooked.current_window_handle, set(hooked.window_handles)
    link.click()  # the fallback works: the bot's own page opens the post at the cited passage
    WebDriverWait(hooked, 10).until(lambda d: len(d.window_handles) > len(before))
    hooked.switch_to.window((set(hooked.window_handles) - before).pop())
    try:
        mark = WebDriverWait(hooked, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, "#viewer[open] mark.passage"))
        assert mark.text and quote in mark.text
    finally:
        hooked.close()
        hooked.switch_to.window(main)
