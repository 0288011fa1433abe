"""decode(): every encoding a blog archive is likely to contain, and rejection of binary files."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from rag.errors import LoadError
from rag.loading.encodings import decode

FIXTURES = Path(__file__).parents[1] / "fixtures" / "posts"
CHINESE = "云原生计算基金会（CNCF）正式宣布新一届技术监督委员会的改选结果。"


def test_plain_utf8() -> None:
    assert decode("Hello, 世界".encode()) == "Hello, 世界"


def test_utf8_bom_is_stripped() -> None:
    assert decode(codecs.BOM_UTF8 + b"---\ntitle: x\n") == "---\ntitle: x\n"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_with_bom(encoding: str) -> None:
    bom = {
        "utf-16-le": codecs.BOM_UTF16_LE,
        "utf-16-be": codecs.BOM_UTF16_BE,
        "utf-32-le": codecs.BOM_UTF32_LE,
        "utf-32-be": codecs.BOM_UTF32_BE,
    }[encoding]
    assert decode(bom + f"# 标题\r\n{CHINESE}".encode(encoding)) == f"# 标题\n{CHINESE}"


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_gbk_and_gb18030(encoding: str) -> None:
    assert decode(CHINESE.encode(encoding)) == CHINESE


def test_gb18030_four_byte_characters() -> None:
    text = "生僻字 𠮷 的博客文章"
    assert decode(text.encode("gb18030")) == text


def test_committed_gbk_fixture_decodes() -> None:
    data = (FIXTURES / "gbk-chinese.md").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the fixture really is GBK, not UTF-8
    assert "微服务拆分应当围绕业务能力进行" in decode(data)


def test_line_endings_are_normalised() -> None:
    assert decode(b"a\r\nb\rc\nd") == "a\nb\nc\nd"


def test_bom_crlf_fixture() -> None:
    text = decode((FIXTURES / "bom-crlf.md").read_bytes())
    assert text.startswith("---\ntitle: Windows Line Endings\n")
    assert "\r" not in text and "\ufeff" not in text


def test_western_codepage_falls_back_to_detection() -> None:
    text = "Le café crème à la française est déjà très apprécié. Voilà pourquoi les élèves préfèrent ce goût."
    assert decode(text.encode("cp1252")) == text


def test_mostly_utf8_keeps_the_text() -> None:
    data = ("正文内容。" * 200).encode() + b"\xff" + b" tail"
    text = decode(data)
    assert text.startswith("正文内容。") and text.endswith(" tail")
    assert text.count("\ufffd") == 1


def test_nul_bytes_mean_binary() -> None:
    with pytest.raises(LoadError) as info:
        decode(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert "binary" in info.value.message
    assert info.value.hint


def test_control_characters_mean_binary() -> None:
    with pytest.raises(LoadError, match="binary"):
        decode(bytes(range(1, 9)) * 50 + b"some text")


def test_tabs_and_form_feeds_are_not_binary() -> None:
    assert decode(b"col1\tcol2\n\fnext page") == "col1\tcol2\n\fnext page"


def test_bom_with_wrong_content_is_a_load_error() -> None:
    with pytest.raises(LoadError, match="byte-order mark"):
        decode(codecs.BOM_UTF8 + b"\xff\xfe\xfa broken")
