"""Conversation flows over the bundled catalog: search, details, paging, narrowing, browsing,
feedback, chit-chat, and context that survives a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.search import SearchEngine
from intents import ContextStore, Conversation, Message, Turn, payload, texts
from intents.context import KEEP_LISTS
from intents.listing import PAGE_SIZE, dataset_formats, title_years
from intents.payload import MAX_PAYLOAD_BYTES

BROAD = "สถิติ"  # many datasets from many agencies


@pytest.fixture()
def state(tmp_path: Path) -> Path:
    return tmp_path / "state.sqlite"


@pytest.fixture()
def talk(engine: SearchEngine, state: Path):
    conversation = Conversation(engine, ContextStore(state, key="k"))

    def say(text: str = "", postback: str = "", chat: str = "c1") -> Turn:
        return conversation.route(Message("line", chat, text=text, postback=postback, user_id="u1"))

    return say


def _payloads(turn: Turn) -> list[str]:
    r = turn.reply
    buttons = [*r.buttons, *r.quick_replies, *(b for c in r.cards for b in c.buttons)]
    return [b.data for b in buttons if b.kind == "postback"]


def _check_payloads(turn: Turn) -> None:
    for data in _payloads(turn):
        assert data.isascii() and len(data.encode()) <= MAX_PAYLOAD_BYTES, data
    for b in turn.reply.quick_replies:
        assert b.label and "…" not in b.label, b.label  # whole: each renderer cuts to its platform


def test_search_details_more_narrow_feedback(talk, engine: SearchEngine) -> None:
    found = talk(BROAD)
    assert found.outcome.intent == "search" and found.outcome.answered
    assert len(found.reply.cards) == PAGE_SIZE and len(found.outcome.hits) > PAGE_SIZE
    _check_payloads(found)
    card = found.reply.cards[1]
    labels = [b.label for b in card.buttons]
    assert texts.LABEL_DETAILS in labels and texts.LABEL_PAGE in labels
    assert {b.data for b in card.buttons if b.kind == "url"} >= {card.page_url}
    actions = {payload.decode(p).action for p in _payloads(found)}  # type: ignore[union-attr]
    assert {"more", "feedback", "narrow", "details"} <= actions

    second = talk("อันที่ 2")
    assert second.outcome.intent == "details" and second.outcome.hits == (card.name,)
    details = second.reply.details
    assert details is not None and details.card.name == card.name
    assert len(details.resources) == len(engine.get(card.name).resources)  # every resource

    by_button = talk(postback=next(b.data for b in card.buttons if b.kind == "postback"))
    assert by_button.outcome.hits == (card.name,)

    more = talk("เพิ่มเติม")
    assert more.outcome.intent == "more" and more.outcome.answered
    assert more.reply.cards[0].number == PAGE_SIZE + 1
    assert more.reply.cards[0].name == found.outcome.hits[PAGE_SIZE]

    org_choices = [b for b in more.reply.quick_replies if b.data.startswith("f:org:")]
    clear = payload.clear(payload.decode(org_choices[0].data).list_id)  # type: ignore[union-attr]
    assert org_choices, "a broad search offers agencies to narrow by"
    narrowed = talk(postback=org_choices[0].data)
    _check_payloads(narrowed)
    assert narrowed.outcome.intent == "narrow" and narrowed.outcome.answered
    agency = engine.get(narrowed.reply.cards[0].name).organization
    assert all(engine.get(c.name).organization == agency for c in narrowed.reply.cards)
    assert narrowed.reply.cards[0].number == 1
    assert any(p.startswith("f:clear@") for p in _payloads(narrowed))
    assert talk("อันที่ 1").outcome.hits == (narrowed.reply.cards[0].name,)  # positions follow the filter

    thanks = talk(postback="fb:up")
    assert thanks.outcome.intent == "feedback" and thanks.feedback == "useful"
    assert talk(postback="fb:down").feedback == "not_useful"

    cleared = talk(postback=clear)
    assert cleared.outcome.intent == "narrow" and cleared.reply.cards[0].name == found.outcome.hits[0]


def test_narrow_by_format(talk, engine: SearchEngine) -> None:
    found = talk(BROAD)
    fmt = next(b for b in found.reply.quick_replies if b.data.startswith("f:fmt:"))
    narrowed = talk(postback=fmt.data)
    value = fmt.label.split()[-1]
    assert all(value in dataset_formats(engine.get(c.name)) for c in narrowed.reply.cards)


def test_context_survives_a_new_conversation(engine: SearchEngine, state: Path) -> None:
    first = Conversation(engine, ContextStore(state, key="k"))
    found = first.route(Message("telegram", "42", text=BROAD))
    first.contexts.close()
    restarted = Conversation(engine, ContextStore(state, key="k"))
    turn = restarted.route(Message("telegram", "42", text="อันที่ 3"))
    assert turn.outcome.intent == "details" and turn.outcome.hits == (found.reply.cards[2].name,)
    other_chat = restarted.route(Message("telegram", "43", text="อันที่ 3"))
    assert other_chat.outcome.intent == "details" and not other_chat.outcome.answered


def test_context_expires(engine: SearchEngine, state: Path) -> None:
    now = [1000.0]
    conversation = Conversation(engine, ContextStore(state, key="k", clock=lambda: now[0]))
    found = conversation.route(Message("web", "s", text=BROAD))
    now[0] += 31 * 60
    turn = conversation.route(Message("web", "s", text="เพิ่มเติม"))
    assert turn.outcome.intent == "more" and not turn.outcome.answered
    assert turn.reply.text.startswith(texts.NO_LIST.split("ค่ะ")[0])
    pressed = conversation.route(Message("web", "s", postback=_payloads(found)[0]))
    assert pressed.reply.text == texts.EXPIRED


def test_chitchat(talk) -> None:
    for text, intent in (("สวัสดีค่ะ", "greeting"), ("ขอบคุณมากครับ", "thanks"), ("ใช้ยังไง", "help")):
        turn = talk(text)
        assert turn.outcome.intent == intent and not turn.reply.cards
    help_turn = talk("/help")
    assert all(e in help_turn.reply.text for e in texts.HELP_EXAMPLES)
    example = next(b for b in help_turn.reply.quick_replies if b.data == "ex:0")
    assert talk(postback=example.data).outcome.query == texts.HELP_EXAMPLES[0]
    assert talk("").outcome.intent == "empty"


def test_agencies_and_latest(talk, engine: SearchEngine) -> None:
    listed = talk("หน่วยงาน")
    assert listed.outcome.intent == "agencies"
    top, count = engine.agencies()[0]
    assert f"{top} ({count} ชุด)" in listed.reply.text
    assert listed.reply.buttons[0].data == "a:0"
    _check_payloads(listed)
    agency = talk(postback="a:0")
    assert agency.reply.cards and all(engine.get(c.name).organization == top for c in agency.reply.cards)
    assert talk("2").outcome.hits == (agency.reply.cards[1].name,)
    assert talk(postback="ag:10").reply.buttons[0].data == "a:10"

    latest = talk("/latest")
    assert latest.outcome.intent == "latest"
    assert [c.name for c in latest.reply.cards] == [d.name for d in engine.latest(PAGE_SIZE)]


def test_did_you_mean(talk) -> None:
    turn = talk("ทะเบียนวัด เชียงใม่")
    if not turn.outcome.corrected:
        pytest.skip("the engine no longer corrects this typo")
    assert turn.outcome.corrected in turn.reply.text and turn.reply.cards
    no = next(b for b in turn.reply.quick_replies if b.label == texts.LABEL_NOT_MEANT)
    fallback = talk(postback=no.data)
    assert fallback.outcome.intent == "fallback" and any(
        b.data.startswith("ag:") for b in fallback.reply.quick_replies
    )


def test_not_found_suggests_what_the_catalog_has(talk) -> None:
    turn = talk("ราคาทองคำวันนี้เท่าไหร่ครับ")
    assert turn.outcome.intent == "search" and not turn.outcome.answered and not turn.reply.cards
    assert turn.reply.quick_replies and "“" not in turn.reply.text  # no echo of the message
    # no list on screen: "2" is no position, and no topic either
    assert talk("2").outcome.intent == "fallback"


def test_not_found_suggests_what_is_near_its_words(talk, engine: SearchEngine) -> None:
    space = talk("สถิติผู้โดยสารยานอวกาศ")
    assert not space.outcome.answered
    assert "ผู้โดยสารยานอวกาศ" in space.reply.text and "ค่ะ”" not in space.reply.text
    near = [b.data for b in space.reply.quick_replies]
    assert "ผู้โดยสาร" in near  # a word that finds datasets by itself
    passengers = {h.dataset.organization for h in engine.search("ผู้โดยสาร", limit=5).hits}
    agencies = {engine.agencies()[int(d[2:])][0] for d in near if d.startswith("a:")}
    assert agencies & passengers
    other = talk("อุณหภูมิมหาสมุทรยานอวกาศ")
    assert [b.data for b in other.reply.quick_replies] != near  # not the same suggestions every time


def test_found_says_the_topic_in_a_few_words(talk) -> None:
    turn = talk("ขอทะเบียนวัด เชียงใหม่หน่อยค่ะ")
    assert turn.reply.text.startswith("เจอ") and "ทะเบียนวัด เชียงใหม่" in turn.reply.text
    assert "หน่อยค่ะ" not in turn.reply.text and "“" not in turn.reply.text
    assert talk("จุดน้ำท่วม").outcome.hits and talk("อันที่ 9").reply.text == texts.OUT_OF_RANGE_ONE


def test_not_found_says_the_topic_not_the_askers_life(talk) -> None:
    turn = talk("จะเอาสร้อยทองของแม่ไปจำนำ อยากรู้ว่าโรงรับจำนำสาขาไหนใกล้บ้านคะ")
    assert "โรงรับจำนำ" in turn.reply.text and "แม่" not in turn.reply.text and "บ้าน" not in turn.reply.text


def test_the_series_elsewhere_is_offered_when_the_province_is_missing(talk) -> None:
    turn = talk("ขอข้อมูลคุณภาพอากาศเชียงใหม่ค่ะ")
    assert turn.outcome.intent == "search" and not turn.outcome.answered  # staff still see it as unanswered
    lead = texts.NOT_FOUND_ELSEWHERE.split("{")[0]
    assert turn.reply.text.startswith(lead)
    assert [c.name for c in turn.reply.cards] == ["air_pollution"]
    assert talk("1").outcome.intent == "details"  # the list is on screen, so follow-ups work


def test_a_timetable_asked_is_said_missing_and_what_there_is_offered(talk) -> None:
    turn = talk("ขอตารางเวลารถไฟสายเหนือ กรุงเทพ-เชียงใหม่หน่อยค่ะ")
    assert not turn.outcome.answered and turn.reply.text.startswith(texts.NOT_FOUND_TIMETABLE.split("{")[0])
    assert turn.reply.cards  # the rail datasets there are


def test_the_moment_asked_is_said_missing_and_what_there_is_offered(talk) -> None:
    turn = talk("ค่าฝุ่น PM2.5 รายชั่วโมงค่ะ")
    assert not turn.outcome.answered and turn.reply.text.startswith(texts.NOT_FOUND_LIVE.split("{")[0])
    assert "PM2.5" in turn.reply.text  # as typed, not normalised
    assert [c.name for c in turn.reply.cards] == ["air_pollution"]  # the stations; nothing of another kind


def test_stale_and_bad_input_never_raise(talk) -> None:
    for data in ("d:99@k7list", "f:org:7@k7list", "d:1", "a:100000", "zz", "ex:99", "ag:99999"):
        turn = talk(postback=data)
        assert turn.outcome.intent in {"fallback", "expired"}
        assert not turn.outcome.answered
    talk(BROAD)
    out = talk("อันที่ 99")
    assert out.outcome.intent == "details" and not out.outcome.answered


def test_route_never_raises(engine: SearchEngine) -> None:
    class Broken(ContextStore):
        def get(self, platform: str, chat_id: str):
            raise RuntimeError("disk gone")

    turn = Conversation(engine, Broken(key="k")).route(Message("web", "x", text="สวัสดี"))
    assert turn.outcome.intent == "error" and turn.reply.text == texts.ERROR


def test_unsure_matches_are_shown_with_a_hedge(talk) -> None:
    turn = talk("ค่าแรงขั้นต่ำ เชียงใหม่")
    out = turn.outcome
    assert out.intent == "search" and out.answered and out.confidence == "low"
    assert turn.reply.text.startswith(texts.UNSURE) and 1 <= len(turn.reply.cards) <= 3


def test_a_button_on_an_older_carousel_acts_on_its_own_list(talk, engine: SearchEngine) -> None:
    temples = talk("ทะเบียนวัด เชียงใหม่")
    first = temples.reply.cards[0]
    electricity = talk("กฟภ ไฟฟ้า")
    assert electricity.outcome.answered and first.name not in electricity.outcome.hits
    details = next(b for b in first.buttons if b.label == texts.LABEL_DETAILS)
    pressed = talk(postback=details.data)
    assert pressed.outcome.intent == "details" and pressed.outcome.hits == (first.name,)
    assert pressed.reply.details is not None and "วัด" in pressed.reply.details.card.title
    # the older list is now the one on screen: typed follow-ups and paging act on it
    assert talk("อันที่ 1").outcome.hits == (first.name,)


def test_narrowing_makes_a_new_list_and_the_old_buttons_keep_their_numbers(talk) -> None:
    found = talk(BROAD)
    fifth = found.reply.cards[4]
    org = next(b for b in found.reply.quick_replies if b.data.startswith("f:org:"))
    narrowed = talk(postback=org.data)
    assert narrowed.reply.cards[0].name != fifth.name
    old = next(b for b in fifth.buttons if b.label == texts.LABEL_DETAILS)
    assert talk(postback=old.data).outcome.hits == (fifth.name,)
    new = next(b for b in narrowed.reply.cards[0].buttons if b.label == texts.LABEL_DETAILS)
    assert talk(postback=new.data).outcome.hits == (narrowed.reply.cards[0].name,)


def test_only_the_last_few_lists_are_kept(talk) -> None:
    first = talk("ทะเบียนวัด เชียงใหม่")
    button = next(b for b in first.reply.cards[0].buttons if b.label == texts.LABEL_DETAILS)
    for query in ("กฟภ ไฟฟ้า", "สถิติ", "คุณภาพอากาศ", "รถจดทะเบียนสะสม", "ค่าแรงขั้นต่ำ")[:KEEP_LISTS]:
        assert talk(query).outcome.answered, query
    turn = talk(postback=button.data)
    assert turn.outcome.intent == "expired" and turn.reply.text == texts.EXPIRED


def test_a_search_that_finds_nothing_keeps_the_list_on_screen(talk) -> None:
    found = talk(BROAD)
    missing = talk("ยานอวกาศดาวอังคาร")
    assert missing.outcome.intent == "search" and not missing.outcome.answered and not missing.reply.cards
    more = talk("ดูเพิ่มเติม")
    assert more.outcome.answered and more.reply.cards[0].name == found.outcome.hits[PAGE_SIZE]


def test_typed_follow_ups_narrow_the_list_on_screen(talk, engine: SearchEngine) -> None:
    temples = talk("ทะเบียนวัด")
    assert temples.outcome.answered and len(temples.outcome.hits) > 1
    narrowed = talk("เฉพาะเชียงใหม่")
    assert narrowed.outcome.intent == "narrow" and narrowed.reply.cards
    assert all("เชียงใหม่" in c.title for c in narrowed.reply.cards)
    assert talk("อันแรก").outcome.hits == (narrowed.reply.cards[0].name,)
    agencies = talk("ของกรมไหนบ้าง")
    assert agencies.outcome.intent == "narrow" and engine.get(narrowed.reply.cards[0].name).organization in (
        agencies.reply.text
    )
    wages = talk("ค่าแรงขั้นต่ำ")  # a topic of its own: a new search
    assert wages.outcome.intent == "search" and wages.outcome.answered
    years = talk("ปี 2560 ล่ะ")
    assert years.outcome.intent == "narrow" and all("2560" in c.title for c in years.reply.cards)
    newest = talk("ของปีล่าสุด")  # replaces the year asked before
    latest_year = max(int(y) for n in wages.outcome.hits for y in title_years(engine.get(n)))
    assert all(str(latest_year) in c.title for c in newest.reply.cards)
    assert talk("ขออีก").outcome.intent == "more"


def test_a_format_follow_up(talk, engine: SearchEngine) -> None:
    talk(BROAD)
    csv = talk("เอาแค่ไฟล์ csv")
    assert csv.outcome.intent == "narrow" and csv.reply.cards
    assert all("CSV" in dataset_formats(engine.get(c.name)) for c in csv.reply.cards)


def test_a_new_topic_with_a_year_is_a_new_search(talk) -> None:
    talk("ทะเบียนวัด")
    turn = talk("ค่าแรงขั้นต่ำ 2560")
    assert turn.outcome.intent == "search" and "ค่าจ้างขั้นต่ำ" in turn.reply.cards[0].title


def test_a_follow_up_nothing_on_the_list_fits_asks_the_search_again(talk) -> None:
    talk("ค่าแรงขั้นต่ำ")
    turn = talk("มีของปี 2470 ไหมคะ")  # no 2470 on the list: "ค่าแรงขั้นต่ำ 2470" is searched
    assert turn.outcome.intent == "search" and turn.outcome.query == "ค่าแรงขั้นต่ำ 2470"
    assert not turn.outcome.answered


def test_cards_carry_no_catalog_markup_and_say_licences_in_thai() -> None:
    from index.dataset import Dataset, Resource
    from intents.cards import make_card, make_details

    d = Dataset(
        "x",
        "**ช่วงเทศกาลสงกรานต์ **",
        notes="ข้อมูล **อุบัติเหตุ** ดู [ที่นี่](https://x.example)",
        license="Creative Commons Attributions",
        resources=(Resource("All resource data", "ZIP", "https://x.example/all.zip"),),
    )
    card = make_card(d)
    assert "*" not in card.title and "*" not in card.description and "](" not in card.description
    details = make_details(d)
    assert details.license.startswith("ครีเอทีฟคอมมอนส์") and details.resources[0].name == texts.ALL_RESOURCES


def test_every_intent_understood_has_a_handler(conversation) -> None:
    from intents.context import ChatContext
    from intents.payload import ACTIONS
    from intents.types import Message
    from intents.understand import POSTBACK_ALIASES, Intent

    handled = conversation.handlers.intents
    missing = {POSTBACK_ALIASES.get(a, a) for a in ACTIONS} - handled
    assert not missing, missing
    with pytest.raises(LookupError):  # a bug says so; it is never quietly "stale"
        conversation.handlers.handle(Intent("no_such_intent"), Message("web", "c1"), ChatContext())


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("สวัสดีตอนเย็นครับ ทำงานเลิกแล้ว 555", "greeting"),  # a greeting with the day around it
        ("ขอบพระคุณอย่างสูงครับ ช่วยงานข่าวได้เยอะเลย", "thanks"),
        ("ขอบคุณหลายๆเด้อ", "thanks"),  # regional particles
        ("ถามเป็นประโยคยาวๆได้ไหมหรือต้องพิมพ์คำสั้นๆ", "help"),
        ("มีคำสั่งอะไรบ้างครับ", "help"),
        ("สวัสดีค่ะ ขอข้อมูลทะเบียนวัดเชียงใหม่หน่อย", "search"),  # a topic the catalog answers
        ("ทำพาสปอร์ตเล่มใหม่ต้องใช้เอกสารอะไรบ้างคะ", "search"),  # not about using the bot
        ("คุณคือใคร", "fallback"),
    ],
)
def test_small_talk_with_words_around_it_unless_they_are_a_topic(talk, text: str, intent: str) -> None:
    assert talk(text).outcome.intent == intent


def test_a_count_that_is_a_lower_bound_says_at_least(talk) -> None:
    found = talk("ทะเบียนวัด")
    assert found.outcome.answered and "อย่างน้อย" in found.reply.text
    assert "อย่างน้อย" not in talk("ทะเบียนวัด จังหวัดน่าน").reply.text
