from __future__ import annotations

import pytest

from index.build import text_fingerprint, tokenizer_for
from index.lexicon import DATA
from index.search import SearchEngine
from index.text import Tokenizer, loose_spelling, normalize, plain_tokenizer, strip_tones
from tests.golden import DATA as GOLDEN
from tests.golden import check_golden

pieces = plain_tokenizer().pieces


def test_tokenisation_golden(engine: SearchEngine, update_golden: bool) -> None:
    # the index's own tokenizer: pythainlp's dictionary and the catalog's domain words
    check_golden("tokenize.tsv", lambda s: " | ".join(engine.tokenizer.tokenize(s)), update_golden)


def test_what_the_golden_file_shows_changes_what_the_index_records(engine: SearchEngine) -> None:
    """Every golden input is a probe line, so a change that shows in tokenize.tsv also changes the
    fingerprint an index records, and start-up re-indexes: no version to bump by hand."""
    probes = set((DATA / "probe.txt").read_text(encoding="utf-8").splitlines())
    golden = [
        line.split("\t")[0] for line in (GOLDEN / "tokenize.tsv").read_text(encoding="utf-8").splitlines()
    ]
    assert {g for g in golden if not g.startswith("#")} <= probes
    recorded = engine.meta["text"]
    assert recorded == text_fingerprint(tokenizer_for(engine.acronyms))
    # the same code with one more dictionary word cuts a probe line differently: another print
    other = Tokenizer(engine.tokenizer.domain_words | {"ฝุ่นพีเอ็ม"} | {"จุดที่น้ำท่วม"})
    assert text_fingerprint(other) != recorded


def test_tokenizers_do_not_share_their_words() -> None:
    a, b = Tokenizer(), Tokenizer({"ขอข้อมูลจุด"})
    text = "ขอข้อมูลจุดที่น้ำท่วม"
    assert "ขอข้อมูลจุด" in b.tokenize(text) and "ขอข้อมูลจุด" not in a.tokenize(text)
    assert "ขอข้อมูลจุด" not in Tokenizer().tokenize(text)  # b changed nothing global


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


def test_dotted_abbreviations_are_one_token(engine: SearchEngine) -> None:
    assert "รฟม" in engine.tokenizer.tokenize("ข้อมูล รฟม. ล่าสุด")
    assert "pm2.5" in engine.tokenizer.tokenize("ค่า PM2.5")


def test_a_particle_keeps_the_word_before_it_whole() -> None:
    """The dictionary's rare นคะ would take the last letter of บ้าน; ชนะ (to win) stays a word."""
    words = Tokenizer()
    assert words.tokenize("ใกล้บ้านคะ") == ["ใกล้", "บ้าน", "คะ"]
    assert words.tokenize("มีร้านคะ") == ["มี", "ร้าน", "คะ"]
    assert words.tokenize("ใครชนะ") == ["ใคร", "ชนะ"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("แพงมากกก อยากรู้", ["แพง", "มาก", "อยากรู้"]),  # drawn out at the end of a word: once
        ("ฮัลโหลลลล", ["ฮัลโหล"]),
        ("วัดในนนทบุรี", ["วัด", "ใน", "นนทบุรี"]),  # ใน then นนทบุรี: three น, all kept
        ("สสส. ให้ทุน", ["สสส", "ให้ทุน"]),  # an acronym of one letter thrice
    ],
)
def test_letters_typed_over_and_over(text: str, words: list[str]) -> None:
    assert plain_tokenizer().tokenize(text) == words
