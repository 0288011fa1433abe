"""GET /widget.js — the embeddable `<blog-chat>` Web Component a blog adds with one script tag.

The file is read once at start-up and served with a strong ETag (its content hash), so browsers on
every page of the blog revalidate it cheaply and never run a stale copy for long.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Request
from starlette.responses import Response

WIDGET_FILE = Path(__file__).resolve().parents[1] / "static" / "widget.js"
MEDIA_TYPE = "text/javascript; charset=utf-8"
# An hour of freshness, then a conditional request that the ETag answers with a 304.
CACHE_CONTROL = "public, max-age=3600"


@dataclass(frozen=True)
class StaticAsset:
    """One file's bytes and the strong validator derived from them."""

    body: bytes
    etag: str

    @classmethod
    def read(cls, path: Path) -> StaticAsset:
        body = path.read_bytes()
        return cls(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')

    def matches(self, if_none_match: str) -> bool:
        """Does an If-None-Match header name this version? (`W/` tags compare weakly, as RFC 9110 says.)"""
        tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
        return "*" in tags or self.etag in tags


WIDGET = StaticAsset.read(WIDGET_FILE)
router = APIRouter(tags=["widget"])


@router.head("/widget.js", include_in_schema=False)
@router.get(
    "/widget.js",
    summary="The embeddable chat widget",
    description="A dependency-free `<blog-chat>` Web Component. Add it to a page with "
    '`<script src="https://<this server>/widget.js" defer></script>`; it calls this server\'s `/ask`, '
    "which answers the page's origin only when it is listed in RAG_ALLOWED_ORIGINS.",
    response_class=Response,
    responses={200: {"content": {"text/javascript": {}}}, 304: {"description": "The cached copy is current."}},
)
async def widget_js(request: Request) -> Response:
    headers = {
        "ETag": WIDGET.etag,
        "Cache-Control": CACHE_CONTROL,
        # A <script> from another origin: allowed even on pages that require CORP for embedded resources,
        # and readable with `crossorigin` (subresource integrity) from any page — the file is public.
        "Cross-Origin-Resource-Policy": "cross-origin",
        "Access-Control-Allow-Origin": "*",
    }
    if WIDGET.matches(request.headers.get("if-none-match", "")):
        return Response(status_code=304, headers=headers)
    return Response(WIDGET.body, media_type=MEDIA_TYPE, headers=headers)
