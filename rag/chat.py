"""`rag chat`: a conversation with the posts in the terminal.

Each question is asked with the turns before it as history, so follow-ups are rewritten exactly as
in `rag ask --history` and POST /ask. prompt-toolkit reads the lines (editing, history with the up
arrow, Ctrl-C to drop a line, Ctrl-D to leave); Rich prints the answers and their citations.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any, Protocol

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from rag.answering import MAX_HISTORY_TURNS, AskRequest
from rag.errors import RagError
from rag.types import Answer, Citation, Turn

HELP = "Ask a question about the posts. /new starts a new conversation, /quit (or Ctrl-D) leaves, /help shows this."
PROMPT = "? "
_MARKER = re.compile(r"\[\d+\]")
ReadLine = Callable[[str], str]  # prompt -> the line typed; EOFError to leave, KeyboardInterrupt to drop it


class Asker(Protocol):
    """What a conversation asks its questions of (rag.pipeline.Engine)."""

    def ask(self, request: AskRequest | str) -> Answer: ...


class Conversation:
    """The turns so far; each question goes to the engine with them as its history."""

    def __init__(self, engine: Asker, generator: str | None = None, k: int | None = None) -> None:
        self.engine, self.generator, self.k = engine, generator, k
        self.turns: list[Turn] = []

    def ask(self, question: str) -> Answer:
        history = tuple(self.turns[-MAX_HISTORY_TURNS:])
        answer = self.engine.ask(AskRequest(question, history=history, k=self.k, generator=self.generator))
        # Only a finished answer joins the history: a failed or cancelled question leaves no trace.
        self.turns += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.answer}]
        return answer

    def reset(self) -> None:
        self.turns = []


def render_answer(console: Console, answer: Answer, question: str) -> None:
    """The answer with its [n] markers highlighted, then the citations (or the closest posts)."""
    text = Text(answer.answer)
    text.highlight_regex(_MARKER, "bold cyan")
    console.print(text)
    if answer.query != question:
        console.print(Text(f"(searched: {answer.query})", style="dim"))
    for citation in answer.citations:
        _print_citation(console, citation)
    for post in answer.closest:
        console.print(Text.assemble("  - ", (str(post.get("title", "")), "bold"), _dated(post.get("date"))))
        if post.get("url"):
            console.print(Text(f"    {post['url']}", style="blue"))
    console.print()


def _print_citation(console: Console, citation: Citation) -> None:
    # Heading paths start with the post's title more often than not; it is printed once.
    heading = citation.heading.removeprefix(citation.title).removeprefix(" > ").strip()
    where = f" › {heading}" if heading else ""
    console.print(
        Text.assemble((f"[{citation.n}] ", "bold cyan"), (citation.title, "bold"), where, _dated(citation.date))
    )
    console.print(Text(f"    {citation.url or citation.source}", style="blue" if citation.url else "dim"))
    quote = " ".join(citation.quote.split())
    console.print(Text(f"    “{quote if len(quote) <= 200 else quote[:200] + '…'}”", style="italic"))


def _dated(date: Any) -> Text:
    return Text(f" — {date}", style="dim") if date else Text("")


def run_chat(conversation: Conversation, console: Console, read_line: ReadLine) -> None:
    """The loop: read a line, run a command or ask it, print the answer; until /quit or end of input."""
    console.print(Text(HELP, style="dim"))
    while True:
        try:
            line = read_line(PROMPT).strip()
        except KeyboardInterrupt:
            continue  # Ctrl-C drops the line being typed
        except EOFError:
            break
        if not line:
            continue
        if line.startswith("/"):
            if not _command(line, conversation, console):
                break
            continue
        _ask(conversation, console, line)
    console.print(Text("Bye.", style="dim"))


def _command(line: str, conversation: Conversation, console: Console) -> bool:
    """Run a /command; False when it ends the chat."""
    name = line.split()[0].lower()
    if name in ("/quit", "/exit", "/q"):
        return False
    if name in ("/new", "/reset", "/clear"):
        conversation.reset()
        console.print(Text("New conversation: earlier questions are forgotten.", style="dim"))
    elif name in ("/help", "/?"):
        console.print(Text(HELP, style="dim"))
    else:
        console.print(f"[yellow]Unknown command {escape(name)}.[/] {escape(HELP)}")
    return True


def _ask(conversation: Conversation, console: Console, question: str) -> None:
    try:
        with console.status("Answering…", spinner="dots"):
            answer = conversation.ask(question)
    except KeyboardInterrupt:
        console.print(Text("Cancelled.", style="dim"))
        return
    except RagError as exc:  # a bad question or a failing index: say why and keep the chat going
        console.print(f"[bold red]Error:[/] {escape(exc.message)}")
        if exc.hint:
            console.print(f"[yellow]Fix:[/] {escape(exc.hint)}")
        return
    render_answer(console, answer, question)


def stdin_reader() -> ReadLine:
    """prompt-toolkit's line editor on a terminal, with this session's questions on the up arrow;
    plain lines from a pipe (`rag chat < questions.txt`), where an editor has nothing to draw on."""
    if not sys.stdin.isatty():
        return _piped_line
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import InMemoryHistory

    session: PromptSession[str] = PromptSession(history=InMemoryHistory())
    return lambda prompt: session.prompt(prompt)


def _piped_line(prompt: str) -> str:
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line
