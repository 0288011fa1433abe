"""`scripted:<draft>` — a test fake that returns a fixed draft (with [n] markers) or fails on demand.

`scripted:!error` raises like a server that is down; `scripted:!empty` returns nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

from rag.errors import GeneratorError
from rag.generators.base import GeneratorContext
from rag.types import Hit


class ScriptedGenerator:
    def __init__(self, draft: str, rewrite: str | None = None) -> None:
        self.spec = f"scripted:{draft}"
        self.draft = draft
        self.rewrite = rewrite
        self.calls: list[tuple[str, int]] = []  # (question, number of sources) per call

    def generate(self, question: str, sources: list[Hit], history: list[dict[str, str]] | None = None) -> str:
        return "".join(self.stream(question, sources, history))

    def stream(self, question: str, sources: list[Hit], history: list[dict[str, str]] | None = None) -> Iterator[str]:
        self.calls.append((question, len(sources)))
        if self.draft == "!error":
            raise GeneratorError("scripted failure", "this is a test fake")
        if self.draft == "!empty":
            return
        words = self.draft.split(" ")
        for i, word in enumerate(words):
            yield word if i == len(words) - 1 else word + " "

    def rewrite_query(self, question: str, history: list[dict[str, str]]) -> str | None:
        return self.rewrite


def create(arg: str, context: GeneratorContext) -> ScriptedGenerator:
    return ScriptedGenerator(arg)
