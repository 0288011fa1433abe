from rag.lexical import content_terms, exact_identifiers, tokenize


def test_identifiers_stay_whole_and_add_their_parts() -> None:
    tokens = tokenize("Run kubectl on v1.30 with IPVS-proxy")
    assert "kubectl" in tokens and "v1.30" in tokens
    assert "ipvs-proxy" in tokens and "ipvs" in tokens and "proxy" in tokens


def test_chinese_is_segmented_and_stopwords_dropped() -> None:
    tokens = tokenize("张磊是哪一年当选的CNCF技术监督委员会成员？")
    assert "张磊" in tokens and "cncf" in tokens and "当选" in tokens
    assert "的" not in tokens and "是" not in tokens


def test_english_plurals_fold() -> None:
    assert tokenize("seats") == tokenize("seat") == ["seat"]
    assert tokenize("policies") == ["policy"]
    assert "status" in tokenize("status")


def test_content_terms_ignore_question_words() -> None:
    assert content_terms("What is the name of the project?") == {"name", "project"}


def test_exact_identifiers_of_a_query() -> None:
    assert exact_identifiers("LH-3316") == {"lh-3316"}
    assert exact_identifiers("What changed in v1.30 and Rust 1.73.0?") == {"v1.30", "1.73.0"}
    assert exact_identifiers("kube-proxy") == {"kube-proxy"}  # the query is that one identifier
    assert exact_identifiers("How does kube-proxy pick a backend?") == set()  # a word, not an id
    assert exact_identifiers("CNCF TOC 有多少个席位？") == set()
    assert exact_identifiers("请问 LH-3316 是什么") == {"lh-3316"}
