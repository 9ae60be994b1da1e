"""A running service follows the store: an ingest in another process is answered from on the next request."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from fastapi.testclient import TestClient
from tests_support import free_port

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


def test_requests_during_a_reingest_all_succeed(fast_settings: Settings) -> None:
    """A real server under load while another process re-ingests: every request is answered (from the old
    library or the new), none fails while the engine swaps its Chroma client."""
    run_ingest(fast_settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(fast_settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    statuses: list[int] = []
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            while not stop.is_set():
                statuses.append(http.post("/v1/search", json={"query": "fathers and male carers"}).status_code)
                statuses.append(http.get("/v1/reviews").status_code)

    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        workers = [threading.Thread(target=load) for _ in range(3)]
        for w in workers:
            w.start()
        emily = fast_settings.paths.corpus_dir / "bradford-emily-cspr-scrutineer-response.txt"
        emily.unlink()
        _ingest_elsewhere(fast_settings)
        time.sleep(1.0)  # requests go on across the reload
        stop.set()
        for w in workers:
            w.join(timeout=60)
        assert statuses and set(statuses) == {200}, sorted(set(statuses))
        reviews = httpx.get(f"http://127.0.0.1:{port}/v1/reviews").json()["reviews"]
        assert "emily" not in {r["id"] for r in reviews}
    finally:
        stop.set()
        server.should_exit = True
        thread.join(timeout=10)
