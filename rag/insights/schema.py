"""The question log's schema: ordered migrations, the version kept in `PRAGMA user_version`.

A migration is never edited once released; a change of schema is a new entry at the end, so any
older file opens by running the migrations it has not seen yet, each in its own transaction.
"""

from __future__ import annotations

import sqlite3

from rag.errors import QuestionLogError

MIGRATIONS: tuple[str, ...] = (
    # 1: one row per answered question. `sources` is a JSON list of the cited posts' sources.
    """
    CREATE TABLE questions (
        id INTEGER PRIMARY KEY,
        answer_id TEXT NOT NULL UNIQUE,
        ts TEXT NOT NULL,
        question TEXT NOT NULL,
        query TEXT NOT NULL,
        refused INTEGER NOT NULL,
        sources TEXT NOT NULL,
        generator TEXT NOT NULL,
        latency_ms REAL NOT NULL
    );
    CREATE INDEX questions_ts ON questions (ts);
    """,
    # 2: readers' 👍/👎 per answer (the latest vote wins), and which front end asked.
    """
    ALTER TABLE questions ADD COLUMN channel TEXT NOT NULL DEFAULT 'api';
    CREATE TABLE feedback (
        answer_id TEXT PRIMARY KEY REFERENCES questions (answer_id) ON DELETE CASCADE,
        helpful INTEGER NOT NULL,
        comment TEXT,
        ts TEXT NOT NULL
    );
    CREATE INDEX feedback_ts ON feedback (ts);
    """,
)
LATEST = len(MIGRATIONS)


def version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, where: str) -> int:
    """Bring the file up to LATEST; returns the version it had. Each step is one transaction, and the
    version is read again inside it, so two processes opening an old file never migrate it twice."""
    found = version(conn)
    if found > LATEST:
        raise QuestionLogError(
            f"The question log {where} has schema version {found}; this blograg knows up to {LATEST}.",
            "Upgrade blograg, or point RAG_DB_URL at another file.",
        )
    for target in range(found + 1, LATEST + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            if version(conn) < target:
                for statement in _statements(MIGRATIONS[target - 1]):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {target}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return found


def _statements(script: str) -> list[str]:
    # executescript() would COMMIT first and escape the transaction; the scripts hold no ';' in strings.
    return [part.strip() for part in script.split(";") if part.strip()]
