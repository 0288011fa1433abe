"""split_front_matter() and normalise_metadata(): YAML, TOML, HTML-comment front matter, and key mapping."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from rag.loading.frontmatter import WARNING_KEY, normalise_metadata, split_front_matter
from rag.loading.metadata import parse_date

POST = Path("blog/posts/my-post.md")


def meta_of(front: dict[str, Any], body: str = "Some body text.", path: Path = POST) -> dict[str, Any]:
    return normalise_metadata(front, path, body)


# --- split_front_matter --------------------------------------------------------------------------


def test_yaml_front_matter() -> None:
    meta, body = split_front_matter("---\ntitle: Hello\ntags: [a, b]\n---\n\nBody here.\n")
    assert meta == {"title": "Hello", "tags": ["a", "b"]}
    assert body.strip() == "Body here."


def test_yaml_after_bom_and_blank_lines() -> None:
    meta, body = split_front_matter("\ufeff\n\n  \n---\ntitle: Late start\n---\nBody")
    assert meta["title"] == "Late start"
    assert body == "Body"


def test_keys_are_case_insensitive() -> None:
    meta, _ = split_front_matter("---\nTitle: T\ncreateTime: '2022-01-28'\npubDate: x\n---\nb")
    assert set(meta) == {"title", "createtime", "pubdate"}


def test_yaml_datetime_values_survive() -> None:
    meta, _ = split_front_matter("---\ndate: 2021-02-22 10:36:24 +08:00\n---\nb")
    assert isinstance(meta["date"], datetime)


def test_malformed_yaml_keeps_body_and_warns() -> None:
    meta, body = split_front_matter('---\ntitle: "unterminated\ntags: [a\n---\n\n# Heading\n\nText.')
    assert set(meta) == {WARNING_KEY}
    assert "YAML" in meta[WARNING_KEY]
    assert body.strip() == "# Heading\n\nText."


def test_yaml_that_is_not_a_mapping_warns() -> None:
    meta, body = split_front_matter("---\ntitle: x\n- item\n---\nBody")
    assert WARNING_KEY in meta
    assert body == "Body"


def test_leading_horizontal_rule_is_not_front_matter() -> None:
    text = "---\n\nJust a post that starts with a rule.\n\n---\n\nMore text."
    assert split_front_matter(text) == ({}, text)


def test_toml_front_matter() -> None:
    text = '+++\npath = "2026/03/26/x"\ntitle = "Zola"\n[extra]\nteam = "T"\n+++\n\nBody.'
    meta, body = split_front_matter(text)
    assert meta["title"] == "Zola"
    assert meta["extra"] == {"team": "T"}
    assert body.strip() == "Body."


def test_toml_dates_are_parsed() -> None:
    meta, _ = split_front_matter("+++\ndate = 2020-05-06\n+++\nb")
    assert meta["date"] == date(2020, 5, 6)


def test_malformed_toml_keeps_body_and_warns() -> None:
    meta, body = split_front_matter('+++\ntitle = "no end\n+++\nBody stays.')
    assert WARNING_KEY in meta and "TOML" in meta[WARNING_KEY]
    assert body == "Body stays."


def test_html_comment_front_matter() -> None:
    text = "<!--\ntitle: Kubernetes：从集市联邦到AI新纪元\ncover: https://x/y.jpg\n-->\n\nBody."
    meta, body = split_front_matter(text)
    assert meta["title"] == "Kubernetes：从集市联邦到AI新纪元"
    assert meta["cover"] == "https://x/y.jpg"
    assert body.strip() == "Body."


def test_html_comment_with_colons_in_values_falls_back_to_lines() -> None:
    meta, _ = split_front_matter("<!--\ntitle: Rust: a history\ndate: 2020-01-02\n-->\nBody")
    assert meta["title"] == "Rust: a history"
    assert meta["date"] == "2020-01-02"


def test_ordinary_leading_comment_is_left_alone() -> None:
    text = "<!-- TODO: fix the intro paragraph before publishing -->\nBody"
    assert split_front_matter(text) == ({}, text)


def test_no_front_matter() -> None:
    assert split_front_matter("# Title\n\nText") == ({}, "# Title\n\nText")


# --- normalise_metadata: title -------------------------------------------------------------------


def test_title_from_meta_is_plain_text() -> None:
    assert meta_of({"title": "  A &amp; <b>B</b>\n title "})["title"] == "A & B title"


def test_title_from_leading_heading() -> None:
    assert meta_of({}, "## Intro heading\n\nText")["title"] == "Intro heading"


def test_title_prefers_h1_over_first_line_only_if_h1() -> None:
    body = "First line of prose.\n\n## Section\n\ntext"
    assert meta_of({}, body)["title"] == "First line of prose."
    assert meta_of({}, "Intro.\n\n# Real Title\n")["title"] == "Real Title"


def test_title_ignores_headings_in_code() -> None:
    body = "```sh\n# install deps\n```\n\nPlain words first."
    assert meta_of({}, body)["title"] == "Plain words first."


def test_long_first_line_is_trimmed() -> None:
    title = meta_of({}, "word " * 60)["title"]
    assert len(title) <= 81 and title.endswith("…")
    assert meta_of({}, "中" * 200)["title"] == "中" * 80 + "…"


def test_title_falls_back_to_file_stem() -> None:
    assert meta_of({}, "")["title"] == "my-post"


# --- normalise_metadata: date --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-02-22 10:36:24 +0800", "2021-02-22"),
        ("2025-11-14T00:42:57Z", "2025-11-14"),
        ("2022-01-28", "2022-01-28"),
        ("2021/2/3", "2021-02-03"),
        ("2021年3月5日", "2021-03-05"),
        ("20210305", "2021-03-05"),
        ("March 5, 2021", "2021-03-05"),
        ("5 Mar 2021", "2021-03-05"),
        ("Tue, 10 Jun 2003 04:00:00 GMT", "2003-06-10"),
        (datetime(2020, 1, 2, 23, 59, tzinfo=timezone(timedelta(hours=8))), "2020-01-02"),
        (date(2019, 12, 31), "2019-12-31"),
        (["not a date", "2018-08-08"], "2018-08-08"),
        ("2021-02-30", None),
        ("soon", None),
        ("", None),
        (True, None),
        (None, None),
        (42, None),
        ({"a": 1}, None),
    ],
)
def test_parse_date(value: Any, expected: str | None) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize("key", ["date", "pubDate", "published", "createTime", "created", "updated"])
def test_date_keys(key: str) -> None:
    meta, _ = split_front_matter(f"---\n{key}: 2023-07-08\n---\nb")
    assert meta_of(meta)["date"] == "2023-07-08"


def test_publication_date_beats_update_date() -> None:
    assert meta_of({"updated": "2024-01-01", "date": "2020-01-01"})["date"] == "2020-01-01"


def test_date_from_zola_path() -> None:
    assert meta_of({"path": "2026/03/26/announcing"})["date"] == "2026-03-26"


def test_date_from_jekyll_file_name_and_folders() -> None:
    assert meta_of({}, path=Path("_posts/2019-07-04-independence.md"))["date"] == "2019-07-04"
    assert meta_of({}, path=Path("archive/2017/05/09/post.md"))["date"] == "2017-05-09"
    assert meta_of({}, path=Path("1.94.1-release.md"))["date"] is None


def test_unparseable_date_is_none_not_an_error() -> None:
    assert meta_of({"date": "sometime in spring"})["date"] is None


# --- normalise_metadata: tags, author, url, slug, draft, language ---------------------------------


def test_tags_union_split_dedupe_and_drop_empty() -> None:
    meta = {
        "tags": ["架构", "", "  ", "Kubernetes"],
        "tag": "社区动态，云原生, kubernetes",
        "categories": [["nested"]],
        "category": "属性",
        "keywords": "AKS, EKS, AKS",
    }
    assert meta_of(meta)["tags"] == [
        "架构",
        "Kubernetes",
        "社区动态",
        "云原生",
        "nested",
        "属性",
        "AKS",
        "EKS",
    ]


def test_tags_from_zola_taxonomies() -> None:
    assert meta_of({"taxonomies": {"tags": ["rust"], "categories": ["news"]}})["tags"] == ["rust", "news"]


def test_tags_of_odd_types() -> None:
    assert meta_of({"tags": None})["tags"] == []
    assert meta_of({"tags": 2021})["tags"] == ["2021"]
    assert meta_of({"tags": {"a": 1}})["tags"] == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Jane Doe", "Jane Doe"),
        (["Aaron Turon", "Niko"], "Aaron Turon, Niko"),
        ({"name": "Ann", "url": "https://x"}, "Ann"),
        ([], None),
        ("", None),
    ],
)
def test_author(value: Any, expected: str | None) -> None:
    assert meta_of({"author": value})["author"] == expected
    assert meta_of({"authors": value})["author"] == expected


def test_url_keys() -> None:
    assert meta_of({"permalink": "https://b/x/"})["url"] == "https://b/x/"
    assert meta_of({"canonical": "https://b/y/"})["url"] == "https://b/y/"
    assert meta_of({"link": ["not", "a", "string"]})["url"] is None
    assert meta_of({})["url"] is None


def test_slug() -> None:
    assert meta_of({"slug": "custom"})["slug"] == "custom"
    assert meta_of({})["slug"] == "my-post"
    assert meta_of({}, path=Path("content/my-bundle/index.md"))["slug"] == "my-bundle"


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ({"draft": True}, True),
        ({"draft": "true"}, True),
        ({"draft": "Yes"}, True),
        ({"draft": "no"}, False),
        ({"draft": False}, False),
        ({"published": False}, True),
        ({"status": "draft"}, True),
        ({"status": "Completed"}, False),
        ({}, False),
    ],
)
def test_draft(meta: dict[str, Any], expected: bool) -> None:
    assert meta_of(meta)["draft"] is expected


def test_hugo_toml_draft() -> None:
    meta, _ = split_front_matter("+++\ndraft = true\n+++\nb")
    assert meta_of(meta)["draft"] is True


def test_language_detection() -> None:
    assert meta_of({}, "云原生是一种构建和运行应用程序的方法。")["language"] == "zh"
    assert meta_of({}, "Cloud native is a way to build and run applications.")["language"] == "en"
    # A Chinese post full of English product names is still Chinese.
    mixed = "我们使用 Kubernetes、Prometheus 和 Grafana 搭建了监控平台，效果很好。"
    assert meta_of({}, mixed)["language"] == "zh"


def test_language_ignores_code_blocks() -> None:
    body = "这是一篇中文文章，介绍部署方法。\n\n```python\n" + "def deploy(cluster): pass\n" * 30 + "```\n"
    assert meta_of({}, body)["language"] == "zh"


def test_language_from_meta() -> None:
    assert meta_of({"lang": "zh-CN"}, "English words only.")["language"] == "zh"
    assert meta_of({"language": "en_US"}, "中文内容")["language"] == "en"


def test_multiline_comment_without_post_fields_is_not_front_matter() -> None:
    text = "<!--\nTODO: rewrite this\nNOTE: ask Bob\n-->\nBody"
    assert split_front_matter(text) == ({}, text)


def test_yaml_alias_bomb_in_tags_is_bounded() -> None:
    lines = ["---", 'a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for level in range(1, 12):
        prev = chr(ord("a") + level - 1)
        name = chr(ord("a") + level)
        lines.append(
            f"{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]"
        )
    lines += ["tags: *l", "---", "Body"]
    meta, _ = split_front_matter("\n".join(lines))
    assert meta_of(meta)["tags"] in ([], ["x"])  # returns at once instead of walking 9**12 items


def test_epoch_timestamps() -> None:
    assert parse_date(1_600_000_000) == "2020-09-13"
    assert parse_date(1_600_000_000_000) == "2020-09-13"
    assert parse_date(10**30) is None
