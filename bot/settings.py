"""Configuration: every environment variable, parsed once, with errors that name the variable."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Settings", "SettingsError"]


class SettingsError(ValueError):
    """One or more environment variables are missing or malformed (all are named)."""


def _int(env: Mapping[str, str], name: str, default: int, problems: list[str]) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        problems.append(f"{name} must be a whole number, got {raw!r}")
        return default


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path = Path("var")
    port: int = 8000
    line_channel_secret: str = ""
    line_channel_access_token: str = ""
    line_api_base_url: str = "https://api.line.me"
    telegram_bot_token: str = ""
    telegram_webhook_secret: str = ""
    telegram_api_base_url: str = "https://api.telegram.org"
    secret_key: str = ""
    staff_token: str = ""
    staff_telegram_chat_id: str = ""
    staff_line_to: str = ""
    public_url: str = ""
    retention_days: int = 180
    ckan_url: str = ""
    ckan_api_key: str = ""
    #: addresses whose X-Forwarded-For is believed (comma separated); empty: none
    trusted_proxies: str = ""
    #: hosts a preview may fetch from even at private addresses (comma separated)
    fetch_allow_hosts: str = ""
    #: LINE alert pushes per calendar month, at most (push messages cost the account money)
    line_push_monthly_cap: int = 200
    #: webhook events one process holds per platform, accepted but not yet answered (then 503)
    inbox_capacity: int = 500
    #: postgresql://... puts the state (journal, contexts, inbox, teachings, staff sessions) there
    database_url: str = ""

    @property
    def index_path(self) -> Path:
        return self.data_dir / "index.sqlite"

    @property
    def state_path(self) -> Path:
        """Conversation context, journal and staff teachings: kept across index rebuilds."""
        return self.data_dir / "state.sqlite"

    @property
    def state_db(self) -> Path | str:
        """Where the state lives: DATABASE_URL when set, else the SQLite file ``state_path``."""
        return self.database_url or self.state_path

    @property
    def line_enabled(self) -> bool:
        return bool(self.line_channel_secret and self.line_channel_access_token)

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        problems: list[str] = []
        port = _int(env, "PORT", 8000, problems)
        retention = _int(env, "KHOMUN_RETENTION_DAYS", 180, problems)
        if retention < 1:
            problems.append("KHOMUN_RETENTION_DAYS must be at least 1")
        push_cap = _int(env, "LINE_PUSH_MONTHLY_CAP", 200, problems)
        if push_cap < 0:
            problems.append("LINE_PUSH_MONTHLY_CAP must be 0 or more")
        capacity = _int(env, "KHOMUN_INBOX_CAPACITY", 500, problems)
        if capacity < 1:
            problems.append("KHOMUN_INBOX_CAPACITY must be at least 1")
        database_url = env.get("DATABASE_URL", "").strip()
        if database_url and not database_url.startswith(("postgresql://", "postgres://")):
            problems.append("DATABASE_URL must be a postgresql:// URL (leave it unset for SQLite)")
        if database_url and not env.get("KHOMUN_SECRET_KEY", ""):
            # each instance would generate its own key: chats and users would hash differently
            problems.append("DATABASE_URL needs KHOMUN_SECRET_KEY, the same on every instance")
        secret = env.get("TELEGRAM_WEBHOOK_SECRET", "")
        if secret and not all(c.isalnum() or c in "_-" for c in secret):
            problems.append("TELEGRAM_WEBHOOK_SECRET may only use A-Z a-z 0-9 _ -")
        if problems:
            raise SettingsError("; ".join(problems))
        return cls(
            data_dir=Path(env.get("KHOMUN_DATA_DIR") or "var"),
            port=port,
            line_channel_secret=env.get("LINE_CHANNEL_SECRET", ""),
            line_channel_access_token=env.get("LINE_CHANNEL_ACCESS_TOKEN", ""),
            line_api_base_url=(env.get("LINE_API_BASE_URL") or "https://api.line.me").rstrip("/"),
            telegram_bot_token=env.get("TELEGRAM_BOT_TOKEN", ""),
            telegram_webhook_secret=secret,
            telegram_api_base_url=(env.get("TELEGRAM_API_BASE_URL") or "https://api.telegram.org").rstrip(
                "/"
            ),
            secret_key=env.get("KHOMUN_SECRET_KEY", ""),
            staff_token=env.get("STAFF_TOKEN", ""),
            staff_telegram_chat_id=env.get("STAFF_TELEGRAM_CHAT_ID", ""),
            staff_line_to=env.get("STAFF_LINE_TO", ""),
            public_url=(env.get("KHOMUN_PUBLIC_URL") or "").rstrip("/"),
            retention_days=retention,
            ckan_url=env.get("KHOMUN_CKAN_URL", ""),
            ckan_api_key=env.get("KHOMUN_CKAN_API_KEY", ""),
            trusted_proxies=",".join(
                p.strip() for p in env.get("KHOMUN_TRUSTED_PROXIES", "").split(",") if p.strip()
            ),
            fetch_allow_hosts=",".join(
                h.strip().lower() for h in env.get("KHOMUN_FETCH_ALLOW_HOSTS", "").split(",") if h.strip()
            ),
            line_push_monthly_cap=push_cap,
            inbox_capacity=capacity,
            database_url=database_url,
        )

    def __repr__(self) -> str:  # never print secrets
        return (
            f"Settings(data_dir={self.data_dir!s}, port={self.port}, "
            f"line={self.line_enabled}, telegram={self.telegram_enabled}, "
            f"state={'postgresql' if self.database_url else 'sqlite'})"
        )
