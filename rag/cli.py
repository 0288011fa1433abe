"""`rag` command line. Flags win over RAG_* environment variables and .env; errors become exit codes."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from rag.answering import AskRequest
from rag.cli_support import (
    EmbedderOpt,
    IndexOpt,
    JsonOpt,
    PermalinkOpt,
    SiteUrlOpt,
    build_settings,
    console,
    out,
    progress_bar,
    read_history,
    run_guarded,
)
from rag.config import Settings
from rag.errors import IndexBusyError, IndexWriteError
from rag.manifest import Action, Manifest, named, own_index_dir
from rag.pipeline import Engine, IngestReport, ingest, posts_roots
from rag.retrieval import SearchFilters
from rag.types import Answer

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Question answering over a blog's archive.")


@app.command("ingest")
def ingest_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Post folders or files (default: the folders the index was built from; bundled posts for a new index)."
        ),
    ] = None,
    index: IndexOpt = None,
    embedder: EmbedderOpt = None,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Re-embed everything from scratch (from the index's own post folders).")
    ] = False,
    json_output: JsonOpt = False,
) -> None:
    """Load, chunk, embed and index posts (incremental: unchanged posts are not re-embedded).

    Without --embedder an existing index keeps its own; an index is never refilled from folders it
    was not built from unless --index is named too."""
    settings = build_settings(index_dir=index, embedder=embedder, posts=paths or None)

    def body() -> IngestReport:
        with progress_bar(lambda stage: f"{stage} chunks") as update:
            return ingest(settings, rebuild=rebuild, progress=update)

    report = run_guarded(body)
    if json_output:
        out.print_json(data=_report_json(report))
    else:
        _print_report(report)


def _report_json(report: IngestReport) -> dict[str, Any]:
    data = dict(vars(report))
    data["skipped"] = [vars(s) for s in report.skipped]
    return data


def _print_report(report: IngestReport) -> None:
    table = Table(title="Ingest summary", show_header=False)
    table.add_row("posts from", ", ".join(report.roots))
    table.add_row("posts indexed (new/changed)", str(len(report.indexed)))
    table.add_row("posts unchanged", str(len(report.unchanged)))
    table.add_row("posts removed", str(len(report.removed)))
    table.add_row("files skipped", str(len(report.skipped)))
    table.add_row("chunks", f"{report.chunks} ({report.embedded} embedded, {report.reused} reused)")
    for stage, seconds in report.seconds.items():
        table.add_row(f"{stage} seconds", f"{seconds:.2f}")
    table.add_row("index", report.index_path)
    out.print(table)
    for skipped in report.skipped:
        out.print(f"[yellow]skipped[/] {skipped.path}: {skipped.reason}")


@app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option("-k", "--top-k", min=1, max=50, help="Number of hits.")] = 5,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Only posts with this tag (repeatable).")] = None,
    after: Annotated[str | None, typer.Option(help="Only posts dated on/after YYYY-MM-DD.")] = None,
    before: Annotated[str | None, typer.Option(help="Only posts dated on/before YYYY-MM-DD.")] = None,
    index: IndexOpt = None,
    embedder: EmbedderOpt = None,
    json_output: JsonOpt = False,
    site_url: SiteUrlOpt = None,
    permalink: PermalinkOpt = None,
) -> None:
    """Show the passages that best match QUERY (dense + keyword, fused)."""
    settings = build_settings(index_dir=index, embedder=embedder, site_url=site_url, permalink=permalink)
    filters = SearchFilters(tag or [], after, before)
    hits = run_guarded(lambda: Engine(settings).search(query, k, filters))
    if json_output:
        out.print(json.dumps([h.to_json() for h in hits], ensure_ascii=False, indent=2))
        return
    for rank, hit in enumerate(hits, 1):
        where = f" › {hit.chunk.heading}" if hit.chunk.heading else ""
        out.print(f"[bold]{rank}. {hit.post.title}[/]{where}  [dim]{hit.post.source} {hit.post.date or ''}[/]")
        out.print(f"   {_snippet(hit.chunk.text)}\n")


def _snippet(text: str, limit: int = 220) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"


@app.command("ask")
def ask_command(
    question: Annotated[str, typer.Argument(help="The question, in any language.")],
    k: Annotated[int | None, typer.Option("-k", "--top-k", min=1, max=20, help="Passages to answer from.")] = None,
    generator: Annotated[str | None, typer.Option("--generator", help="Generator spec (RAG_GENERATOR).")] = None,
    history: Annotated[
        Path | None,
        typer.Option(
            "--history",
            help='Earlier turns for a follow-up: a JSON file like the API\'s "history", '
            '[{"role": "user", "content": "..."}, {"role": "assistant", "content": "..."}].',
        ),
    ] = None,
    index: IndexOpt = None,
    embedder: EmbedderOpt = None,
    json_output: JsonOpt = False,
    site_url: SiteUrlOpt = None,
    permalink: PermalinkOpt = None,
) -> None:
    """Answer QUESTION from the posts, with numbered citations, or say the posts don't tell."""
    settings = build_settings(
        index_dir=index, embedder=embedder, generator=generator, site_url=site_url, permalink=permalink
    )

    def body() -> Answer:
        turns = read_history(history) if history else ()
        return Engine(settings).ask(AskRequest(question, history=turns, k=k))

    answer = run_guarded(body)
    if json_output:
        out.print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
        return
    out.print(answer.answer, markup=False)
    for citation in answer.citations:
        where = f" › {citation.heading}" if citation.heading else ""
        out.print(f"[bold][{citation.n}][/] {citation.title}{where} [dim]{citation.source} {citation.date or ''}[/]")
        out.print(f"    “{_snippet(citation.quote, 160)}”", markup=False)
        if citation.post_url:
            out.print(f"    {citation.post_url}", markup=False, style="dim")
    for post in answer.closest:
        out.print(f"  - {post['title']} [dim]{post['source']}[/]")
    out.print(f"[dim]{answer.generator} · {answer.timings_ms.get('total', 0):.0f} ms[/]")


@app.command("chat")
def chat_command(
    index: IndexOpt = None,
    generator: Annotated[str | None, typer.Option("--generator", help="Generator spec (RAG_GENERATOR).")] = None,
    k: Annotated[int | None, typer.Option("-k", "--top-k", min=1, max=20, help="Passages to answer from.")] = None,
    embedder: EmbedderOpt = None,
) -> None:
    """Talk to the posts: follow-up questions use the conversation so far; /new starts over, /quit leaves."""
    from rag.chat import Conversation, run_chat, stdin_reader

    settings = build_settings(index_dir=index, embedder=embedder, generator=generator)
    with console.status("Loading the index…"):
        engine = run_guarded(lambda: Engine(settings))
    run_chat(Conversation(engine, k=k), out, stdin_reader())


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
    index: IndexOpt = None,
    generator: Annotated[str | None, typer.Option("--generator", help="Generator spec (RAG_GENERATOR).")] = None,
    posts: Annotated[list[Path] | None, typer.Option("--posts", help="Post folder (repeatable; RAG_POSTS).")] = None,
    site_url: SiteUrlOpt = None,
    permalink: PermalinkOpt = None,
) -> None:
    """Serve the HTTP API and chat page; (re)builds the index first when it is missing, was built from
    other posts, or stores keywords from an older version (incremental: unchanged posts are reused).
    --posts without --index uses the folder's own index under the index root when the default index
    holds other posts, so serving one folder never replaces the index of another."""
    from api.app import create_app  # imported here so the other commands never pay for the web stack
    from api.server import serve

    settings = run_guarded(
        lambda: serve_settings(
            build_settings(
                index_dir=index, generator=generator, posts=posts or None, site_url=site_url, permalink=permalink
            )
        )
    )
    reason = run_guarded(lambda: _index_needs_ingest(settings))
    if reason:
        console.print(f"{reason}: indexing {', '.join(posts_roots(settings))} first.")
        start_up_ingest(settings)
    out.print(f"blograg is serving on http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    serve(create_app(settings), settings, host, port)


def serve_settings(settings: Settings) -> Settings:
    """The settings `rag serve` runs with: the index's own post folders, or --posts' own index."""
    manifest = Manifest.of(settings.index_dir)
    if manifest is None:
        return settings
    resolved = manifest.settings_for(settings)
    if named(settings, "index_dir") or not manifest.other_roots(resolved):
        return resolved
    own = own_index_dir(settings)
    console.print(
        f"{settings.index_dir} holds posts from {', '.join(manifest.roots)}; "
        f"{', '.join(posts_roots(settings))} gets its own index in {own}."
    )
    return settings.with_overrides(index_dir=own)


def start_up_ingest(settings: Settings) -> None:
    """Ingest before serving; when the disk is full, read-only or busy, keep serving the index there is."""
    from rag.store import index_exists

    had_index = index_exists(settings.index_dir)

    def build() -> IngestReport | None:
        try:
            with progress_bar(lambda stage: f"{stage} chunks") as update:
                return ingest(settings, progress=update)
        except (IndexWriteError, IndexBusyError) as exc:
            if not had_index:
                raise
            console.print(f"[bold yellow]Warning:[/] {exc.message}")
            console.print(f"[yellow]Serving the index in {settings.index_dir} as it is.[/] {exc.hint}")
            return None

    report = run_guarded(build)
    if report is not None:
        _print_report(report)


def _index_needs_ingest(settings: Settings) -> str:
    """Why the index cannot be served as it is ("" when it can)."""
    manifest = Manifest.of(settings.index_dir)
    if manifest is None:
        return f"No index in {settings.index_dir} yet"
    settings = manifest.settings_for(settings)
    if manifest.roots != posts_roots(settings):
        return f"The index in {settings.index_dir} was built from other posts"
    if manifest.for_search(manifest.embedder).action is Action.RETOKENIZE:
        return f"The index in {settings.index_dir} is from an older version"
    return ""


@app.command("mcp")
def mcp_command(
    index: IndexOpt = None,
    generator: Annotated[str | None, typer.Option("--generator", help="Generator spec (RAG_GENERATOR).")] = None,
    print_config: Annotated[
        bool, typer.Option("--print-config", help="Print the mcpServers JSON for an assistant's config and exit.")
    ] = False,
    site_url: SiteUrlOpt = None,
    permalink: PermalinkOpt = None,
) -> None:
    """Serve the search, ask and read tools to an assistant over MCP on stdin/stdout (Claude Desktop,
    Cursor, VS Code). Only protocol messages go to stdout; logs go to stderr."""
    import logging

    settings = run_guarded(
        lambda: build_settings(index_dir=index, generator=generator, site_url=site_url, permalink=permalink)
    )
    if print_config:
        links = [*(["--site-url", site_url] if site_url else []), *(["--permalink", permalink] if permalink else [])]
        config = mcp_config(settings, generator, links)
        out.print(json.dumps(config, ensure_ascii=False, indent=2), markup=False)
        return
    from api.mcp_server import run_stdio  # the MCP SDK is imported only by this command

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    run_stdio(settings)


def mcp_config(settings: Settings, generator: str | None = None, extra: list[str] | None = None) -> dict[str, Any]:
    """The `mcpServers` entry that starts this install's `rag mcp`, with absolute paths: an assistant
    launches it from a directory of its own choosing."""
    launcher = Path(sys.argv[0])
    if launcher.name == "rag":
        command, args = str(launcher.absolute()), ["mcp"]
    else:  # python -m rag
        command, args = sys.executable, ["-m", "rag", "mcp"]
    args += ["--index", str(settings.index_dir.resolve())]
    if generator:
        args += ["--generator", generator]
    args += extra or []  # published links: citations then point at the blog itself
    return {"mcpServers": {"blog": {"command": command, "args": args}}}


@app.command("info")
def info_command(index: IndexOpt = None, embedder: EmbedderOpt = None, json_output: JsonOpt = False) -> None:
    """Describe the index: embedder, counts, chunker settings, versions."""
    from rag.store import index_summary, read_index

    settings = build_settings(index_dir=index, embedder=embedder)
    manifest = index_summary(run_guarded(lambda: read_index(settings.index_dir)))
    if json_output:
        out.print_json(data=manifest)
        return
    table = Table(title=f"Index {settings.index_dir}", show_header=False)
    for key, value in manifest.items():
        table.add_row(key, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    out.print(table)


from rag.evaluation.command import eval_command  # noqa: E402

app.command("eval")(eval_command)

from rag.insights.command import insights_command  # noqa: E402

app.command("insights")(insights_command)


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
