"""Sanity checks for the curated lexicon files in index/data/.

Each file is read with a tiny local parser (skip blank and ``#`` lines, split on TAB, then on ``|``) so
that these tests do not depend on the search engine's own loader.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import unicodedata
from collections.abc import Iterator
from functools import cache, lru_cache
from pathlib import Path

import pytest

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")

from pythainlp.corpus import provinces
from pythainlp.util import normalize as thai_normalize

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "index" / "data"
BUNDLED_CATALOG = DATA / "datagoth.jsonl.gz"
SHARED_CATALOG = REPO.parent / "shared" / "catalog" / "datagoth.jsonl"

TSV_FILES = ("glossary.tsv", "synonyms.tsv", "acronyms.tsv", "places.tsv")
THAI = re.compile(r"[\u0e00-\u0e7f]")
INVISIBLE = re.compile(r"[\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufffd]")
MIN_ATTESTED = 0.90


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = INVISIBLE.sub("", text)
    text = thai_normalize(text)
    return re.sub(r"\s+", " ", text.lower()).strip()


def _lines(name: str) -> Iterator[tuple[int, str]]:
    with (DATA / name).open(encoding="utf-8") as f:
        for number, raw in enumerate(f, 1):
            line = raw.rstrip("\n").rstrip("\r")
            if line.strip() and not line.startswith("#"):
                yield number, line


@cache
def load_tsv(name: str) -> dict[str, tuple[str, ...]]:
    """key -> alternatives; fails on malformed lines, empty fields and duplicate keys."""
    table: dict[str, tuple[str, ...]] = {}
    for number, line in _lines(name):
        fields = line.split("\t")
        assert len(fields) == 2, f"{name}:{number}: expected 2 TAB-separated fields: {line!r}"
        key, value = fields
        alternatives = tuple(value.split("|"))
        assert key.strip() and key == key.strip(), f"{name}:{number}: empty or padded key {key!r}"
        assert all(a.strip() and a == a.strip() for a in alternatives), (
            f"{name}:{number}: empty or padded alternative in {value!r}"
        )
        assert len(set(alternatives)) == len(alternatives), f"{name}:{number}: repeated alternative"
        assert key not in table, f"{name}:{number}: duplicate key {key!r}"
        table[key] = alternatives
    return table


@lru_cache(maxsize=1)
def catalog_text() -> str:
    """All searchable text of the catalog, normalised: the bundled copy when it exists."""
    if BUNDLED_CATALOG.exists():
        with gzip.open(BUNDLED_CATALOG, "rt", encoding="utf-8") as f:
            lines = f.read().splitlines()
    elif SHARED_CATALOG.exists():
        lines = SHARED_CATALOG.read_text(encoding="utf-8").splitlines()
    else:
        pytest.skip("no catalog available (neither index/data/datagoth.jsonl.gz nor ../shared)")
    parts: list[str] = []
    for line in lines:
        if not line.strip():
            continue
        record = json.loads(line)
        resources = record.get("resources") or []
        parts.extend(
            [
                record.get("title") or "",
                record.get("notes") or "",
                " | ".join(record.get("tags") or []),
                str(record.get("organization") or ""),
                " | ".join((r or {}).get("name") or "" for r in resources),
            ]
        )
    return _norm("\n".join(parts))


def test_files_exist_and_start_with_a_description() -> None:
    for name in (*TSV_FILES, "fillers.txt"):
        path = DATA / name
        assert path.is_file(), f"missing {path}"
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# ") and name.split(".")[0] in first, f"{name}: first line must describe it"


@pytest.mark.parametrize("name", TSV_FILES)
def test_tsv_parses(name: str) -> None:
    table = load_tsv(name)
    assert table, f"{name} is empty"
    raw = (DATA / name).read_text(encoding="utf-8")
    assert "\ufeff" not in raw, f"{name}: BOM"


def test_sizes_are_sane() -> None:
    assert 500 <= len(load_tsv("glossary.tsv")) <= 1300
    assert 900 <= len(load_tsv("synonyms.tsv")) <= 3000
    assert 250 <= len(load_tsv("acronyms.tsv")) <= 450
    assert len(load_tsv("places.tsv")) >= 77


def test_glossary_english_side_is_lower_case_latin_and_targets_are_thai() -> None:
    for key, targets in load_tsv("glossary.tsv").items():
        assert key == key.lower(), key
        assert not THAI.search(key), key
        assert any(THAI.search(t) for t in targets), f"{key}: no Thai target"


def test_synonyms_map_to_something_else() -> None:
    for key, targets in load_tsv("synonyms.tsv").items():
        assert key == key.lower(), key
        # a query is matched on its tokens glued together, so keys carry no spaces or Thai dots
        assert " " not in key and not re.search(r"[\u0e00-\u0e7f]\.", key), key
        assert _norm(key) not in {_norm(t) for t in targets}, f"{key} maps to itself"


def test_acronyms_have_no_dots_and_expand_to_one_longer_name() -> None:
    for key, names in load_tsv("acronyms.tsv").items():
        assert "." not in key and " " not in key, key
        assert key == key.lower(), key
        assert len(names) == 1, f"{key}: one full name per acronym"
        assert len(names[0]) > len(key), key


def test_place_targets_are_official_province_names() -> None:
    official = {p["name_th"] for p in provinces(details=True)}
    assert len(official) == 77
    table = load_tsv("places.tsv")
    for alias, targets in table.items():
        assert alias == alias.lower(), alias
        assert len(targets) == 1, f"{alias}: one official name expected"
        assert targets[0] in official, f"{alias} -> {targets[0]} is not an official province name"
        assert alias not in official, f"{alias} is itself an official name"
    for must in ("กรุงเทพ", "โคราช", "อุบล", "แปดริ้ว", "bangkok", "korat"):
        assert must in table, must


def test_fillers_are_unique_and_not_topics() -> None:
    words = [line.strip() for _, line in _lines("fillers.txt")]
    assert words and all(words), "fillers.txt: empty line content"
    assert len(words) == len(set(words)), "fillers.txt: duplicates"
    topics = {"รายชื่อ", "สถิติ", "จำนวน", "รายงาน", "ล่าสุด", "ราคา", "งบประมาณ"}
    assert not topics & set(words)


@pytest.mark.parametrize("name", ["glossary.tsv", "synonyms.tsv"])
def test_thai_targets_occur_in_catalog(name: str) -> None:
    text = catalog_text()
    targets = {t for alts in load_tsv(name).values() for t in alts if THAI.search(t)}
    missing = sorted(t for t in targets if _norm(t) not in text)
    share = 1 - len(missing) / len(targets)
    assert share >= MIN_ATTESTED, f"{name}: only {share:.1%} of Thai targets occur; missing {missing}"


def test_english_for_reaches_english_titles_from_thai_terms_and_acronyms() -> None:
    from index.lexicon import lexicon

    english = lexicon().english_for()
    assert "election" in english["การเลือกตั้ง"]
    assert "mea" in english["การไฟฟ้านครหลวง"]  # กฟน -> การไฟฟ้านครหลวง -> "MEA Area"


# Catalog organisations with no abbreviation in common use (a made-up one would only mislead the search).
NO_COMMON_ACRONYM = {"กรมการอุตสาหกรรมทหาร", "กรมสรรพสามิต", "สำนักงานศาลรัฐธรรมนูญ", "สำนักงานเลขาธิการวุฒิสภา"}


def test_every_catalog_agency_has_an_acronym() -> None:
    if not BUNDLED_CATALOG.exists():
        pytest.skip("no bundled catalog")
    with gzip.open(BUNDLED_CATALOG, "rt", encoding="utf-8") as f:
        organisations = {json.loads(line).get("organization") or "" for line in f if line.strip()}
    named = {_norm(names[0]) for names in load_tsv("acronyms.tsv").values()}
    # sub-units ("กองกลาง สำนักงานปลัด...") and single offices ("...จังหวัดลำพูน", "...ตำบลรังนก") are left out
    agencies = {o for o in organisations if o and " " not in o.replace(" (", "(") and "จังหวัด" not in o}
    missing = sorted(o for o in agencies - NO_COMMON_ACRONYM if _norm(o) not in named)
    assert not missing, f"catalog agencies without an acronym: {missing}"


def test_acronym_keys_are_not_other_provinces_abbreviations() -> None:
    # pythainlp's province abbreviations are a tokeniser word; only these keep another meaning on purpose
    # (สส and ตร as the catalog reads them, อย for อ.ย., กทม which is Bangkok either way)
    known = {"สส", "ตร", "อย", "กทม"}
    abbreviations = {p["abbr_th"] for p in provinces(details=True)}
    clashes = sorted(set(load_tsv("acronyms.tsv")) & abbreviations - known)
    assert not clashes, clashes


def test_acronyms_reach_thai_english_and_provincial_office_names() -> None:
    from index.lexicon import lexicon

    acronyms = lexicon().acronyms
    assert acronyms["etda"] == acronyms["สพธอ"] == "สำนักงานพัฒนาธุรกรรมทางอิเล็กทรอนิกส์"
    assert acronyms["dlt"] == acronyms["ขบ"] == "กรมการขนส่งทางบก"
    assert acronyms["พศจ"] == "สำนักงานพระพุทธศาสนาจังหวัด"
    assert acronyms["ocsc"] == "สำนักงานคณะกรรมการข้าราชการพลเรือน"
