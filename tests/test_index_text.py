from __future__ import annotations

import pytest

from index.search import SearchEngine
from index.text import loose_spelling, normalize, pieces, strip_tones, tokenize
from tests.golden import check_golden


def test_tokenisation_golden(engine: SearchEngine, update_golden: bool) -> None:
    # the engine fixture loads the catalog's domain words into the tokeniser, as at run time
    check_golden("tokenize.tsv", lambda s: " | ".join(tokenize(s)), update_golden)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ข้อ\u200bมูล", "ข้อมูล"),  # zero-width space
        ("ปี ๒๕๖๒", "ปี 2562"),  # Thai digits
        ("  PM2.5\tรายวัน\n", "pm2.5 รายวัน"),
        ("กรุงเทพฯ", "กรุงเทพ"),  # paiyannoi
        ("\x00\x07ทดสอบ", "ทดสอบ"),
        ("เเผนที่", "แผนที่"),  # two sara e typed for sara ae
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_normalize_is_idempotent() -> None:
    for text in ("ข้อมูลวัด ๒๕๖๒", "กรุงเทพฯ PM2.5", "นํ้าท่วม"):
        assert normalize(normalize(text)) == normalize(text)


def test_compound_pieces() -> None:
    assert pieces("สวนสาธารณะ") == ("สวน", "สาธารณะ")
    assert pieces("วัด") == ()  # too short to be a compound
    assert pieces("covid") == ()


def test_loose_spelling_forgives_silent_letters_and_tones() -> None:
    assert loose_spelling("สงกราน") == loose_spelling("สงกรานต์")
    assert loose_spelling("จันท") == loose_spelling("จันทร์")
    assert loose_spelling("พระพุทธเจ้า") == loose_spelling("พระพุทธเจา")
    assert loose_spelling("สงกราน") != loose_spelling("สงคราม")


def test_strip_tones_joins_tone_variants() -> None:
    assert strip_tones("ว่าง") == strip_tones("วาง")
    assert strip_tones("ก๊าซ") == strip_tones("กาซ")


def test_dotted_abbreviations_are_one_token() -> None:
    assert "รฟม" in tokenize("ข้อมูล รฟม. ล่าสุด")
    assert "pm2.5" in tokenize("ค่า PM2.5")
