"""One error family. Every message says what went wrong *and* how to fix it.

The CLI maps `exit_code` to the process exit status; the HTTP API maps `http_status` to the response.
"""

from __future__ import annotations


class RagError(Exception):
    """Base class: `message` says what happened, `hint` says how to fix it."""

    exit_code = 1
    http_status = 500

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  Fix: {self.hint}" if self.hint else self.message

    def to_json(self) -> dict[str, str]:
        return {"error": type(self).__name__, "message": self.message, "hint": self.hint}


class ConfigError(RagError):
    """A setting or spec string is invalid."""

    exit_code = 2
    http_status = 400


class InputError(RagError):
    """A question, filter or request body is unusable."""

    exit_code = 2
    http_status = 422


class MissingDependencyError(RagError):
    """An optional backend's package is not installed."""

    exit_code = 3
    http_status = 501


class IndexNotFoundError(RagError):
    """No index exists where one was expected."""

    exit_code = 4
    http_status = 503


class IndexMismatchError(RagError):
    """The index was built with another embedder or chunker than the one configured."""

    exit_code = 5
    http_status = 409


class IndexCorruptError(RagError):
    """The index files cannot be read."""

    exit_code = 6
    http_status = 500


class LoadError(RagError):
    """One post could not be loaded; ingest records it as skipped and goes on."""

    exit_code = 7
    http_status = 422


class GeneratorError(RagError):
    """A generator backend failed (down, timed out, garbage); `ask` falls back to extractive."""

    exit_code = 8
    http_status = 502


class NoPostsError(RagError):
    """An ingest found nothing to index."""

    exit_code = 9
    http_status = 422


class IndexBusyError(RagError):
    """Another process holds the index's write lock (an ingest or a server's reindex)."""

    exit_code = 10
    http_status = 409


class IndexWriteError(RagError):
    """The index could not be written (disk full, read-only folder); the previous version is untouched."""

    exit_code = 11
    http_status = 507


class QuestionLogError(RagError):
    """The question log (SQLite) cannot be opened, read or written; answering goes on without it."""

    exit_code = 12
    http_status = 503


class LoggingOffError(RagError):
    """Question logging is turned off (RAG_LOG_QUESTIONS=false): no feedback can be attached."""

    exit_code = 13
    http_status = 409


class UnknownAnswerError(RagError):
    """No logged answer has this answer_id (never given, pruned by retention, or logged elsewhere)."""

    exit_code = 14
    http_status = 404
