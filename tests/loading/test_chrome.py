"""strip_chrome(): scraped "related articles" furniture goes, real sections with the same names stay."""

from __future__ import annotations

import pytest

from rag.loading.chrome import is_marker, strip_chrome

PROSE = (
    "云原生技术让应用可以在弹性、分布式的环境中构建和运行，容器、服务网格、微服务、不可变基础设施和声明式 API "
    "都是这一方法的代表技术，它们让松耦合的系统具备容错性、易于管理并且便于观察。"
)
BODY = "\n\n".join([PROSE] * 6)
TEASERS = (
    "|\nWeb App开发 应用服务中间件 Go\n尝鲜:如何搭建一个简单的webrtc服务器\n"
    "前几天我一朋友问我有关webrtc的事,简单了解了下相关知识,搭建了一个webrtc的服务,以及经历的各种踩坑事件,感觉踩坑主要是版本问题。\n"
    "13622 0\n|\n运维 应用服务中间件 Linux\n自动化运维:使用Ansible进行批量配置管理\n202 1"
)


def test_teaser_list_after_late_marker_is_cut() -> None:
    text = f"{BODY}\n\n最后一段正文: https://www.aliyun.com/product/kubernetes\n目录\n相关文章\n{TEASERS}"
    cleaned = strip_chrome(text)
    assert cleaned.endswith("最后一段正文: https://www.aliyun.com/product/kubernetes")
    assert "webrtc" not in cleaned and "相关文章" not in cleaned and "目录" not in cleaned


@pytest.mark.parametrize(
    "marker", ["Related posts", "## Related Posts", "You may also like:", "READ MORE", "猜你喜欢：", "Share this"]
)
def test_marker_variants_followed_by_links_are_cut(marker: str) -> None:
    text = f"{BODY}\n\n{marker}\n\n- Post one\n- Another post title\n- Third"
    assert strip_chrome(text) == BODY


def test_marker_at_the_very_end_is_cut() -> None:
    assert strip_chrome(f"{BODY}\n\nTable of contents") == BODY


def test_real_section_in_the_middle_is_kept() -> None:
    text = f"{PROSE}\n\n## 相关文章\n\n{PROSE}\n\n{PROSE}\n\n- 短条目\n- 另一个"
    assert strip_chrome(text) == text


def test_late_marker_followed_by_prose_is_kept() -> None:
    advice = "We recommend upgrading every node before the end of the month, because the old kernel has a known bug."
    text = f"{BODY}\n\n## Recommended\n\n{advice}"
    assert strip_chrome(text) == text


def test_early_marker_followed_by_list_is_kept() -> None:
    text = f"目录\n\n- 简介\n- 安装\n\n{BODY}"
    assert strip_chrome(text) == text


def test_late_plain_marker_with_short_list_before_prose_loses_only_the_list() -> None:
    text = f"{BODY}\n\n推荐阅读:\n\n《深入剖析Kubernetes》-张磊\n\n《解读容器的 2020》\n\n{PROSE}"
    assert strip_chrome(text) == f"{BODY}\n\n{PROSE}"


def test_pipe_and_counter_lines_are_removed() -> None:
    assert strip_chrome("Para one.\n|\n13622 0\n  42  \nPara two.") == "Para one.\nPara two."


def test_lone_numbers_are_removed_but_wrapped_numbers_stay() -> None:
    assert strip_chrome("Text.\n\n42\n\n1 2 3\n\nMore.") == "Text.\n\nMore."
    wrapped = "This feature was defined in RFC\n1422 and is documented in the\nreference."
    assert strip_chrome(wrapped) == wrapped


def test_image_file_name_lines_are_removed() -> None:
    assert strip_chrome("Text.\n\n5590a15a5bc507cd45e17ee1d5c1131c.png\n\nMore.") == "Text.\n\nMore."


def test_numbers_inside_text_and_tables_stay() -> None:
    text = "| 1 | 2 |\n| 3 | 4 |\n\nWe had 13622 views.\n\n2021 年总结"
    assert strip_chrome(text) == text


def test_code_blocks_are_untouched() -> None:
    text = f"{BODY}\n\n```\n|\n42\nRelated posts\nshort\n```"
    assert strip_chrome(text) == text


def test_previous_next_links() -> None:
    assert is_marker("上一篇：Kubernetes 入门")
    assert is_marker("Next post: Scaling Postgres")
    assert not is_marker("下一篇文章我们将介绍调度器的实现细节以及它如何与 kubelet 协作完成 Pod 的整个生命周期管理工作")
    text = f"{BODY}\n\n上一篇：Kubernetes 入门\n下一篇：调度器详解"
    assert strip_chrome(text) == BODY


def test_marker_must_be_the_whole_line() -> None:
    assert not is_marker("Read more about the scheduler in the docs.")
    assert is_marker("### 相关推荐:")


def test_late_marker_followed_by_code_is_kept() -> None:
    text = f"{BODY}\n\n## Recommended\n\n```toml\n[profile.release]\nlto = true\n```"
    assert strip_chrome(text) == text
