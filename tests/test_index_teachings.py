"""Staff teachings: synonyms and pins change search results at once, from any connection."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.search import SearchEngine
from index.teachings import PG_RECHECK, TeachingError, TeachingStore, normalize_word
from state import open_database

AIR = "air_pollution"
#: ข้อมูลราคาสินค้าเกษตรรายวัน (the catalog has no gold prices; any dataset shows a pin works)
PRICES = "34"


@pytest.fixture()
def store(state_db: Path | str) -> Iterator[TeachingStore]:
    store = TeachingStore(state_db)
    yield store
    store.close()


@pytest.fixture()
def taught(index_path: Path, store: TeachingStore) -> SearchEngine:
    return SearchEngine(index_path, store)


def names(engine: SearchEngine, text: str) -> list[str]:
    return [h.name for h in engine.search(text).hits]


def test_synonym_applies_at_once_and_undo_withdraws_it(taught: SearchEngine, store: TeachingStore) -> None:
    assert AIR not in names(taught, "ซ่าหริ่ม")
    sid = store.add_synonym(" ซ่า หริ่ม ", ["คุณภาพอากาศ"], created_by="staff")
    assert store.synonyms() == {"ซ่าหริ่ม": ("คุณภาพอากาศ",)}
    assert names(taught, "ซ่าหริ่ม")[0] == AIR
    assert store.undo("synonym", sid)
    assert not store.undo("synonym", sid)
    assert AIR not in names(taught, "ซ่าหริ่ม")


def test_pin_puts_dataset_first_for_the_query_key(taught: SearchEngine, store: TeachingStore) -> None:
    key = taught.parse("ราคาทองวันนี้ครับ").key
    assert names(taught, "ราคาทอง")[:1] != [PRICES]
    pid = store.pin(key, [PRICES], example="ราคาทอง")
    for text in ("ราคาทอง", "ราคาทองวันนี้ครับ"):
        hit = taught.search(text)
        assert hit.answered and hit.hits[0].name == PRICES
        assert hit.hits[0].why == ("สอนโดยเจ้าหน้าที่",)
    [teaching] = store.active()
    assert (teaching.kind, teaching.id, teaching.subject) == ("pin", pid, key)
    store.undo("pin", pid)
    assert names(taught, "ราคาทอง")[:1] != [PRICES]
    assert store.active() == []


def test_pin_does_not_leak_across_months_or_fiscal_years(taught: SearchEngine, store: TeachingStore) -> None:
    june = taught.parse("รถจดทะเบียนสะสม มิ.ย. 2560").key
    assert june != taught.parse("รถจดทะเบียนสะสม ธ.ค. 2560").key
    assert taught.parse("งบประมาณ ปีงบประมาณ 2562").key != taught.parse("งบประมาณ ปีงบประมาณ 2563").key
    store.pin(june, [PRICES], example="รถจดทะเบียนสะสม มิ.ย. 2560")
    assert names(taught, "รถจดทะเบียนสะสม มิถุนายน 2560")[:1] == [PRICES]
    assert PRICES not in names(taught, "รถจดทะเบียนสะสม ธันวาคม 2560")


def test_teaching_through_another_process_applies_at_once(
    taught: SearchEngine, store: TeachingStore, state_db: Path | str
) -> None:
    assert names(taught, "ซ่าหริ่ม")[:1] != [AIR]
    store.synonyms()  # warm the cache
    other = TeachingStore(state_db)
    other.add_synonym("ซ่าหริ่ม", ["คุณภาพอากาศ"])
    time.sleep(PG_RECHECK if store._db.dialect == "postgresql" else 0)
    assert names(taught, "ซ่าหริ่ม")[0] == AIR
    # and a raw write by a third connection (no TeachingStore at all) is seen too
    raw = open_database(state_db, migrate=False)
    raw.execute("UPDATE teach_synonyms SET undone_at = '2026-01-01T00:00:00Z'")
    raw.close()
    time.sleep(PG_RECHECK if store._db.dialect == "postgresql" else 0)
    assert AIR not in names(taught, "ซ่าหริ่ม")
    other.close()


def test_reads_are_cached_until_something_changes(store: TeachingStore) -> None:
    store.pin("ทอง ราคา", ["a", "b"])
    first = store.synonyms()
    assert store.synonyms() is first
    assert store.pinned(" ทอง ราคา ") == ("a", "b")
    store.pin("ทอง ราคา", ["c", "a"])
    assert store.pinned("ทอง ราคา") == ("c", "a", "b")


def test_bad_teachings_are_refused(store: TeachingStore) -> None:
    with pytest.raises(TeachingError):
        store.add_synonym("ฝุ่น", [])
    with pytest.raises(TeachingError):
        store.add_synonym("ฝุ่น", ["ฝุ่น"])
    with pytest.raises(TeachingError):
        store.pin("  ", ["x"])
    with pytest.raises(TeachingError):
        store.undo("nope", 1)  # type: ignore[arg-type]
    assert normalize_word("PM2.5 ") == "pm2.5"
