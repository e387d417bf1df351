"""Logging for the command and the service: plain lines, or JSON lines (python-json-logger) when
KHOMUN_LOG_FORMAT=json, one object a line with the record's ``extra`` fields as keys.

The code never logs tokens, signatures, request bodies or raw user ids (it logs hashes), and as
a second line of defence every finished line goes through ``Redact``: the values of the secret
settings, anything shaped like a Telegram bot token and LINE user, group and room ids are masked,
in the message, the extra fields and tracebacks alike (an exception's text can carry a URL, and Bot API
URLs hold the bot token).
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterable, Mapping
from typing import IO

from pythonjsonlogger.json import JsonFormatter

__all__ = ["SECRET_SETTINGS", "Redact", "configure_logging", "json_formatter", "json_logs"]

#: environment variables whose values never appear in a log line
SECRET_SETTINGS = (
    "LINE_CHANNEL_SECRET",
    "LINE_CHANNEL_ACCESS_TOKEN",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "STAFF_TOKEN",
    "KHOMUN_SECRET_KEY",
    "KHOMUN_CKAN_API_KEY",
)
#: shorter values are not masked (they would mask ordinary words)
_MIN_SECRET = 8
_SHAPES = (
    (re.compile(r"(?<!\d)\d{5,12}:[A-Za-z0-9_-]{30,}"), "[telegram-token]"),
    (re.compile(r"\b[UCR][0-9a-f]{32}\b"), "[line-id]"),
)
PLAIN = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_OURS = "_khomun_handler"


class Redact:
    """Masks the values of the secret settings and anything shaped like a token or raw id."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = sorted({s for s in secrets if len(s) >= _MIN_SECRET}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, "[redacted]")
        for shape, mask in _SHAPES:
            text = shape.sub(mask, text)
        return text


class _Redacting(logging.Formatter):
    """A formatter whose every finished line (message, fields, traceback) goes through Redact;
    the record itself is left as it was for other handlers."""

    def __init__(self, inner: logging.Formatter, redact: Redact) -> None:
        super().__init__()
        self.inner = inner
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(self.inner.format(record))


def json_formatter() -> logging.Formatter:
    return JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        json_ensure_ascii=False,
    )


def json_logs(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return env.get("KHOMUN_LOG_FORMAT", "").strip().lower() == "json"


def configure_logging(
    env: Mapping[str, str] | None = None, stream: IO[str] | None = None, *, force: bool = False
) -> logging.Handler | None:
    """One handler on the root logger at KHOMUN_LOG_LEVEL, in KHOMUN_LOG_FORMAT ("json", else
    plain lines), masking what ``Redact`` masks; it replaces the one set before. Like
    ``logging.basicConfig``, nothing is done when someone else's handler is already there (a
    test runner's), unless ``force``. Returns the handler."""
    env = os.environ if env is None else env
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, _OURS, False)]
    if not force and len(ours) < len(root.handlers):
        return None
    for old in ours:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    setattr(handler, _OURS, True)
    inner = json_formatter() if json_logs(env) else logging.Formatter(PLAIN)
    handler.setFormatter(_Redacting(inner, Redact(env.get(name, "") for name in SECRET_SETTINGS)))
    root.addHandler(handler)
    root.setLevel(env.get("KHOMUN_LOG_LEVEL", "INFO").upper())
    return handler
