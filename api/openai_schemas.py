"""Pydantic models of the OpenAI Chat Completions wire format, as far as `/v1` speaks it.

Requests accept what OpenAI clients send: sampling parameters (temperature, max_tokens, ...) are
read and ignored, since the answer comes from the posts and is verified, not sampled; system and
developer messages are ignored too (the server's instructions are fixed). Responses carry OpenAI's
fields plus `citations` (as in POST /ask), `refused`, `query` and `answer_id` for clients that read them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from api.openai_models import DEFAULT_MODEL
from api.schemas import CitationOut, ClosestOut
from rag.inputs import describe_unusable

MAX_MESSAGES = 1000  # the body limit (RAG_MAX_BODY_BYTES) binds long before this


def _content_text(value: Any) -> str:
    """A message's content as text: a string, a list of text parts, or null (an assistant's tool call)."""
    if value is None:
        return ""
    if isinstance(value, list):
        parts = []
        for part in value:
            if not isinstance(part, dict) or part.get("type") != "text" or not isinstance(part.get("text"), str):
                kind = part.get("type") if isinstance(part, dict) else type(part).__name__
                raise ValueError(f"has a {kind!r} part; only text parts ({{'type': 'text', 'text': '...'}}) are read")
            parts.append(part["text"])
        value = "\n".join(parts)
    if not isinstance(value, str):
        raise ValueError("must be a string or a list of text parts")
    problem = describe_unusable(value)
    if problem is not None:
        raise ValueError(f"contains {problem}; send UTF-8 text without NUL characters or unpaired surrogates")
    return value


Content = Annotated[str, BeforeValidator(_content_text)]


class ChatMessage(BaseModel):
    """One message of the conversation."""

    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant"] = Field(
        description="user and assistant turns make the conversation; system and developer messages are ignored."
    )
    content: Content = Field("", description="A string or a list of text parts.")


class StreamOptions(BaseModel):
    """Options of a streamed reply."""

    model_config = ConfigDict(extra="ignore")

    include_usage: bool = Field(False, description="Send a last chunk with `usage` before [DONE].")


class ChatCompletionRequest(BaseModel):
    """POST /v1/chat/completions: the conversation to answer the last question of."""

    model_config = ConfigDict(extra="ignore")

    model: str = Field(DEFAULT_MODEL, max_length=200, description="A model id from GET /v1/models.")
    messages: list[ChatMessage] = Field(
        min_length=1,
        max_length=MAX_MESSAGES,
        description="The conversation, oldest first; the last message is the user's question.",
    )
    stream: bool = Field(False, description="Answer as server-sent chat.completion.chunk events.")
    stream_options: StreamOptions | None = None
    n: int = Field(1, ge=1, le=1, description="Only one choice is produced.")


class AssistantMessage(BaseModel):
    """The reply: answer text, then its sources."""

    role: Literal["assistant"] = "assistant"
    content: str = Field(description="The answer with [n] markers, then the sources as a Markdown list.")
    refusal: None = None


class Choice(BaseModel):
    """The one choice of a completion."""

    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"
    logprobs: None = None


class Usage(BaseModel):
    """Token counts of the request's messages and the reply."""

    prompt_tokens: int = Field(description="tiktoken count (RAG_TOKENIZER) of the messages' text.")
    completion_tokens: int = Field(description="tiktoken count of the reply's content.")
    total_tokens: int


class AnswerFields(BaseModel):
    """What /v1 adds to OpenAI's objects: the structured answer, as POST /ask gives it."""

    citations: list[CitationOut] = Field(default_factory=list, description="The cited sources, as in POST /ask.")
    closest: list[ClosestOut] = Field(default_factory=list, description="On refusal: the closest posts.")
    refused: bool = Field(False, description="True when the posts do not answer the question.")
    query: str = Field("", description="The search query used (rewritten from history for follow-ups).")
    answer_id: str | None = Field(None, description="The answer's id (POST /feedback), when the server keeps one.")


class ChatCompletion(AnswerFields):
    """A whole reply (stream: false)."""

    id: str = Field(description="'chatcmpl-' and 32 hex characters.")
    object: Literal["chat.completion"] = "chat.completion"
    created: int = Field(description="Unix time of the answer.")
    model: str = Field(description="The model id the request named.")
    choices: list[Choice]
    usage: Usage
    system_fingerprint: None = None


class Delta(BaseModel):
    """What one chunk adds to the reply."""

    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    """The one choice of a chunk."""

    index: int = 0
    delta: Delta
    finish_reason: Literal["stop"] | None = None
    logprobs: None = None


class ChatCompletionChunk(AnswerFields):
    """One streamed event; `citations`, `refused` and the rest are filled on the final chunk only."""

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: Usage | None = None
    system_fingerprint: None = None


class ModelCard(BaseModel):
    """One model: a generator profile."""

    id: str = Field(description="Send it as `model`.")
    object: Literal["model"] = "model"
    created: int = Field(description="Unix time the server started.")
    owned_by: str = "blograg"


class ModelList(BaseModel):
    """GET /v1/models."""

    object: Literal["list"] = "list"
    data: list[ModelCard]


class OpenAIError(BaseModel):
    """An error, as OpenAI clients read it."""

    message: str = Field(description="What went wrong and how to fix it.")
    type: str = Field(description="invalid_request_error, authentication_error, rate_limit_error, server_error...")
    param: str | None = Field(None, description="The request field at fault, when one is.")
    code: str | None = Field(None, description="e.g. invalid_api_key, model_not_found, validation_failed.")


class OpenAIErrorOut(BaseModel):
    """Every error on /v1."""

    error: OpenAIError
