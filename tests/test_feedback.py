"""Feedback: the SQLite store and its routes, through a real FastAPI app."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from core.settings import get_settings
from service import feedback
from service.feedback import FeedbackStore

CITATION = {
    "review_id": "child-y",
    "review_title": "Local Child Safeguarding Practice Review: Child Y",
    "label": "6.37",
    "section": "Findings",
    "page": None,
    "text": "Fathers were not routinely engaged.",
    "quote": "Fathers were not routinely engaged.",
    "score": 0.71,
}


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def client(data_dir: Path) -> TestClient:
    app = FastAPI()
    app.state.settings = get_settings(paths={"data_dir": data_dir})
    app.include_router(feedback.router)
    return TestClient(app)


def _body(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "question": "what did reviews say about fathers?",
        "answer": "Fathers were not routinely engaged. [Child Y, para 6.37]",
        "rating": "up",
        "comment": "useful",
        "citations": [CITATION],
        "history": [{"role": "user", "content": "hello"}, {"role": "assistant", "content": "hi"}],
        "query_used": "fathers",
    }
    body.update(overrides)
    return body


def test_add_count_and_export(client: TestClient, data_dir: Path) -> None:
    first = client.post("/v1/feedback", json=_body())
    assert first.status_code == 200
    assert first.json() == {"ok": True, "id": 1}
    second = client.post("/v1/feedback", json=_body(rating="down", comment=None, query_used=None))
    assert second.json() == {"ok": True, "id": 2}

    store = FeedbackStore(data_dir / "feedback.sqlite3")
    assert store.count() == 2

    export = client.get("/v1/feedback/export")
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in export.text.splitlines()]
    assert [r["id"] for r in lines] == [1, 2]
    assert [r["rating"] for r in lines] == ["up", "down"]
    assert lines[0]["citations"] == [CITATION]
    assert lines[0]["history"][0] == {"role": "user", "content": "hello"}
    assert lines[0]["comment"] == "useful" and lines[1]["comment"] is None
    assert lines[0]["query_used"] == "fathers"
    assert lines[0]["created_at"].endswith("+00:00")


def test_store_is_sqlite_in_wal_mode(client: TestClient, data_dir: Path) -> None:
    client.post("/v1/feedback", json=_body())
    conn = sqlite3.connect(data_dir / "feedback.sqlite3")
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


@pytest.mark.parametrize(
    "bad",
    [
        {"rating": "meh"},
        {"rating": None},
        {"comment": "x" * 2001},
        {"question": ""},
        {"citations": "not a list"},
    ],
)
def test_invalid_feedback_is_422_and_not_stored(client: TestClient, data_dir: Path, bad: dict[str, object]) -> None:
    resp = client.post("/v1/feedback", json=_body(**bad))
    assert resp.status_code == 422
    assert FeedbackStore(data_dir / "feedback.sqlite3").count() == 0


def test_comment_at_limit_is_accepted(client: TestClient) -> None:
    assert client.post("/v1/feedback", json=_body(comment="x" * 2000)).status_code == 200


def test_data_survives_a_new_store(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "feedback.sqlite3"
    store = FeedbackStore(path)
    assert store.count() == 0
    assert store.export_jsonl() == ""
    new_id = store.add("q?", "a.", "down", comment="wrong review", citations=[CITATION], history=[])
    assert new_id == 1

    again = FeedbackStore(path)
    assert again.count() == 1
    row = json.loads(again.export_jsonl())
    assert row["question"] == "q?" and row["rating"] == "down" and row["comment"] == "wrong review"
    assert row["citations"] == [CITATION]
    assert again.add("q2?", "a2.", "up") == 2
