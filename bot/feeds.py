"""Atom feeds for feed readers: ``/feeds/new.atom`` (the newest datasets of the whole catalog) and
``/feeds/<feed id>.atom`` (one follow's datasets, newest first; the id is an unguessable token
given only to the follower). Built with feedgen."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from feedgen.feed import FeedGenerator
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from index.dataset import Dataset
from intents import texts
from intents.cards import plain, safe_url, shorten
from intents.follow import NEWS_POOL, news_for
from intents.follows import Follow

if TYPE_CHECKING:
    from .services import Services

__all__ = ["FEED_ITEMS", "feed_routes"]

FEED_ITEMS = 50
ATOM = "application/atom+xml; charset=utf-8"


def _when(iso: str) -> datetime:
    try:
        d = datetime.fromisoformat(iso[:19])
    except (TypeError, ValueError):
        return datetime(1970, 1, 1, tzinfo=UTC)
    return d.replace(tzinfo=UTC)


def atom(feed_id: str, title: str, link: str, datasets: list[Dataset]) -> bytes:
    fg = FeedGenerator()
    fg.id(f"urn:khomun:feed:{feed_id}")
    fg.title(title)
    fg.link(href=link, rel="self")
    fg.language("th")
    fg.updated(max((_when(d.metadata_modified) for d in datasets), default=_when("")))
    for d in reversed(datasets):  # feedgen lists entries last-added first
        entry = fg.add_entry()
        entry.id(f"urn:khomun:dataset:{d.name}:{d.metadata_modified}")
        entry.title(plain(d.title))
        entry.link(href=safe_url(d.page_url))
        entry.updated(_when(d.metadata_modified))
        if d.organization:
            entry.author(name=d.organization)
        if d.notes:
            entry.summary(shorten(plain(d.notes), 500))
    return fg.atom_str(pretty=True)


def feed_routes(services: Services) -> list[BaseRoute]:
    engine = services.engine

    def newest() -> list[Dataset]:
        return engine.latest(limit=FEED_ITEMS)

    def of_follow(follow: Follow) -> list[Dataset]:
        return news_for(engine, replace(follow, since=""))[:NEWS_POOL]  # all it matches, newest first

    async def new_feed(request: Request) -> Response:
        body = await run_in_threadpool(atom, "new", texts.FEED_ALL_TITLE, str(request.url), newest())
        return Response(body, media_type=ATOM)

    async def follow_feed(request: Request) -> Response:
        feed_id = request.path_params["feed_id"]
        follow = services.follows.by_feed(feed_id) if 16 <= len(feed_id) <= 64 else None
        if follow is None:
            return PlainTextResponse("no such feed", 404)
        datasets = await run_in_threadpool(of_follow, follow)
        title = texts.FEED_FOLLOW_TITLE.format(topic=follow.topic)
        return Response(atom(feed_id, title, str(request.url), datasets), media_type=ATOM)

    return [
        Route("/feeds/new.atom", new_feed, name="feed_new"),
        Route("/feeds/{feed_id:str}.atom", follow_feed, name="feed_follow"),
    ]
