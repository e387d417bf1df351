"""The state database: numbered migrations, one way to connect, every store on both backends."""

from __future__ import annotations

import hashlib
import sqlite3
import stat
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.inbox import Inbox
from bot.journal import Journal
from bot.preview.fetch import PreviewCache
from bot.settings import Settings, SettingsError
from bot.staff import data as staff_data
from bot.staff.auth import LoginThrottle, Revoked
from index.teachings import TeachingStore
from intents import ChatContext, ContextStore, Message, Outcome, Reply, Turn
from intents.follows import FollowStore
from intents.types import Preview
from state import MIGRATIONS, SecretKey, current_version, latest_version, migrate, open_database

DATA = Path(__file__).parent / "data"
TABLES = [
    "journal",
    "seen_events",
    "inbox",
    "chat_context",
    "follows",
    "alert_sent",
    "push_log",
    "push_month",
    "teach_synonyms",
    "teach_pins",
    "preview_cache",
    "staff_revoked",
]


def _previous_release(path: Path) -> dict[str, int]:
    """A database as the release before numbered migrations made it; its row counts."""
    db = sqlite3.connect(path)
    db.executescript((DATA / "state-previous-release.sql").read_text(encoding="utf-8"))
    counts = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    db.close()
    return counts


def test_a_database_of_the_previous_release_is_upgraded_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    before = _previous_release(path)
    assert all(before.values())

    db = open_database(path, migrate=False)
    assert current_version(db) == 0
    assert migrate(db) == [s.version for s in MIGRATIONS]
    assert migrate(db) == [] and current_version(db) == latest_version()
    after = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    assert after == before
    db.close()

    # every store reads what the previous release wrote
    teachings = TeachingStore(path)
    assert teachings.synonyms()["ซ่าหริ่ม"] == ("คุณภาพอากาศ",)
    assert teachings.pinned("ทะเบียน วัด") == ("temples",)
    teachings.close()
    follows = FollowStore(path)
    follow = follows.by_feed("feed-1")
    assert follow is not None and follow.topic == "ฝุ่น PM2.5"
    assert (
        follows.pushes("telegram", "42", "2026-11-02") == 1
        and follows.pushes_in_month("line", "2026-11") == 7
    )
    assert follows.unsent("telegram", "42", [("pm25", "2026-11-02")]) == []
    follows.close()
    inbox = Inbox(path)
    [pending] = inbox.claim("line", 10)  # the lease ran out long ago: taken over, answered now
    assert pending.event_id == "evt-1" and pending.payload["text"] == "สวัสดี"
    assert inbox.accept("line", [("evt-1", {"chat": "U1"})]) == [False]  # still remembered
    inbox.close()
    cache = PreviewCache(path)
    cached = cache.get("https://example.go.th/a.csv")
    assert cached is not None and cached[0].columns == ("a",) and cached[1] == '"e1"'
    cache.close()
    assert "sid-1" in Revoked(path)
    staff = staff_data.connect(path)
    window = staff_data.Window(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC))
    assert [g.label for g in staff_data.unanswered_groups(staff, window)] == ["ราคาทองคำแท่ง"]
    assert staff_data.totals(staff, window)["useful"] == 1
    staff.close()
    # and the journal writes the columns the first release lacked
    journal = Journal(path, "k")
    journal.record(Message("web", "s1", text="ฝุ่น"), Turn(Reply("x"), Outcome("search", confidence="low")))
    journal.close()
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT count(*), max(confidence) FROM journal").fetchone() == (3, "none")
    raw.close()


def test_the_first_journal_gains_its_later_columns(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE journal (id INTEGER PRIMARY KEY, ts TEXT NOT NULL, platform TEXT NOT NULL, "
        "chat_type TEXT NOT NULL, user_hash TEXT NOT NULL, text TEXT NOT NULL, normalized TEXT NOT NULL, "
        "query_key TEXT NOT NULL, intent TEXT NOT NULL, results TEXT NOT NULL, answered INTEGER NOT NULL, "
        "latency_ms REAL NOT NULL, feedback TEXT)"
    )
    old.close()
    open_database(path).close()
    columns = [r[1] for r in sqlite3.connect(path).execute("PRAGMA table_info(journal)")]
    assert columns[-2:] == ["chat_hash", "confidence"]


def _at_once(start: Callable[[], None], n: int = 4) -> list[BaseException]:
    """Run ``start`` in ``n`` threads at once; what they raised."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start()
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_migrations_apply_once_even_when_processes_start_together(state_db: Path | str) -> None:
    applied: list[list[int]] = []

    def start() -> None:
        db = open_database(state_db, migrate=False)
        applied.append(migrate(db))
        db.close()

    assert not _at_once(start)
    assert sorted(v for a in applied for v in a) == [s.version for s in MIGRATIONS]
    db = open_database(state_db)
    assert [r[0] for r in db.execute("SELECT version FROM state_schema ORDER BY version")] == [
        s.version for s in MIGRATIONS
    ]
    db.close()


def test_the_state_file_and_its_wal_are_private(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    db = open_database(path)
    db.execute("INSERT INTO staff_revoked (sid, at) VALUES ('x', 1)")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    for name in ("state.sqlite", "state.sqlite-wal"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    db.close()


def test_khomun_state_migrate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _previous_release(tmp_path / "state.sqlite")
    assert main(["--data-dir", str(tmp_path), "state", "migrate"]) == 0
    assert f"migrated from version 0 to {latest_version()}" in capsys.readouterr().out
    assert main(["--data-dir", str(tmp_path), "state", "migrate"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_database_url_is_checked() -> None:
    with pytest.raises(SettingsError, match="postgresql://"):
        Settings.from_env({"DATABASE_URL": "mysql://x", "KHOMUN_SECRET_KEY": "k"})
    with pytest.raises(SettingsError, match="KHOMUN_SECRET_KEY"):
        Settings.from_env({"DATABASE_URL": "postgresql://db/khomun"})
    settings = Settings.from_env({"DATABASE_URL": "postgresql://db/khomun", "KHOMUN_SECRET_KEY": "k"})
    assert settings.state_db == "postgresql://db/khomun" and "db/khomun" not in repr(settings)
    assert Settings(data_dir=Path("v")).state_db == Path("v") / "state.sqlite"


# -- every store, on both backends -------------------------------------------------------------


def test_journal_rows_reach_the_staff_pages(state_db: Path | str) -> None:
    journal = Journal(state_db, "k")
    for text, answered in (("ราคาทองคำแท่ง", False), ("ราคาทองคำแท่ง", False), ("ทะเบียนวัด", True)):
        outcome = Outcome("search", query=text, key=text, answered=answered)
        journal.record(Message("line", "u1", text=text), Turn(Reply("x"), outcome))
    journal.flush()
    journal.purge(180)
    journal.close()
    db = staff_data.connect(state_db)
    now = datetime.now(UTC)
    window = staff_data.Window(now - timedelta(days=1), now + timedelta(seconds=1))
    [group] = staff_data.unanswered_groups(db, window)
    assert group.label == "ราคาทองคำแท่ง" and group.count == 2
    assert staff_data.totals(db, window) == {
        "messages": 3,
        "searches": 3,
        "unanswered": 2,
        "users": 1,
        "useful": 0,
    }
    today = now.astimezone(staff_data.BANGKOK).date()
    days = staff_data.daily_counts(db, staff_data.Window.days(today, today))
    assert [(d.day, d.answered, d.unanswered) for d in days] == [(today.isoformat(), 1, 2)]
    assert staff_data.top_queries(db, window)[0] == ("ราคาทองคำแท่ง", 2, 2)
    assert staff_data.purge(db, 1, now + timedelta(days=2)) == 3
    db.close()


def test_contexts_are_shared_between_stores(state_db: Path | str) -> None:
    first, second = ContextStore(state_db, key="k"), ContextStore(state_db, key="k")
    ctx = ChatContext().new_list("L1", kind="search", query="วัด", names=("a", "b"), all_names=("a", "b"))
    first.put("line", "U1", ctx)
    first.put("line", "U1", ctx.with_(page=1))  # the upsert
    assert second.get("line", "U1").page == 1 and second.get("line", "U1").names == ("a", "b")
    assert second.purge() == 0
    first.close()
    second.close()


def test_teachings_reach_another_store_at_once(state_db: Path | str) -> None:
    mine, theirs = TeachingStore(state_db), TeachingStore(state_db)
    assert theirs.synonyms() == {}
    sid = mine.add_synonym("ซ่าหริ่ม", ["คุณภาพอากาศ"])
    pid = mine.pin("ทะเบียน วัด", ["temples"])
    theirs._checked = 0.0  # the PostgreSQL recheck interval is waited out in test_multi_instance
    assert theirs.synonyms() == {"ซ่าหริ่ม": ("คุณภาพอากาศ",)}
    assert theirs.pinned("ทะเบียน วัด") == ("temples",)
    assert sorted(t.kind for t in theirs.active()) == ["pin", "synonym"]
    assert mine.undo("synonym", sid) and not mine.undo("synonym", sid)
    theirs._checked = 0.0
    assert theirs.synonyms() == {} and pid > 0
    mine.close()
    theirs.close()


def test_follows_on_both_backends(state_db: Path | str) -> None:
    store = FollowStore(state_db)
    follow = store.add("telegram", "42", "query", "ฝุ่น", "ฝุ่น", "2026-11-01T00:00:00")
    assert follow is not None and store.add("telegram", "42", "query", "ฝุ่น", "ฝุ่น", "x") is None
    store.advance([follow.id], "2026-11-05T00:00:00")
    store.advance([follow.id], "2026-11-03T00:00:00")  # never backwards
    assert store.get(follow.id).since == "2026-11-05T00:00:00"  # type: ignore[union-attr]
    store.claim("telegram", "42", [("pm25", "m1")])
    store.claim("telegram", "42", [("pm25", "m1")])
    assert store.unsent("telegram", "42", [("pm25", "m1"), ("rain", "m2")]) == [("rain", "m2")]
    store.record_push("telegram", "42", "2026-11-05")
    store.record_push("telegram", "42", "2026-11-05")
    assert (
        store.pushes("telegram", "42", "2026-11-05") == 2
        and store.pushes_in_month("telegram", "2026-11") == 2
    )
    assert store.remove_all("telegram", "42") == 1 and store.unsent("telegram", "42", [("pm25", "m1")])
    store.close()


def test_preview_cache_on_both_backends(state_db: Path | str) -> None:
    cache = PreviewCache(state_db, clock=lambda: 1000.0)
    preview = Preview(columns=("ปี",), rows=(("2566",),), total=1, at_least=False)
    cache.put("https://x.go.th/a.csv", preview, etag='"1"')
    cache.put("https://x.go.th/a.csv", preview, etag='"2"')  # replaced, not refused
    cache.touch("https://x.go.th/a.csv")
    got = cache.get("https://x.go.th/a.csv")
    assert got is not None and got[0].rows == (("2566",),) and got[1] == '"2"' and got[3] == 1000.0
    cache.close()


def test_staff_lockout_and_logout_are_shared(state_db: Path | str) -> None:
    now = [1_000_000.0]
    one = LoginThrottle(max_failures=2, window=60, clock=lambda: now[0], db=state_db, key=SecretKey("k"))
    two = LoginThrottle(max_failures=2, window=60, clock=lambda: now[0], db=state_db, key=SecretKey("k"))
    one.failed("10.0.0.1")
    two.failed("10.0.0.1")
    assert one.wait("10.0.0.1") == 61 and two.wait("10.0.0.1") == 61 and two.wait("10.0.0.2") == 0
    now[0] += 61
    assert one.wait("10.0.0.1") == 0
    one.close()
    two.close()
    revoked, elsewhere = Revoked(state_db), Revoked(state_db)
    revoked.add("sid-9")
    assert "sid-9" in elsewhere and "sid-8" not in elsewhere
    revoked.close()
    elsewhere.close()


def test_an_event_delivered_to_two_instances_is_new_once(state_db: Path | str) -> None:
    one, two = Inbox(state_db, owner="host-a:1:aa"), Inbox(state_db, owner="host-b:1:bb")
    results: list[list[bool]] = []
    barrier = threading.Barrier(2)

    def deliver(inbox: Inbox) -> None:
        barrier.wait()
        results.append(inbox.accept("line", [("evt-9", {"text": "ฝุ่น"})]))

    threads = [threading.Thread(target=deliver, args=(i,)) for i in (one, two)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [[False], [True]]
    assert one.pending() == 1
    one.close()
    two.close()


def test_two_instances_on_one_database_share_conversations_and_the_journal(
    state_db: Path | str, index_path: Path, tmp_path: Path
) -> None:
    """Two bots with their own data folders (their own index copy) and one state database: a list
    shown by one is paged by the other, and both journal into the same table."""
    import shutil

    from bot.services import build_services

    instances = []
    for name in ("a", "b"):
        if isinstance(state_db, Path):  # SQLite: one file, so one data folder (state_db is in it)
            folder, url = state_db.parent, ""
        else:
            folder, url = tmp_path / name, state_db
            folder.mkdir()
        if not (folder / "index.sqlite").exists():
            shutil.copy(index_path, folder / "index.sqlite")
        instances.append(build_services(Settings(data_dir=folder, secret_key="shared", database_url=url)))
    one, two = instances
    first = one.handle(Message("line", "U1", text="ทะเบียนวัด เชียงใหม่"))
    assert first.outcome.answered and len(first.outcome.hits) >= 2
    second = two.handle(Message("line", "U1", text="อันที่ 2"))
    assert second.outcome.intent == "details" and second.outcome.hits[:1] == first.outcome.hits[1:2]
    for s in instances:
        s.close()
    db = staff_data.connect(state_db)
    assert db.execute("SELECT count(*) FROM journal").fetchone()[0] == 2
    db.close()


def test_ids_are_hashed_one_way_keyed_and_apart_per_purpose() -> None:
    """issue 10.8: one keyed hashing of ids. Logs used an unkeyed sha256 (a Telegram id below ten
    billion is found by hashing them all), contexts an HMAC under a default key."""
    key = SecretKey("the-service-secret")
    telegram_id = "5123456789"
    tags = {p: key.hash_id(p, "telegram", telegram_id) for p in ("journal", "context", "log", "staff-client")}
    assert [len(t) for t in tags.values()] == [32, 32, 12, 32]
    assert len({t[:12] for t in tags.values()}) == 4  # a journal hash is no use for finding a log line
    assert tags["log"] != hashlib.sha256(telegram_id.encode()).hexdigest()[:12]
    assert SecretKey("another-secret").hash_id("log", "telegram", telegram_id) != tags["log"]
    # every process with the same secret hashes alike; platforms are apart; no id, no hash
    assert SecretKey("the-service-secret").hash_id("log", "telegram", telegram_id) == tags["log"]
    assert key.hash_id("log", "line", telegram_id) != tags["log"]
    assert key.hash_id("journal", "line", "") == ""
    assert key.derive("staff-session") != key.derive("journal")
    assert "the-service-secret" not in repr(key)
    with pytest.raises(ValueError):
        SecretKey("")


def test_contexts_need_the_key_they_were_kept_under(state_db: str) -> None:
    """No default key: a context store opened with another secret finds nothing of the first's."""
    kept = ChatContext(query="ข้อมูลไฟฟ้า")
    first = ContextStore(state_db, key="one")
    first.put("telegram", "42", kept)
    assert ContextStore(state_db, key="one").get("telegram", "42") == kept
    assert ContextStore(state_db, key="two").get("telegram", "42") == ChatContext()
    with pytest.raises(TypeError):
        ContextStore(state_db)  # type: ignore[call-arg]


def test_processes_creating_a_new_state_file_together_never_see_it_locked(tmp_path: Path) -> None:
    """Switching a new file to WAL answers "database is locked" at once (no busy handler) while
    another connection creates it; four starts at once failed ~1 time in 10 before."""
    for n in range(40):
        path = tmp_path / f"state-{n}.sqlite"
        errors = _at_once(lambda path=path: open_database(path).close())
        assert not errors, (n, errors)
