"""Text-fragment directives: encoding (Chinese, commas, dashes, ampersands), the start,end form for
long or multi-line quotes, markup the page does not show, and terms that point at this quote."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from rag.textfragments import encode_term, text_directive, visible_blocks, with_text_fragment

# Only letters, digits, `_.~` and percent escapes may appear in a term: the syntax characters
# `-`, `,` and `&` (and everything else) must be encoded.
ENCODED_TERM = re.compile(r"^(?:[A-Za-z0-9_.~]|%[0-9A-F]{2})+$")
CJK = re.compile(r"[\u4e00-\u9fff]")


def terms(directive: str | None) -> list[str]:
    assert directive is not None and directive.startswith("text=")
    raw = directive.removeprefix("text=").split(",")
    assert all(ENCODED_TERM.match(term) for term in raw), raw
    return [unquote(term) for term in raw]


def directive_for(text: str, quote: str) -> str | None:
    start = text.index(quote)
    return text_directive(text, start, start + len(quote))


def test_a_short_english_quote_is_matched_whole() -> None:
    text = "# Intro\n\nRedis keys expire after their TTL.\n"
    assert terms(directive_for(text, "Redis keys expire after their TTL.")) == ["Redis keys expire after their TTL."]


def test_commas_dashes_and_ampersands_are_encoded() -> None:
    quote = "Q&A, re-run: 50% off - now"
    directive = directive_for(f"Intro.\n{quote}\n", quote)
    assert directive == "text=Q%26A%2C%20re%2Drun%3A%2050%25%20off%20%2D%20now"
    assert terms(directive) == [quote]


def test_a_long_english_quote_uses_start_and_end_terms() -> None:
    quote = (
        "The scheduler places pods on nodes, weighing requests, limits and affinity rules - "
        "then the kubelet on each node starts the containers & reports back."
    )
    text = f"# Scheduling\n\nSome context first. {quote} And more after.\n"
    head, tail = terms(directive_for(text, quote))
    assert quote.startswith(head) and quote.endswith(tail) and len(head) + len(tail) < len(quote)
    # About four words each; "&" is no word, so the end term takes one more.
    assert head == "The scheduler places pods" and tail == "the containers & reports back."


def test_a_chinese_quote_is_utf8_percent_encoded_and_cut_at_clause_boundaries() -> None:
    quote = (
        "该奖项是云原生社区最高级别的个人荣誉，旨在嘉奖通过技术贡献、社区治理与生态推动对云原生领域产生持久影响的成员。"
    )
    text = f"# 获奖\n\n{quote}\n"
    directive = directive_for(text, quote)
    assert directive is not None and "%E8%AF%A5" in directive  # 该 as UTF-8
    head, tail = terms(directive)
    assert quote.startswith(head) and quote.endswith(tail)
    assert 8 <= len(head) < len(quote) and 8 <= len(tail) < len(quote)
    # Inside a run of Chinese characters only the browser's dictionary knows the words: cut between runs.
    assert not CJK.match(quote[len(head)]) and not CJK.match(quote[len(quote) - len(tail) - 1])
    short = "王泽锋获得了终身成就奖。"
    assert terms(directive_for(f"{short}\n", short)) == [short]


def test_a_chinese_term_never_ends_inside_a_run_of_characters() -> None:
    # jieba reads 通常|是指|在, Chromium's ICU dictionary 通常|是|指在: a term ending in 是指 matched
    # nothing in Chromium. Only the comma is a boundary both agree on.
    quote = "弹性伸缩，通常是指在计算资源方面，系统能够按照负载自动增减实例数量的能力。"
    head, tail = terms(directive_for(f"{quote}\n", quote))
    assert (head, tail) == ("弹性伸缩，通常是指在计算资源方面", "系统能够按照负载自动增减实例数量的能力。")


def test_a_mixed_quote_with_a_chinese_comma_and_dash() -> None:
    quote = "Kubernetes（简称 K8s）是一个开源的容器编排平台，支持 rolling-update、自动扩缩容和服务发现等功能。"
    head, tail = terms(directive_for(f"前言。\n\n{quote}\n", quote))
    assert quote.startswith(head) and quote.endswith(tail)


def test_list_bullets_headings_and_code_marks_never_start_or_end_a_term() -> None:
    text = "## Steps\n\n- Install the `redis` package first\n- Then set `maxmemory` in redis.conf\n"
    quote = text[text.index("- Install") :].rstrip()
    head, tail = terms(directive_for(text, quote))  # two list items: two blocks, so start,end
    assert head == "Install the redis package" and tail == "set maxmemory in redis.conf"
    assert terms(directive_for("# Heading\n\n# Big title here\n", "# Big title here")) == ["Big title here"]


def test_code_fences_wrapped_code_spans_and_bare_list_numbers_are_not_text() -> None:
    text = "- Add the chart repository\n```shell\nhelm repo add charts\n```\n"
    assert visible_blocks(text) == ["Add the chart repository", "helm repo add charts"]
    wrapped = 'Replace `feature = "x"` with `feature =\n   "y-z"` everywhere.'
    assert visible_blocks(wrapped) == ['Replace feature = "x" with feature =', '"y-z" everywhere.']
    assert visible_blocks("2.\n#\n") == []
    assert visible_blocks("Rust 1.57 brings `panic!") == ["Rust 1.57 brings panic!"]  # a span the splitter cut


def test_table_rows_become_cells() -> None:
    text = "| name | seats |\n|---|---|\n| technical oversight committee | eleven |\n"
    assert visible_blocks(text) == ["name", "seats", "technical oversight committee", "eleven"]
    head, tail = terms(directive_for(text, text.strip()))
    assert (head, tail) == ("name", "eleven")


def test_the_start_term_grows_until_it_points_at_this_quote() -> None:
    earlier = "The cache layer keeps hot keys in memory for speed."
    quote = "The cache layer keeps hot keys in memory and writes cold keys to disk on a schedule each night."
    head, tail = terms(directive_for(f"{earlier}\n\n{quote}\n", quote))
    assert head.startswith("The cache layer keeps hot keys in memory") and head != "The cache layer keeps"
    assert quote.startswith(head) and quote.endswith(tail)


def test_the_end_term_is_not_matched_early_inside_the_quote() -> None:
    quote = "Every night the job runs on each node. After a while the job runs on each node."
    head, tail = terms(directive_for(f"{quote}\n", quote))
    # "runs on each node." first matches mid-quote; with "job" it matches only after the start term.
    assert tail == "job runs on each node." and head == "Every night the job"
    assert quote.find(tail, len(head)) == len(quote) - len(tail)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://b.example/p/", "https://b.example/p/#:~:text=Short%20quote%20here."),
        ("https://b.example/p/#section", "https://b.example/p/#section:~:text=Short%20quote%20here."),
        (None, None),
    ],
)
def test_with_text_fragment(url: str | None, expected: str | None) -> None:
    text = "Short quote here."
    assert with_text_fragment(url, text, 0, len(text)) == expected


def test_nothing_quotable_leaves_the_url_alone() -> None:
    text = "|---|---|\n- \n"
    assert with_text_fragment("https://b.example/p/", text, 0, len(text)) == "https://b.example/p/"


def test_encode_term_leaves_only_unreserved_characters() -> None:
    assert encode_term("a-b,c&d e~f_g.h") == "a%2Db%2Cc%26d%20e~f_g.h"
