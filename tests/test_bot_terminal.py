"""`khomun chat`: the whole conversation in a terminal; buttons are pressed by typing #n."""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.preview.fetch import PreviewCache, Previewer
from bot.terminal import chat, choices, render_text
from index.dataset import Resource
from index.search import SearchEngine
from intents import Conversation, Message, texts
from tests.fakes.files import TEMPLES_ID, serve_fake_files
from tests.portal_index import build_changed_index


def typing(monkeypatch: pytest.MonkeyPatch, lines: list[str]) -> None:
    """The terminal reads ``lines``, then Ctrl-D."""
    typed: Iterator[str] = iter(lines)

    def fake_input(prompt: str = "") -> str:
        try:
            return next(typed)
        except StopIteration:
            raise EOFError from None

    monkeypatch.setattr(builtins, "input", fake_input)


TEMPLES = "item_2df6add3-2ebd-455c-8020-af962accbee2"  # รายงานทะเบียนวัดจังหวัดเชียงใหม่


def test_buttons_are_numbered_and_pressed(
    conversation: Conversation, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    typing(monkeypatch, ["หน่วยงาน", "#1", "2"])
    assert chat(conversation) == 0
    out = capsys.readouterr().out
    top = conversation.engine.agencies()[0][0]
    assert "[#1]" in out and f"ชุดข้อมูลของ{top}" in out and "รายละเอียดของ" in out


def test_render_lists_choices(conversation: Conversation) -> None:
    turn = conversation.route(Message("cli", "render", text="ทะเบียนวัด เชียงใหม่"))
    text = render_text(turn.reply)
    assert turn.reply.cards[0].title in text
    assert all(f"[#{i}]" in text for i in range(1, len(choices(turn.reply)) + 1))


def test_typed_text_is_cleaned_like_every_other_entry_point(
    conversation: Conversation, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """issue 13.1: undecodable bytes typed in a C-locale terminal arrive as lone surrogates."""
    typed = ["\udcffทะเบียน\x00วัด\x1b[31m", "ก" * 5000]
    seen: list[str] = []
    route = conversation.route

    def recording(message):  # type: ignore[no-untyped-def]
        seen.append(message.text)
        return route(message)

    typing(monkeypatch, typed)
    monkeypatch.setattr(conversation, "route", recording)
    assert chat(conversation) == 0
    assert seen == ["ทะเบียนวัด[31m", "ก" * 1000]


def test_chat_explains_its_buttons_and_ctrl_d(
    conversation: Conversation, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    typed = ["#3", "ทะเบียนวัด", "#99"]
    routed: list[str] = []
    route = conversation.route

    def recording(message):  # type: ignore[no-untyped-def]
        routed.append(message.text)
        return route(message)

    typing(monkeypatch, typed)
    monkeypatch.setattr(conversation, "route", recording)
    assert chat(conversation) == 0
    out = capsys.readouterr().out
    intro = out.splitlines()[:3]
    assert "#1" in "".join(intro) and "Ctrl-D" in "".join(intro)
    assert routed == ["ทะเบียนวัด"]  # "#3" and "#99" name no button: not searched for
    assert texts.TERMINAL_NO_BUTTONS in out
    assert "ไม่มีปุ่ม #99" in out
    assert "[#1] รายละเอียดอันที่ 1" in out and "[#2] รายละเอียดอันที่ 2" in out


def _press(reply_choices: list, pick) -> str:  # type: ignore[no-untyped-def]
    return f"#{next(i for i, b in enumerate(reply_choices, start=1) if pick(b))}"


def test_a_preview_shows_its_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """`khomun chat` showed only "opening the file" for a preview: the table never came."""
    with serve_fake_files() as files:
        url = files.url(f"/dataset/temples/resource/{TEMPLES_ID}/download/temples.csv")
        csv = Resource("ทะเบียนวัด เชียงใหม่", "CSV", url)
        path = build_changed_index(
            tmp_path / "index.sqlite", {TEMPLES: lambda d: replace(d, resources=(csv,))}
        )
        engine = SearchEngine(path)
        # the buttons to press, found by walking the same conversation once
        walk = Conversation(engine)
        found = walk.route(Message("cli", "walk", text="ทะเบียนวัด เชียงใหม่")).reply
        number = next(c.number for c in found.cards if c.name == TEMPLES)
        to_details = _press(choices(found), lambda b: b.label == texts.TERMINAL_DETAILS.format(n=number))
        details = walk.route(
            Message("cli", "walk", postback=choices(found)[int(to_details[1:]) - 1].data)
        ).reply
        to_preview = _press(choices(details), lambda b: b.label == texts.LABEL_PREVIEW)
        typing(monkeypatch, ["ทะเบียนวัด เชียงใหม่", to_details, to_preview])
        previews = Previewer(PreviewCache(":memory:"), allow_hosts=["localhost"])
        try:
            assert chat(Conversation(engine), previews) == 0
        finally:
            previews.cache.close()
            engine.close()
        assert files.hits["temples"] == 1
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("ลำดับ"))
    assert all(name in header for name in ("ชื่อวัด", "อำเภอ", "จังหวัด"))
    assert "ทั้งหมด 37 แถว" in out and "<pre>" not in out
