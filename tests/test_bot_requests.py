"""bot.requests: the JSON parser and the text cleaning every entry point shares."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.requests import MAX_DEPTH, MAX_TEXT, BadJson, clean_id, clean_text, parse_json


@given(st.text(alphabet=st.characters(codec=None), max_size=3000))
def test_clean_text_always_gives_storable_text(raw: str) -> None:
    cleaned = clean_text(raw)
    assert cleaned is not None and len(cleaned) <= MAX_TEXT
    cleaned.encode("utf-8")  # no lone surrogates
    assert not any(ord(c) < 32 and c not in "\t\n" for c in cleaned)
    assert clean_text(cleaned) == cleaned  # idempotent


def test_clean_text_keeps_thai_and_zero_width_space() -> None:
    assert clean_text("ทะเบียน\u200bวัด\r\nเชียงใหม่\t") == "ทะเบียน\u200bวัด\nเชียงใหม่\t"
    assert clean_text(5) is None and clean_text(None) is None and clean_text(b"x") is None


def test_clean_id() -> None:
    assert clean_id("U" + "a" * 32) == "U" + "a" * 32 and clean_id(-100200300) == "-100200300"
    for bad in ("", "a b", "x\ud800", "ก", "x" * 129, True, None, 1.5):
        assert clean_id(bad) is None


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,
        b"[" * 10_000 + b"]" * 10_000,
        b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1),
        b"NaN",
        b"[Infinity]",
        b"-Infinity",
        b"1e400",
        b'{"a": -1e999}',
        str(2**63).encode(),
        str(-(2**63) - 1).encode(),
        b"9" * 5000,
        b"\xff",
        b"",
    ],
)
def test_parse_json_refuses(body: bytes) -> None:
    with pytest.raises(BadJson):
        parse_json(body)


def test_parse_json_drops_lone_surrogates_everywhere() -> None:
    data = parse_json(b'{"a\\ud800": ["x\\udfffy", {"k": "\\ud83d\\ude00"}], "n": 9223372036854775807}')
    assert data == {"a": ["xy", {"k": "😀"}], "n": 2**63 - 1}
    assert parse_json(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) is not None


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
        lambda c: st.lists(c) | st.dictionaries(st.text(), c),
        max_leaves=20,
    )
)
def test_parse_json_either_refuses_or_gives_safe_json(value: object) -> None:
    try:
        data = parse_json(json.dumps(value))
    except BadJson:
        return
    json.dumps(data, allow_nan=False).encode("utf-8")
