"""Do citation text fragments land? Random sentences of real posts, each post rendered as a plain page
(headings, list items, table cells, paragraphs, code) behind a tall header, opened in headless
Chromium with the sentence's `#:~:text=` fragment; a fragment lands when the page scrolls and the
element at the centre of the screen holds the sentence's start. Prints the land rate per folder and
the fragment lengths, and the misses.

    python eval/bench/bench_text_fragments.py POSTS_DIR [POSTS_DIR ...] [--posts 10] [--sentences 5] [--seed 7]
"""

from __future__ import annotations

import argparse
import functools
import html
import random
import tempfile
import threading
import time
from collections import Counter
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from rag.loading import load_posts
from rag.sentences import HEADING, LIST_MARK, sentence_spans
from rag.textfragments import text_directive, visible_blocks

HEADER = '<div style="height: 4000px">header</div>'
CENTRE = """
const hit = document.elementFromPoint(window.innerWidth / 2, window.innerHeight / 2);
return [window.scrollY, hit ? hit.textContent : ''];
"""


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None


def render(text: str) -> str:
    """A cleaned post as a simple theme renders it (code fences as <pre>, code spans unquoted)."""
    parts, code = [], False
    for line in text.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            parts.append("</pre>" if code else "<pre>")
            code = not code
        elif code:
            parts.append(html.escape(line))
        elif not line.strip():
            continue
        elif HEADING.match(line):
            parts.append(f"<h2>{html.escape(HEADING.match(line).group(2).replace('`', ''))}</h2>")  # type: ignore[union-attr]
        elif line.lstrip().startswith("|"):
            cells = "".join(f"<td>{html.escape(c.strip())}</td>" for c in line.strip().strip("|").split("|"))
            parts.append(f"<table><tr>{cells}</tr></table>")
        elif LIST_MARK.match(line):
            parts.append(f"<ul><li>{html.escape(LIST_MARK.sub('', line).replace('`', ''))}</li></ul>")
        else:
            parts.append(f"<p>{html.escape(line.replace('`', ''))}</p>")
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--posts", type=int, default=10, help="posts sampled per folder")
    parser.add_argument("--sentences", type=int, default=5, help="sentences sampled per post")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    random.seed(args.seed)
    root = Path(tempfile.mkdtemp(prefix="fragments-"))
    cases = []
    for folder in args.folders:
        posts, _ = load_posts([folder])
        for i, post in enumerate(random.sample(posts, min(args.posts, len(posts)))):
            page = f"{folder.name}-{i}.html"
            body = f'<!doctype html><meta charset="utf-8">{HEADER}{render(post.text)}{HEADER}'
            (root / page).write_text(body, encoding="utf-8")
            spans = [(s, e) for s, e in sentence_spans(post.text) if visible_blocks(post.text[s:e])]
            for start, end in random.sample(spans, min(args.sentences, len(spans))):
                cases.append((folder.name, page, post.text, start, end))
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(arg)
    options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    landed, total, lengths, misses = Counter[str](), Counter[str](), list[int](), list[str]()
    try:
        for name, page, text, start, end in cases:
            directive = text_directive(text, start, end) or ""
            lengths.append(len(directive))
            driver.get("about:blank")
            driver.get(f"http://127.0.0.1:{server.server_address[1]}/{page}#:~:{directive}")
            waited = time.monotonic()
            while time.monotonic() - waited < 3 and not driver.execute_script("return window.scrollY > 0"):
                time.sleep(0.1)
            scroll, centre = driver.execute_script(CENTRE)
            ok = scroll > 3000 and visible_blocks(text[start:end])[0][:10] in centre
            total[name] += 1
            landed[name] += ok
            if not ok:
                misses.append(f"  {name}: {text[start:end][:70]!r} -> {directive[:80]}")
    finally:
        driver.quit()
        server.shutdown()
    lengths.sort()
    for name in total:
        print(f"{name}: {landed[name]}/{total[name]} fragments landed")
    print(f"fragment length: p50 {lengths[len(lengths) // 2]} chars, max {lengths[-1]}")
    print("\n".join(["misses:", *misses] if misses else ["misses: none"]))


if __name__ == "__main__":
    main()
