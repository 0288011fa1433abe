"""The QuestionLog role: what the edges record after an answer, and the feedback readers give.

Backends: `SqliteQuestionLog` (rag.insights.sqlite), `NoQuestionLog` (RAG_LOG_QUESTIONS=false:
writes nothing, creates no file) and `UnavailableQuestionLog` (the database could not be opened:
answers go on, feedback says why). `record_answer` is how a front end logs: it never raises, so a
broken or locked database costs a warning, never an answer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from rag.config import Settings
from rag.errors import ConfigError, LoggingOffError, QuestionLogError, RagError
from rag.insights.entries import Feedback, LoggedAnswer
from rag.types import Answer

log = logging.getLogger(__name__)
SQLITE_PREFIX = "sqlite:///"


class QuestionLog(Protocol):
    """Where front ends put what readers asked, and their feedback."""

    def record(self, entry: LoggedAnswer) -> None: ...

    def add_feedback(self, feedback: Feedback) -> None:
        """Raises UnknownAnswerError for an answer id the log does not hold, LoggingOffError when off."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class QuestionLogReader(Protocol):
    """What the insights read: logged answers and their feedback since a moment (all without)."""

    def entries(self, since: datetime | None = None) -> list[LoggedAnswer]: ...

    def feedback(self, since: datetime | None = None) -> list[Feedback]: ...


class NoQuestionLog:
    """Logging is off: nothing is written, and feedback is refused with the setting that turns it on."""

    def record(self, entry: LoggedAnswer) -> None:
        return None

    def add_feedback(self, feedback: Feedback) -> None:
        raise LoggingOffError(
            "This server does not log questions, so there is no answer to attach feedback to.",
            "The operator turns the question log on with RAG_LOG_QUESTIONS=true (the default).",
        )

    def close(self) -> None:
        return None


@dataclass
class UnavailableQuestionLog:
    """The database could not be opened: answers go on unlogged; feedback gets the reason."""

    error: RagError

    def record(self, entry: LoggedAnswer) -> None:
        return None

    def add_feedback(self, feedback: Feedback) -> None:
        raise QuestionLogError(f"Feedback cannot be saved: {self.error.message}", self.error.hint)

    def close(self) -> None:
        return None


def reader_of(question_log: QuestionLog) -> QuestionLogReader:
    """The log's reading side, or the error that says why there is nothing to read."""
    if isinstance(question_log, QuestionLogReader):
        return question_log
    if isinstance(question_log, UnavailableQuestionLog):
        error = question_log.error
        raise QuestionLogError(f"The question log cannot be read: {error.message}", error.hint)
    raise LoggingOffError(
        "This server does not log questions, so there are no insights to show.",
        "Turn the question log on with RAG_LOG_QUESTIONS=true (the default) and restart.",
    )


def log_path(settings: Settings) -> Path:
    """RAG_DB_URL (a path or sqlite:///path), else `<index dir>.questions.sqlite` beside the index
    folder: outside the index's version folders, so rebuilds and version swaps never touch it."""
    url = settings.db_url.strip()
    if not url:
        index = settings.index_dir
        return index.parent / f"{index.name or 'index'}.questions.sqlite"
    if url.startswith(SQLITE_PREFIX):
        url = url[len(SQLITE_PREFIX) :]
    elif "://" in url:
        raise ConfigError(
            f"RAG_DB_URL {settings.db_url!r} is not a SQLite database.",
            "Give a file path, or sqlite:///relative/path.sqlite, or sqlite:////absolute/path.sqlite.",
        )
    if not url:
        raise ConfigError("RAG_DB_URL names no file.", "Give a path such as sqlite:///index/questions.sqlite.")
    return Path(url).expanduser()


def open_question_log(settings: Settings) -> QuestionLog:
    """The log the settings ask for; raises QuestionLogError when the database cannot be used."""
    if not settings.log_questions:
        return NoQuestionLog()
    from rag.insights.sqlite import SqliteQuestionLog

    return SqliteQuestionLog(log_path(settings), retention_days=settings.log_retention_days)


def open_or_warn(settings: Settings) -> QuestionLog:
    """For servers: a database that cannot be opened is a warning, not a reason to stop answering."""
    try:
        return open_question_log(settings)
    except RagError as exc:
        log.warning("question log off: %s", exc)
        return UnavailableQuestionLog(exc)


def record_answer(question_log: QuestionLog, question: str, answer: Answer, channel: str = "api") -> None:
    """Log one answer; never raises (a full, read-only or locked database is a warning)."""
    try:
        question_log.record(LoggedAnswer.of(question, answer, channel))
    except Exception as exc:  # noqa: BLE001 - logging must never cost the reader the answer
        log.warning("question not logged: %s", exc)
