"""Atom feeds: the newest datasets, and one per follow at an unguessable address."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

from starlette.testclient import TestClient

from bot.app import create_app
from bot.settings import Settings

ATOM = "{http://www.w3.org/2005/Atom}"


def test_new_and_follow_feeds(tmp_path: Path, index_path: Path) -> None:
    shutil.copy(index_path, tmp_path / "index.sqlite")
    app = create_app(Settings(data_dir=tmp_path, secret_key="k"))
    with TestClient(app) as client:
        new = client.get("/feeds/new.atom")
        assert new.status_code == 200 and new.headers["content-type"].startswith("application/atom+xml")
        entries = ET.fromstring(new.content).findall(f"{ATOM}entry")
        assert len(entries) == 50
        updated = [e.find(f"{ATOM}updated").text for e in entries]
        assert updated == sorted(updated, reverse=True)
        reply = client.post(
            "/api/chat", json={"text": "ติดตาม bike lanes in Bangkok", "session": "feed-session-1"}
        )
        feed = reply.json()["reply"]["buttons"][0]["data"]
        got = client.get(feed)
        assert got.status_code == 200
        links = [
            e.find(f"{ATOM}link").get("href") for e in ET.fromstring(got.content).findall(f"{ATOM}entry")
        ]
        assert "https://data.go.th/dataset/bike_way" in links
        assert client.get("/feeds/guessed-id-0000000000.atom").status_code == 404
    app.state.services.close()
