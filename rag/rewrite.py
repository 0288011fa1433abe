"""Follow-up questions -> standalone search queries (heuristic; LLM generators may do better)."""

from __future__ import annotations

import re

from rag.lexical import content_terms

# Pronouns and openers that make a question lean on the previous turn.
_FOLLOW_UP = re.compile(
    r"^(and|what about|how about|also|then|so)\b|\b(he|she|it|they|him|her|them|his|its|their|this|that|"
    r"these|those|the year after|the same)\b|^(那|那么|还有|另外|然后|并且|而且)|他|她|它|他们|她们|这个|那个|"
    r"这些|那些|其|该|此",
    re.I,
)
MAX_HISTORY_CHARS = 300


def last_user_turn(history: list[dict[str, str]] | None) -> str:
    for turn in reversed(history or []):
        if turn.get("role") == "user" and turn.get("content", "").strip():
            return turn["content"].strip()
    return ""


def looks_like_follow_up(question: str) -> bool:
    # "为什么？" / "why?" has no content of its own; "缓存是什么？" stands alone.
    return bool(_FOLLOW_UP.search(question)) or not content_terms(question)


def heuristic_rewrite(question: str, history: list[dict[str, str]] | None) -> str:
    """Prefix the previous user question when this one cannot stand on its own."""
    previous = last_user_turn(history)
    if not previous or not looks_like_follow_up(question):
        return question
    return f"{previous[-MAX_HISTORY_CHARS:]} {question}"
