"""A real service for the UI tests: the bundled corpus ingested once, served by uvicorn.

Import the fixtures into a test module (``from ui_fixtures import live_service, ...``).
pytest registers an imported fixture once per importing module, so the server is a
process-wide singleton here: the first module to ask starts it (~40 s of ingest with
the real embedding model) and it stops at the end of the session.

Every HTTP request the service receives is recorded (method, path, JSON body), so a
test can assert what the UI actually sent.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Recorded:
    method: str
    path: str
    query: str
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class LiveService:
    url: str
    data_dir: Path
    requests: list[Recorded] = field(default_factory=list)

    def posted(self, path: str) -> list[dict[str, Any]]:
        """JSON bodies of the POSTs to ``path``, oldest first."""
        return [r.json() for r in self.requests if r.method == "POST" and r.path == path]


class _Recorder:
    """ASGI wrapper that records each HTTP request before the app sees it."""

    def __init__(self, app: Any, log: list[Recorded]) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Logged on arrival (a GET's body is never read); the body fills in as the app reads it.
        record = Recorded(scope["method"], scope["path"], scope["query_string"].decode(), b"")
        self.log.append(record)

        async def recording_receive() -> dict[str, Any]:
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                record.body += message.get("body", b"")
            return message

        await self.app(scope, recording_receive, send)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up in {timeout_s:.0f} s (last error: {last})")


_LIVE: LiveService | None = None


def _start(tmp_root: Path, request: pytest.FixtureRequest) -> LiveService:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from core.settings import get_settings
    from ingest.pipeline import run_ingest
    from service.app import create_app

    data_dir = tmp_root / "data"
    settings = get_settings(paths={"data_dir": data_dir, "corpus_dir": REPO / "corpus"})
    report = run_ingest(settings)
    assert report.ok and report.reviews >= 5, report.summary()

    port = free_port()
    live = LiveService(url=f"http://127.0.0.1:{port}", data_dir=data_dir)
    app = _Recorder(create_app(settings, preload=True), live.requests)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="live-service", daemon=True)
    thread.start()

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    request.addfinalizer(stop)
    wait_for(f"{live.url}/health")
    return live


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> LiveService:
    """The running service, with its request log."""
    global _LIVE
    if _LIVE is None:
        _LIVE = _start(tmp_path_factory.mktemp("live-service"), request)
    return _LIVE


@pytest.fixture(scope="session")
def live_service(live_server: LiveService) -> Iterator[str]:
    """Base URL of a real service over the ingested bundled corpus."""
    yield live_server.url


@pytest.fixture
def service_log(live_server: LiveService) -> LiveService:
    """The live service with its request log emptied for this test."""
    live_server.requests.clear()
    return live_server
