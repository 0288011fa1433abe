"""Author keys: Docusaurus posts say `authors: ["key"]` and name the person in `authors.yml`.

The authors file sits in the posts root (the folder given to ingest). Each key maps to a table
with a `name`; a key with no entry, or an entry without a name, is kept as written. A missing or
broken file resolves nothing and never stops an ingest.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

__all__ = ["AUTHOR_FILES", "read_author_names", "resolve_author_keys"]

log = logging.getLogger(__name__)

AUTHOR_FILES = ("authors.yml", "authors.yaml")
_KEYED_FIELD = "authors"  # the singular `author` holds a name, never a key


def read_author_names(root: Path) -> dict[str, str]:
    """Key -> display name from the first authors file in `root`; {} when there is none or it is unreadable."""
    for name in AUTHOR_FILES:
        path = root / name
        if _is_file(path):
            return _names(_parse(path))
    return {}


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # e.g. a root the user may not list
        return False


def _parse(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError) as exc:
        log.warning("%s: authors file ignored (%s)", path, type(exc).__name__)
        return None


def _names(data: Any) -> dict[str, str]:
    if not isinstance(data, dict):
        return {}
    names: dict[str, str] = {}
    for key, entry in data.items():
        name = entry.get("name") if isinstance(entry, dict) else None
        if isinstance(name, str) and name.strip():
            names[str(key)] = name.strip()
    return names


def resolve_author_keys(meta: dict[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """`meta` with every known key in its `authors` field replaced by that author's name."""
    value = meta.get(_KEYED_FIELD)
    if not names or value is None:
        return meta
    items = list(value) if isinstance(value, list | tuple) else [value]
    resolved = [names.get(item, item) if isinstance(item, str) else item for item in items]
    return {**meta, _KEYED_FIELD: resolved}
