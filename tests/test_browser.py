"""The real UI in a real browser: ``streamlit run ui/app.py`` against the live service, driven by Chromium.

Uses the system Chromium (Debian's ``chromium`` package); Playwright downloads nothing.
Screenshots go to tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import ui_fixtures
from ui_fixtures import LiveService, free_port, wait_for

from core.records import label_display

live_server = ui_fixtures.live_server
live_service = ui_fixtures.live_service

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"{CHROMIUM} is absent: install Debian's chromium (apt-get install chromium)",
    ),
]
QUESTION = "what did reviews say about fathers?"
WAIT_MS = 120_000


@pytest.fixture(scope="module")
def streamlit_url(live_service: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``streamlit run ui/app.py`` in a subprocess, pointed at the live service."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    env = {**os.environ, "API_URL": live_service}
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(REPO / "ui" / "app.py"),
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.fileWatcherType",
                "none",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for(f"{url}/_stcore/health", timeout_s=60)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    text = log_path.read_text(errors="replace")
    assert "Traceback" not in text, text


def test_ask_in_a_real_browser_shows_cited_answer(streamlit_url: str, live_server: LiveService) -> None:
    from playwright.sync_api import expect, sync_playwright

    # What the service itself cites for the question: the page must show these labels on cards.
    body = {"question": QUESTION, "history": []}
    expected = httpx.post(f"{live_server.url}/v1/ask", json=body, timeout=120).json()
    labels = [c["label"] for c in expected["citations"]]
    assert labels, expected

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 2000})
            page.goto(streamlit_url, timeout=WAIT_MS)
            sidebar = page.get_by_test_id("stSidebar")
            expect(sidebar.get_by_text("reviews in the library")).to_be_visible(timeout=WAIT_MS)

            box = page.get_by_test_id("stChatInputTextArea")
            box.fill(QUESTION)
            box.press("Enter")
            expect(page.get_by_text(re.compile(r"^Sources \(\d+\)$"))).to_be_visible(timeout=WAIT_MS)

            cards = page.locator("[class*='st-key-card-']")
            shown = label_display(labels[0])
            first_card = cards.filter(has_text=re.compile(rf"{re.escape(shown)}(?!\d)")).first
            expect(first_card).to_be_visible()
            card_text = first_card.inner_text()
            assert shown in card_text, card_text
            assert expected["citations"][0]["review_title"] in card_text
            expect(page.get_by_test_id("stException")).to_have_count(0)
            # Wait for the run to end (the export buttons come last) before interacting, as a person would.
            export = sidebar.get_by_role("button", name="Download as Word")
            expect(export).to_be_visible(timeout=WAIT_MS)
            expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=WAIT_MS)
            first_card.scroll_into_view_if_needed()
            page.wait_for_timeout(500)  # let the last sentences settle before the picture
            page.screenshot(path=str(ARTIFACTS / "browser-answer.png"))

            # The whole paragraph, then its neighbours.
            first_card.get_by_text("Whole paragraph").click()
            expect(first_card.get_by_role("button", name="Show in context")).to_be_visible(timeout=WAIT_MS)
            # A click landing while the expander is still opening sent nothing to the server in 2 runs of 16
            # (none in 24 after this pause); a person does not click that fast.
            page.wait_for_timeout(1000)
            first_card.get_by_role("button", name="Show in context").click()
            expect(first_card.get_by_role("button", name="Hide context")).to_be_visible(timeout=WAIT_MS)
            fetched = [r for r in live_server.requests if r.path.startswith("/v1/reviews/")]
            assert any(r.query == "neighbours=2" for r in fetched), fetched
            first_card.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "browser-context.png"))
        finally:
            browser.close()
    assert (ARTIFACTS / "browser-answer.png").stat().st_size > 10_000
