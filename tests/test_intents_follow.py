"""Following in the conversation: typed, by button, listed, removed; only confident searches."""

from __future__ import annotations

import pytest

from intents import Conversation, Message, texts
from intents.follows import FollowStore
from intents.payload import decode

QUERY = "ทะเบียนวัด เชียงใหม่"


@pytest.fixture()
def convo(engine) -> Conversation:
    return Conversation(engine, follows=FollowStore())


def say(
    c: Conversation,
    text: str = "",
    postback: str = "",
    platform: str = "telegram",
    chat: str = "42",
    kind: str = "private",
):
    return c.route(Message(platform, chat, text=text, postback=postback, user_id=chat, chat_type=kind))


def test_typed_follow_saves_the_search_and_lists_it_with_a_remove_button(convo: Conversation) -> None:
    turn = say(convo, f"ติดตาม {QUERY}")
    assert turn.outcome.intent == "follow" and turn.outcome.answered
    assert turn.reply.text.startswith("ติดตามเรื่อง")
    [f] = convo.follows.of_chat("telegram", "42")
    assert f.query == QUERY.lower() or f.query == QUERY
    assert f.since  # the newest modification the index knew: older datasets are not news
    listed = say(convo, "/following")
    [remove] = listed.reply.buttons
    assert decode(remove.data).action == "unfollow"
    gone = say(convo, postback=remove.data)
    assert gone.reply.text == texts.UNFOLLOWED.format(topic=f.topic)
    assert convo.follows.of_chat("telegram", "42") == []


def test_follow_button_under_confident_results_follows_that_search(convo: Conversation) -> None:
    found = say(convo, QUERY, platform="line", chat="U1")
    [button] = [b for b in found.reply.buttons if b.label == texts.LABEL_FOLLOW]
    turn = say(convo, postback=button.data, platform="line", chat="U1")
    assert "ไม่เกินวันละครั้ง" in turn.reply.text  # LINE says how often it will push
    assert [f.query for f in convo.follows.of_chat("line", "U1")] == [QUERY]
    again = say(convo, postback=button.data, platform="line", chat="U1")
    assert again.reply.text.startswith("ติดตามเรื่อง") and "อยู่แล้ว" in again.reply.text
    assert len(convo.follows.of_chat("line", "U1")) == 1


def test_what_the_answer_bar_does_not_answer_cannot_be_followed(convo: Conversation) -> None:
    found = say(convo, "ราคาตั๋วเครื่องบินไปดาวอังคาร")
    assert all(b.label != texts.LABEL_FOLLOW for b in found.reply.buttons)
    turn = say(convo, "ติดตาม ราคาตั๋วเครื่องบินไปดาวอังคาร")
    assert not turn.outcome.answered and convo.follows.of_chat("telegram", "42") == []


def test_groups_cannot_follow_and_other_chats_cannot_remove_a_follow(convo: Conversation) -> None:
    assert say(convo, f"ติดตาม {QUERY}", chat="-100", kind="group").reply.text == texts.FOLLOW_GROUP
    say(convo, f"ติดตาม {QUERY}")
    [f] = convo.follows.of_chat("telegram", "42")
    stranger = say(convo, postback=f"uf:{f.id}", chat="99")
    assert stranger.reply.text == texts.STALE and convo.follows.of_chat("telegram", "42")


def test_unfollow_all_forgets_the_chat(convo: Conversation) -> None:
    say(convo, f"ติดตาม {QUERY}")
    say(convo, "ติดตาม สวนสาธารณะ กรุงเทพ")
    assert len(convo.follows.of_chat("telegram", "42")) == 2
    assert say(convo, "เลิกติดตามทั้งหมด").reply.text == texts.UNFOLLOWED_ALL
    assert convo.follows.of_chat("telegram", "42") == []


def test_web_follow_gives_an_unguessable_feed(convo: Conversation) -> None:
    turn = say(convo, f"ติดตาม {QUERY}", platform="web", chat="session-1234")
    [f] = convo.follows.of_chat("web", "session-1234")
    assert turn.reply.buttons[0].data == f"/feeds/{f.feed_id}.atom" and len(f.feed_id) >= 24


def test_agency_list_offers_to_follow_the_agency(convo: Conversation) -> None:
    shown = say(convo, postback="a:0")
    [button] = [b for b in shown.reply.buttons if b.label == texts.LABEL_FOLLOW_AGENCY]
    say(convo, postback=button.data)
    [f] = convo.follows.of_chat("telegram", "42")
    assert f.kind == "agency" and f.query == convo.engine.agencies()[0][0]
