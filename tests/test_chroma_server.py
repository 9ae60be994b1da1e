"""Ingest and read through a real Chroma server (`chroma run` on loopback) via HttpClient."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from conftest import make_settings
from tests_support import free_port

from index.store import ReviewStore
from ingest.pipeline import run_ingest


@pytest.fixture
def chroma_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    exe = Path(sys.executable).parent / "chroma"
    if not exe.exists():
        exe = Path(shutil.which("chroma") or "chroma")
    port = free_port()
    proc = subprocess.Popen(
        [str(exe), "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(tmp_path / "server")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail("chroma server did not start within 60 s")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_ingest_through_chroma_server(tmp_path: Path, chroma_server: int, corpus_copy: Path) -> None:
    settings = make_settings(
        tmp_path / "data", corpus_copy, store={"chroma_host": "127.0.0.1", "chroma_port": chroma_server}
    )
    report = run_ingest(settings)
    assert report.ok and report.reviews == 5
    again = run_ingest(settings)
    assert again.embedded == 0
    store = ReviewStore(settings)
    assert "nearly seven years old" in store.get_paragraph("child-y", "3.4")[0].text
