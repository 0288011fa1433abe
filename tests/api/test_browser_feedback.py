"""In headless Chromium: 👍/👎 under an answer land in the question log; the insights page renders
its charts under the strict CSP (no violation, the stylesheet colours the SVG)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from api.app import create_app
from rag.config import Settings
from tests.api.helpers import live_server
from tests.api.test_browser import ask, driver, shot  # noqa: F401 - the shared Chromium fixture
from tests.api.test_insights_page import KEY, seed

pytestmark = pytest.mark.slow
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective));
"""


@pytest.fixture(scope="module")
def chat(api_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    db = tmp_path_factory.mktemp("browser-log") / "q.sqlite"
    with live_server(create_app(api_settings.model_copy(update={"db_url": str(db)}))) as url:
        yield url, db


def rows(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def test_thumbs_up_and_down_land_in_the_database(driver: WebDriver, chat: tuple[str, Path]) -> None:  # noqa: F811
    url, db = chat
    driver.get(url + "/")
    WebDriverWait(driver, 10).until(lambda d: d.execute_script("return document.readyState") == "complete")
    bot = ask(driver, "How do I set a TTL in Redis?")
    bar = bot.find_element(By.CSS_SELECTOR, ".feedback")
    answer_id = bar.get_attribute("data-answer-id")
    assert answer_id and rows(db, "SELECT refused FROM questions WHERE answer_id = ?", answer_id) == [(0,)]
    up = bar.find_element(By.CSS_SELECTOR, "button.vote.up")
    assert up.get_attribute("aria-label") and up.get_attribute("aria-pressed") == "false"
    up.click()
    WebDriverWait(driver, 10).until(lambda d: up.get_attribute("aria-pressed") == "true")
    assert "Thanks" in bar.find_element(By.CSS_SELECTOR, ".vote-status").text
    assert rows(db, "SELECT helpful, comment FROM feedback WHERE answer_id = ?", answer_id) == [(1, None)]
    shot(driver, "feedback-up.png")
    # Changing one's mind: 👎 replaces the vote and offers a comment line, sent with Enter.
    down = bar.find_element(By.CSS_SELECTOR, "button.vote.down")
    down.click()
    box = WebDriverWait(driver, 10).until(lambda d: bar.find_element(By.CSS_SELECTOR, "form.vote-comment input"))
    assert up.get_attribute("aria-pressed") == "false" and down.get_attribute("aria-pressed") == "true"
    box.send_keys("It should say which command", Keys.ENTER)
    WebDriverWait(driver, 10).until(lambda d: not bar.find_elements(By.CSS_SELECTOR, "form.vote-comment"))
    expected = [(0, "It should say which command")]
    assert rows(db, "SELECT helpful, comment FROM feedback WHERE answer_id = ?", answer_id) == expected


def test_a_server_that_logs_nothing_says_so_once_and_stops_offering_thumbs(
    driver: WebDriver,  # noqa: F811
    api_settings: Settings,
    tmp_path: Path,
) -> None:
    db = tmp_path / "q.sqlite"
    settings = api_settings.model_copy(update={"db_url": str(db), "log_questions": False})
    with live_server(create_app(settings)) as url:
        driver.get(url + "/")
        WebDriverWait(driver, 10).until(lambda d: d.execute_script("return document.readyState") == "complete")
        first = ask(driver, "How do I set a TTL in Redis?")
        up = first.find_element(By.CSS_SELECTOR, ".feedback button.vote.up")
        up.click()
        status = first.find_element(By.CSS_SELECTOR, ".vote-status")
        WebDriverWait(driver, 10).until(lambda d: "does not collect feedback" in status.text)
        assert up.get_attribute("disabled") is not None and up.get_attribute("aria-pressed") == "false"
        second = ask(driver, "How do I vacuum Postgres?")
        assert second.find_elements(By.CSS_SELECTOR, ".feedback") == []
    assert not db.exists()


def test_insights_page_renders_under_the_strict_csp(
    driver: WebDriver,  # noqa: F811
    api_settings: Settings,
    tmp_path: Path,
) -> None:
    db = tmp_path / "q.sqlite"
    seed(db)
    settings = api_settings.model_copy(update={"db_url": str(db), "api_key": KEY})
    script = driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS})
    try:
        with live_server(create_app(settings)) as url:
            # A browser's own login: the key as the password of the Basic challenge.
            driver.get(url.replace("http://", f"http://owner:{KEY}@") + "/admin/insights")
            WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "li.gap h3"))
            assert driver.find_element(By.TAG_NAME, "h1").text == "What readers asked"
            fill = "return getComputedStyle(document.querySelector('rect.bar.refused')).fill"
            assert driver.execute_script(fill) == "rgb(217, 130, 43)"  # insights.css reached the SVG
            assert len(driver.find_elements(By.CSS_SELECTOR, "svg.chart")) == 3
            assert "sourdough" in driver.find_element(By.CSS_SELECTOR, "li.gap h3").text
            assert driver.execute_script("return window.__violations") == []
            assert driver.execute_script("return typeof window.__xss") == "undefined"
            assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
            driver.set_window_size(1280, 2000)
            shot(driver, "insights.png")
            driver.set_window_size(1280, 900)
    finally:
        driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", script)
