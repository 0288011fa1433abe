"""Front matter: split it off the body, and turn whatever keys a blog engine uses into Post metadata.

Supported: YAML between `---` lines (Jekyll, Hugo, Hexo, ...), TOML between `+++` lines (Hugo, Zola),
and `key: value` lines inside a leading HTML comment (hand-written and scraped posts). A block that
fails to parse costs the post its metadata, never its text: the block is still removed from the
body and a warning is returned under the key "_warning".
"""

from __future__ import annotations

import logging
import re
import tomllib
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler

from rag.loading.metadata import normalise_metadata

__all__ = ["WARNING_KEY", "normalise_metadata", "split_front_matter"]

log = logging.getLogger(__name__)

WARNING_KEY = "_warning"

_TOML_BLOCK = re.compile(r"\A\+\+\+[ \t]*\n(.*?)^\+\+\+[ \t]*$\n?", re.DOTALL | re.MULTILINE)
_YAML_BLOCK = re.compile(r"\A-{3,}[ \t]*\n(.*?)^(?:-{3,}|\.{3})[ \t]*$\n?", re.DOTALL | re.MULTILINE)
_COMMENT_BLOCK = re.compile(r"\A<!--(.*?)-->[ \t]*\n?", re.DOTALL)
_KEY_LINE = re.compile(r"^\s*[A-Za-z_][\w.-]*\s*:(\s|$)")
_COMMENT_FIELDS = frozenset({"title", "date", "tags", "tag", "categories", "author", "summary", "slug"})
_LEADING_BLANK = re.compile(r"\A(?:[ \t\ufeff\u200b]*\n)+")


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Return (metadata with lower-cased keys, body). Never raises for malformed front matter."""
    text = _LEADING_BLANK.sub("", text.lstrip("\ufeff\u200b"))
    if text.startswith("+++"):
        return _split_toml(text)
    if text.startswith("---"):
        return _split_yaml(text)
    if text.startswith("<!--"):
        return _split_comment(text)
    return {}, text


def _split_toml(text: str) -> tuple[dict[str, Any], str]:
    match = _TOML_BLOCK.match(text)
    if match is None:
        return {}, text
    body = text[match.end() :]
    try:
        return _lower_keys(tomllib.loads(match.group(1))), body
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        return _broken("TOML", exc), body


def _split_yaml(text: str) -> tuple[dict[str, Any], str]:
    match = _YAML_BLOCK.match(text)
    if match is None or not _looks_like_mapping(match.group(1)):
        # A leading `---` with no key lines after it is a Markdown horizontal rule, not front matter.
        return {}, text
    body = text[match.end() :]
    try:
        data = YAMLHandler().load(match.group(1))
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        return _broken("YAML", exc), body
    if data is None:
        return {}, body
    if not isinstance(data, dict):
        return _broken("YAML", TypeError(f"expected key: value pairs, got {type(data).__name__}")), body
    return _lower_keys(data), body


def _split_comment(text: str) -> tuple[dict[str, Any], str]:
    match = _COMMENT_BLOCK.match(text)
    if match is None or not _looks_like_comment_metadata(match.group(1)):
        return {}, text  # an ordinary comment; the Markdown cleaner drops it
    body = text[match.end() :]
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        data = None
    if not isinstance(data, dict):
        # Comment front matter is an informal convention, not YAML by spec: values such as
        # "title: Caching: a primer" are common, so fall back to reading plain key: value lines.
        data = _key_value_lines(match.group(1))
    return _lower_keys(data), body


def _looks_like_mapping(block: str) -> bool:
    lines = [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        return block.strip() == ""
    keyed = sum(1 for line in lines if _KEY_LINE.match(line))
    return keyed >= 1 and (keyed / len(lines) >= 0.3 or _KEY_LINE.match(lines[0]) is not None)


def _looks_like_comment_metadata(block: str) -> bool:
    """A comment is front matter only if it spans lines and names a usual post field.

    Without that, `<!-- TODO: fix intro -->` would become metadata and vanish from review.
    """
    if "\n" not in block.strip() and not block.startswith("\n"):
        return False
    return _looks_like_mapping(block) and not _COMMENT_FIELDS.isdisjoint(_lower_keys(_key_value_lines(block)))


def _key_value_lines(block: str) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for line in block.splitlines():
        if _KEY_LINE.match(line):
            key, _, value = line.partition(":")
            data.setdefault(key.strip(), value.strip().strip("'\""))
    return data


def _lower_keys(data: dict[Any, Any]) -> dict[str, Any]:
    """Case-insensitive keys (`Title`, `createTime`): the first spelling of a key wins."""
    lowered: dict[str, Any] = {}
    for key, value in data.items():
        lowered.setdefault(str(key).strip().lower(), value)
    return lowered


def _broken(kind: str, exc: Exception) -> dict[str, Any]:
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    message = f"malformed {kind} front matter ignored ({first_line})"
    log.debug(message)
    return {WARNING_KEY: message}
