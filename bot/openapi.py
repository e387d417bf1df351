"""The JSON API described as an OpenAPI 3.1 document, served at ``GET /openapi.json``.

Written by hand (four endpoints); ``tests/test_bot_api.py`` checks it with openapi-spec-validator
and checks real answers of the running app against its schemas, so it cannot drift from the code.
"""

from __future__ import annotations

from typing import Any

__all__ = ["openapi_document"]

Json = dict[str, Any]


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: Json, description: str) -> Json:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> Json:
    return _json(_ref("Error"), description)


_STR = {"type": "string"}
_STRS = {"type": "array", "items": _STR}

SCHEMAS: dict[str, Json] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string", "description": "what was wrong, in English"},
            "reply": {
                "type": "object",
                "description": "for a text too long: what the chat shows the user, in Thai",
                "properties": {"text": _STR},
            },
        },
    },
    "Button": {
        "type": "object",
        "required": ["label", "data", "kind"],
        "properties": {
            "label": _STR,
            "data": {
                "type": "string",
                "description": "postback: send back as `postback`; url: open it; text: send as `text`",
            },
            "kind": {"enum": ["postback", "url", "text"]},
        },
    },
    "Card": {
        "type": "object",
        "required": ["name", "title", "agency", "updated", "formats", "description", "page_url", "buttons"],
        "properties": {
            "name": {"type": "string", "description": "the dataset's id on data.go.th"},
            "title": _STR,
            "agency": _STR,
            "updated": {"type": "string", "description": "last modified, in Thai (31 ต.ค. 2564)"},
            "formats": _STRS,
            "description": _STR,
            "page_url": {"type": "string", "format": "uri"},
            "download_url": {"type": ["string", "null"], "format": "uri"},
            "buttons": {"type": "array", "items": _ref("Button")},
            "number": {"type": "integer", "description": "position in the list shown; 0 outside a list"},
        },
    },
    "ResourceLink": {
        "type": "object",
        "required": ["name", "format", "url"],
        "properties": {"name": _STR, "format": _STR, "url": _STR},
    },
    "Details": {
        "type": "object",
        "required": ["card", "description", "tags", "license", "resources", "num_resources"],
        "properties": {
            "card": _ref("Card"),
            "description": _STR,
            "tags": _STRS,
            "license": _STR,
            "resources": {"type": "array", "items": _ref("ResourceLink")},
            "num_resources": {"type": "integer"},
        },
    },
    "Reply": {
        "type": "object",
        "description": "the neutral reply every channel renders (LINE, Telegram, this web chat)",
        "required": ["text", "cards", "details", "buttons", "quick_replies"],
        "properties": {
            "text": _STR,
            "cards": {"type": "array", "items": _ref("Card")},
            "details": {"oneOf": [_ref("Details"), {"type": "null"}]},
            "buttons": {"type": "array", "items": _ref("Button")},
            "quick_replies": {"type": "array", "items": _ref("Button")},
        },
    },
    "ChatRequest": {
        "type": "object",
        "required": ["session"],
        "properties": {
            "text": {"type": "string", "maxLength": 500, "description": "what the user typed"},
            "postback": {
                "type": "string",
                "description": "the `data` of a postback button pressed (at most 64 bytes); "
                "one of `text` and `postback` is required",
            },
            "session": {
                "type": "string",
                "pattern": "^[A-Za-z0-9_-]{8,64}$",
                "description": "the caller's chat: the list on screen and its buttons are kept per session",
            },
        },
    },
    "ChatResponse": {
        "type": "object",
        "required": ["reply", "outcome"],
        "properties": {
            "reply": _ref("Reply"),
            "outcome": {
                "type": "object",
                "required": ["intent", "answered", "corrected", "hits", "ms"],
                "properties": {
                    "intent": {"type": "string", "description": "search, details, more, greeting, help, ..."},
                    "answered": {"type": "boolean"},
                    "corrected": {
                        "type": "string",
                        "description": "the query as corrected; empty if unchanged",
                    },
                    "hits": {"type": "array", "items": _STR, "description": "dataset names, best first"},
                    "ms": {"type": "number"},
                },
            },
        },
    },
    "SearchResult": {
        "type": "object",
        "required": ["name", "title", "agency", "page_url", "download_url", "score"],
        "properties": {
            "name": _STR,
            "title": _STR,
            "agency": _STR,
            "page_url": {"type": "string", "format": "uri"},
            "download_url": {"type": ["string", "null"]},
            "score": {"type": "number"},
        },
    },
    "SearchResponse": {
        "type": "object",
        "required": ["query", "understood", "answered", "results"],
        "properties": {
            "query": _STR,
            "understood": {
                "type": "string",
                "description": "the query as the search read it (corrected, else normalised); "
                "the same as `khomun search --json`",
            },
            "answered": {
                "type": "boolean",
                "description": "false: nothing fits well enough (results may still hold near misses)",
            },
            "results": {"type": "array", "items": _ref("SearchResult")},
        },
    },
    "Health": {
        "type": "object",
        "required": ["ok", "datasets", "built_at"],
        "properties": {"ok": {"type": "boolean"}, "datasets": {"type": "integer"}, "built_at": _STR},
    },
    "Ready": {
        "type": "object",
        "required": ["ready"],
        "properties": {
            "ready": {"type": "boolean"},
            "reason": {**_STR, "description": "why not, e.g. state database unreachable (OperationalError)"},
        },
    },
}


def openapi_document(max_text: int, limit_max: int) -> Json:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "khomun",
            "version": "1",
            "description": "Find Thai open-government datasets (data.go.th) from plain Thai. "
            'Errors are JSON `{"error": ...}` for every /api path, 404 and 405 included.',
        },
        "paths": {
            "/api/search": {
                "get": {
                    "summary": "Search the catalog",
                    "parameters": [
                        {
                            "name": "q",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "string", "maxLength": max_text},
                            "description": "the query in plain Thai or English",
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": limit_max, "default": 10},
                        },
                    ],
                    "responses": {
                        "200": _json(_ref("SearchResponse"), "results, best first"),
                        "400": _error("q missing or too long, or limit out of range"),
                    },
                }
            },
            "/api/chat": {
                "post": {
                    "summary": "One turn of the conversation (what LINE and Telegram users get)",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("ChatRequest")}},
                    },
                    "responses": {
                        "200": _json(_ref("ChatResponse"), "the reply and what happened"),
                        "400": _error("not JSON, a field missing or of the wrong type, text too long"),
                        "408": _error("body not received within 5 s"),
                        "413": _error("body over 1 MB"),
                    },
                }
            },
            "/healthz": {
                "get": {
                    "summary": "Liveness and the index's size",
                    "responses": {"200": _json(_ref("Health"), "the service is up")},
                }
            },
            "/readyz": {
                "get": {
                    "summary": "Readiness: the state database answers a read and the index is loaded",
                    "responses": {
                        "200": _json(_ref("Ready"), "ready for traffic"),
                        "503": _json(_ref("Ready"), "not ready, with the reason"),
                    },
                }
            },
            "/metrics": {
                "get": {
                    "summary": "Prometheus metrics (a bearer STAFF_TOKEN when one is set)",
                    "responses": {
                        "200": {"description": "Prometheus text format", "content": {"text/plain": {}}},
                        "401": {"description": "STAFF_TOKEN is set and was not given"},
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}},
                }
            },
        },
        "components": {"schemas": SCHEMAS},
    }
