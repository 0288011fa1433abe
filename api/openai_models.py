"""Model names for the OpenAI-compatible routes: what `/v1/models` lists and `model` may name.

`blograg` is the server's default generator. Every other enabled spec (`extractive` and
RAG_ALLOWED_GENERATORS) gets a public name, `blograg:<kind>:<model>`, that leaves out what a
spec may hide: the base URL after `@` and the folders of a model or calibration file. Clients may
also send an enabled spec verbatim, as they may in `/ask`'s `generator`.
"""

from __future__ import annotations

from pathlib import PurePath

from api.errors import NotFoundError
from api.routers.health import public_spec
from rag.config import Settings

DEFAULT_MODEL = "blograg"


class ModelNotFoundError(NotFoundError):
    """The request's `model` names no enabled generator profile."""


def public_name(spec: str) -> str:
    """`openai:gpt-4o-mini@http://10.0.0.5/v1` -> `blograg:openai:gpt-4o-mini`;
    `llamacpp:/models/qwen.gguf` -> `blograg:llamacpp:qwen.gguf` (as GET /health names them)."""
    kind, colon, argument = public_spec(spec).partition(":")
    if "/" in argument or "\\" in argument:  # e.g. extractive:<calibration file>
        argument = PurePath(argument.replace("\\", "/")).name
    return f"{DEFAULT_MODEL}:{kind}{colon}{argument}"


def model_table(settings: Settings) -> dict[str, str]:
    """Public model id -> generator spec, the default first; a clash of names gets a `-2`, `-3` suffix."""
    table = {DEFAULT_MODEL: settings.generator}
    for spec in dict.fromkeys(["extractive", settings.generator, *settings.allowed_generators]):
        name, n = public_name(spec), 1
        while name in table and table[name] != spec:
            n += 1
            name = f"{public_name(spec)}-{n}"
        table.setdefault(name, spec)
    return table


def resolve_model(model: str, settings: Settings) -> str:
    """The generator spec `model` selects; ModelNotFoundError (404) for anything not enabled."""
    table = model_table(settings)
    if model in table:
        return table[model]
    if model in table.values():
        return model
    # The specs themselves are not echoed: they can hold a private server URL or a model file path.
    raise ModelNotFoundError(
        f"The model {model!r} does not exist on this server; it serves {', '.join(table)}.",
        f"Use model {DEFAULT_MODEL!r} (the server's default) or one listed by GET /v1/models. Operators "
        'enable more with RAG_ALLOWED_GENERATORS, a JSON list such as ["openai:gpt-4o-mini"].',
    )
