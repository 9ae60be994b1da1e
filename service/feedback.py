"""Thumbs up/down on answers: a small SQLite store and its two routes.

One row per feedback. The store is created on first use (WAL, so the service can
write while an export reads) and opened per call, which keeps it safe across
uvicorn's worker threads without a shared connection.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, Field

from core.settings import Settings
from service.deps import get_app_settings
from service.errors import error_responses

Rating = Literal["up", "down"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT,
    citations TEXT NOT NULL,
    history TEXT NOT NULL,
    query_used TEXT
)
"""
_COLUMNS = (
    "id",
    "created_at",
    "question",
    "answer",
    "rating",
    "comment",
    "citations",
    "history",
    "query_used",
)
_INSERTED = _COLUMNS[1:]  # id is assigned by SQLite


class FeedbackStore:
    """Feedback rows in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=10)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(_SCHEMA)
            with conn:  # commits, or rolls back on error
                yield conn
        finally:
            conn.close()

    def add(
        self,
        question: str,
        answer: str,
        rating: Rating,
        comment: str | None = None,
        citations: list[dict[str, Any]] | None = None,
        history: list[dict[str, Any]] | None = None,
        query_used: str | None = None,
    ) -> int:
        """Store one feedback; returns its id."""
        created = datetime.now(UTC).isoformat(timespec="seconds")
        with self._connect() as conn:
            cur = conn.execute(
                f"INSERT INTO feedback ({', '.join(_INSERTED)}) VALUES ({', '.join('?' * len(_INSERTED))})",
                (
                    created,
                    question,
                    answer,
                    rating,
                    comment,
                    json.dumps(citations or [], ensure_ascii=False),
                    json.dumps(history or [], ensure_ascii=False),
                    query_used,
                ),
            )
            return int(cur.lastrowid or 0)

    def rows(self) -> list[dict[str, Any]]:
        """Every feedback, oldest first, citations and history decoded."""
        with self._connect() as conn:
            got = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM feedback ORDER BY id").fetchall()
        out = []
        for row in got:
            d = dict(zip(_COLUMNS, row, strict=True))
            d["citations"] = json.loads(d["citations"])
            d["history"] = json.loads(d["history"])
            out.append(d)
        return out

    def export_jsonl(self) -> str:
        """One JSON object per line, oldest first; empty string when there is none."""
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in self.rows())

    def count(self) -> int:
        with self._connect() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM feedback").fetchone()[0])


class FeedbackIn(BaseModel):
    question: str = Field(min_length=1, max_length=20000, description="The question that was answered.")
    answer: str = Field(max_length=200000, description="The answer as shown.")
    rating: Rating = Field(description="Thumbs up or down.")
    comment: str | None = Field(None, max_length=2000, description="Optional free text.")
    citations: list[dict[str, Any]] = Field(default_factory=list, max_length=200, description="The answer's citations.")
    history: list[dict[str, Any]] = Field(
        default_factory=list, max_length=200, description="Conversation before the question."
    )
    query_used: str | None = Field(None, max_length=20000, description="The query the service actually searched with.")


router = APIRouter(tags=["feedback"])

AppSettings = Annotated[Settings, Depends(get_app_settings)]


def _store(settings: Settings) -> FeedbackStore:
    return FeedbackStore(settings.paths.feedback_db)


@router.post("/v1/feedback", responses=error_responses(422))
def post_feedback(body: FeedbackIn, settings: AppSettings) -> dict[str, Any]:
    """Record a thumbs up/down, with an optional comment, on one answer."""
    new_id = _store(settings).add(**body.model_dump())
    return {"ok": True, "id": new_id}


@router.get(
    "/v1/feedback/export",
    response_class=Response,
    responses={200: {"description": "One JSON object per line.", "content": {"application/x-ndjson": {}}}},
)
def export_feedback(settings: AppSettings) -> Response:
    """All feedback as JSON lines, oldest first."""
    return Response(
        _store(settings).export_jsonl(),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="feedback.jsonl"'},
    )
