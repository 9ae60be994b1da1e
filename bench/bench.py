"""Print ingest and query speed figures on this machine (make bench)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from core.settings import get_settings  # noqa: E402


def _serve_ready(reviews: str, env: dict[str, str]) -> tuple[float, float]:
    """Seconds until `reviews serve` answers /health, and its peak resident memory (MB) after a few asks."""
    import socket

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t = time.perf_counter()
    proc = subprocess.Popen(
        [reviews, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while time.perf_counter() - t < 120:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).json().get("status") == "ok":
                    ready = time.perf_counter() - t
                    for q in ("what did the reviews say about fathers?", "genogram", "risk conferences"):
                        httpx.post(f"http://127.0.0.1:{port}/v1/ask", json={"question": q}, timeout=60)
                    return ready, _peak_rss_mb(proc.pid)
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        return float("nan"), float("nan")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def main() -> None:
    from ingest.pipeline import run_ingest

    with tempfile.TemporaryDirectory() as tmp:
        settings = get_settings(paths={"data_dir": Path(tmp) / "data"})
        t = time.perf_counter()
        cold = run_ingest(settings)
        cold_s = time.perf_counter() - t
        print(
            f"cold ingest (incl. model load): {cold_s:.1f} s, {cold.paragraphs} paragraphs, "
            f"{cold.paragraphs / cold_s:.1f} paragraphs/s, {cold.chunks} chunks"
        )
        t = time.perf_counter()
        warm = run_ingest(settings)
        print(f"warm re-run, in-process: {time.perf_counter() - t:.2f} s ({warm.embedded} re-embedded)")
        env = {**os.environ, "REVIEWS_DATA_DIR": str(settings.paths.data_dir)}
        reviews = str(Path(sys.executable).parent / "reviews")
        t = time.perf_counter()
        subprocess.run([reviews, "ingest", "-q"], env=env, check=True, capture_output=True)
        print(f"warm re-run, `reviews ingest` command incl. start-up: {time.perf_counter() - t:.2f} s")
        ready, rss = _serve_ready(reviews, env)
        print(
            f"service ready, `reviews serve` from a fresh process: {ready:.1f} s; "
            f"its peak memory after three asks: {rss:.0f} MB"
        )

        from fastapi.testclient import TestClient

        from service.app import create_app

        t = time.perf_counter()
        with TestClient(create_app(settings, preload=True)) as client:
            print(f"service ready: {time.perf_counter() - t:.1f} s")
            questions = [
                "what did the reviews say about fathers?",
                "How old was Child Y when they started school?",
                "what did reviews say about professional challenge?",
                "genogram",
                "risk conferences",
                "What did Child O recommend about GPs?",
                "neglect and missing school",
                "what is the capital of France?",
            ] * 5
            for path, key in (("/v1/search", "query"), ("/v1/ask", "question")):
                times = []
                for q in questions:
                    t = time.perf_counter()
                    client.post(path, json={key: q})
                    times.append((time.perf_counter() - t) * 1000)
                times.sort()
                print(
                    f"{path}: p50 {statistics.median(times):.0f} ms, p95 {times[int(0.95 * (len(times) - 1))]:.0f} ms"
                    f" over {len(times)} requests"
                )


if __name__ == "__main__":
    main()
