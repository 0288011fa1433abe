"""The LLM prompt: the answer language is the question's, said after the question."""

from __future__ import annotations

from rag.generators.prompt import answer_messages, language_instruction
from rag.types import Chunk, Hit, Post


def source(text: str, language: str) -> Hit:
    return Hit(Chunk("p#0", "p", 0, text, "", 0, len(text), text), Post("p", "T", text, language=language), 1.0)


ZH_SOURCE = source("该特性由社区合作伙伴贡献，GPU 利用率提升了 40%。", "zh")


def test_an_english_question_about_chinese_posts_is_answered_in_english() -> None:
    user = answer_messages("By how much did GPU use improve?", [ZH_SOURCE], None, 2048, 256)[1]["content"]
    assert user.rstrip().endswith(language_instruction("By how much did GPU use improve?", [ZH_SOURCE]))
    assert "Answer in English" in user.split("Question:")[-1] and "Chinese" in user.split("Question:")[-1]


def test_a_chinese_question_is_answered_in_chinese() -> None:
    assert language_instruction("GPU 利用率提升了多少？", [ZH_SOURCE]) == "请用中文回答。"


def test_english_sources_need_no_translation_hint() -> None:
    assert (
        language_instruction("What changed?", [source("Rust 1.80 stabilized LazyLock.", "en")]) == "Answer in English."
    )
