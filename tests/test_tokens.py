import pytest

from rag.errors import ConfigError
from rag.tokens import count_tokens, get_encoding


def test_cl100k_works_offline_and_round_trips() -> None:
    enc = get_encoding("cl100k_base")
    ids = enc.encode("云原生 Kubernetes")
    assert enc.decode(ids) == "云原生 Kubernetes"
    assert count_tokens("hello world") == 2


def test_unknown_encoding_says_what_to_use() -> None:
    with pytest.raises(ConfigError, match="cl100k_base"):
        get_encoding("p99k_nope")
