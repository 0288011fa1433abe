"""`rag chat` in a real terminal (a private tmux server), plus fast checks of its loop with a fake reader."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rich.console import Console

from rag.chat import Conversation, render_answer, run_chat
from rag.config import SAMPLE_POSTS_DIR, Settings
from rag.errors import IndexNotFoundError, InputError
from rag.pipeline import Engine, ingest
from rag.types import Answer, Citation

ROOT = Path(__file__).resolve().parents[1]
FIRST, FOLLOW_UP, STANDALONE = "王泽锋是谁？", "他获得了什么奖？", "王泽锋获得了什么奖？"


@pytest.fixture(scope="module")
def chat_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index = tmp_path_factory.mktemp("chat") / "index"
    ingest(Settings(index_dir=index, posts=[SAMPLE_POSTS_DIR], embedder="hashing"))
    return index


class Tmux:
    """One `rag chat` in its own tmux server (its own socket), so nothing else's sessions are touched."""

    def __init__(self, socket: Path) -> None:
        self.socket = socket

    def run(self, *args: str) -> str:
        command = ["tmux", "-S", str(self.socket), "-f", "/dev/null", *args]
        return subprocess.run(command, check=True, capture_output=True, text=True, timeout=30).stdout

    def start(self, command: list[str]) -> None:
        env = {"PYTHONPATH": str(ROOT), "LANG": "C.UTF-8", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        # The shell reports how the chat ended, since tmux keeps no exit status of a pane's command.
        line = shlex.join(["env", *(f"{k}={v}" for k, v in env.items()), *command]) + '; echo "exit status $?"'
        new = ["new-session", "-d", "-s", "chat", "-x", "160", "-y", "50", line]
        self.run(*new, ";", "set-option", "-w", "-t", "chat", "remain-on-exit", "on")

    def type(self, text: str, enter: bool = True) -> None:
        self.run("send-keys", "-t", "chat", "-l", text)
        if enter:
            self.run("send-keys", "-t", "chat", "Enter")

    def key(self, name: str) -> None:
        self.run("send-keys", "-t", "chat", name)

    def screen(self) -> str:
        # -S -: the scrollback too; -J joins lines the terminal wrapped.
        return self.run("capture-pane", "-p", "-J", "-S", "-", "-t", "chat")

    def wait_for(self, text: str, seconds: float = 90) -> str:
        return self.wait_until(lambda screen: text in screen, repr(text), seconds)

    def wait_for_prompt(self, count: int, seconds: float = 90) -> str:
        """Until the `count`th prompt is up (tmux drops the prompt's trailing space)."""
        return self.wait_until(lambda screen: prompts(screen) >= count, f"prompt {count}", seconds)

    def wait_until(self, done: Callable[[str], bool], what: str, seconds: float) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            screen = self.screen()
            if done(screen):
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{what} never appeared on the screen:\n{self.screen()}")


@pytest.fixture()
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    assert shutil.which("tmux"), "tmux is needed: apt-get install tmux (scripts/test.sh installs it)"
    terminal = Tmux(tmp_path / "tmux.sock")
    try:
        yield terminal
    finally:
        subprocess.run(["tmux", "-S", str(terminal.socket), "kill-server"], capture_output=True, timeout=30)


def prompts(screen: str) -> int:
    return sum(1 for line in screen.splitlines() if line == "?" or line.startswith("? "))


def chat_command(index: Path) -> list[str]:
    return [sys.executable, "-m", "rag", "chat", "--index", str(index)]


@pytest.mark.slow
def test_chat_in_a_terminal_asks_follows_up_starts_over_and_quits(tmux: Tmux, chat_index: Path) -> None:
    tmux.start(chat_command(chat_index))
    tmux.wait_for_prompt(1)  # typed before the line editor is up, keys would be echoed by the tty instead
    tmux.type(FIRST)
    screen = tmux.wait_for_prompt(2)  # the answer is printed and the next prompt is up
    assert f"? {FIRST}" in screen
    assert "[1] 华为云王泽锋荣获 CNCF 终身成就奖，开源精神引领云原生未来 — 2025-11-14" in screen  # title once, date

    tmux.type(FOLLOW_UP)
    screen = tmux.wait_for(f"(searched: {STANDALONE})")  # the pronoun took the first question's topic
    tmux.wait_for_prompt(3)

    tmux.type("/new")
    tmux.wait_for("New conversation")
    tmux.type(FOLLOW_UP)  # with nothing before it, the same follow-up cannot be resolved
    tmux.wait_for("请在问题里写出具体的名称")

    tmux.type("a line I regret", enter=False)
    tmux.key("C-c")  # drops the line; the chat goes on
    tmux.type("/quit")
    screen = tmux.wait_for("Bye.")
    assert "a line I regret" in screen and "Cancelled" not in screen and "Traceback" not in screen
    assert "exit status 0" in tmux.wait_for("exit status")


@pytest.mark.slow
def test_ctrl_d_leaves_the_chat(tmux: Tmux, chat_index: Path) -> None:
    tmux.start(chat_command(chat_index))
    tmux.wait_for_prompt(1)
    tmux.key("C-d")
    screen = tmux.wait_for("exit status")
    assert "Bye." in screen and "exit status 0" in screen


def test_a_missing_index_exits_with_the_fix(tmp_path: Path) -> None:
    result = subprocess.run(
        [*chat_command(tmp_path / "none")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == IndexNotFoundError.exit_code and "rag ingest" in result.stderr


class Scripted:
    """A fake line reader: the lines to type, then end of input."""

    def __init__(self, *lines: str | type[BaseException]) -> None:
        self.lines = list(lines)
        self.prompts = 0

    def __call__(self, prompt: str) -> str:
        self.prompts += 1
        if not self.lines:
            raise EOFError
        line = self.lines.pop(0)
        if isinstance(line, type):
            raise line()
        return line


def recorded() -> Console:
    return Console(record=True, width=200, force_terminal=False)


def test_the_loop_keeps_history_until_new_and_survives_bad_questions(chat_index: Path) -> None:
    engine = Engine(Settings(index_dir=chat_index))
    conversation = Conversation(engine)
    console = recorded()
    asked: list[Answer] = []
    real_ask = conversation.ask

    def spy(question: str) -> Answer:
        asked.append(real_ask(question))
        return asked[-1]

    conversation.ask = spy  # type: ignore[method-assign]
    reader = Scripted(FIRST, KeyboardInterrupt, FOLLOW_UP, "x" * 2001, "/nope", "/new", FOLLOW_UP)
    run_chat(conversation, console, reader)
    text = console.export_text()
    assert [a.query for a in asked] == [FIRST, STANDALONE, FOLLOW_UP]
    assert asked[-1].refused and conversation.turns[:1] == [{"role": "user", "content": FOLLOW_UP}]
    assert "Error: The question is 2001 characters long" in text and "Fix:" in text
    assert "Unknown command /nope" in text and "New conversation" in text and text.rstrip().endswith("Bye.")


def test_quit_ends_the_loop_before_later_lines(chat_index: Path) -> None:
    class Refusing:
        def ask(self, request: object) -> Answer:
            raise InputError("no", "never")

    reader = Scripted("/quit", "never read")
    run_chat(Conversation(Refusing()), recorded(), reader)
    assert reader.lines == ["never read"]


def test_ctrl_c_during_an_answer_cancels_it_and_leaves_no_turn() -> None:
    class Interrupted:
        def ask(self, request: object) -> Answer:
            raise KeyboardInterrupt

    conversation = Conversation(Interrupted())
    console = recorded()
    run_chat(conversation, console, Scripted("a slow question"))
    assert "Cancelled." in console.export_text() and conversation.turns == []


def test_titles_and_answers_print_as_they_are_not_as_markup() -> None:
    citation = Citation(1, "a.md", "[red]Title[/red] [b]", "https://b.example/a", "2024-01-02", "H [x]", "q [/]")
    console = recorded()
    render_answer(console, Answer("Text [bold]not bold[/bold] [1]", [citation], False, "other query", "x"), "q")
    text = console.export_text()
    assert "Text [bold]not bold[/bold] [1]" in text and "[1] [red]Title[/red] [b] › H [x] — 2024-01-02" in text
    assert "https://b.example/a" in text and "“q [/]”" in text and "(searched: other query)" in text
    citation.heading = "[red]Title[/red] [b] > Part"  # the title is not repeated in the heading
    render_answer(console, Answer("A [1]", [citation], False, "q", "x"), "q")
    assert "[1] [red]Title[/red] [b] › Part — 2024-01-02" in console.export_text()
