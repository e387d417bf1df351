"""A small fake CKAN API: `package_search` over our JSONL records, served in CKAN's real JSON shape.

A Starlette app run by uvicorn on 127.0.0.1 (port 0) in a background thread. It honours rows,
start, sort and an fq range on metadata_modified, records every request, and can be told to fail.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import count
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.fakes.serve import serve_app

__all__ = ["FakeRequest", "serve_fake_ckan", "to_ckan_package"]

ACTION = "/api/3/action/package_search"
_NS = uuid.UUID("6f1c2a4e-0d1b-4c8e-9a51-7d3e2b9c0f10")
_FQ = re.compile(r"^metadata_modified:\[(\S+) TO (\S+)\]$")
_ROWS_MAX = 1000


@dataclass(frozen=True, slots=True)
class FakeRequest:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]


def _uid(*parts: str) -> str:
    return str(uuid.uuid5(_NS, "/".join(parts)))


def to_ckan_package(record: Mapping[str, Any]) -> dict[str, Any]:
    """Our JSONL record as data.go.th's package_search would return it (Thai GDC schema)."""
    package_id = record["id"]  # a UUID, or the slug where our snapshot could not recover one
    org_title = record["organization"]
    org_id = _uid("org", org_title)
    tags = [
        {"display_name": t, "id": _uid("tag", t), "name": t, "state": "active", "vocabulary_id": None}
        for t in record["tags"]
    ]
    groups = [
        {
            "description": g,
            "display_name": g,
            "id": _uid("group", g),
            "image_display_url": "",
            "name": _uid(g)[:8],
            "title": g,
        }
        for g in record["groups"]
    ]
    resources = [
        {
            "cache_last_updated": None,
            "created": record["metadata_modified"],
            "datastore_active": False,
            "description": "",
            "format": r["format"] or "",
            "hash": "",
            "id": _uid("resource", record["name"], str(i)),
            "last_modified": None,
            "mimetype": None,
            "name": r["name"],
            "package_id": package_id,
            "position": i,
            "resource_type": None,
            "size": None,
            "state": "active",
            "url": r["url"] or "",
            "url_type": "upload" if "/download/" in (r["url"] or "") else None,
        }
        for i, r in enumerate(record["resources"])
    ]
    return {
        "author": None,
        "creator_user_id": _uid("user", org_title),
        "data_category": "ข้อมูลสาธารณะ",
        "data_language": ["ไทย"],
        "data_type": "ข้อมูลสถิติ",
        "extras": [],
        "geo_coverage": "ประเทศ",
        "id": package_id,
        "isopen": False,
        "license_id": record["license"],
        "license_title": record["license"],
        "maintainer": None,
        "metadata_created": record["metadata_modified"],
        "metadata_modified": record["metadata_modified"],
        "name": record["name"],
        "notes": record["notes"],
        "num_resources": record["num_resources"],
        "num_tags": len(tags),
        "objective": ["ไม่ทราบ"],
        "organization": {
            "approval_status": "approved",
            "created": "2019-12-01T00:00:00.000000",
            "description": "",
            "id": org_id,
            "image_url": "",
            "is_organization": True,
            "name": "org-" + org_id[:8],
            "state": "active",
            "title": org_title,
            "type": "organization",
        },
        "owner_org": org_id,
        "private": False,
        "state": "active",
        "title": record["title"],
        "type": "dataset",
        "update_frequency_interval": "1",
        "update_frequency_unit": "ปี",
        "url": "",
        "version": None,
        "groups": groups,
        "resources": resources,
        "tags": tags,
        "relationships_as_subject": [],
        "relationships_as_object": [],
    }


@contextmanager
def serve_fake_ckan(
    records: Iterable[Mapping[str, Any]],
    *,
    fail_first: int = 0,
    fail_status: int = 503,
    status_sequence: Sequence[int] = (),
    retry_after: str = "0",
    honour_fq: bool = True,
) -> Iterator[tuple[str, list[FakeRequest]]]:
    """Serve `records`; yield (base URL, requests received so far).

    The first `fail_first` requests get `fail_status`; after them, request i gets
    `status_sequence[i]` while it lasts (200 means answer normally). A 429 carries `Retry-After`.
    """
    plan = [fail_status] * fail_first + list(status_sequence)
    received: list[FakeRequest] = []
    app = _app([to_ckan_package(r) for r in records], plan, received, retry_after, honour_fq)
    with serve_app(app) as url:
        yield url, received


def _app(
    packages: list[dict[str, Any]],
    plan: list[int],
    received: list[FakeRequest],
    retry_after: str,
    honour_fq: bool,
) -> Starlette:
    numbers = count()

    async def package_search(request: Request) -> Response:
        received.append(
            FakeRequest(request.method, request.url.path, dict(request.query_params), dict(request.headers))
        )
        n = next(numbers)
        status = plan[n] if n < len(plan) else 200
        if status == 429:
            return PlainTextResponse("Too Many Requests", 429, headers={"Retry-After": retry_after})
        if status >= 500:
            return PlainTextResponse("<html><body><h1>Service Unavailable</h1></body></html>", status)
        if status >= 400:
            return _error(status, "Authorization Error", "Access denied")
        return _search(packages, request.query_params, honour_fq)

    async def not_found(request: Request) -> Response:
        received.append(
            FakeRequest(request.method, request.url.path, dict(request.query_params), dict(request.headers))
        )
        return _error(404, "Not Found Error", "Not found")

    return Starlette(
        routes=[
            Route(ACTION, package_search, methods=["GET", "POST"]),
            Route("/{path:path}", not_found, methods=["GET", "POST"]),
        ]
    )


def _search(packages: list[dict[str, Any]], params: Mapping[str, str], honour_fq: bool) -> Response:
    try:
        rows = min(int(params.get("rows", "10")), _ROWS_MAX)
        start = int(params.get("start", "0"))
    except ValueError:
        return _error(409, "Validation Error", "Invalid integer")
    hits = list(packages)
    fq = params.get("fq", "")
    if fq and honour_fq:
        match = _FQ.match(fq)
        if not match:
            return _error(409, "Search Query Error", f"Search error: unknown fq {fq!r}")
        low, high = (_solr_bound(v) for v in match.groups())
        hits = [p for p in hits if (low is None or p["metadata_modified"] >= low)]
        hits = [p for p in hits if (high is None or p["metadata_modified"] <= high)]
    sort = params.get("sort", "score desc, metadata_modified desc")
    for clause in reversed([c.split() for c in sort.split(",") if c.strip()]):
        field, order = clause[0], clause[1] if len(clause) > 1 else "asc"
        if field in {"metadata_modified", "name", "title"}:
            hits.sort(key=lambda p, f=field: p[f], reverse=order == "desc")
    result = {
        "count": len(hits),
        "facets": {},
        "results": hits[start : start + rows],
        "sort": sort,
        "search_facets": {},
    }
    return JSONResponse({"help": _help(), "success": True, "result": result})


def _solr_bound(value: str) -> str | None:
    """A Solr date bound as a string comparable with CKAN's naive ISO timestamps."""
    return None if value == "*" else value.rstrip("Z")


def _help() -> str:
    return "https://data.go.th/api/3/action/help_show?name=package_search"


def _error(status: int, kind: str, message: str) -> Response:
    body = {"help": _help(), "success": False, "error": {"__type": kind, "message": message}}
    return JSONResponse(body, status)
