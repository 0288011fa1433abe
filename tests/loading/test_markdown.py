"""clean_markdown(): markup without words goes, words, structure and fenced code stay."""

from __future__ import annotations

import pytest

from rag.loading.markdown import clean_markdown, prose_lines, split_fenced


def test_setext_headings_become_atx() -> None:
    text = "Main title\n==========\n\nIntro.\n\nSection\n-------\n\nBody."
    assert clean_markdown(text) == "# Main title\n\nIntro.\n\n## Section\n\nBody."


def test_horizontal_rules_are_dropped_but_not_setext() -> None:
    assert clean_markdown("One.\n\n---\n\nTwo.\n\n* * *\n\nThree.") == "One.\n\nTwo.\n\nThree."


def test_list_item_followed_by_dashes_is_not_a_heading() -> None:
    assert clean_markdown("- item\n---\n\nText") == "- item\n\nText"


def test_images_leave_nothing() -> None:
    text = 'Before ![alt text](http://x/a.png "t") after.\n\n![](img(1).png)\n\n[![badge](b.svg)](https://ci)'
    assert clean_markdown(text) == "Before  after."


def test_links_keep_text_only() -> None:
    text = "See [the docs](https://d.example/x_(y)) and [the guide][g] or [Guide][] or [g].\n\n[g]: https://g.example"
    assert clean_markdown(text) == "See the docs and the guide or Guide or g."


def test_bracketed_text_without_definition_stays() -> None:
    assert clean_markdown("An array a[0] and a [note] here.") == "An array a[0] and a [note] here."


def test_reference_with_code_label() -> None:
    text = "Call [`Gizmo::spin`] now.\n\n[`Gizmo::spin`]: https://docs/gizmo"
    assert clean_markdown(text) == "Call `Gizmo::spin` now."


def test_footnotes() -> None:
    assert clean_markdown("Claim[^1].\n\n[^1]: The source.") == "Claim.\n\nThe source."


def test_autolinks_keep_the_address() -> None:
    assert clean_markdown("Mail <a@b.org> or see <https://x.org/p?q=1>.") == "Mail a@b.org or see https://x.org/p?q=1."


def test_html_comments_are_dropped() -> None:
    assert clean_markdown("A <!-- one -->B\n<!--\nmulti\nline\n-->\nC") == "A B\n\nC"


def test_inline_html_tags_go_text_stays() -> None:
    text = 'Use <kbd>Ctrl</kbd>+<b>C</b>, <span style="x">then</span> <a href="/x">paste</a>.<br>Next line.'
    assert clean_markdown(text) == "Use Ctrl+C, then paste.\nNext line."


def test_script_and_style_are_dropped_with_content() -> None:
    text = "Safe.\n<script>alert(1)</script>\n<style>p{}</style>\nStill <script type='x'>evil()</script>safe."
    cleaned = clean_markdown(text)
    assert "alert" not in cleaned and "evil" not in cleaned and "p{}" not in cleaned
    assert "Safe." in cleaned and "Still safe." in cleaned


def test_img_onerror_is_removed() -> None:
    assert clean_markdown("Look: <img src=x onerror=alert(1)> done") == "Look:  done"


def test_html_block_table_becomes_rows() -> None:
    text = (
        "Intro.\n\n<table>\n<tr><td>Progress</td><td>3/7</td></tr>\n"
        "<tr><td>Owner</td><td><a href='x'>Ann</a></td></tr>\n</table>\n\nAfter."
    )
    assert clean_markdown(text) == "Intro.\n\n| Progress | 3/7 |\n| Owner | Ann |\n\nAfter."


def test_html_block_with_noscript_and_markdown_around() -> None:
    text = (
        '<div>\n<noscript><img src="c.png"/></noscript>\n</div>\n\n## Next\n\n'
        "<details>\n<summary>More</summary>\n\nHidden **detail**.\n\n</details>"
    )
    assert clean_markdown(text) == "## Next\n\nMore\n\nHidden detail."


def test_entities_become_characters_but_never_tags() -> None:
    assert clean_markdown("A &amp; B &copy; &lt;b&gt;bold&lt;/b&gt; x&lt;y") == "A & B © bold x<y"


def test_hugo_shortcodes_keep_inner_text() -> None:
    text = (
        "{{< note >}}\nPin versions.\n{{< /note >}}\n\n"
        '{{< figure src="a.png" caption="Arch" >}}\n\n'
        '{{% warning title="x" %}}Back up first.{{% /warning %}} See {{< ref "p.md" >}}.'
    )
    assert clean_markdown(text) == "Pin versions.\n\nBack up first. See ."


def test_liquid_tags_removed() -> None:
    text = "{% raw %}Keep this{% endraw %}\n\n{% include footer.html %}\n\n{%- assign x = 1 -%}Done."
    assert clean_markdown(text) == "Keep this\n\nDone."


def test_emphasis_markers_removed() -> None:
    assert (
        clean_markdown("**CNCF** **最高级别个人荣誉** and __very important__.")
        == "CNCF 最高级别个人荣誉 and very important."
    )


def test_single_star_emphasis_but_not_arithmetic_or_lists() -> None:
    assert clean_markdown("An *important* point.") == "An important point."
    assert clean_markdown("Compute 2 * 3 * 4 and a*b.") == "Compute 2 * 3 * 4 and a*b."
    assert clean_markdown("* item one\n* item two") == "* item one\n* item two"


def test_dunder_names_are_not_emphasis() -> None:
    assert clean_markdown("Define __init__ and __repr__ methods.") == "Define __init__ and __repr__ methods."


def test_backslash_escapes() -> None:
    assert clean_markdown(r"Not \*emphasis\* and \(parens\) and 5 \> 3") == "Not *emphasis* and (parens) and 5 > 3"


@pytest.mark.parametrize("fence", ["```", "~~~", "````"])
def test_fenced_code_is_verbatim(fence: str) -> None:
    code = f'{fence}html\n<div class="x">**not bold** [a](b) ![i](j)</div>\n\n\n\n<!-- kept -->  \n{fence}'
    text = f"Before **b**.\n\n{code}\n\nAfter [l](u)."
    assert clean_markdown(text) == f"Before b.\n\n{code}\n\nAfter l."


def test_inline_code_is_verbatim_even_across_a_line_break() -> None:
    text = "Use `Vec<T>` and `**kwargs`, plus `<T:\nSend>` bounds and <b>bold</b>."
    assert clean_markdown(text) == "Use `Vec<T>` and `**kwargs`, plus `<T:\nSend>` bounds and bold."


def test_fence_inside_blockquote_is_code() -> None:
    text = "> Quote:\n> ```rust\n> let x = **y**;\n> ```\n\nAfter **z**."
    assert clean_markdown(text) == "> Quote:\n> ```rust\n> let x = **y**;\n> ```\n\nAfter z."


def test_unclosed_fence_runs_to_the_end() -> None:
    assert clean_markdown("Text **x**.\n\n```\ncode **y**") == "Text x.\n\n```\ncode **y**"


def test_whitespace_tidying() -> None:
    text = "Line one   \n\n\n\n&nbsp;\n \u200b \n\u00a0\nLine\u200b two\u00a0end\n\n\n"
    assert clean_markdown(text) == "Line one\n\nLine two end"


def test_nbsp_becomes_space_and_zero_width_goes() -> None:
    assert clean_markdown("a\u00a0b\u200bc") == "a bc"


def test_tables_and_lists_stay() -> None:
    text = "| a | b |\n| --- | --- |\n| 1 | 2 |\n\n- x\n- y\n\n1. first\n2. second"
    assert clean_markdown(text) == text


def test_split_fenced_and_prose_lines() -> None:
    text = "a\n```\n# code\n```\nb"
    assert split_fenced(text) == [(False, "a"), (True, "```\n# code\n```"), (False, "b")]
    assert list(prose_lines(text)) == ["a", "b"]


def test_inline_backticks_in_info_string_do_not_open_a_fence() -> None:
    assert split_fenced("``` not `a fence`\ntext") == [(False, "``` not `a fence`\ntext")]


def test_bold_may_span_lines_within_a_paragraph() -> None:
    assert clean_markdown("**TL;DR: we ship\nin June**: done.") == "TL;DR: we ship\nin June: done."
    assert clean_markdown("**not\n\nbold**") == "**not\n\nbold**"


def test_reference_definition_with_url_on_next_line() -> None:
    text = "See the [notes][rn].\n\n[rn]:\nhttps://example.com/notes\n\nEnd."
    assert clean_markdown(text) == "See the notes.\n\nEnd."


def test_comment_spanning_a_code_fence_is_removed() -> None:
    text = "Keep.\n\n<!--\nHidden draft.\n\n```rust\nfn hidden() {}\n```\n-->\n\nAlso keep."
    assert clean_markdown(text) == "Keep.\n\nAlso keep."


def test_comment_markers_in_code_are_text() -> None:
    text = "Comments start with `<!--` and end with `-->`.\n\n```html\n<!-- in code -->\n```"
    assert clean_markdown(text) == text


def test_unclosed_comment_hides_the_rest() -> None:
    assert clean_markdown("Visible.\n\n<!-- draft notes\nnever closed") == "Visible."


def test_html_pre_block_with_blank_lines_stays_one_code_block() -> None:
    text = "Intro.\n\n<pre><code>fn a() {}\n\n\nfn **b**() {}\n</code></pre>\n\nAfter."
    assert clean_markdown(text) == "Intro.\n\n```\nfn a() {}\n\n\nfn **b**() {}\n```\n\nAfter."
