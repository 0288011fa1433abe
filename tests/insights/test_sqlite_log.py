"""The question log in real SQLite: round trip, concurrency, migrations, retention, failures, off."""

from __future__ import annotations

import logging
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rag.config import Settings
from rag.errors import ConfigError, InputError, LoggingOffError, QuestionLogError, UnknownAnswerError
from rag.insights.entries import MAX_COMMENT_CHARS, Feedback
from rag.insights.log import (
    NoQuestionLog,
    UnavailableQuestionLog,
    log_path,
    open_or_warn,
    open_question_log,
    record_answer,
)
from rag.insights.schema import LATEST, MIGRATIONS
from rag.insights.sqlite import SqliteQuestionLog
from rag.types import Answer, Citation
from tests.insights.helpers import entry


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    log = SqliteQuestionLog(tmp_path / "q.sqlite")
    first = entry("王泽锋获得了什么奖？", sources=["b.md", "a.md"])
    second = entry("Who?", refused=True)
    log.record(first)
    log.record(second)
    log.add_feedback(Feedback(first.answer_id, False, "  wrong year  "))
    log.add_feedback(Feedback(first.answer_id, True))  # the latest vote wins
    assert log.entries() == [first, second]
    [vote] = log.feedback()
    assert vote.answer_id == first.answer_id and vote.helpful is True and vote.comment is None
    with pytest.raises(UnknownAnswerError) as err:
        log.add_feedback(Feedback("0" * 32, True))
    assert err.value.http_status == 404 and "answer_id" in err.value.hint
    conn = sqlite3.connect(tmp_path / "q.sqlite")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
    columns = {row[1] for row in conn.execute("PRAGMA table_info(questions)")}
    assert not columns & {"ip", "client", "user_agent", "address"}  # nothing about who asked
    log.close()


def test_comment_is_capped_and_checked() -> None:
    with pytest.raises(InputError):
        Feedback("a" * 32, True, "x" * (MAX_COMMENT_CHARS + 1))
    with pytest.raises(InputError):
        Feedback("a" * 32, True, "bad \x00 byte")
    assert Feedback("a" * 32, True, "x" * MAX_COMMENT_CHARS).comment == "x" * MAX_COMMENT_CHARS


def test_eight_threads_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    log = SqliteQuestionLog(tmp_path / "q.sqlite")
    per_thread, written, failures = 150, [], []
    start = threading.Barrier(8)

    def writer(n: int) -> None:
        start.wait()
        for i in range(per_thread):
            item = entry(f"thread {n} question {i}")
            try:
                log.record(item)
                if i % 3 == 0:
                    log.add_feedback(Feedback(item.answer_id, i % 2 == 0))
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                failures.append(exc)
            written.append(item.answer_id)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(e.answer_id for e in log.entries()) == sorted(written)
    assert len(written) == 8 * per_thread
    assert len(log.feedback()) == 8 * len(range(0, per_thread, 3))
    log.close()


def _v1_file(path: Path) -> None:
    """A log as the first schema wrote it, made by hand."""
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0])
    conn.execute(
        "INSERT INTO questions (answer_id, ts, question, query, refused, sources, generator, latency_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        ("f" * 32, "2026-11-30T08:00:00.000000Z", "Old question?", "old question", 0, '["a.md"]', "extractive", 99.0),
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()


def test_an_old_file_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _v1_file(path)
    log = SqliteQuestionLog(path)
    assert log.schema_found == 1
    [old] = log.entries()
    assert old.answer_id == "f" * 32 and old.question == "Old question?" and old.channel == "api"
    assert old.ts == datetime(2026, 11, 30, 8, 0, tzinfo=UTC) and old.sources == ["a.md"]
    log.add_feedback(Feedback(old.answer_id, False, "out of date"))  # the table migration 2 added
    log.record(entry("New question?", days_ago=0))
    assert [e.question for e in log.entries()] == ["Old question?", "New question?"]
    log.close()
    assert SqliteQuestionLog(path).schema_found == LATEST  # opening again migrates nothing


def test_a_file_from_a_newer_version_or_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    newer = tmp_path / "newer.sqlite"
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    conn.close()
    with pytest.raises(QuestionLogError, match="schema version") as err:
        SqliteQuestionLog(newer)
    assert "RAG_DB_URL" in err.value.hint
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(QuestionLogError, match="not a database"):
        SqliteQuestionLog(garbage)


def test_retention_prunes_on_open_and_later(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite"
    keep = SqliteQuestionLog(path)  # retention 0: keeps everything
    old, recent = entry("old", days_ago=40), entry("recent", days_ago=1)
    keep.record(old)
    keep.record(recent)
    keep.add_feedback(Feedback(old.answer_id, True))
    assert keep.prune() == 0
    keep.close()
    pruned = SqliteQuestionLog(path, retention_days=30)
    assert [e.question for e in pruned.entries()] == ["recent"]
    assert pruned.feedback() == []  # the old answer's feedback went with it
    assert pruned.prune(now=datetime.now(UTC) + timedelta(days=30)) == 1
    assert pruned.entries() == []


def test_log_path_default_survives_version_swaps_and_urls_are_read(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "index" / "default")
    assert log_path(settings) == tmp_path / "index" / "default.questions.sqlite"  # beside, not inside
    assert log_path(settings.with_overrides(db_url="sqlite:///rel/q.db")) == Path("rel/q.db")
    assert log_path(settings.with_overrides(db_url="sqlite:////abs/q.db")) == Path("/abs/q.db")
    assert log_path(settings.with_overrides(db_url=str(tmp_path / "x.db"))) == tmp_path / "x.db"
    with pytest.raises(ConfigError, match="not a SQLite"):
        log_path(settings.with_overrides(db_url="postgresql://db/blog"))


def test_logging_off_writes_nothing_and_creates_no_file(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "index", log_questions=False)
    log = open_question_log(settings)
    assert isinstance(log, NoQuestionLog)
    record_answer(log, "What?", Answer("x [1]", [], False, "what", "extractive"))
    with pytest.raises(LoggingOffError) as err:
        log.add_feedback(Feedback("a" * 32, True))
    assert err.value.http_status == 409 and "RAG_LOG_QUESTIONS" in err.value.hint
    assert list(tmp_path.iterdir()) == []


def test_an_unusable_location_is_a_warning_not_a_crash(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # (Tests run as root, for whom no folder is read-only: a file where the folder should be fails alike.)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    settings = Settings(index_dir=blocker / "index")
    with caplog.at_level(logging.WARNING):
        log = open_or_warn(settings)
    assert isinstance(log, UnavailableQuestionLog) and "question log off" in caplog.text
    record_answer(log, "What?", Answer("x", [], True, "what", "extractive"))  # silently not logged
    with pytest.raises(QuestionLogError) as err:
        log.add_feedback(Feedback("a" * 32, True))
    assert "RAG_DB_URL" in err.value.hint and err.value.http_status == 503
    assert blocker.read_text() == "x"


def test_a_locked_database_costs_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "q.sqlite"
    log = SqliteQuestionLog(path, busy_timeout_ms=100)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holding the write lock
    citation = Citation(1, "a.md", "A", None, None, "", "q")
    answer = Answer("x [1]", [citation], False, "what", "extractive", {"total": 5.0})
    with caplog.at_level(logging.WARNING):
        record_answer(log, "What?", answer)
    assert "question not logged" in caplog.text and "locked" in caplog.text
    holder.execute("ROLLBACK")
    record_answer(log, "What?", answer)
    [logged] = log.entries()
    assert logged.answer_id == answer.answer_id and logged.sources == ["a.md"] and logged.latency_ms == 5.0


def test_retention_also_prunes_while_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = SqliteQuestionLog(tmp_path / "q.sqlite", retention_days=30)
    log.record(entry("stale", days_ago=40))  # written late (a clock change, an import): kept until the next prune
    log.record(entry("fresh", days_ago=0))
    assert len(log.entries()) == 2
    monkeypatch.setattr("rag.insights.sqlite.PRUNE_EVERY_SECONDS", 0.0)  # an hour has passed
    log.record(entry("newest", days_ago=0))
    assert [e.question for e in log.entries()] == ["fresh", "newest"]


def test_insights_read_while_a_server_is_writing(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite"
    server = SqliteQuestionLog(path, busy_timeout_ms=100)
    server.record(entry("committed"))
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a write in progress, not committed
    writer.execute("DELETE FROM questions")
    reader = SqliteQuestionLog(path, create=False, busy_timeout_ms=100)
    assert [e.question for e in reader.entries()] == ["committed"]  # WAL: readers never wait for the writer
    writer.execute("ROLLBACK")
    reader.close()
    server.close()


def test_a_busy_database_at_start_is_opened_and_pruned_later(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "q.sqlite"
    SqliteQuestionLog(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer while the server starts
    with caplog.at_level(logging.WARNING):
        log = SqliteQuestionLog(path, retention_days=30, busy_timeout_ms=100)
    assert "not pruned" in caplog.text
    holder.execute("ROLLBACK")
    log.record(entry("logged all the same"))
    assert [e.question for e in log.entries()] == ["logged all the same"]
