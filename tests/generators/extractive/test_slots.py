"""The answer slot: which kind of value a question asks for, and whether a passage gives one."""

from __future__ import annotations

import pytest

from rag.generators.extractive.slots import asked_kind, slot_match, slot_values


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("When was the project started?", "time"),
        ("项目是哪一年开始的？", "time"),
        ("Until when could people answer the survey?", "time"),
        ("What happens when the scheduler fails?", ""),  # "when" inside a clause asks for no time
        ("How many maintainers does it have?", "count"),
        ("社区有多少位贡献者？", "count"),
        ("By what percentage did build times drop?", "percent"),
        ("性能提升了多少倍？", "percent"),
        ("How many times has it been downloaded?", "count"),
        ("由哪几个组件组成？", ""),  # which ones: a list (question.py), no value
        ("Since which version can main return a Result?", "version"),
        ("要求的最低版本是多少？", "version"),
        ("审计花了多少钱？", "money"),
        ("How long does a rollout take?", "duration"),
        ("审计持续了多长时间？", "duration"),
        ("What does the scheduler do?", ""),
    ],
)
def test_the_asked_kind_comes_from_the_question_words(question: str, kind: str) -> None:
    assert asked_kind(question) == kind


def test_a_count_is_no_version_date_or_identifier() -> None:
    text = "Release 1.26 fixed CVE-2024-24576 on x86_64 in 2019 (3 月), thanks to 1,200 people and 十一位 maintainers."
    assert slot_values("count", text) == {"1200", "十一位"}


def test_month_names_are_dates_only_before_a_number() -> None:
    assert slot_values("time", "You may go. It shipped on November 7th, 2019.") == {"november7th", "2019"}


@pytest.mark.parametrize(
    ("kind", "question", "passage", "expected"),
    [
        ("time", "When did it ship?", "It shipped in 2019.", 1.0),
        ("time", "When did it ship?", "It shipped last spring.", -1.0),
        ("count", "How many maintainers?", "There are 12 maintainers.", 1.0),
        ("count", "有多少位维护者？", "发布于 3 月。", -1.0),  # a date part is no count
        ("count", "有多少位维护者？", "社区有五位维护者。", 1.0),
        ("percent", "By what percentage is it faster?", "Builds are 30% faster.", 1.0),
        ("percent", "By what percentage is it faster?", "Builds are 30 seconds faster.", -1.0),
        ("duration", "How long did the audit take?", "The audit took 6 weeks.", 1.0),
        ("money", "审计花了多少钱？", "审计费用为 5 万美元。", 1.0),
        ("", "What does it do?", "anything", 0.0),
        ("who", "Who wrote it?", "anything", 0.0),
    ],
)
def test_slot_match_is_signed_for_questions_that_ask_for_a_value(
    kind: str, question: str, passage: str, expected: float
) -> None:
    assert slot_match(kind, question, passage) == expected


def test_a_value_the_question_already_states_answers_nothing() -> None:
    question = "Which version after 1.80 made the lint the default?"
    assert slot_match("version", question, "Rust 1.80 added the lint.") == -1.0
    assert slot_match("version", question, "Rust 1.82 made the lint the default.") == 1.0
