"""A running service follows the store: an ingest in another process is answered from on the next request."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from core.settings import Settings
from ingest.pipeline import run_ingest
from service.app import create_app


def _ingest_elsewhere(settings: Settings) -> None:
    """`reviews ingest` in its own process, as a user runs it beside the service."""
    env = {
        **os.environ,
        "REVIEWS_DATA_DIR": str(settings.paths.data_dir),
        "REVIEWS_CORPUS_DIR": str(settings.paths.corpus_dir),
        "EMBEDDING_MODEL": settings.embedding.model,
    }
    done = subprocess.run(
        [str(Path(sys.executable).parent / "reviews"), "ingest", "-q"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr


def _review_ids(client: TestClient) -> set[str]:
    return {r["id"] for r in client.get("/v1/reviews").json()["reviews"]}


def test_service_started_on_an_empty_store_answers_once_ingested(fast_settings: Settings) -> None:
    client = TestClient(create_app(fast_settings))
    r = client.post("/v1/ask", json={"question": "what about fathers?"})
    assert r.status_code == 503 and "reviews ingest" in r.json()["error"]
    _ingest_elsewhere(fast_settings)
    r = client.post("/v1/ask", json={"question": "what did the reviews say about fathers?"})
    assert r.status_code == 200 and r.json()["citations"]
    assert client.get("/health").json()["reviews"] == 5


def test_running_service_follows_a_reingest(fast_settings: Settings) -> None:
    run_ingest(fast_settings)
    client = TestClient(create_app(fast_settings))
    assert "emily" in _review_ids(client)
    emily = fast_settings.paths.corpus_dir / "bradford-emily-cspr-scrutineer-response.txt"
    moved = emily.rename(fast_settings.paths.corpus_dir.parent / emily.name)
    _ingest_elsewhere(fast_settings)
    assert "emily" not in _review_ids(client)
    assert client.get("/v1/reviews/emily").status_code == 404
    cited = client.post("/v1/ask", json={"question": "what did the reviews say about fathers?"}).json()["citations"]
    assert cited and all(c["review_id"] != "emily" for c in cited)
    moved.rename(emily)
    _ingest_elsewhere(fast_settings)
    assert "emily" in _review_ids(client)


def test_an_ingest_that_changes_nothing_does_not_reload(fast_settings: Settings) -> None:
    run_ingest(fast_settings)
    before = fast_settings.paths.generation_path.read_text()
    assert run_ingest(fast_settings).embedded == 0
    assert fast_settings.paths.generation_path.read_text() == before


def test_health_says_why_startup_failed(tmp_path: Path, fast_settings: Settings) -> None:
    broken = fast_settings.model_copy(
        update={"embedding": fast_settings.embedding.model_copy(update={"model": str(tmp_path / "no-such-model")})}
    )
    with TestClient(create_app(broken, preload=True)) as client:
        r = client.get("/health")
    assert r.status_code == 503 and r.json()["status"] == "error" and "no-such-model" in r.json()["error"]
