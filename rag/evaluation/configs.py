"""Configurations for `rag eval --compare`: parsing the specs and giving each one an engine.

A spec is comma-separated `key=value` pairs; a repeated key starts a new configuration, so
`generator=extractive,generator=openai:gpt-4o-mini` is two configurations and
`embedder=hashing,chunk_tokens=200` is one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.config import Settings
from rag.errors import InputError

KEYS = {"generator": str, "embedder": str, "chunk_tokens": int, "top_k": int}
# A configuration with another embedder or chunk size cannot reuse the main index.
INDEX_KEYS = ("embedder", "chunk_tokens")
SPEC_HINT = "Write e.g. --compare generator=extractive,generator=openai:gpt-4o-mini or --compare embedder=hashing."


@dataclass
class EvalConfig:
    name: str
    overrides: dict[str, Any] = field(default_factory=dict)

    def settings(self, base: Settings) -> Settings:
        return base.with_overrides(**self.overrides)

    def needs_own_index(self, base: Settings) -> bool:
        mine = self.settings(base)
        return any(getattr(mine, key) != getattr(base, key) for key in INDEX_KEYS)


def parse_compare(specs: list[str]) -> list[EvalConfig]:
    configs: list[EvalConfig] = []
    for spec in specs:
        current: dict[str, Any] = {}
        for item in (part.strip() for part in spec.split(",")):
            if not item:
                continue
            key, value = _pair(item, spec)
            if key in current:
                configs.append(_config(current))
                current = {}
            current[key] = value
        if current:
            configs.append(_config(current))
    return configs


def _pair(item: str, spec: str) -> tuple[str, Any]:
    key, sep, value = item.partition("=")
    key, value = key.strip().replace("-", "_"), value.strip()
    if not sep or not value:
        raise InputError(f"--compare {spec!r}: {item!r} is not key=value.", SPEC_HINT)
    if key not in KEYS:
        raise InputError(f"--compare {spec!r}: unknown key {key!r}.", f"Keys: {', '.join(KEYS)}.")
    if KEYS[key] is int:
        if not value.isdigit():
            raise InputError(f"--compare {spec!r}: {key} must be a whole number.", SPEC_HINT)
        return key, int(value)
    return key, value


def _config(overrides: dict[str, Any]) -> EvalConfig:
    return EvalConfig(",".join(f"{k}={v}" for k, v in overrides.items()), dict(overrides))


def effective(settings: Settings) -> dict[str, Any]:
    """The settings an evaluation depends on (recorded with every run)."""
    return {
        "generator": settings.generator,
        "embedder": settings.embedder,
        "chunk_tokens": settings.chunk_tokens,
        "top_k": settings.top_k,
        "index": str(settings.index_dir),
    }


def compare_index_dir(base: Settings, config: EvalConfig) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", config.name).strip("-") or "config"
    # Absolute: the store compares version folders with the resolved `current` link when cleaning up.
    return Path(f"{base.index_dir.resolve()}-compare-{safe}")


def posts_for_compare(base: Settings, posts: list[Path] | None) -> list[Path]:
    """The posts a compare index is built from: --posts, else the main index's recorded roots."""
    if posts:
        return posts
    from rag.store import read_index

    roots = [Path(r) for r in read_index(base.index_dir).manifest.get("roots", [])]
    if not roots or not all(r.exists() for r in roots):
        raise InputError(
            f"Cannot tell which posts built {base.index_dir} (manifest roots: {roots or 'none'}).",
            "Pass the post folders with --posts so the compare index can be built from them.",
        )
    return roots


def prepare(base: Settings, config: EvalConfig, posts: list[Path] | None) -> tuple[Settings, bool]:
    """The settings `config` runs with, and whether they point at an index of its own (to be built)."""
    settings = config.settings(base)
    if not config.needs_own_index(base):
        return settings, False
    own = settings.with_overrides(index_dir=compare_index_dir(base, config), posts=posts_for_compare(base, posts))
    return own, True
