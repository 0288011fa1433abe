from __future__ import annotations

import pytest

from rag.evaluation.matching import contains_fact, missing_facts, same_post, split_sentences


@pytest.mark.parametrize(
    ("expected", "actual", "same"),
    [
        ("a.md", "a.md", True),
        ("a.md", "2021/a.md", True),  # expected without folder
        ("posts/a.md", "a.md", True),  # expected with the ingested folder's name
        ("a", "2021/a.md", True),  # stem only
        ("2021/a", "2021/a.md", True),
        ("A.MD", "a.md", True),
        ("x/a.md", "y/a.md", False),
        ("b.md", "a.md", False),
        ("a.md", "aa.md", False),
        ("", "a.md", False),
    ],
)
def test_same_post(expected: str, actual: str, same: bool) -> None:
    assert same_post(expected, actual) is same


def test_fact_matching_ignores_case_space_and_width() -> None:
    assert contains_fact("CNCF TOC 共有 11 个席位", "11个席位")
    assert contains_fact("由 ＫｕｂｅＥｄｇｅ 项目", "KubeEdge")  # full-width letters
    assert contains_fact("共 １１ 位委员", "11 位")  # full-width digits
    assert contains_fact("it is run by google", "Google")
    assert contains_fact("在亚特兰大召开", "Atlanta|亚特兰大")
    assert not contains_fact("在北京召开", "Atlanta|亚特兰大")
    assert not contains_fact("anything", "")
    assert missing_facts("KubeEdge and Volcano", ["KubeEdge", "Karmada", "volcano"]) == ["Karmada"]


def test_sentences_keep_their_markers() -> None:
    answer = "TOC 有 11 个席位。[1] 另一篇说是 9 人[2]。\n- 没有标记的一行\nVersion v1.30 shipped. It is fast [1, 3]."
    assert split_sentences(answer) == [
        ("TOC 有 11 个席位。", {1}),
        ("另一篇说是 9 人。", {2}),
        ("- 没有标记的一行", set()),
        ("Version v1.30 shipped.", set()),
        ("It is fast.", {1, 3}),
    ]
