"""rag.claims: the quantities and the polarity a claim states, read the same way in both languages."""

from __future__ import annotations

import pytest

from rag.claims import Quantity, is_negated, quantities, unsupported_quantities

SOURCE = "Set a TTL of 30 minutes on every key. Rust 1.80.0 stabilized LazyCell. 张磊于 2016 年被推举为 CNCF 官方大使。"


@pytest.mark.parametrize(
    "claim",
    [
        "TTLs should be set to 30 minutes.",
        "Use a 30-minute TTL.",
        "Use a 30min TTL.",
        "TTL 设为 30 分钟。",
        "TTL 设为三十分钟。",
        "That is 1800 seconds, or 0.5 hours.",  # the same amount in other units
        "Rust 1.80 stabilized LazyCell.",  # a version and its refinement
        "张磊在二〇一六年成为大使。",
        "In 2016 he became an ambassador.",
        "k8s clusters use v1.30 and LH-3316.",  # numbers inside identifiers are words
        "1. Set a TTL on every key.",  # a list enumerator is no quantity
        "This is one of the keys, 一个缓存。",  # "one" / 一 alone are articles
    ],
)
def test_quantities_the_source_states_stay_supported(claim: str) -> None:
    assert unsupported_quantities(claim, SOURCE) == []


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("TTLs should be set to 99 days.", 99),
        ("Set the TTL to 30 seconds.", 30),  # right number, wrong unit
        ("TTL 设为三十秒。", 30),
        ("Rust 1.80.1 stabilized LazyCell.", 0),  # a version the source never names
        ("张磊于 2017 年被推举为大使。", 2017),
        ("There are twelve seats.", 12),
        ("It took 1 hour.", 1),  # not the 1 of version 1.80.0
    ],
)
def test_quantities_the_source_lacks_are_reported(claim: str, value: float) -> None:
    missing = unsupported_quantities(claim, SOURCE)
    assert len(missing) == 1 and missing[0].value == value


def test_numbers_are_read_with_multipliers_units_and_words() -> None:
    read = quantities("10,000 users, 3 million requests, 1万 次, 64KB, 50%, eleven seats, 二十五个节点, 十分钟")
    assert [(q.value, q.unit) for q in read] == [
        (10_000, None),
        (3_000_000, None),
        (10_000, None),
        (64, "kilobyte"),
        (50, "percent"),
        (11, None),
        (25, None),
        (10, "minute"),
    ]
    assert quantities("十分重要，两三个，第二个") == []  # "very", "two or three", an ordinal


def test_a_bare_number_matches_any_unit_and_a_unit_needs_its_dimension() -> None:
    assert Quantity(30).matches(Quantity(30, "minute")) and Quantity(30, "minute").matches(Quantity(30))
    assert Quantity(2, "hour").matches(Quantity(120, "minute"))
    assert not Quantity(30, "minute").matches(Quantity(30, "megabyte"))


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("Do not set TTLs on session keys.", True),
        ("You don't need a TTL.", True),
        ("TTLs are never needed.", True),
        ("不要给会话键设置 TTL。", True),
        ("张磊没有当选。", True),
        ("Set TTLs on session keys.", False),
        ("It is not only fast but cheap.", False),
        ("这两种策略不同，未来会非常快。", False),  # 不同, 未来, 非常 are no negations
    ],
)
def test_negation(text: str, negated: bool) -> None:
    assert is_negated(text) is negated
