"""The `khomun` command."""

from __future__ import annotations

import os

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")

import argparse
import json
import sys
import tempfile
from pathlib import Path

from .requests import SEARCH_LIMIT_MAX, search_limit
from .settings import Settings, SettingsError

__all__ = ["main"]


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    if getattr(args, "data_dir", None):
        from dataclasses import replace

        settings = replace(settings, data_dir=Path(args.data_dir))
    return settings


def _conversation(settings: Settings):
    from intents import Conversation

    from .runtime import open_engine

    return Conversation(open_engine(settings.index_path))


def cmd_index_build(args: argparse.Namespace) -> int:
    from .runtime import build_from_ckan, build_from_file

    settings = _settings(args)
    ckan = args.ckan or settings.ckan_url
    if ckan:
        stats, report = build_from_ckan(
            settings.index_path, ckan, args.api_key or settings.ckan_api_key or None, full=args.full
        )
    else:
        catalog = Path(args.catalog) if args.catalog else None
        if catalog and not catalog.exists():
            print(f"khomun: no catalog file at {catalog}", file=sys.stderr)
            return 2
        stats, report = build_from_file(settings.index_path, catalog)
    print(report.summary())
    print(
        f"index: {stats.datasets} datasets, {stats.vocabulary} words, {stats.seconds:.1f} s -> {stats.path}"
    )
    return 0


def cmd_index_refresh(args: argparse.Namespace) -> int:
    from .refresh import RefreshSource, refresh

    settings = _settings(args)
    if args.catalog:
        source = RefreshSource(catalog=Path(args.catalog))
    else:
        source = RefreshSource(
            ckan=args.ckan or settings.ckan_url,
            api_key=args.api_key or settings.ckan_api_key,
            full=args.full,
        )
    return refresh(settings, source, every=args.every, alerts=args.alerts)


def _every(raw: str) -> float:
    from .refresh import parse_every

    try:
        return parse_every(raw)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def cmd_search(args: argparse.Namespace) -> int:
    from .requests import clean_text

    args.query = clean_text(args.query) or ""  # argv can carry lone surrogates (undecodable bytes)
    conversation = _conversation(_settings(args))
    result = conversation.engine.search(args.query, limit=args.limit)
    if args.json:
        from .web import search_json

        print(json.dumps(search_json(args.query, result, why=True), ensure_ascii=False, indent=2))
        return 0
    if result.query.corrected:
        print(f"(understood: {result.query.corrected})")
    if not result.answered:
        print("nothing found")
        return 0
    for i, h in enumerate(result.hits, start=1):
        print(f"{i:>2}. {h.score:6.3f}  {h.name}  {h.dataset.title}")
        print(f"              {h.dataset.organization} | {', '.join(h.why)}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from intents import Conversation

    from .evaluate import load_judged, run_eval
    from .runtime import build_from_file, open_engine

    settings = _settings(args)
    queries = Path(args.queries)
    try:
        items = list(load_judged(queries))
    except (OSError, ValueError) as err:
        print(f"khomun eval: {err}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="khomun-eval-") as tmp:
        index_path = settings.index_path
        if args.catalog:
            index_path = Path(tmp) / "index.sqlite"
            build_from_file(index_path, Path(args.catalog))
        report = run_eval(Conversation(open_engine(index_path)), items)
    print(report.table())
    if args.ranked:
        with open(args.ranked, "w", encoding="utf-8") as f:
            for row in report.ranked:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from .preview.fetch import PreviewCache, Previewer
    from .terminal import chat

    settings = _settings(args)
    # the same fetch rules as the service; its cache lives as long as the chat
    previews = Previewer(
        PreviewCache(":memory:"),
        allow_hosts=settings.fetch_allow_hosts.split(","),
        ckan_url=settings.ckan_url,
    )
    try:
        return chat(_conversation(settings), previews)
    finally:
        previews.cache.close()


def cmd_serve(args: argparse.Namespace) -> int:
    from .server import serve

    return serve(_settings(args), host=args.host, port=args.port, workers=args.workers)


def cmd_telegram_set_webhook(args: argparse.Namespace) -> int:
    from .telegram.cli import set_webhook

    return set_webhook(_settings(args), args.url)


def cmd_unanswered(args: argparse.Namespace) -> int:
    from .staff.cli import unanswered

    return unanswered(_settings(args), since=args.since, csv=args.csv)


def cmd_digest(args: argparse.Namespace) -> int:
    from .staff.cli import digest

    return digest(_settings(args), top=args.top)


def cmd_purge(args: argparse.Namespace) -> int:
    from .staff.cli import purge

    return purge(_settings(args))


def _limit(raw: str) -> int:
    """--limit as the API takes it (1..SEARCH_LIMIT_MAX), refused with the API's message."""
    try:
        return search_limit(raw)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _positive(raw: str) -> int:
    if not raw.strip().isdigit() or int(raw) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {raw!r}")
    return int(raw)


def cmd_alerts_send(args: argparse.Namespace) -> int:
    from .alerts import send_alerts

    return send_alerts(_settings(args), dry_run=args.dry_run)


def cmd_state_migrate(args: argparse.Namespace) -> int:
    from state import current_version, latest_version, open_database

    settings = _settings(args)
    db = open_database(settings.state_db, migrate=False)
    try:
        from state import migrate

        before = current_version(db)
        applied = migrate(db)
        where = "postgresql" if settings.database_url else str(settings.state_path)
        if applied:
            print(f"state ({where}): migrated from version {before} to {latest_version()}")
        else:
            print(f"state ({where}): at version {before}, up to date")
    finally:
        db.close()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="khomun", description="Thai open-data chatbot for data.go.th")
    parser.add_argument("--data-dir", help="index and state folder (default: $KHOMUN_DATA_DIR or ./var)")
    sub = parser.add_subparsers(dest="command", required=True)

    index = sub.add_parser("index", help="the catalog index").add_subparsers(dest="action", required=True)
    build = index.add_parser("build", help="build the index from a JSONL dump or a live CKAN portal")
    build.add_argument("--catalog", help="catalog JSONL(.gz) file (default: the bundled snapshot)")
    build.add_argument("--ckan", help="CKAN base URL to harvest, e.g. https://data.go.th")
    build.add_argument("--api-key", help="CKAN API key (or $KHOMUN_CKAN_API_KEY)")
    build.add_argument("--full", action="store_true", help="harvest everything, not only what changed")
    build.set_defaults(func=cmd_index_build)
    refresh = index.add_parser(
        "refresh",
        help="harvest into a new index file and swap it in; running services pick it up within seconds",
    )
    source = refresh.add_mutually_exclusive_group()
    source.add_argument("--catalog", help="catalog JSONL(.gz) dump to index")
    source.add_argument("--ckan", help="CKAN base URL (default: $KHOMUN_CKAN_URL; else the bundled catalog)")
    refresh.add_argument("--api-key", help="CKAN API key (or $KHOMUN_CKAN_API_KEY)")
    refresh.add_argument("--full", action="store_true", help="harvest everything, not only what changed")
    refresh.add_argument("--every", type=_every, help="keep running: refresh every 6h, 30m, 1d ...")
    refresh.add_argument("--alerts", action="store_true", help="run `khomun alerts send` after each refresh")
    refresh.set_defaults(func=cmd_index_refresh)

    search = sub.add_parser("search", help="search the catalog")
    search.add_argument("query", help="what to look for, in Thai or English (quote it)")
    search.add_argument("--json", action="store_true", help="print JSON, as GET /api/search answers")
    search.add_argument(
        "--limit", type=_limit, default=10, help=f"results to show, 1 to {SEARCH_LIMIT_MAX} (default 10)"
    )
    search.set_defaults(func=cmd_search)

    ev = sub.add_parser("eval", help="measure search quality on a judged query file")
    ev.add_argument("queries", help="judged queries, one JSON object a line (see tests/data/*-queries.jsonl)")
    ev.add_argument("--ranked", help="write one JSON line per query to this file")
    ev.add_argument("--catalog", help="build a fresh index from this catalog first")
    ev.set_defaults(func=cmd_eval)

    chat = sub.add_parser("chat", help="talk to the bot in the terminal")
    chat.set_defaults(func=cmd_chat)

    serve = sub.add_parser("serve", help="run the web service (web chat, API, webhooks)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="default: $PORT or 8000")
    serve.add_argument("--workers", type=_positive, default=1, help="worker processes (default 1)")
    serve.set_defaults(func=cmd_serve)
    telegram = sub.add_parser("telegram", help="Telegram bot setup").add_subparsers(
        dest="action", required=True
    )
    hook = telegram.add_parser("set-webhook", help="register an https URL as the webhook, with the secret")
    hook.add_argument("url", help="e.g. https://khomun.example/webhooks/telegram")
    hook.set_defaults(func=cmd_telegram_set_webhook)

    un = sub.add_parser("unanswered", help="what people asked that the bot could not answer")
    un.add_argument("--since", default="7d", help="7d, 24h or a date like 2026-11-01 (default 7d)")
    un.add_argument("--csv", action="store_true", help="CSV with a byte-order mark (opens in Excel)")
    un.set_defaults(func=cmd_unanswered)
    dg = sub.add_parser(
        "digest", help="send the day's unanswered queries to staff chats, then purge old rows"
    )
    dg.add_argument("--top", type=_positive, default=10, help="groups of queries to list (default 10)")
    dg.set_defaults(func=cmd_digest)
    pg = sub.add_parser("purge", help="delete journal rows older than KHOMUN_RETENTION_DAYS")
    pg.set_defaults(func=cmd_purge)
    state = sub.add_parser("state", help="the state database").add_subparsers(dest="action", required=True)
    mig = state.add_parser(
        "migrate", help="bring the state database's schema up to date (SQLite, or DATABASE_URL)"
    )
    mig.set_defaults(func=cmd_state_migrate)
    alerts = sub.add_parser("alerts", help="alerts to followers").add_subparsers(dest="action", required=True)
    send = alerts.add_parser(
        "send", help="tell followers about new or updated datasets (run after a refresh)"
    )
    send.add_argument("--dry-run", action="store_true", help="print what would go; send and record nothing")
    send.set_defaults(func=cmd_alerts_send)
    return parser


def main(argv: list[str] | None = None) -> int:
    from .logs import configure_logging

    configure_logging()
    try:
        try:
            args = build_parser().parse_args(argv)
            return int(args.func(args) or 0)
        finally:
            sys.stdout.flush()  # a reader gone away shows here, not in the interpreter's exit
    except SettingsError as err:
        print(f"khomun: configuration error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader went away (`khomun search ... | head`): stop quietly, as Unix tools do; point
        # stdout at /dev/null so the interpreter's last flush at exit cannot complain again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a tool that SIGPIPE stopped


if __name__ == "__main__":
    sys.exit(main())
