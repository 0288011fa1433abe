"""The `llamacpp:` backend's edges that need no compiled extra: clear errors for a missing model file
or a missing package, and the answer deadline (with a stand-in model)."""

from __future__ import annotations

import builtins
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rag.config import Settings
from rag.errors import ConfigError, GeneratorError, MissingDependencyError
from rag.generators import llamacpp
from rag.generators.base import GeneratorContext, create_generator


def test_missing_model_file_says_what_to_pass(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="gguf"):
        create_generator(f"llamacpp:{tmp_path / 'nope.gguf'}", GeneratorContext(Settings()))


def test_missing_package_gives_an_install_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    real_import = builtins.__import__

    def no_llama(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "llama_cpp":
            raise ImportError("No module named 'llama_cpp'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_llama)
    with pytest.raises(MissingDependencyError, match=r"blograg\[llamacpp\]"):
        create_generator(f"llamacpp:{model}", GeneratorContext(Settings()))


class _SlowModel:
    """Stands in for llama_cpp.Llama: one token every 0.3 s, forever."""

    def create_chat_completion(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        while True:
            time.sleep(0.3)
            yield {"choices": [{"delta": {"content": "word "}}]}


def test_llm_timeout_bounds_a_whole_local_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setattr(llamacpp, "_load", lambda path, context_tokens: _SlowModel())
    generator = create_generator(f"llamacpp:{model}", GeneratorContext(Settings(llm_timeout=1.0)))
    started = time.monotonic()
    with pytest.raises(GeneratorError, match="within 1 s"):
        generator.generate("q", [])
    assert time.monotonic() - started < 1.8
