"""Harvest a live CKAN portal through `package_search`: paged, newest first, retried politely.

httpx rather than ckanapi: ckanapi hides response headers (Retry-After) and status codes behind its
own exceptions, and retries badly; here every call is one GET we can retry and explain.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from tqdm import tqdm

__all__ = ["USER_AGENT", "CKANError", "harvest"]

#: data.go.th turns away clients that do not look like a browser.
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 khomun/0.1"
)
SORT = "metadata_modified desc"
RETRY_AFTER_LIMIT = 600.0  # seconds; a longer Retry-After is clamped to this


class CKANError(Exception):
    """A CKAN API call failed for good (bad status, not CKAN JSON, or retries exhausted)."""


@dataclass(frozen=True, slots=True)
class _Retry:
    max_retries: int
    backoff: float
    max_backoff: float
    sleep: Callable[[float], None]
    rng: random.Random

    def delay(self, attempt: int) -> float:
        """Exponential backoff, capped, with "equal jitter" (half fixed, half random)."""
        ceiling = min(self.max_backoff, self.backoff * 2**attempt)
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)


def harvest(
    base_url: str,
    api_key: str | None = None,
    since: str | None = None,
    rows: int = 100,
    progress: bool = True,
    max_retries: int = 5,
    *,
    client: httpx.Client | None = None,
    timeout: float = 30.0,
    backoff: float = 1.0,
    max_backoff: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> Iterator[dict[str, Any]]:
    """Raw package dicts from `base_url`, newest first, page by page (`rows`/`start`).

    With `since` (ISO timestamp), only records modified after it: the search is filtered and the
    walk stops at the first record older than or equal to it. A dataset seen twice (pages shift
    when the portal changes under us) is yielded once. Pass `client` to choose the transport and
    `sleep`/`rng` to control backoff.
    """
    if rows < 1 or max_retries < 0:
        raise ValueError("rows must be at least 1 and max_retries at least 0")
    if urlsplit(base_url).scheme not in {"http", "https"} or not urlsplit(base_url).netloc:
        raise ValueError(f"base_url must be an http(s) URL: {base_url!r}")
    since_time = _parse_time(since) if since is not None else None
    if since is not None and since_time is None:
        raise ValueError(f"since is not an ISO timestamp: {since!r}")
    url = f"{base_url.rstrip('/')}/api/3/action/package_search"
    params: dict[str, str | int] = {"rows": rows, "sort": SORT}
    if since_time is not None:
        params["fq"] = f"metadata_modified:[{since_time.strftime('%Y-%m-%dT%H:%M:%SZ')} TO *]"
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if api_key:
        headers["Authorization"] = api_key
    retry = _Retry(max_retries, backoff, max_backoff, sleep, rng or random.Random())
    return _walk(url, params, headers, since_time, retry, client, timeout, progress, api_key or "")


def _walk(
    url: str,
    params: dict[str, str | int],
    headers: dict[str, str],
    since: datetime | None,
    retry: _Retry,
    client: httpx.Client | None,
    timeout: float,
    progress: bool,
    secret: str,
) -> Iterator[dict[str, Any]]:
    http = client or httpx.Client(timeout=timeout, follow_redirects=True)
    bar: tqdm[Any] | None = None
    seen: set[str] = set()
    start = 0
    try:
        while True:
            result = _call(http, url, {**params, "start": start}, headers, retry, secret)
            count, records = result["count"], result["results"]
            if bar is None:
                bar = tqdm(total=count, unit="dataset", desc=urlsplit(url).netloc, disable=not progress)
            for record in records:
                if since is not None and _older(record, since):
                    return
                bar.update(1)
                name = record.get("name")
                if isinstance(name, str):
                    if name in seen:
                        continue
                    seen.add(name)
                yield record
            start += len(records)
            if not records or start >= count:
                return
    finally:
        if bar is not None:
            bar.close()
        if client is None:
            http.close()


class _Transient(Exception):
    """A failure worth another try: a connection error or timeout, 429, or 5xx."""

    def __init__(self, problem: str, retry_after: float | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.retry_after = retry_after


def _call(
    http: httpx.Client,
    url: str,
    params: dict[str, str | int],
    headers: dict[str, str],
    retry: _Retry,
    secret: str,
) -> dict[str, Any]:
    """One action call, retried (tenacity) on connection errors, timeouts, 429 and 5xx; a
    Retry-After header says how long to wait, else exponential backoff with jitter."""

    def wait(state: RetryCallState) -> float:
        failure = state.outcome.exception() if state.outcome else None
        if isinstance(failure, _Transient) and failure.retry_after is not None:
            return failure.retry_after
        return retry.delay(state.attempt_number - 1)

    retrying = Retrying(
        stop=stop_after_attempt(retry.max_retries + 1),
        wait=wait,
        retry=retry_if_exception_type(_Transient),
        sleep=retry.sleep,
        reraise=True,
    )
    try:
        for attempt in retrying:
            with attempt:
                return _once(http, url, params, headers, secret)
    except _Transient as failure:
        attempts = retry.max_retries + 1
        raise CKANError(f"{url} failed after {attempts} attempts (last: {failure.problem})") from (
            failure.__cause__
        )
    raise AssertionError("unreachable")


def _once(
    http: httpx.Client, url: str, params: dict[str, str | int], headers: dict[str, str], secret: str
) -> dict[str, Any]:
    try:
        response = http.get(url, params=params, headers=headers)
    except httpx.TransportError as exc:  # connection errors and timeouts
        raise _Transient(type(exc).__name__) from exc
    except httpx.HTTPError as exc:  # too many redirects, undecodable body: retrying won't help
        raise CKANError(f"{url} failed: {type(exc).__name__}") from exc
    status = response.status_code
    if status == 429 or status >= 500:
        raise _Transient(f"HTTP {status}", _retry_after(response))
    return _result(response, url, secret)


def _result(response: httpx.Response, url: str, secret: str) -> dict[str, Any]:
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    if status >= 400:
        raise CKANError(_scrub(f"{url} answered HTTP {status}{_error_detail(body)}", secret))
    if not isinstance(body, dict):
        kind = response.headers.get("content-type", "no content type")
        raise CKANError(f"{url} did not answer CKAN JSON (HTTP {status}, {kind})")
    result = body.get("result")
    if body.get("success") is not True or not isinstance(result, dict):
        raise CKANError(_scrub(f"{url} reported failure{_error_detail(body)}", secret))
    if not isinstance(result.get("count"), int) or not isinstance(result.get("results"), list):
        raise CKANError(f"{url} answered without count/results")
    result["results"] = [r for r in result["results"] if isinstance(r, dict)]
    return result


def _error_detail(body: object) -> str:
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else error
    return f": {str(message)[:200]}" if message else ""


def _scrub(message: str, secret: str) -> str:
    return message.replace(secret, "***") if secret else message


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), if any."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(max(seconds, 0.0), RETRY_AFTER_LIMIT)


def _parse_time(value: object) -> datetime | None:
    """A naive UTC datetime (CKAN's convention) from an ISO timestamp, or None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def _older(record: dict[str, Any], since: datetime) -> bool:
    modified = _parse_time(record.get("metadata_modified"))
    return modified is not None and modified <= since
