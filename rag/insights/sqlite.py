"""The question log in SQLite: WAL mode, one connection per thread, migrations on open, retention.

WAL lets `rag insights` read while a server writes, and keeps the file consistent when a process
dies mid-write (the last committed transaction survives). Every connection waits up to
`busy_timeout_ms` for another writer instead of failing at once; writes are single short
transactions, so a wait that long means the database is held by something else, and the caller
(rag.insights.log.record_answer) turns the error into a warning.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rag.errors import QuestionLogError, UnknownAnswerError
from rag.insights.entries import Feedback, LoggedAnswer, utc_now
from rag.insights.schema import migrate

TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # fixed width, so text order is time order
PRUNE_EVERY_SECONDS = 3600.0
log = logging.getLogger(__name__)
FIX = "Make the folder writable, point RAG_DB_URL at another file, or set RAG_LOG_QUESTIONS=false."


def to_text(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime(TS_FORMAT)


def from_text(text: str) -> datetime:
    return datetime.fromisoformat(text)


class SqliteQuestionLog:
    """QuestionLog backed by one SQLite file; safe to share between threads and processes."""

    def __init__(self, path: Path, retention_days: int = 0, busy_timeout_ms: int = 2000, create: bool = True) -> None:
        self.path = path
        self.retention_days = retention_days
        self.busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        if not create and not path.exists():
            raise QuestionLogError(
                f"There is no question log at {path} yet.",
                "Serve some questions first (`rag serve` logs them), or point --db / RAG_DB_URL at the log.",
            )
        with self._errors("open"):
            path.parent.mkdir(parents=True, exist_ok=True)
            self.schema_found = migrate(self._conn(), str(path))
        try:
            self.prune()  # sets _pruned_at
        except QuestionLogError as exc:  # busy right now: the next hourly prune catches up
            log.warning("question log not pruned: %s", exc)

    # ---------- connections ----------

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if self._closed:
            raise QuestionLogError(f"The question log {self.path} is closed.", "Open it again.")
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE), never opened behind our back.
        conn = sqlite3.connect(
            self.path, timeout=self.busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")  # in WAL: durable up to the last checkpointed commit
        conn.execute("PRAGMA foreign_keys = ON")
        self._local.conn = conn
        with self._lock:
            self._connections.append(conn)
        return conn

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise QuestionLogError(f"Could not {doing} the question log {self.path}: {exc}.", FIX) from exc
        except OSError as exc:
            raise QuestionLogError(f"Could not {doing} the question log {self.path}: {exc.strerror}.", FIX) from exc

    @contextmanager
    def _write(self, doing: str) -> Iterator[sqlite3.Connection]:
        with self._errors(doing):
            conn = self._conn()
            # IMMEDIATE takes the write lock up front, so the busy timeout applies (a deferred
            # transaction that upgrades later fails at once when another writer holds the lock).
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    # ---------- writing ----------

    def record(self, entry: LoggedAnswer) -> None:
        row = (
            entry.answer_id,
            to_text(entry.ts),
            entry.question,
            entry.query,
            int(entry.refused),
            json.dumps(entry.sources, ensure_ascii=False),
            entry.generator,
            float(entry.latency_ms),
            entry.channel,
        )
        with self._write("write to") as conn:
            conn.execute(
                "INSERT INTO questions (answer_id, ts, question, query, refused, sources, generator, latency_ms, "
                "channel) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
        if time.monotonic() - self._pruned_at > PRUNE_EVERY_SECONDS:
            try:
                self.prune()
            except QuestionLogError as exc:  # the answer was logged; pruning can wait an hour
                log.warning("question log not pruned: %s", exc)

    def add_feedback(self, feedback: Feedback) -> None:
        with self._write("write to") as conn:
            cursor = conn.execute(
                "INSERT INTO feedback (answer_id, helpful, comment, ts) SELECT answer_id, ?, ?, ? FROM questions "
                "WHERE answer_id = ? ON CONFLICT (answer_id) DO UPDATE SET helpful = excluded.helpful, "
                "comment = excluded.comment, ts = excluded.ts",
                (int(feedback.helpful), feedback.comment, to_text(feedback.ts), feedback.answer_id),
            )
            found = cursor.rowcount > 0
        if not found:
            raise UnknownAnswerError(
                f"No logged answer has answer_id {feedback.answer_id!r}.",
                "Send the answer_id of an answer this server gave (answers older than RAG_LOG_RETENTION_DAYS "
                "are pruned).",
            )

    def prune(self, now: datetime | None = None) -> int:
        """Delete questions (and their feedback) older than the retention; returns how many went."""
        self._pruned_at = time.monotonic()
        if self.retention_days <= 0:
            return 0
        cutoff = to_text((now or utc_now()) - timedelta(days=self.retention_days))
        with self._write("prune") as conn:
            # Their feedback goes with them (ON DELETE CASCADE).
            deleted = conn.execute("DELETE FROM questions WHERE ts < ?", (cutoff,)).rowcount
        return int(deleted)

    # ---------- reading ----------

    def entries(self, since: datetime | None = None) -> list[LoggedAnswer]:
        """Logged answers at or after `since` (all without), oldest first."""
        with self._errors("read"):
            rows = self._conn().execute(
                "SELECT answer_id, question, query, refused, sources, generator, latency_ms, ts, channel "
                "FROM questions WHERE ts >= ? ORDER BY ts, id",
                (to_text(since) if since else "",),
            )
            return [
                LoggedAnswer(r[0], r[1], r[2], bool(r[3]), json.loads(r[4]), r[5], r[6], from_text(r[7]), r[8])
                for r in rows
            ]

    def feedback(self, since: datetime | None = None) -> list[Feedback]:
        """Feedback on answers logged at or after `since`, oldest first."""
        with self._errors("read"):
            rows = self._conn().execute(
                "SELECT f.answer_id, f.helpful, f.comment, f.ts FROM feedback f JOIN questions q USING (answer_id) "
                "WHERE q.ts >= ? ORDER BY f.ts",
                (to_text(since) if since else "",),
            )
            return [Feedback(r[0], bool(r[1]), r[2], from_text(r[3])) for r in rows]
