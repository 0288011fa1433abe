"""GET /posts/{id} — one post's cleaned text and chunk anchors, so a citation can open its passage."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi import Path as PathParam
from starlette.responses import JSONResponse

from api.deps import LoadedDep, rate_limit, require_api_key
from api.errors import NotFoundError
from api.schemas import ErrorOut, PostOut
from api.state import Loaded
from rag.types import Chunk, Post

router = APIRouter(tags=["posts"], dependencies=[Depends(require_api_key), Depends(rate_limit)])

PostId = Annotated[str, PathParam(description="The post's `source`: its path relative to the ingested folder.")]


@router.get(
    "/posts/{id:path}",
    summary="Read one post",
    description="Metadata, cleaned text and chunk anchors. Citation `start`/`end` offsets index into `text`.",
    response_model=None,
    responses={200: {"model": PostOut}, 404: {"model": ErrorOut}, 503: {"model": ErrorOut}},
)
async def get_post(id: PostId, loaded: LoadedDep) -> JSONResponse:
    post = find_post(loaded, id)
    anchors = [anchor(c) for c in loaded.chunks_by_source.get(id, [])]
    body = {
        "source": post.source,
        "title": post.title,
        "date": post.date,
        "tags": post.tags,
        "author": post.author,
        "url": post.url,
        "slug": post.slug,
        "language": post.language,
        "text": post.text,
        "chunks": anchors,
    }
    return JSONResponse(body)


def anchor(chunk: Chunk) -> dict[str, Any]:
    """Where a passage sits in its post's text (ChunkAnchor's fields; also used by MCP)."""
    return {"chunk_id": chunk.chunk_id, "heading": chunk.heading, "start": chunk.start, "end": chunk.end}


def find_post(loaded: Loaded, source: str) -> Post:
    """The post with this `source`, or a NotFoundError that says where ids come from (also used by MCP)."""
    post = loaded.engine.index.posts.get(source)
    if post is None:
        raise NotFoundError(
            f"No post with id {source!r} in the index.",
            "Use the `source` field of a search hit or citation (a path relative to the posts folder), "
            "or reindex if the post was added recently.",
        )
    return post
