"""`llamacpp:<path to .gguf>` — a local model in-process through llama-cpp-python (optional extra:
`pip install 'blograg[llamacpp]'`, which compiles for several minutes on 2 cores)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rag.config import Settings
from rag.errors import ConfigError, MissingDependencyError
from rag.generators.base import GeneratorContext
from rag.generators.deadline import Deadline
from rag.generators.prompt import rewrite_messages, settings_messages
from rag.types import Hit


def _load(path: Path, context_tokens: int) -> Any:
    # OpenMP threads that spin while waiting make decoding collapse when another process is busy.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise MissingDependencyError(
            "The 'llamacpp:' generator needs llama-cpp-python.",
            "pip install 'blograg[llamacpp]' — or serve the model with Ollama/llama.cpp server and use openai:<model>.",
        ) from exc
    return Llama(model_path=str(path), n_ctx=context_tokens, n_threads=os.cpu_count() or 2, verbose=False)


class LlamaCppGenerator:
    def __init__(self, path: Path, settings: Settings) -> None:
        self.spec = f"llamacpp:{path}"
        self.settings = settings
        self._llm = _load(path, settings.llm_context_tokens)

    def generate(self, question: str, sources: list[Hit], history: list[dict[str, str]] | None = None) -> str:
        return "".join(self.stream(question, sources, history))

    def stream(self, question: str, sources: list[Hit], history: list[dict[str, str]] | None = None) -> Iterator[str]:
        """Tokens as decoded; RAG_LLM_TIMEOUT bounds the whole answer (checked between tokens, as the
        prompt's evaluation cannot be interrupted). RAG_LLM_MAX_TOKENS bounds its size."""
        with Deadline(self.settings.llm_timeout, f"The local model {self.spec}") as deadline:
            chunks = self._llm.create_chat_completion(
                messages=settings_messages(self.settings, question, sources, history),
                temperature=0,
                max_tokens=self.settings.llm_max_tokens,
                stream=True,
            )
            for chunk in chunks:
                deadline.check()
                piece = chunk["choices"][0].get("delta", {}).get("content")
                if piece:
                    yield piece

    def rewrite_query(self, question: str, history: list[dict[str, str]]) -> str:
        result = self._llm.create_chat_completion(messages=rewrite_messages(question, history), max_tokens=64)
        return str(result["choices"][0]["message"]["content"]).strip()


def create(arg: str, context: GeneratorContext) -> LlamaCppGenerator:
    path = Path(arg).expanduser()
    if not arg or not path.is_file():
        raise ConfigError(
            f"No GGUF model file at {arg!r}.",
            "Use llamacpp:/path/to/model.gguf (a chat/instruct model, e.g. Qwen2.5-1.5B-Instruct Q4_K_M).",
        )
    return LlamaCppGenerator(path, context.settings or Settings.model_construct())
