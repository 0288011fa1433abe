"""Published URLs: each preset on fixture sites laid out as the generator expects, front matter
overrides (url, permalink, path, slug, aliases), bundles, bad patterns and site URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.config import Settings
from rag.errors import ConfigError
from rag.loading import load_posts
from rag.permalinks import DEFAULT_PERMALINK, PLACEHOLDERS, PRESETS, SiteLinks, parse_scheme
from rag.types import Post

SITES = Path(__file__).parent / "fixtures" / "sites"
SITE = "https://blog.example.com"


def urls(site: str, permalink: str, site_url: str | None = SITE) -> dict[str, str | None]:
    posts, skipped = load_posts([SITES / site])
    assert skipped == []
    links = SiteLinks.parse(site_url, permalink)
    return {post.source: links.published_url(post) for post in posts}


def test_hugo_preset_on_a_content_folder() -> None:
    assert urls("hugo", "hugo") == {
        "posts/my-first-post.md": f"{SITE}/posts/my-first-post/",
        "posts/Page Bundle/index.md": f"{SITE}/posts/page-bundle/",  # bundle: the folder, urlized
        "posts/_index.md": f"{SITE}/posts/",  # the section's list page
        "posts/with-slug.md": f"{SITE}/posts/custom-slug/",  # slug replaces the last part, lower-cased
        "about.md": f"{SITE}/about-us/",  # front matter url wins over the pattern and the aliases
        "posts/moved.md": f"{SITE}/posts/moved/",  # aliases are redirects: the pattern comes first
        "posts/external.md": "https://elsewhere.example/originals/cross-posted/",  # absolute: kept
        "posts/中文/index.md": f"{SITE}/posts/%E4%B8%AD%E6%96%87/",  # UTF-8, percent-encoded
    }


def test_jekyll_preset_puts_categories_and_dates_in_the_path() -> None:
    assert urls("jekyll", "jekyll") == {
        "_posts/2021-02-03-welcome-to-jekyll.md": f"{SITE}/jekyll/update/2021/02/03/welcome-to-jekyll.html",
        "news/_posts/2022-01-05-release.md": f"{SITE}/news/releases/2022/01/05/release.html",
        "_posts/2023-03-04-custom.md": f"{SITE}/custom/path/",  # front matter permalink
        "_posts/2023-05-06-slugged.md": f"{SITE}/2023/05/06/my-slug.html",
        # A per-post `/:year/:title/` template is not an address: the site's pattern applies.
        "_posts/2023-07-08-templated.md": f"{SITE}/2023/07/08/templated.html",
    }


def test_zola_preset_strips_the_date_and_slugifies() -> None:
    assert urls("zola", "zola") == {
        "blog/2018-10-10-hello.md": f"{SITE}/blog/hello/",
        "blog/bundle/index.md": f"{SITE}/blog/bundle/",
        "blog/pathed.md": f"{SITE}/custom/zola-path/",  # `path` front matter; Zola adds the slash
        "blog/Mixed Case.md": f"{SITE}/blog/mixed-case/",
    }


def test_docusaurus_preset_takes_the_date_from_the_file_name_only() -> None:
    assert urls("docusaurus", "docusaurus") == {
        "2019-05-30-welcome.md": f"{SITE}/blog/2019/05/30/welcome",
        "2021-08-26-bundle/index.md": f"{SITE}/blog/2021/08/26/bundle",
        "tutorials/no-date.md": f"{SITE}/blog/tutorials/no-date",  # front matter date: not in the path
        "2020-01-01-slugged.md": f"{SITE}/blog/custom",  # a slug is the whole path under /blog
    }


def test_a_custom_pattern_and_the_default() -> None:
    found = urls("jekyll", "/blog/{year}/{month}/{day}/{slug}/")
    assert found["_posts/2021-02-03-welcome-to-jekyll.md"] == f"{SITE}/blog/2021/02/03/welcome-to-jekyll/"
    assert found["_posts/2023-05-06-slugged.md"] == f"{SITE}/blog/2023/05/06/my-slug/"
    default = urls("hugo", DEFAULT_PERMALINK)
    assert default["posts/Page Bundle/index.md"] == f"{SITE}/posts/Page%20Bundle/"  # the default keeps case
    assert default["posts/with-slug.md"] == f"{SITE}/posts/Custom-Slug/"
    sections = urls("hugo", "/{section}/{filename}.html")
    assert sections["posts/with-slug.md"] == f"{SITE}/posts/with-slug.html"  # {filename} ignores the slug
    assert sections["about.md"] == f"{SITE}/about-us/"


def test_without_a_site_url_only_absolute_urls_are_links() -> None:
    found = urls("hugo", "hugo", site_url=None)
    assert found["posts/external.md"] == "https://elsewhere.example/originals/cross-posted/"
    assert {url for source, url in found.items() if source != "posts/external.md"} == {None}


def test_a_site_url_with_a_path_and_a_trailing_slash() -> None:
    found = urls("hugo", "hugo", site_url="https://someone.github.io/blog/")
    assert found["posts/my-first-post.md"] == "https://someone.github.io/blog/posts/my-first-post/"
    assert found["about.md"] == "https://someone.github.io/blog/about-us/"


def post(source: str, **fields: object) -> Post:
    return Post(source=source, title="t", text="body", **fields)  # type: ignore[arg-type]


def test_an_alias_stands_in_when_the_pattern_needs_a_missing_date() -> None:
    links = SiteLinks.parse(SITE, "/{year}/{slug}/")
    assert links.published_url(post("a.md", aliases=["/old/a/", "/older/a/"])) == f"{SITE}/old/a/"
    assert links.published_url(post("b.md", aliases=["https://old.example/b/"])) == "https://old.example/b/"
    assert links.published_url(post("c.md")) is None  # nothing says where it is: the viewer stays
    assert links.published_url(post("d.md", date="2020-01-02")) == f"{SITE}/2020/d/"


def test_front_matter_addresses_that_are_not_site_paths_are_refused() -> None:
    for bad in ("//evil.example/x", "javascript:alert(1)", "/a/../../etc", "/a b/", "/{slug}/", "/:title/"):
        assert post("a.md", permalink=bad, aliases=[bad]).permalink is None
        assert post("a.md", aliases=[bad]).aliases == []
    assert post("a.md", permalink="about").permalink == "/about"
    assert post("a.md", permalink="/2021/%E4%BD%A0/").permalink == "/2021/%E4%BD%A0/"
    links = SiteLinks.parse(SITE)
    assert links.published_url(post("a.md", permalink="/2021/%E4%BD%A0/")) == f"{SITE}/2021/%E4%BD%A0/"  # kept


def test_the_loader_reads_the_link_fields(tmp_path: Path) -> None:
    (tmp_path / "p.md").write_text(
        "---\ntitle: T\nurl: /here/\nslug: s\naliases: [/a/, /b/]\nredirect_from: /c/\ncategories: One Two\n"
        "category: Three\n---\nBody text.\n",
        encoding="utf-8",
    )
    (tmp_path / "q.md").write_text("---\ntitle: Q\nurl: https://x.example/q/\n---\nBody.\n", encoding="utf-8")
    posts = {p.source: p for p in load_posts([tmp_path])[0]}
    p, q = posts["p.md"], posts["q.md"]
    assert (p.url, p.permalink, p.slug, p.slug_given) == (None, "/here/", "s", True)
    assert p.aliases == ["/a/", "/b/", "/c/"] and p.categories == ["One", "Two", "Three"]
    assert (q.url, q.permalink, q.slug, q.slug_given) == ("https://x.example/q/", None, "q", False)


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("/{yaer}/{slug}/", "unknown placeholder {yaer}"),
        ("/:year/:title/", ":name placeholders"),
        ("blog/{slug}", "neither a preset nor a pattern"),
        ("/{slug", "not a valid pattern"),
        ("/{year:04d}/", "unknown placeholder {year:04d}"),
        ("/{}/", "unknown placeholder {}"),
        ("wordpress", "neither a preset"),
    ],
)
def test_bad_patterns_are_config_errors_with_a_hint(pattern: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        parse_scheme(pattern)
    assert caught.value.hint and caught.value.exit_code == 2


def test_every_placeholder_and_preset_is_accepted() -> None:
    assert parse_scheme("/" + "/".join("{" + name + "}" for name in PLACEHOLDERS)).pattern
    for name in PRESETS:
        assert parse_scheme(name.upper()) is PRESETS[name]


@pytest.mark.parametrize("site", ["blog.example.com", "ftp://blog.example.com", "javascript:x", "https://b/#x"])
def test_bad_site_urls_are_config_errors(site: str) -> None:
    with pytest.raises(ConfigError, match="site URL") as caught:
        SiteLinks.parse(site)
    assert "--site-url https://" in caught.value.hint


def test_settings_check_the_environment_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_PERMALINK", "/{nope}/")
    with pytest.raises(ConfigError, match="unknown placeholder"):
        Settings()
    monkeypatch.setenv("RAG_PERMALINK", "jekyll")
    monkeypatch.setenv("RAG_SITE_URL", "https://b.example/")
    settings = Settings()
    assert (settings.site_url, settings.permalink) == ("https://b.example", "jekyll")
    monkeypatch.setenv("RAG_SITE_URL", "")
    assert Settings().site_url is None


def test_a_zola_path_always_ends_with_a_slash(tmp_path: Path) -> None:
    (tmp_path / "r.md").write_text('+++\ntitle = "R"\npath = "2014/12/12/1.0-Timeline"\n+++\nBody.\n', encoding="utf-8")
    (post_r,) = load_posts([tmp_path])[0]
    assert SiteLinks.parse(SITE, "zola").published_url(post_r) == f"{SITE}/2014/12/12/1.0-Timeline/"
