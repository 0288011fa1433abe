"""Chat Completions <-> the answer path: messages to an AskRequest, an Answer to message content.

Plain chat clients show only `content`, so the sources follow the answer there as a Markdown list
(`- [n] [Title](url) — date`, or the closest posts after a refusal). When a client sends such a
message back as history, the list is cut off again: history feeds the follow-up rewriter, which
wants what was said, not link lists.
"""

from __future__ import annotations

import re
from typing import Any

from api.openai_schemas import AnswerFields, ChatCompletionRequest
from rag.answering import (
    MAX_HISTORY_TURNS,
    MAX_TURN_CHARS,
    AskRequest,
    refusal_text,
    unresolved_text,
    validate_question,
)
from rag.errors import InputError
from rag.lexical import is_chinese
from rag.types import Answer, Turn

SOURCES_HEADINGS = ("**Sources**", "**来源**")
_SOURCES_BLOCK = re.compile(r"\n[ \t\r]*\n[ \t]*\*\*(?:Sources|来源)\*\*[ \t]*\r?\n")
# Our own refusal sentences: in a returned message, the closest-posts list follows them.
_REFUSALS = tuple(f(q) for f in (refusal_text, unresolved_text) for q in ("?", "？中文"))
_PIECE = re.compile(r"\s*\S{1,12}|\s+$")
_LINK_UNSAFE = re.compile(r"[\s()<>]")


def ask_request(body: ChatCompletionRequest, spec: str) -> AskRequest:
    """The last message is the question and the user/assistant turns before it the history; system
    and developer messages are skipped. Only the latest MAX_HISTORY_TURNS turns are kept: a long chat
    goes on working, and the rewriter reads only the recent turns anyway."""
    turns = [(i, m) for i, m in enumerate(body.messages) if m.role in ("user", "assistant")]
    if not turns or turns[-1][1].role != "user":
        raise InputError(
            "The last user or assistant message must be the user's question.",
            'End `messages` with {"role": "user", "content": "<your question>"}.',
        )
    question = validate_question(turns[-1][1].content)
    history: list[Turn] = []
    for i, message in turns[:-1][-MAX_HISTORY_TURNS:]:
        content = strip_sources(message.content) if message.role == "assistant" else message.content
        if len(content) > MAX_TURN_CHARS:
            raise InputError(
                f"messages[{i}] ({message.role}) has {len(content)} characters; the limit is {MAX_TURN_CHARS}.",
                "Shorten that message or start a new chat.",
            )
        if content.strip():
            history.append({"role": message.role, "content": content})
    return AskRequest(question=question, history=tuple(history), generator=spec, stream=body.stream)


def strip_sources(content: str) -> str:
    """An assistant message as we wrote it, without the sources list we appended to it."""
    blocks = list(_SOURCES_BLOCK.finditer(content))
    if blocks:
        return content[: blocks[-1].start()].rstrip()
    stripped = content.lstrip()
    for refusal in _REFUSALS:
        if stripped.startswith(refusal):
            return refusal
    return content


def content_parts(answer: Answer, question: str) -> tuple[str, str]:
    """(the answer text, the sources block that follows it); `content` is the two joined."""
    if answer.citations:
        heading = SOURCES_HEADINGS[1] if is_chinese(question) else SOURCES_HEADINGS[0]
        items = [f"- [{c.n}] {_link(c.title, c.url)}{_dated(c.date)}" for c in answer.citations]
        return answer.answer, f"\n\n{heading}\n" + "\n".join(items)
    if answer.closest:
        items = [f"- {_link(str(p.get('title', '')), p.get('url'))}{_dated(p.get('date'))}" for p in answer.closest]
        return answer.answer, "\n\n" + "\n".join(items)
    return answer.answer, ""


def _link(title: str, url: str | None) -> str:
    label = re.sub(r"([\\\[\]*_`])", r"\\\1", " ".join(title.split()) or "untitled")
    if not url:
        return label
    # CommonMark's <...> form takes spaces and parentheses; < and > themselves must be encoded.
    target = url.replace("<", "%3C").replace(">", "%3E")
    return f"[{label}](<{target}>)" if _LINK_UNSAFE.search(target) else f"[{label}]({target})"


def _dated(date: Any) -> str:
    return f" — {date}" if date else ""


def pieces(text: str) -> list[str]:
    """Stream deltas for `text`: a word (at most 12 characters) with the whitespace before it; they
    join to exactly `text`."""
    return _PIECE.findall(text)


def answer_fields(answer: Answer) -> dict[str, Any]:
    """The structured answer beside `content`: citations, closest, refused, query, answer_id."""
    body = answer.to_json()
    return AnswerFields.model_validate(
        {key: body.get(key) for key in ("citations", "closest", "refused", "query")}
        | {"answer_id": body.get("answer_id")}
    ).model_dump()
