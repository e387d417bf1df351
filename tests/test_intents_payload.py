"""The button payload grammar: everything built parses back to itself and fits every platform."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from intents import payload
from intents.payload import LIST_ACTIONS, MAX_PAYLOAD_BYTES, Payload, decode, encode

LINE_POSTBACK_CHARS = 300
TELEGRAM_CALLBACK_BYTES = 64

list_ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
index = st.integers(min_value=0, max_value=999_999)
positive = st.integers(min_value=1, max_value=999_999)


@st.composite
def payloads(draw: st.DrawFn) -> Payload:
    lid = draw(list_ids)
    return draw(
        st.one_of(
            positive.map(lambda n: Payload("details", str(n), lid)),
            st.just(Payload("more", "", lid)),
            st.tuples(st.sampled_from(payload.FACETS), index).map(
                lambda t: Payload("narrow", f"{t[0]}:{t[1]}", lid)
            ),
            st.just(Payload("narrow", "clear", lid)),
            st.sampled_from(("useful", "not_useful")).map(lambda v: Payload("feedback", v, lid)),
            st.sampled_from(("useful", "not_useful")).map(lambda v: Payload("feedback", v)),
            st.tuples(st.sampled_from(("agency", "agencies", "example")), index).map(
                lambda t: Payload(t[0], str(t[1]))
            ),
            st.sampled_from((Payload("not_meant"), Payload("latest"), Payload("help"))),
            positive.map(lambda n: Payload("preview", str(n), lid)),
            st.just(Payload("follow", "", lid)),
            index.map(lambda i: Payload("follow_agency", str(i))),
            st.integers(min_value=1, max_value=999_999_999_999).map(lambda i: Payload("unfollow", str(i))),
            st.just(Payload("following")),
        )
    )


@given(payloads())
def test_round_trip_within_every_platform_limit(p: Payload) -> None:
    data = encode(p)
    assert decode(data) == p
    assert data.isascii() and len(data) <= LINE_POSTBACK_CHARS
    assert len(data.encode()) <= min(MAX_PAYLOAD_BYTES, TELEGRAM_CALLBACK_BYTES)


@given(st.text(max_size=80))
def test_anything_else_decodes_to_a_payload_that_encodes_back_or_to_none(data: str) -> None:
    p = decode(data)
    if p is not None:
        assert decode(encode(p)) == p


def test_list_actions_need_their_list() -> None:
    for action in LIST_ACTIONS:
        bare = {"details": "d:1", "more": "p:next", "narrow": "f:clear", "preview": "pv:1", "follow": "fo"}
        assert decode(bare[action]) is None
    assert decode("a:1@k7list") is None  # agencies are not a list's


def test_builders_match_the_grammar() -> None:
    lid = payload.new_list_id()
    assert decode(payload.details(lid, 2)) == Payload("details", "2", lid)
    assert decode(payload.narrow(lid, "yr", 1)) == Payload("narrow", "yr:1", lid)
    assert payload.new_list_id() != lid
    assert decode(payload.preview(lid, 3)) == Payload("preview", "3", lid)
    assert decode(payload.follow(lid)) == Payload("follow", "", lid)
    assert decode(payload.unfollow(42)) == Payload("unfollow", "42")
    assert decode("uf:0") is None and decode("uf:42@k7list") is None


@given(st.text(min_size=1, max_size=40))
def test_telegram_text_buttons(text: str) -> None:
    data = payload.text_data(text)
    if data is None:
        assert len(("t:" + text).encode()) > TELEGRAM_CALLBACK_BYTES
    else:
        assert payload.text_of(data) == text and len(data.encode()) <= TELEGRAM_CALLBACK_BYTES
