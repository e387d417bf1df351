"""The small-talk model: the same n-grams at fit and at run time, and the router asking it only
where the words' kinds say nothing and the search shows nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from intents import Conversation, chatmodel
from intents.chatmodel import CHAT_MIN, ChatModel, chat_model, ngrams
from intents.chitchat import detect_chitchat
from intents.types import Message


def test_ngrams_are_the_padded_characters_of_each_word() -> None:
    padded_ab = [" ", "a", "b", " ", " a", "ab", "b ", " ab", "ab "]
    assert ngrams("ab c") == [*padded_ab, " ", "c", " ", " c", "c ", " c "]


def test_the_model_matches_what_it_was_fitted_for() -> None:
    model = chat_model()
    assert model is not None and set(model.classes) == {"greeting", "thanks", "help", "search"}
    # small talk in words the kinds do not list; and requests
    assert detect_chitchat("ขอบคุณงามๆเลยจ้า") is None
    assert model.classify("ขอบคุณงามๆเลยจ้า")[0] == "thanks"
    for request in ("ราคาทุเรียนหมอนทอง", "ยอดผู้ป่วยโควิดรายวัน", "ทะเบียนวัด เชียงใหม่"):
        kind, sure = model.classify(request)
        assert kind == "search" or sure < CHAT_MIN, request


def test_a_small_talk_guess_answers_only_where_the_search_shows_nothing(conversation: Conversation) -> None:
    def intent(text: str) -> str:
        return conversation.route(Message(platform="web", chat_id="c", text=text)).outcome.intent

    assert intent("ขอบคุณงามๆเลยจ้า") == "thanks"
    assert intent("ดีจ้าาา น้องบอทน่ารัก") == "greeting"
    assert intent("ขอข้อมูลวัดในเชียงใหม่หน่อยจ้า") == "search"
    # thanks whose words find close matches (a report): the hedge gives way to a sure model
    assert intent("ขอบคุณค่ะ ได้รายงานสถิติครบแล้ว") == "thanks"


def test_without_a_model_the_router_goes_on(
    monkeypatch: pytest.MonkeyPatch, conversation: Conversation
) -> None:
    monkeypatch.setattr(chatmodel, "MODEL_PATH", Path("/nonexistent/chat_model.json"))
    chat_model.cache_clear()
    try:
        assert chat_model() is None
        turn = conversation.route(Message(platform="web", chat_id="c", text="ขอบคุณงามๆเลยจ้า"))
        assert turn.outcome.intent in {"search", "fallback", "thanks"}
    finally:
        chat_model.cache_clear()


def test_a_loaded_model_reads_its_file(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    raw = {"classes": ["greeting", "search"], "intercepts": [0.0, 0.0], "features": {"ห": [1.0, [2.0, -2.0]]}}
    path.write_text(json.dumps(raw), encoding="utf-8")
    model = ChatModel.load(path)
    assert model.classify("ห")[0] == "greeting" and model.classify("abc") == ("greeting", 0.5)
