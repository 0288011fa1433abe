"""Bytes to text: blogs come in UTF-8, UTF-8 with BOM, UTF-16 from Windows editors, and GBK/GB18030.

The order of attempts matters. Strict UTF-8 first, because random bytes are almost never valid UTF-8,
so a success is trustworthy. GB18030 second, because Chinese blogs exported from older tools use
GBK, and a statistical detector guesses those worse than a strict decode does. charset-normalizer
last, for everything else (Big5, Shift-JIS, Latin-1, ...).
"""

from __future__ import annotations

import codecs
import unicodedata

from charset_normalizer import from_bytes

from rag.errors import LoadError

# Longest first: the UTF-32-LE BOM starts with the UTF-16-LE BOM.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SNIFF = 8192  # bytes inspected for binary content; enough to catch images, archives, executables
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\f\v\x1b")
_MAX_CONTROL_SHARE = 0.10
_CODEPAGE_TIE = 0.1  # chaos difference within which two code-page guesses count as equally good
_MAX_REPLACEMENT_SHARE = 0.005  # "mostly UTF-8": a few stray bytes from a bad copy-paste
_ZERO_WIDTH_LEADERS = "\ufeff\u200b"

_BINARY_HINT = "Only text posts (.md, .markdown, .html, .htm, .txt) can be indexed; remove or rename this file."
_DECODE_HINT = "Re-save the file as UTF-8 (most editors: 'Save with encoding' > UTF-8)."


def decode(data: bytes) -> str:
    """Decode a post's bytes to text with LF line endings; raise LoadError for binary or undecodable data."""
    text = _decode_with_bom(data)
    if text is None:
        _reject_binary(data)
        text = _decode_without_bom(data)
    text = text.lstrip(_ZERO_WIDTH_LEADERS).replace("\x00", "")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode_with_bom(data: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                raise LoadError(
                    f"file starts with a {encoding} byte-order mark but is not {encoding}", _DECODE_HINT
                ) from exc
    return None


def _reject_binary(data: bytes) -> None:
    """NUL bytes or many control characters mean an image, archive or other binary file named like a post."""
    head = data[:_SNIFF]
    if b"\x00" in head:
        raise LoadError("file looks binary (it contains NUL bytes)", _BINARY_HINT)
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    if head and controls / len(head) > _MAX_CONTROL_SHARE:
        raise LoadError("file looks binary (too many control characters)", _BINARY_HINT)


def _decode_without_bom(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    gb = _try_gb18030(data)
    if gb is not None:
        return gb
    mostly_utf8 = data.decode("utf-8", errors="replace")
    if mostly_utf8.count("\ufffd") <= max(1, len(mostly_utf8) * _MAX_REPLACEMENT_SHARE):
        return mostly_utf8
    return _detect(data)


def _detect(data: bytes) -> str:
    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        raise LoadError("cannot work out the file's text encoding", _DECODE_HINT)
    # Single-byte code pages often tie (cp1257 vs cp1252 for French); prefer the common Western one.
    for match in matches:
        if match.encoding == "cp1252" and match.chaos <= best.chaos + _CODEPAGE_TIE:
            return str(match)
    return str(best)


def _try_gb18030(data: bytes) -> str | None:
    """GB18030 decodes many non-Chinese byte strings too, so accept it only if the result reads as Chinese."""
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return None
    non_ascii = [ch for ch in text if ord(ch) > 127]
    if not non_ascii:
        return text
    cjk = sum(1 for ch in non_ascii if _is_cjk_or_punct(ch))
    return text if cjk / len(non_ascii) >= 0.9 else None


def _is_cjk_or_punct(ch: str) -> bool:
    code = ord(ch)
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x3000 <= code <= 0x303F:
        return True
    if 0x20000 <= code <= 0x3FFFF:  # CJK extensions B-H: GB18030 four-byte characters
        return True
    if 0xFF00 <= code <= 0xFFEF:  # full-width forms: ，（）：
        return True
    return unicodedata.category(ch).startswith(("P", "S", "Z"))
