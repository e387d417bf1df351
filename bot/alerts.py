"""``khomun alerts send``: tell each follower about datasets new or modified since they were last
told, one message per follower per run, at most ``MAX_ITEMS`` datasets in it.

Idempotent: the datasets of a message are recorded as "sending" before it goes and "sent" after
(``FollowStore.claim``/``settle``); a message that surely did not go releases them for the next run,
one that may have gone (a timeout after sending) keeps them, so nobody gets a dataset twice.

Telegram: sendMessage paced to at most ``TELEGRAM_PER_SECOND`` overall (one message per chat per
run keeps the 1/s per chat), 429 ``retry_after`` honoured (``bot.retry``; the wait holds every
send, up to ``MAX_RETRY_AFTER``); 403 (the user blocked the bot, or left)
deletes that chat's follows. LINE: pushes cost money, so at most one per user per day, multicast to
everyone whose message is identical, never past ``LINE_PUSH_MONTHLY_CAP`` this month, and never
past what LINE's quota endpoints say is left.
"""

from __future__ import annotations

import asyncio
import html
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from index.dataset import Dataset
from index.search import SearchEngine
from intents import texts
from intents.cards import safe_url, shorten
from intents.follow import PUSHED, news_for
from intents.follows import Follow, FollowStore
from state import SecretKey

from .journal import load_or_create_secret
from .retry import Policy
from .settings import Settings

__all__ = ["MAX_ITEMS", "Alert", "AlertReport", "plan", "run", "send_alerts"]

log = logging.getLogger(__name__)

MAX_ITEMS = 10
TELEGRAM_PER_SECOND = 25  # under Telegram's ~30 messages/s for a bot
ATTEMPTS = 3
BACKOFF = 0.5  # seconds before the first retry, doubled for each one after
MAX_RETRY_AFTER = 60.0  # seconds a Telegram 429 may hold the whole run
LINE_MAX_RETRY_AFTER = 5.0
MULTICAST_MAX = 500  # recipients per LINE multicast
TIMEOUT = 10.0


@dataclass(slots=True)
class Alert:
    """One message to one follower."""

    platform: str
    chat_id: str
    datasets: list[Dataset]
    more: int  # news beyond MAX_ITEMS, left for the next run
    follows: list[Follow]

    @property
    def items(self) -> list[tuple[str, str]]:
        return [(d.name, d.metadata_modified) for d in self.datasets]


@dataclass(slots=True)
class AlertReport:
    sent: int = 0  # messages
    datasets: int = 0
    skipped_daily: int = 0  # LINE users already pushed to today
    skipped_budget: int = 0  # LINE users past the monthly cap or LINE's quota
    blocked: int = 0  # chats that blocked the bot (follows deleted)
    failed: int = 0
    lines: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"alerts: {self.sent} messages, {self.datasets} datasets; "
            f"{self.blocked} blocked chats forgotten; "
            f"LINE skipped {self.skipped_daily} (already today), {self.skipped_budget} (cap or quota); "
            f"{self.failed} failed"
        )


def plan(engine: SearchEngine, store: FollowStore) -> list[Alert]:
    """Who should be told what: each pushed follower's unsent news, newest first."""
    by_chat: dict[tuple[str, str], list[Follow]] = {}
    for f in store.all():
        if f.platform in PUSHED:
            by_chat.setdefault((f.platform, f.chat_id), []).append(f)
    alerts = []
    for (platform, chat_id), follows in by_chat.items():
        news: dict[str, Dataset] = {}
        for f in follows:
            for d in news_for(engine, f):
                news.setdefault(d.name, d)
        ordered = sorted(news.values(), key=lambda d: d.metadata_modified, reverse=True)
        unsent = set(store.unsent(platform, chat_id, [(d.name, d.metadata_modified) for d in ordered]))
        fresh = [d for d in ordered if (d.name, d.metadata_modified) in unsent]
        if fresh:
            alerts.append(
                Alert(platform, chat_id, fresh[:MAX_ITEMS], max(0, len(fresh) - MAX_ITEMS), follows)
            )
    return alerts


def telegram_text(alert: Alert) -> str:
    lines = [html.escape(texts.ALERT_HEAD)]
    for d in alert.datasets:
        title = html.escape(shorten(d.title, 150))
        agency = f" · {html.escape(shorten(d.organization, 60))}" if d.organization else ""
        lines.append(f'• <a href="{html.escape(safe_url(d.page_url))}">{title}</a>{agency}')
    if alert.more:
        lines.append(html.escape(texts.ALERT_MORE.format(n=alert.more)))
    return "\n".join(lines)


def line_text(alert: Alert) -> str:
    lines = [texts.ALERT_HEAD]
    for d in alert.datasets:
        lines.append(f"• {shorten(d.title, 120)}\n{safe_url(d.page_url)}")
    if alert.more:
        lines.append(texts.ALERT_MORE.format(n=alert.more))
    return "\n".join(lines)[:5000]


class Pacer:
    """At most ``rate`` starts per second."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate
        self.clock = clock
        self.next = 0.0

    async def wait(self) -> None:
        now = self.clock()
        if now < self.next:
            await asyncio.sleep(self.next - now)
        self.next = max(now, self.next) + self.interval

    async def hold(self, seconds: float) -> None:
        """No start for ``seconds`` from now (the next ``wait`` waits it out)."""
        self.next = max(self.next, self.clock() + seconds)


class _Sender:
    def __init__(
        self,
        settings: Settings,
        store: FollowStore,
        report: AlertReport,
        client: httpx.AsyncClient,
        secret: SecretKey,
    ):
        self.settings = settings
        self.secret = secret
        self.store = store
        self.report = report
        self.client = client
        self.pacer = Pacer(TELEGRAM_PER_SECOND)
        self.today = datetime.now(UTC).strftime("%Y-%m-%d")

    def _done(self, alert: Alert, sent: bool, watermark: str) -> None:
        self.store.settle(alert.platform, alert.chat_id, alert.items, sent)
        if sent:
            self.report.sent += 1
            self.report.datasets += len(alert.datasets)
            if not alert.more:  # everything this follow had is told: later runs look past it
                self.store.advance([f.id for f in alert.follows], watermark)

    # -- Telegram ------------------------------------------------------------------------------
    async def telegram(self, alert: Alert, watermark: str) -> None:
        base = f"{self.settings.telegram_api_base_url}/bot{self.settings.telegram_bot_token}"
        body = {
            "chat_id": alert.chat_id,
            "text": telegram_text(alert),
            "parse_mode": "HTML",
            "link_preview_options": '{"is_disabled": true}',
        }
        self.store.claim(alert.platform, alert.chat_id, alert.items)

        async def once() -> httpx.Response:
            await self.pacer.wait()
            return _refused_or(await self.client.post(f"{base}/sendMessage", data=body))

        try:  # a retry's wait holds the pacer: every chat waits out a rate limit
            r = await _TELEGRAM.call(once, sleep=self.pacer.hold)
        except (httpx.ConnectError, _Refused):  # it did not go: the next run tries again
            self.store.settle(alert.platform, alert.chat_id, alert.items, False)
            self.report.failed += 1
            return
        except httpx.HTTPError:  # sent, but no answer: it may have arrived; never again
            log.warning(
                "Telegram alert unanswered; not resending",
                extra={"chat": self.secret.hash_id("log", alert.platform, alert.chat_id)},
            )
            self.store.settle(alert.platform, alert.chat_id, alert.items, True)
            self.report.failed += 1
            return
        if r.status_code == 200:
            self._done(alert, True, watermark)
            return
        if r.status_code == 403:
            self.store.remove_all(alert.platform, alert.chat_id)
            self.report.blocked += 1
            log.info(
                "Telegram chat blocked the bot; follows deleted",
                extra={"chat": self.secret.hash_id("log", alert.platform, alert.chat_id)},
            )
            return
        self.store.settle(alert.platform, alert.chat_id, alert.items, False)
        self.report.failed += 1

    # -- LINE ------------------------------------------------------------------------------------
    async def _line_get(self, path: str) -> dict[str, Any]:
        r = await self.client.get(
            self.settings.line_api_base_url + path,
            headers={"Authorization": f"Bearer {self.settings.line_channel_access_token}"},
        )
        r.raise_for_status()
        data = r.json()
        return data if isinstance(data, dict) else {}

    async def line_budget(self) -> int:
        """Pushes still allowed: our monthly cap, and what LINE says the account has left."""
        budget = self.settings.line_push_monthly_cap - self.store.pushes_in_month("line", self.today[:7])
        quota = await self._line_get("/v2/bot/message/quota")
        if quota.get("type") == "limited":
            used = await self._line_get("/v2/bot/message/quota/consumption")
            budget = min(budget, int(quota.get("value", 0)) - int(used.get("totalUsage", 0)))
        return max(0, budget)

    async def line(self, alerts: list[Alert], watermark: str) -> None:
        due = []
        for a in alerts:
            if self.store.pushes("line", a.chat_id, self.today) >= 1:
                self.report.skipped_daily += 1  # their news waits for tomorrow's run
            else:
                due.append(a)
        if not due:
            return
        try:
            budget = await self.line_budget()
        except (httpx.HTTPError, ValueError) as err:
            log.error("LINE quota unreadable; no LINE alerts this run", extra={"error": type(err).__name__})
            self.report.skipped_budget += len(due)
            return
        groups: dict[str, list[Alert]] = {}
        for a in due:
            groups.setdefault(line_text(a), []).append(a)
        for text, members in groups.items():
            for start in range(0, len(members), MULTICAST_MAX):
                batch = members[start : start + MULTICAST_MAX]
                if budget <= 0:
                    self.report.skipped_budget += len(batch)
                    continue
                skipped = batch[budget:]
                batch = batch[:budget]
                self.report.skipped_budget += len(skipped)
                budget -= len(batch)
                await self._multicast(text, batch, watermark)

    async def _multicast(self, text: str, batch: list[Alert], watermark: str) -> None:
        for a in batch:
            self.store.claim(a.platform, a.chat_id, a.items)
        body = {"to": [a.chat_id for a in batch], "messages": [{"type": "text", "text": text}]}
        key = str(uuid.uuid4())  # the same key on every retry: LINE sends it once
        headers = {
            "Authorization": f"Bearer {self.settings.line_channel_access_token}",
            "X-Line-Retry-Key": key,
        }
        sent: bool | None = False

        async def once() -> httpx.Response:
            nonlocal sent
            try:
                r = await self.client.post(
                    self.settings.line_api_base_url + "/v2/bot/message/multicast", json=body, headers=headers
                )
            except httpx.ConnectError:  # it did not go
                raise
            except httpx.HTTPError:
                sent = None  # maybe: the retry key makes a retry safe
                raise
            return _refused_or(r)

        try:
            r = await _LINE.call(once)
            if r.status_code in (200, 409):  # 409: this retry key was accepted before
                sent = True
        except (httpx.HTTPError, _Refused):
            pass
        for a in batch:
            if sent:
                self.store.record_push("line", a.chat_id, self.today)
                self._done(a, True, watermark)
            elif sent is None:  # may have been delivered: keep them claimed
                self.store.settle(a.platform, a.chat_id, a.items, True)
                self.report.failed += 1
            else:
                self._done(a, False, watermark)
                self.report.failed += 1


def _retry_after(r: httpx.Response) -> float:
    """Seconds a 429 asks for: Telegram's ``parameters.retry_after``, else the ``Retry-After``
    header (LINE's), else 1; at most ``MAX_RETRY_AFTER``."""
    try:
        body = r.json()
        asked = body.get("parameters", {}).get("retry_after") if isinstance(body, dict) else None
    except (ValueError, AttributeError):
        asked = None
    try:
        seconds = float(asked if asked is not None else r.headers.get("retry-after") or 1)
    except (TypeError, ValueError):
        seconds = 1.0
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


class _Refused(Exception):
    """A 429 or 5xx answer: worth another try."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def _refused_or(r: httpx.Response) -> httpx.Response:
    if r.status_code == 429 or r.status_code >= 500:
        raise _Refused(r)
    return r


def _asked(cap: float) -> Callable[[BaseException], float | None]:
    """The wait a 429 asks for (Telegram's ``retry_after``, else ``Retry-After``), at most ``cap``."""

    def asked(err: BaseException) -> float | None:
        if isinstance(err, _Refused) and err.response.status_code == 429:
            return min(_retry_after(err.response), cap)
        return None

    return asked


def _log_rate_limit(err: BaseException, attempt: int, wait: float) -> None:
    if isinstance(err, _Refused) and err.response.status_code == 429:
        log.info("Telegram rate limit on alerts; waiting", extra={"seconds": wait})


#: sendMessage: again after a failure to connect, a 429 or a 5xx; never after a send left unanswered
_TELEGRAM = Policy(
    "telegram",
    lambda err: isinstance(err, httpx.ConnectError | _Refused),
    _asked(MAX_RETRY_AFTER),
    ATTEMPTS,
    BACKOFF,
    _log_rate_limit,
    metrics=False,
)
#: multicast: again after any failure but a 4xx (its retry key makes a repeat safe); 429 waits <= 5 s
_LINE = Policy(
    "line",
    lambda err: isinstance(err, httpx.HTTPError | _Refused),
    _asked(LINE_MAX_RETRY_AFTER),
    ATTEMPTS,
    BACKOFF,
    metrics=False,
)


async def run(
    settings: Settings,
    engine: SearchEngine,
    store: FollowStore,
    *,
    secret: SecretKey,
    dry_run: bool = False,
    client: httpx.AsyncClient | None = None,
) -> AlertReport:
    """Plan and send (or with ``dry_run`` only list) the alerts; chats are named in log lines and
    the list by their keyed tag (``secret``: the service's secret key)."""
    report = AlertReport()
    alerts = plan(engine, store)
    newest = engine.latest(limit=1)
    watermark = newest[0].metadata_modified if newest else ""
    if dry_run:
        for a in alerts:
            titles = "; ".join(shorten(d.title, 60) for d in a.datasets)
            tag = secret.hash_id("log", a.platform, a.chat_id)
            report.lines.append(f"{a.platform} chat {tag}: {len(a.datasets)} datasets: {titles}")
        return report
    own = client is None
    client = client or httpx.AsyncClient(timeout=TIMEOUT, trust_env=False)
    try:
        sender = _Sender(settings, store, report, client, secret)
        telegram = [a for a in alerts if a.platform == "telegram"]
        line = [a for a in alerts if a.platform == "line"]
        if telegram and settings.telegram_enabled:
            for a in telegram:
                await sender.telegram(a, watermark)
        if line and settings.line_channel_access_token:
            await sender.line(line, watermark)
    finally:
        if own:
            await client.aclose()
    return report


def send_alerts(settings: Settings, *, dry_run: bool = False) -> int:
    """The command: plan, send (or print), report. Exit status 0, or 1 when some failed."""
    from .runtime import open_engine

    secret = SecretKey(load_or_create_secret(settings))
    engine = open_engine(settings.index_path)
    store = FollowStore(settings.state_db)
    try:
        report = asyncio.run(run(settings, engine, store, secret=secret, dry_run=dry_run))
    finally:
        store.close()
        engine.close()  # `index refresh --every --alerts` opens one per run
    for line in report.lines:
        print(line)
    print(report.summary() if not dry_run else f"alerts (dry run): {len(report.lines)} messages would go")
    return 1 if report.failed else 0
