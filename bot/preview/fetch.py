"""Previews of a dataset's data file, fetched safely when the user presses "ดูตัวอย่างข้อมูล".

The conversation answers at once with a ``PreviewRequest``; the channel then calls
``Previewer.complete(turn)``, which fills in the preview (or a polite Thai reason why not):

1. CKAN's ``datastore_search`` when the resource lives on a CKAN portal (its URL has
   ``/resource/<uuid>/``) and the portal holds it in its DataStore: exact columns and row count;
2. otherwise the file itself, read by ``bot.preview.tables`` (CSV in any Thai encoding, XLSX, XLS).

Fetching is bounded and SSRF-safe: http(s) only; every connection, the first and each redirect's,
resolves the host and refuses private, loopback, link-local, shared and reserved addresses before
connecting (``GuardedBackend``, below httpx), except hosts named in ``KHOMUN_FETCH_ALLOW_HOSTS``;
at most ``MAX_BYTES`` are read (a CSV is previewed from its first 2 MB, "at least N rows"); the
whole preview has ``TIMEOUT`` seconds. Previews are cached in the state database by URL, with the
file's ETag and Last-Modified: within ``FRESH`` seconds the cache answers alone, after that a
conditional GET (304: the cache still holds).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, replace
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpcore
import httpx

from intents import texts
from intents.types import Preview, PreviewRequest, Turn
from state import Target, open_database

from .tables import UnreadableFile, read_table

__all__ = [
    "FRESH",
    "MAX_BYTES",
    "PREVIEWABLE",
    "TIMEOUT",
    "Blocked",
    "GuardedBackend",
    "PreviewError",
    "Previewer",
    "public_address",
]

log = logging.getLogger(__name__)

MAX_BYTES = 2 * 1024 * 1024
TIMEOUT = 3.0  # seconds for the whole preview, redirects included
MAX_REDIRECTS = 5
FRESH = 3600.0  # seconds a cached preview is used without asking the server
#: formats a file preview can read (any resource in a CKAN DataStore can be previewed too)
PREVIEWABLE = frozenset({"CSV", "XLSX", "XLS", "ODS", "TSV", "TXT"})
_RESOURCE_ID = re.compile(
    r"/resource/([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})/"
)


class PreviewError(Exception):
    """Why a preview could not be made; ``kind`` keys ``texts.PREVIEW_FAILED``."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


class Blocked(httpcore.ConnectError):
    """A connection refused before it was made: the address is not a public one."""


def public_address(ip: str) -> bool:
    """Whether ``ip`` is a public unicast address (not private, loopback, link-local, shared,
    multicast, reserved or unspecified; an IPv4-mapped IPv6 address is judged as its IPv4)."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr.is_global and not addr.is_multicast


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend with a check before every TCP connection: the host is resolved
    here, every address it resolves to must be public, and the connection goes to the checked
    address (so a DNS answer cannot change between the check and the connect). Hosts in
    ``allow`` connect as they are."""

    def __init__(self, allow: Iterable[str] = (), inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.allow = frozenset(h.strip().lower().strip("[]") for h in allow if h.strip())
        self.inner = inner if inner is not None else httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if host.lower().strip("[]") in self.allow:
            return await self.inner.connect_tcp(host, port, timeout, local_address, socket_options)
        try:
            infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as err:
            raise httpcore.ConnectError(f"cannot resolve {host!r}") from err
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not addresses or not all(public_address(a) for a in addresses):
            raise Blocked(f"{host!r} resolves to a non-public address")
        last: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as err:
                last = err
        assert last is not None
        raise last

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise Blocked("unix sockets are never fetched")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def guarded_client(backend: GuardedBackend, timeout: float) -> httpx.AsyncClient:
    """An httpx client whose every connection goes through ``backend``; no proxies, no netrc."""
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    # httpx has no public seam for the network backend; httpcore's pool takes one
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=4,
        network_backend=backend,
    )

    async def only_http(request: httpx.Request) -> None:
        if request.url.scheme not in ("http", "https"):
            raise PreviewError("blocked", f"scheme {request.url.scheme}")

    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(timeout),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        trust_env=False,
        event_hooks={"request": [only_http]},
        headers={"User-Agent": "khomun-preview/1 (+https://github.com/khomun)"},
    )


class PreviewCache:
    """Previews by URL in the state database, with the validators the server gave."""

    def __init__(self, path: Target, clock: Callable[[], float] = time.time) -> None:
        self._db = open_database(path)
        self._lock = threading.Lock()
        self.clock = clock

    def get(self, url: str) -> tuple[Preview, str, str, float] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT data, etag, last_modified, fetched FROM preview_cache WHERE url = ?", (url,)
            ).fetchone()
        if row is None:
            return None
        raw = json.loads(row[0])
        preview = Preview(
            columns=tuple(raw["columns"]),
            rows=tuple(tuple(r) for r in raw["rows"]),
            total=int(raw["total"]),
            at_least=bool(raw["at_least"]),
            resource_name=str(raw.get("resource_name", "")),
            url=str(raw.get("url", "")),
        )
        return preview, row[1], row[2], float(row[3])

    def put(self, url: str, preview: Preview, etag: str = "", last_modified: str = "") -> None:
        data = json.dumps(asdict(preview), ensure_ascii=False)
        with self._lock:
            self._db.execute(
                "INSERT INTO preview_cache (url, etag, last_modified, data, fetched)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET etag = excluded.etag,"
                " last_modified = excluded.last_modified, data = excluded.data, fetched = excluded.fetched",
                (url, etag, last_modified, data, self.clock()),
            )

    def touch(self, url: str) -> None:
        with self._lock:
            self._db.execute("UPDATE preview_cache SET fetched = ? WHERE url = ?", (self.clock(), url))

    def close(self) -> None:
        with self._lock:
            self._db.close()


class Previewer:
    def __init__(
        self,
        cache: PreviewCache,
        *,
        allow_hosts: Iterable[str] = (),
        ckan_url: str = "",
        timeout: float = TIMEOUT,
        max_bytes: int = MAX_BYTES,
        backend: GuardedBackend | None = None,
    ) -> None:
        self.cache = cache
        self.backend = backend if backend is not None else GuardedBackend(allow_hosts)
        self.ckan_url = ckan_url.rstrip("/")
        self.timeout = timeout
        self.max_bytes = max_bytes

    async def complete(self, turn: Turn) -> Turn:
        """The turn with its preview filled in (or a polite reason in its text); never raises."""
        reply = turn.reply
        req = reply.preview_of
        if req is None or reply.preview is not None:
            return turn
        try:
            preview = await self.preview(req)
        except PreviewError as err:
            log.info("preview failed", extra={"reason": err.kind, "dataset": req.dataset})
            text = texts.PREVIEW_FAILED.get(err.kind, texts.PREVIEW_FAILED["unavailable"])
            return replace(turn, reply=replace(reply, text=text, preview_of=None))
        except Exception:
            log.exception("preview crashed", extra={"dataset": req.dataset})
            text = texts.PREVIEW_FAILED["unavailable"]
            return replace(turn, reply=replace(reply, text=text, preview_of=None))
        rows = (
            texts.PREVIEW_AT_LEAST.format(n=preview.total)
            if preview.at_least
            else texts.PREVIEW_TOTAL.format(n=preview.total)
        )
        lead = texts.PREVIEW_LEAD.format(
            name=req.resource_name or req.title, columns=len(preview.columns), rows=rows
        )
        return replace(turn, reply=replace(reply, text=lead, preview=preview))

    async def preview(self, req: PreviewRequest) -> Preview:
        if urlsplit(req.url).scheme not in ("http", "https"):
            raise PreviewError("blocked", "not http(s)")
        cached = self.cache.get(req.url)
        if cached is not None and self.cache.clock() - cached[3] < FRESH:
            return cached[0]
        try:
            async with asyncio.timeout(self.timeout), guarded_client(self.backend, self.timeout) as client:
                found = await self._datastore(client, req)
                if found is not None:
                    self.cache.put(req.url, found)
                    return found
                return await self._file(client, req, cached)
        except TimeoutError as err:
            raise PreviewError("timeout") from err
        except httpx.TimeoutException as err:
            raise PreviewError("timeout") from err
        except httpx.ConnectError as err:
            blocked = isinstance(err.__cause__, Blocked) or isinstance(err.__context__, Blocked)
            raise PreviewError("blocked" if blocked else "unavailable", str(err)) from err
        except httpx.TooManyRedirects as err:
            raise PreviewError("unavailable", "too many redirects") from err
        except (httpx.HTTPError, httpcore.ConnectError) as err:
            raise PreviewError("blocked" if isinstance(err, Blocked) else "unavailable", str(err)) from err

    def _portal(self, url: str) -> tuple[str, str] | None:
        """(CKAN base URL, resource id) when ``url`` is a CKAN resource URL."""
        m = _RESOURCE_ID.search(url)
        if m is None:
            return None
        parts = urlsplit(url)
        base = self.ckan_url or f"{parts.scheme}://{parts.netloc}"
        return base, m.group(1)

    async def _datastore(self, client: httpx.AsyncClient, req: PreviewRequest) -> Preview | None:
        """The resource's DataStore table, or None when the portal has none for it."""
        portal = self._portal(req.url)
        if portal is None:
            return None
        base, resource_id = portal
        try:
            r = await client.get(
                f"{base}/api/3/action/datastore_search",
                params={"resource_id": resource_id, "limit": "5"},
            )
            body = r.json() if r.status_code == 200 else None
        except (ValueError, httpx.DecodingError):
            return None
        if not isinstance(body, dict) or body.get("success") is not True:
            return None
        result = body.get("result") or {}
        fields = [str(f.get("id", "")) for f in result.get("fields") or [] if isinstance(f, dict)]
        columns = tuple(f for f in fields if f and f != "_id")
        if not columns:
            return None
        records = [r for r in result.get("records") or [] if isinstance(r, dict)]
        rows = tuple(tuple(_text(rec.get(c)) for c in columns) for rec in records[:5])
        total = result.get("total")
        total = int(total) if isinstance(total, int) and total >= 0 else len(records)
        return Preview(columns, rows, total, False, req.resource_name, req.url)

    async def _file(
        self, client: httpx.AsyncClient, req: PreviewRequest, cached: tuple[Preview, str, str, float] | None
    ) -> Preview:
        headers = {}
        if cached is not None:
            if cached[1]:
                headers["If-None-Match"] = cached[1]
            if cached[2]:
                headers["If-Modified-Since"] = cached[2]
        async with client.stream("GET", req.url, headers=headers) as response:
            if response.status_code == 304 and cached is not None:
                self.cache.touch(req.url)
                return cached[0]
            if response.status_code != 200:
                raise PreviewError("unavailable", f"HTTP {response.status_code}")
            declared = response.headers.get("content-length", "")
            spreadsheet = req.format.upper() in ("XLSX", "XLS", "ODS")
            if spreadsheet and declared.isdigit() and int(declared) > self.max_bytes:
                raise PreviewError("too_large")
            data, truncated = await _read_at_most(response, self.max_bytes)
            etag = response.headers.get("etag", "")
            modified = response.headers.get("last-modified", "")
        try:
            preview = await asyncio.to_thread(read_table, data, req.format, truncated=truncated)
        except UnreadableFile as err:
            if truncated and spreadsheet:
                raise PreviewError("too_large") from err
            raise PreviewError("unreadable", str(err)) from err
        preview = replace(preview, resource_name=req.resource_name, url=req.url)
        self.cache.put(req.url, preview, etag, modified)
        return preview


async def _read_at_most(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """The body's first ``limit`` bytes and whether there was more (the rest is never read)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks)[:limit], True
    return b"".join(chunks), False


def _text(value: Any) -> str:
    if value is None:
        return ""
    return " ".join(str(value).split())[:200]
