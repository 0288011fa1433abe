"""html_to_text(), looks_like_html() and html_metadata()."""

from __future__ import annotations

import re

import pytest

from rag.loading.html import html_metadata, html_to_text, looks_like_html, parse_html

TAG = re.compile(r"<[a-zA-Z/][^>]*>")


def test_inline_tags_do_not_split_words() -> None:
    assert html_to_text("<p>Kube<b>rnetes</b> and <a href='#'>Pro</a><em>metheus</em></p>") == (
        "Kubernetes and Prometheus"
    )


def test_chinese_gets_no_spaces_from_source_wrapping() -> None:
    html = (
        "<p>\n  云原生\n  <a href='x'>\n   计算基金会\n  </a>\n</p><p><strong>\n张磊\n</strong>\n：我目前在阿里云</p>"
    )
    assert html_to_text(html) == "云原生计算基金会\n\n张磊：我目前在阿里云"
    # Between Chinese and Latin text a source line break is an ordinary space.
    assert html_to_text("<p>使用\n<code>kubectl</code>\n命令</p>") == "使用 kubectl 命令"


def test_spaces_between_latin_words_are_kept_but_collapsed() -> None:
    assert html_to_text("<p>one\n   two\t\tthree</p>") == "one two three"


def test_headings_paragraphs_and_br() -> None:
    html = "<h1>Title</h1><p>First<br>line two</p><h3>Sub <code>x</code></h3><p>Last</p>"
    assert html_to_text(html) == "# Title\n\nFirst\nline two\n\n### Sub x\n\nLast"


def test_lists_and_nested_lists() -> None:
    html = "<ul><li>one</li><li>two<ul><li>two.a</li></ul></li></ul><ol><li>first</li></ol><p>after</p>"
    assert html_to_text(html) == "- one\n- two\n  - two.a\n\n- first\n\nafter"


def test_table_rows() -> None:
    html = "<table><thead><tr><th>Name</th><th>Role</th></tr></thead><tr><td><p>Ann</p></td><td>Dev</td></tr></table>"
    assert html_to_text(html) == "| Name | Role |\n| Ann | Dev |"


def test_pre_becomes_fenced_code_with_whitespace_kept() -> None:
    html = (
        '<p>Code:</p><pre><code class="language-rust">fn main() {\n    let v: Vec&lt;u8&gt; = vec![];\n}</code></pre>'
    )
    assert html_to_text(html) == "Code:\n\n```rust\nfn main() {\n    let v: Vec<u8> = vec![];\n}\n```"


@pytest.mark.parametrize(
    "element",
    [
        "<script>var secret = 1;</script>",
        "<style>.secret { color: red }</style>",
        "<noscript>secret</noscript>",
        "<nav>secret</nav>",
        "<header>secret</header>",
        "<footer>secret</footer>",
        "<aside>secret</aside>",
        "<form>secret <input value='x'></form>",
        "<button>secret</button>",
        "<iframe src='x'>secret</iframe>",
        "<template>secret</template>",
        "<svg><text>secret</text></svg>",
        '<div class="sidebar">secret</div>',
        '<div id="related-posts">secret</div>',
        '<div class="comment-list">secret</div>',
        '<ul class="breadcrumb"><li>secret</li></ul>',
        '<div class="social-share">secret</div>',
        '<div class="tags-box">secret</div>',
        '<div class="article-info">secret</div>',
        '<div class="copyright">secret</div>',
        '<div class="ads">secret</div>',
        '<div id="mainMenu">secret</div>',
        '<p style="display: none">secret</p>',
        "<p hidden>secret</p>",
        '<span aria-hidden="true">secret</span>',
    ],
)
def test_chrome_and_non_content_is_dropped(element: str) -> None:
    text = html_to_text(f"<body><article><p>Real content stays here.</p>{element}</article></body>")
    assert "secret" not in text
    assert "Real content stays here." in text


def test_chrome_words_match_whole_words_only() -> None:
    html = '<div class="downloads"><p>Downloads section.</p></div><div class="canvas-wrapper"><p>Drawing.</p></div>'
    assert html_to_text(html) == "Downloads section.\n\nDrawing."


def test_wrapper_with_chrome_class_holding_the_article_is_kept() -> None:
    html = '<body><div class="layout-with-sidebar"><p>The whole article lives in here.</p></div></body>'
    assert html_to_text(html) == "The whole article lives in here."


def test_article_header_with_title_is_kept() -> None:
    html = "<body><header>Site name</header><article><header><h1>Post title</h1></header><p>Body.</p></article></body>"
    assert html_to_text(html) == "# Post title\n\nBody."


def test_img_with_onerror_leaves_nothing() -> None:
    text = html_to_text('<p>before<img src=x onerror="alert(1)">after</p>')
    assert text == "beforeafter"


def test_comments_are_not_text() -> None:
    assert html_to_text("<p>a<!-- hidden comment -->b</p>") == "ab"


def test_entities_are_decoded() -> None:
    assert html_to_text("<p>A &amp; B&nbsp;C &lt;3</p>") == "A & B C <3"


def test_output_has_no_tags() -> None:
    html = "<div><section><p>One <span>two</span></p><blockquote>three</blockquote></section></div>"
    assert not TAG.search(html_to_text(html))


@pytest.mark.parametrize(
    "text",
    [
        '<div class="blog-content-box">\n <h1>Title</h1>\n <p>Text</p>\n</div>',
        "<!DOCTYPE html>\n<html><body><p>x</p></body></html>",
        "\n\n  <article>\n<p>Body</p>\n</article>",
        "<p>Paragraph one.</p>\n<p>Paragraph two.</p>",
    ],
)
def test_looks_like_html(text: str) -> None:
    assert looks_like_html(text)


@pytest.mark.parametrize(
    "text",
    [
        "# Title\n\nPlain Markdown with <b>inline</b> HTML.",
        "Intro line.\n\n<div>\n<table><tr><td>a</td></tr></table>\n</div>\n<div>\n<p>x</p>\n</div>",
        '<div class="note">\n\nThe **All Hands** is in May. [Register][form].\n\n</div>\n\nSee [it](s).\n\n`x`.',
        '<p align="center"><img src="logo.png"></p>\n\n# Project\n\n- item\n- item\n\n## Usage\n\n```sh\nrun\n```',
        "",
    ],
)
def test_does_not_look_like_html(text: str) -> None:
    assert not looks_like_html(text)


def test_html_metadata() -> None:
    soup = parse_html(
        '<html lang="en"><head><title>Post | Blog</title><meta name="author" content="Sam">'
        '<meta name="keywords" content="a, b"><meta property="article:published_time" content="2024-06-01">'
        '<meta property="article:tag" content="redis"><meta property="article:tag" content="cache">'
        '<link rel="canonical" href="https://b/post/"></head><body><p>x</p></body></html>'
    )
    assert html_metadata(soup) == {
        "html_title": "Post | Blog",
        "author": "Sam",
        "keywords": "a, b",
        "date": "2024-06-01",
        "url": "https://b/post/",
        "lang": "en",
        "tags": ["redis", "cache"],
    }


def test_html_metadata_time_element_and_empty_page() -> None:
    soup = parse_html('<article><time datetime="2020-02-02T10:00">Feb 2</time><p>x</p></article>')
    assert html_metadata(soup) == {"date": "2020-02-02T10:00"}
    assert html_metadata(parse_html("")) == {}
