"""`khomun telegram set-webhook URL`: register our webhook (with the secret token) with Telegram."""

from __future__ import annotations

import asyncio

from telegram import Bot
from telegram.error import TelegramError

from ..settings import Settings

__all__ = ["ALLOWED_UPDATES", "set_webhook"]

ALLOWED_UPDATES = ("message", "callback_query", "inline_query")


def _scrub(text: str, *secrets: str) -> str:
    for s in secrets:
        if s:
            text = text.replace(s, "***")
    return text


async def _set(settings: Settings, url: str) -> bool:
    base = settings.telegram_api_base_url
    bot = Bot(settings.telegram_bot_token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot")
    async with bot:
        return await bot.set_webhook(
            url,
            secret_token=settings.telegram_webhook_secret or None,
            allowed_updates=list(ALLOWED_UPDATES),
        )


def set_webhook(settings: Settings, url: str) -> int:
    """Register ``url``; prints the outcome (never the token or secret). Exit status: 0 done,
    1 Telegram refused, 2 bad input or configuration."""
    if not settings.telegram_bot_token:
        print("khomun telegram: TELEGRAM_BOT_TOKEN is not set")
        return 2
    if not url.startswith("https://"):
        print(f"khomun telegram: the webhook URL must start with https:// (got {url!r})")
        return 2
    try:
        ok = asyncio.run(_set(settings, url))
    except (TelegramError, OSError) as err:
        message = _scrub(str(err), settings.telegram_bot_token, settings.telegram_webhook_secret)
        print(f"khomun telegram: setWebhook failed: {type(err).__name__}: {message}")
        return 1
    secret = "with secret token" if settings.telegram_webhook_secret else "WITHOUT a secret token"
    print(f"setWebhook {url} ({secret}): {'ok' if ok else 'refused'}")
    return 0 if ok else 1
