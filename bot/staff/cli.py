"""`khomun unanswered`, `khomun digest`, `khomun purge`: the staff pages' data from a terminal or cron."""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from ..settings import Settings
from . import data
from . import texts as T

__all__ = ["digest", "purge", "unanswered"]

DIGEST_HOURS = 24
TELEGRAM_LIMIT = 4096
LINE_TEXT_LIMIT = 5000
TIMEOUT = 15.0


def unanswered(settings: Settings, since: str = "7d", csv: bool = False) -> int:
    """Print the unanswered groups since ``since`` (7d, 24h or 2026-11-01)."""
    now = datetime.now(UTC)
    try:
        start = data.parse_since(since, now)
    except ValueError as err:
        print(f"khomun unanswered: {err}", file=sys.stderr)
        return 2
    db = data.connect(settings.state_db)
    try:
        groups = data.unanswered_groups(db, data.Window(start, now + timedelta(seconds=1)))
    finally:
        db.close()
    if csv:
        sys.stdout.write(data.groups_csv(groups))
        return 0
    if not groups:
        print(T.NOTHING)
        return 0
    for g in groups:
        platforms = ", ".join(f"{p}:{n}" for p, n in g.platforms.most_common())
        print(f"{g.count:>5}  {g.label}  [{platforms}]  {g.first_seen} .. {g.last_seen}")
        others = [t for t in g.example_texts if t != g.label]
        if others:
            print("       " + " | ".join(others))
    return 0


def digest_text(groups: list[data.Group], top: int, public_url: str) -> str:
    lines = [T.DIGEST_HEAD.format(hours=DIGEST_HOURS, count=sum(g.count for g in groups), groups=len(groups))]
    lines += [T.DIGEST_LINE.format(n=i, label=g.label, count=g.count) for i, g in enumerate(groups[:top], 1)]
    if public_url:
        lines.append(T.DIGEST_LINK.format(url=f"{public_url}/staff/unanswered"))
    return "\n".join(lines)


def _send_telegram(client: httpx.Client, settings: Settings, text: str) -> None:
    url = f"{settings.telegram_api_base_url}/bot{settings.telegram_bot_token}/sendMessage"
    body = {
        "chat_id": settings.staff_telegram_chat_id,
        "text": text[:TELEGRAM_LIMIT],
        "link_preview_options": {"is_disabled": True},
    }
    response = client.post(url, json=body)
    if response.status_code != 200 or not response.json().get("ok"):
        raise RuntimeError(f"Telegram answered HTTP {response.status_code}")


def _send_line(client: httpx.Client, settings: Settings, text: str) -> None:
    response = client.post(
        f"{settings.line_api_base_url}/v2/bot/message/push",
        headers={
            "Authorization": f"Bearer {settings.line_channel_access_token}",
            "X-Line-Retry-Key": str(uuid.uuid4()),
        },
        json={"to": settings.staff_line_to, "messages": [{"type": "text", "text": text[:LINE_TEXT_LIMIT]}]},
    )
    # 409: a retry of a push LINE already accepted
    if response.status_code not in (200, 409):
        raise RuntimeError(f"LINE answered HTTP {response.status_code}")


def digest(settings: Settings, top: int = 10, client: httpx.Client | None = None) -> int:
    """Send the last day's unanswered groups to staff on Telegram and/or LINE; then purge."""
    now = datetime.now(UTC)
    db = data.connect(settings.state_db)
    try:
        groups = data.unanswered_groups(
            db, data.Window(now - timedelta(hours=DIGEST_HOURS), now + timedelta(seconds=1))
        )
        purged = data.purge(db, settings.retention_days, now)
    finally:
        db.close()
    print(f"purged {purged} journal rows older than {settings.retention_days} days")
    if not groups:
        print(T.DIGEST_NOTHING)
        return 0
    text = digest_text(groups, top, settings.public_url)
    targets = []
    if settings.staff_telegram_chat_id and settings.telegram_bot_token:
        targets.append(("telegram", f"chat {settings.staff_telegram_chat_id}", _send_telegram))
    if settings.staff_line_to and settings.line_channel_access_token:
        targets.append(("line", f"to {settings.staff_line_to}", _send_line))
    if not targets:
        print(text)
        print(
            "khomun digest: nowhere to send: set STAFF_TELEGRAM_CHAT_ID with TELEGRAM_BOT_TOKEN "
            "and/or STAFF_LINE_TO with LINE_CHANNEL_ACCESS_TOKEN",
            file=sys.stderr,
        )
        return 2
    failed = 0
    own = client is None
    http = client or httpx.Client(timeout=TIMEOUT)
    try:
        for platform, where, send in targets:
            try:
                send(http, settings, text)
            except (httpx.HTTPError, RuntimeError, ValueError) as err:
                failed += 1
                # our own messages only: an httpx error may carry the URL, and the URL the bot token
                why = str(err) if isinstance(err, RuntimeError) else type(err).__name__
                print(f"khomun digest: {platform} {where} failed: {why}", file=sys.stderr)
                continue
            print(f"sent to {platform} {where}:\n{text}")
    finally:
        if own:
            http.close()
    return 1 if failed else 0


def purge(settings: Settings) -> int:
    """Delete journal rows older than KHOMUN_RETENTION_DAYS."""
    db = data.connect(settings.state_db)
    try:
        n = data.purge(db, settings.retention_days, datetime.now(UTC))
    finally:
        db.close()
    print(f"purged {n} journal rows older than {settings.retention_days} days")
    return 0
