"""`khomun chat`: the whole conversation in a terminal; buttons are pressed by typing #n."""

from __future__ import annotations

import builtins
from collections.abc import Iterator

import pytest

from bot.terminal import chat, choices, render_text
from intents import Conversation, Message, texts


def test_buttons_are_numbered_and_pressed(
    conversation: Conversation, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    typed: Iterator[str] = iter(["หน่วยงาน", "#1", "2"])

    def fake_input(prompt: str = "") -> str:
        try:
            return next(typed)
        except StopIteration:
            raise EOFError from None

    monkeypatch.setattr(builtins, "input", fake_input)
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
    typed: Iterator[str] = iter(["\udcffทะเบียน\x00วัด\x1b[31m", "ก" * 5000])
    seen: list[str] = []
    route = conversation.route

    def fake_input(prompt: str = "") -> str:
        try:
            return next(typed)
        except StopIteration:
            raise EOFError from None

    def recording(message):  # type: ignore[no-untyped-def]
        seen.append(message.text)
        return route(message)

    monkeypatch.setattr(builtins, "input", fake_input)
    monkeypatch.setattr(conversation, "route", recording)
    assert chat(conversation) == 0
    assert seen == ["ทะเบียนวัด[31m", "ก" * 1000]


def test_chat_explains_its_buttons_and_ctrl_d(
    conversation: Conversation, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    typed: Iterator[str] = iter(["#3", "ทะเบียนวัด", "#99"])
    routed: list[str] = []
    route = conversation.route

    def fake_input(prompt: str = "") -> str:
        try:
            return next(typed)
        except StopIteration:
            raise EOFError from None

    def recording(message):  # type: ignore[no-untyped-def]
        routed.append(message.text)
        return route(message)

    monkeypatch.setattr(builtins, "input", fake_input)
    monkeypatch.setattr(conversation, "route", recording)
    assert chat(conversation) == 0
    out = capsys.readouterr().out
    intro = out.splitlines()[:3]
    assert "#1" in "".join(intro) and "Ctrl-D" in "".join(intro)
    assert routed == ["ทะเบียนวัด"]  # "#3" and "#99" name no button: not searched for
    assert texts.TERMINAL_NO_BUTTONS in out
    assert "ไม่มีปุ่ม #99" in out
    assert "[#1] รายละเอียดอันที่ 1" in out and "[#2] รายละเอียดอันที่ 2" in out
