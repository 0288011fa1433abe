"""GET /admin/insights over real HTTP: the key (header or a browser's login), HTML under the strict
CSP with inline SVG charts, JSON like `rag insights --json`, the gaps as CSV, logging off."""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.middleware import STRICT_CSP
from rag.config import Settings
from rag.insights.entries import Feedback, LoggedAnswer
from rag.insights.sqlite import SqliteQuestionLog
from rag.types import new_answer_id
from tests.api.helpers import live_server
from tests.insights.generate import SOURDOUGH, generate_log

KEY = "s3cret"
HOSTILE = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'


def seed(db: Path) -> None:
    """The generated log, moved to end now, plus a hostile question asked twice."""
    entries, feedback = generate_log()
    log = SqliteQuestionLog(db)
    shift = datetime.now(UTC) - max(e.ts for e in entries)
    for item in entries:
        item.ts += shift
        log.record(item)
    for vote in feedback:
        log.add_feedback(Feedback(vote.answer_id, vote.helpful, vote.comment, vote.ts + shift))
    for _ in range(2):
        log.record(LoggedAnswer(new_answer_id(), HOSTILE, HOSTILE, True, [], "extractive", 50.0))
    log.close()


@pytest.fixture(scope="module")
def admin(api_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("insights-page") / "q.sqlite"
    seed(db)
    settings = api_settings.model_copy(update={"db_url": str(db), "api_key": KEY})
    with live_server(create_app(settings)) as url:
        yield url


def get(url: str, path: str, **headers: str) -> httpx.Response:
    return httpx.get(url + path, headers=headers, timeout=60)


def basic(password: str, user: str = "owner") -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_the_page_needs_the_key_and_asks_a_browser_for_it(admin: str) -> None:
    missing = get(admin, "/admin/insights")
    assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Basic realm=")
    assert missing.json()["error"] == "BrowserAuthError" and "password" in missing.json()["hint"]
    assert get(admin, "/admin/insights", **{"X-API-Key": "wrong"}).status_code == 401
    assert get(admin, "/admin/insights?format=json", Authorization=basic("wrong")).status_code == 401
    assert get(admin, "/admin/insights?format=csv", Authorization="Basic !!!").status_code == 401
    assert get(admin, "/admin/insights?format=json", Authorization=basic(KEY)).status_code == 200
    assert get(admin, "/admin/insights?format=json", Authorization=f"Bearer {KEY}").status_code == 200


def test_admin_is_off_without_a_configured_key(api_settings: Settings, tmp_path: Path) -> None:
    settings = api_settings.model_copy(update={"db_url": str(tmp_path / "q.sqlite")})
    with live_server(create_app(settings)) as url:
        assert get(url, "/admin/insights", **{"X-API-Key": "anything"}).status_code == 403


def test_html_page_has_charts_gaps_and_nothing_the_csp_would_block(admin: str) -> None:
    page = get(admin, "/admin/insights", **{"X-API-Key": KEY})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == STRICT_CSP and page.headers["cache-control"] == "no-store"
    html = page.text
    assert html.count("<svg") == 3 and 'class="bar refused"' in html and "<polyline" in html
    assert "<script" not in html.lower() and "style=" not in html and "<style" not in html
    assert HOSTILE not in html and "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html
    assert "sourdough" in html and "Coverage gaps" in html and 'href="?since=30d&amp;format=csv"' in html
    first_gap = html.split('<li class="gap"><h3>')[1].split("</h3>")[0]
    assert any(first_gap.endswith(q) for q in SOURDOUGH)


def test_json_and_csv(admin: str) -> None:
    data = get(admin, "/admin/insights?format=json&since=all", **{"X-API-Key": KEY}).json()
    assert data["since"] is None and data["questions"] > 2500 and data["gaps"]
    assert any(data["gaps"][0]["label"].endswith(q) for q in SOURDOUGH)
    week = get(admin, "/admin/insights?format=json&since=7d", **{"X-API-Key": KEY}).json()
    assert 0 < week["questions"] < data["questions"] and len(week["per_day"]) == 8
    export = get(admin, "/admin/insights?format=csv", **{"X-API-Key": KEY})
    assert export.headers["content-type"].startswith("text/csv")
    assert export.headers["content-disposition"] == 'attachment; filename="coverage-gaps.csv"'
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert rows[0]["rank"] == "1" and any(rows[0]["label"].endswith(q) for q in SOURDOUGH)
    bad = get(admin, "/admin/insights?since=lately", **{"X-API-Key": KEY})
    assert bad.status_code == 422 and "30d" in bad.json()["hint"]
    assert get(admin, "/admin/insights?format=pdf", **{"X-API-Key": KEY}).status_code == 422


def test_logging_off_says_so(api_settings: Settings, tmp_path: Path) -> None:
    settings = api_settings.model_copy(update={"db_url": str(tmp_path / "q.sqlite"), "api_key": KEY})
    with live_server(create_app(settings.model_copy(update={"log_questions": False}))) as url:
        off = get(url, "/admin/insights", **{"X-API-Key": KEY})
    assert off.status_code == 409 and "RAG_LOG_QUESTIONS" in off.json()["hint"]
    assert not (tmp_path / "q.sqlite").exists()


def test_an_empty_log_renders(api_settings: Settings, tmp_path: Path) -> None:
    settings = api_settings.model_copy(update={"db_url": str(tmp_path / "q.sqlite"), "api_key": KEY})
    with live_server(create_app(settings)) as url:
        page = get(url, "/admin/insights", **{"X-API-Key": KEY})
        data = get(url, "/admin/insights?format=json", **{"X-API-Key": KEY}).json()
    assert page.status_code == 200 and "No questions in this period." in page.text
    assert data["questions"] == 0 and data["refusal_rate"] is None and data["latency_ms"] == {"p50": None, "p95": None}
