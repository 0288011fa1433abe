from __future__ import annotations

import pytest

from rag.errors import InputError
from rag.inputs import check_day, check_text, clean_text, day_problem, describe_unusable, safe_url
from rag.types import Post


def test_unusable_text_is_found_and_named() -> None:
    assert describe_unusable("fine 文本 😀") is None
    assert describe_unusable("ab\x00") == "a NUL character at character 3"
    assert describe_unusable("\ud800") == "an unpaired surrogate \\ud800 at character 1"
    with pytest.raises(InputError, match="question contains an unpaired surrogate") as caught:
        check_text("x\udcff", "question")
    assert "UTF-8" in caught.value.hint
    str(caught.value).encode("utf-8")  # the message itself must be printable


def test_clean_text_makes_any_string_encodable() -> None:
    assert clean_text("a\x00b\ud800c") == "ab\ufffdc"
    assert clean_text("plain") == "plain"
    clean_text("".join(chr(c) for c in range(0xD7F0, 0xE010))).encode("utf-8")


@pytest.mark.parametrize("value", ["2024/01/01", "24-01-01", "2024-1-1", "20240101", "2024-02-30", "next week"])
def test_bad_days_say_what_is_expected(value: str) -> None:
    problem = day_problem(value)
    assert problem is not None and "YYYY-MM-DD" in problem and "2024-03-01" in problem
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        check_day(value, "'after'")


def test_good_days_pass() -> None:
    assert day_problem("2024-02-29") is None
    assert check_day(None, "'after'") is None


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://blog.example/post/", True),
        ("HTTP://blog.example/p", True),
        ("javascript:alert(1)", False),
        (" JavaScript:alert(1)", False),
        ("data:text/html,<script>x</script>", False),
        ("vbscript:msgbox", False),
        ("/relative/path/", False),
        ("https:///no-host", False),
        ("http://[::1", False),
        ("", False),
        (None, False),
    ],
)
def test_only_web_urls_survive(url: str | None, kept: bool) -> None:
    assert (safe_url(url) is not None) is kept


def test_posts_from_old_indexes_lose_script_urls() -> None:
    data = Post("a.md", "A", "text", url="javascript:steal()").to_dict()
    data["url"] = "javascript:steal()"
    assert Post.from_dict(data).url is None
