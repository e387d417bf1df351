"""Every dataset of the bundled catalog, rendered for LINE and Telegram, within every limit."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from bot.line import render as rl
from bot.telegram import render as rt
from index.catalog import bundled_catalog_path, load_jsonl
from intents import payload
from intents.cards import make_details
from intents.listing import card_with_buttons
from intents.types import Reply


def _valid_uri(uri: str) -> bool:
    parts = urlsplit(uri)
    return uri.isascii() and " " not in uri and parts.scheme in ("http", "https") and bool(parts.netloc)


def _uris(obj: object) -> list[str]:
    if isinstance(obj, dict):
        found = [v for k, v in obj.items() if k in ("uri", "url") and isinstance(v, str)]
        return found + [u for v in obj.values() for u in _uris(v)]
    if isinstance(obj, list):
        return [u for v in obj for u in _uris(v)]
    return []


def test_every_bundled_dataset_renders_within_the_limits() -> None:
    lid = payload.new_list_id()
    datasets = list(load_jsonl(bundled_catalog_path()))
    for start in range(0, len(datasets), 5):
        page = datasets[start : start + 5]
        cards = tuple(card_with_buttons(d, start + i + 1, lid) for i, d in enumerate(page))
        replies = [Reply("เจอ 5 ชุดข้อมูลค่ะ", cards=cards)]
        replies += [
            Reply("รายละเอียดค่ะ", details=make_details(d, c)) for d, c in zip(page, cards, strict=True)
        ]
        for reply in replies:
            line = rl.render(reply)
            assert len(line) <= rl.MAX_MESSAGES
            for message in line:
                if message["type"] == "flex":
                    size = len(json.dumps(message["contents"], ensure_ascii=False).encode())
                    assert size <= rl.MAX_CAROUSEL_BYTES and len(message["altText"]) <= rl.MAX_ALT_TEXT
                    assert len(message["contents"].get("contents", [])) <= rl.MAX_BUBBLES
            for uri in _uris(line):
                assert _valid_uri(uri) and len(uri) <= rl.MAX_URI, uri
            for action in _actions(line):
                assert len(action["label"]) <= rl.MAX_LABEL
                if action["type"] == "postback":
                    assert len(action["data"]) <= rl.MAX_POSTBACK_DATA
            for message in rt.render(reply):
                assert rt.tg_len(message["text"]) <= rt.MAX_TEXT
                for uri in _uris(message):
                    assert _valid_uri(uri), uri
                for row in message.get("reply_markup", {}).get("inline_keyboard", []):
                    for button in row:
                        if "callback_data" in button:
                            assert len(button["callback_data"].encode()) <= rt.MAX_CALLBACK_BYTES
        for article in rt.inline_results(cards):
            assert all(_valid_uri(u) for u in _uris(article))


def _actions(obj: object) -> list[dict]:
    if isinstance(obj, dict):
        found = [obj["action"]] if isinstance(obj.get("action"), dict) else []
        return found + [a for v in obj.values() for a in _actions(v)]
    if isinstance(obj, list):
        return [a for v in obj for a in _actions(v)]
    return []
