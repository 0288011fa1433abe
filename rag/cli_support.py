"""What every `rag` subcommand shares: consoles, settings from flags, errors to exit codes, progress.

Kept apart from cli.py so subcommands defined elsewhere (rag.evaluation.command) need not import
the command registry that imports them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from rag.answering import parse_history
from rag.config import Settings
from rag.errors import InputError, RagError
from rag.permalinks import SiteLinks
from rag.types import Turn

console = Console(stderr=True)
out = Console(highlight=False, soft_wrap=True)

IndexOpt = Annotated[Path | None, typer.Option("--index", help="Index folder (RAG_INDEX_DIR).")]
EmbedderOpt = Annotated[str | None, typer.Option("--embedder", help="Embedder spec (RAG_EMBEDDER).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
SiteUrlOpt = Annotated[
    str | None,
    typer.Option("--site-url", help="The blog's public base URL: citations link to the published post (RAG_SITE_URL)."),
]
PermalinkOpt = Annotated[
    str | None,
    typer.Option(
        "--permalink",
        help="Post URL under the site: hugo | jekyll | zola | docusaurus, or a pattern such as "
        "'/blog/{year}/{month}/{day}/{slug}/' (RAG_PERMALINK).",
    ),
]
T = TypeVar("T")


def build_settings(**overrides: Any) -> Settings:
    """Settings with the flags applied; a bad setting prints its fix and exits like any RagError."""

    def build() -> Settings:
        settings = Settings().with_overrides(**overrides)
        # Flags bypass the field validators (with_overrides copies): check the link settings here.
        SiteLinks.parse(settings.site_url, settings.permalink)
        return settings

    return run_guarded(build)


def run_guarded(action: Callable[[], T]) -> T:
    """Run a command body; a RagError prints its fix and exits with the error's code."""
    try:
        return action()
    except RagError as exc:
        # Not wrapped at the terminal's width: a path or a fix command must stay one piece to copy.
        console.print(f"[bold red]Error:[/] {exc.message}", soft_wrap=True)
        if exc.hint:
            console.print(f"[yellow]Fix:[/] {exc.hint}", soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None


@contextmanager
def progress_bar(describe: Callable[[str], str] = str) -> Iterator[Callable[[str, int, int], None]]:
    """A Rich progress bar on stderr, one task per stage label (hidden when stderr is not a terminal)."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(escape(describe(stage)), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def read_history(path: Path) -> tuple[Turn, ...]:
    """`--history FILE`: earlier turns as a JSON list, the same shape as the HTTP API's `history`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"Cannot read the history file {path}: {exc.strerror or exc}.", "Check the path.") from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InputError(
            f"The history file {path} is not valid JSON: {exc}.",
            'Write a JSON list of turns, e.g. [{"role": "user", "content": "What is X?"}].',
        ) from exc
    return parse_history(data, f"the history file {path}")
