"""The JSON API as documented: /openapi.json is a valid OpenAPI document and the app's real
answers fit its schemas; errors on /api paths are JSON (404 and 405 too); a missing field is named;
`understood` is what `khomun search --json` says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate
from starlette.testclient import TestClient

from bot.cli import main
from bot.settings import Settings

SESSION = "api-session-0001"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def spec(client: TestClient) -> dict[str, Any]:
    res = client.get("/openapi.json")
    assert res.status_code == 200 and res.headers["content-type"] == "application/json"
    return res.json()


def fits(spec: dict[str, Any], schema: str, instance: Any) -> None:
    root = {"$ref": f"#/components/schemas/{schema}", "components": spec["components"]}
    errors = sorted(OAS31Validator(root).iter_errors(instance), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def test_openapi_document_is_valid(spec: dict[str, Any]) -> None:
    validate(spec)
    assert spec["openapi"].startswith("3.") and {"/api/search", "/api/chat"} <= set(spec["paths"])


def test_real_answers_fit_the_documented_schemas(client: TestClient, spec: dict[str, Any]) -> None:
    fits(spec, "SearchResponse", client.get("/api/search", params={"q": "ทะเบียนวัด เชียงใหม่"}).json())
    fits(spec, "SearchResponse", client.get("/api/search", params={"q": "ราคาทองคำวันนี้"}).json())
    found = client.post("/api/chat", json={"text": "ทะเบียนวัด", "session": SESSION}).json()
    fits(spec, "ChatResponse", found)
    details = next(b["data"] for b in found["reply"]["cards"][0]["buttons"] if b["kind"] == "postback")
    shown = client.post("/api/chat", json={"postback": details, "session": SESSION}).json()
    assert shown["reply"]["details"] is not None
    fits(spec, "ChatResponse", shown)
    fits(spec, "Health", client.get("/healthz").json())
    fits(spec, "Ready", client.get("/readyz").json())
    fits(spec, "Error", client.get("/api/search").json())
    fits(spec, "Error", client.post("/api/chat", json={"text": "ก" * 501, "session": SESSION}).json())


def test_api_errors_are_json_404_and_405_included(client: TestClient, spec: dict[str, Any]) -> None:
    missing = client.get("/api/nothing-here")
    assert missing.status_code == 404 and missing.json() == {"error": "Not Found"}
    wrong = client.get("/api/chat")
    assert wrong.status_code == 405 and wrong.json() == {"error": "Method Not Allowed"}
    assert wrong.headers["allow"] == "POST"
    assert client.delete("/api/search").status_code == 405
    fits(spec, "Error", wrong.json())
    page = client.get("/no-such-page")  # not the API: plain text, as before
    assert page.status_code == 404 and page.text == "Not Found"


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"session": SESSION}, "text is required"),
        ({"text": "วัด"}, "session is required"),
        ({}, "text is required"),
    ],
)
def test_a_missing_field_is_named(client: TestClient, body: dict[str, str], named: str) -> None:
    res = client.post("/api/chat", json=body)
    assert res.status_code == 400 and res.json()["error"].startswith(named)


@pytest.mark.parametrize("query", ["ทะเบียนวัดเชียงใหม", "ขอข้อมูลจุดน้ำท่วมในกทม.หน่อยค่ะ", "ตลาดน้ำ กรุงเทพ"])
def test_understood_is_the_same_as_the_cli(
    client: TestClient, settings: Settings, query: str, capsys: pytest.CaptureFixture[str]
) -> None:
    api = client.get("/api/search", params={"q": query, "limit": 5}).json()
    assert main(["--data-dir", str(settings.data_dir), "search", query, "--json", "--limit", "5"]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert api["understood"] and api["understood"] == cli["understood"]
    assert [r["name"] for r in api["results"]] == [r["name"] for r in cli["results"]]
    assert api["answered"] == cli["answered"]


def test_the_api_page_names_every_documented_path(spec: dict[str, Any]) -> None:
    page = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for path in spec["paths"]:
        assert f"`{path}`" in page or f"{path}" in page, path
