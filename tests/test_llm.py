"""The generative answer mode against a real OpenAI-compatible server on loopback.

The server is a small FastAPI app served by uvicorn in a thread; each test chooses
its canned reply. Retrieval runs over the bundled corpus ingested with the fake
embedder, so the whole path (Engine -> LLMAnswerer -> HTTP -> post-processing) is real.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from tests_support import free_port

from core.records import Answer, label_display
from core.settings import REPO_ROOT, Settings, get_settings
from index.retrieval import Filters
from service.app import Engine
from service.llm import LLMAnswerer, declines, keep_cited

QUESTION = "what did the reviews say about fathers?"
TIMEOUT_S = 2.0
UNCITED = "This sentence has no source at all."


@dataclass
class FakeLLM:
    """What the fake server replies, and every request body it received."""

    url: str = ""
    mode: str = "cited"
    requests: list[dict[str, Any]] = field(default_factory=list)


def _completion(content: str, model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


def _fake_app(fake: FakeLLM) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> JSONResponse:
        body = await request.json()
        fake.requests.append(body)
        model = body.get("model", "")
        if fake.mode == "cited":
            content = (
                "The reviews found that fathers were often not involved in assessments [1]. "
                f"Practitioners rarely sought the views of male carers.[2] {UNCITED}"
            )
        elif fake.mode == "decline":
            content = "I cannot answer that from these reviews: the paragraphs do not mention it."
        elif fake.mode == "invalid":
            content = "Fathers were overlooked by every agency [9]. Nobody asked about them [0]."
        elif fake.mode == "slow":
            await asyncio.sleep(TIMEOUT_S + 2)
            content = "Too late [1]."
        elif fake.mode == "empty":  # a 200 that is not a completion: no choices at all
            return JSONResponse({"id": "x", "object": "chat.completion", "created": 0, "model": model, "choices": []})
        else:  # "error"
            return JSONResponse({"error": {"message": "boom", "type": "server_error"}}, status_code=500)
        return JSONResponse(_completion(content, model))

    return app


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeLLM]:
    port = free_port()
    fake = FakeLLM(url=f"http://127.0.0.1:{port}/v1")
    server = uvicorn.Server(
        uvicorn.Config(_fake_app(fake), host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1)
    )
    thread = threading.Thread(target=server.run, name="fake-llm", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "fake LLM server did not start"
        time.sleep(0.05)
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
    yield fake
    server.should_exit = True
    thread.join(timeout=10)


def _settings(data_dir: Path, base_url: str | None, threshold: float = 0.0) -> Settings:
    return get_settings(
        paths={"data_dir": data_dir, "corpus_dir": REPO_ROOT / "corpus"},
        embedding={"model": "hash-256"},
        llm={"base_url": base_url, "timeout_s": TIMEOUT_S},
        # The fake embedder's similarities are low; a zero threshold keeps it from abstaining.
        answer={"abstain_threshold": threshold},
    )


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ingest.pipeline import run_ingest

    path = tmp_path_factory.mktemp("llm") / "data"
    report = run_ingest(_settings(path, None))
    assert report.ok, report.failed
    return path


@pytest.fixture(scope="module")
def llm_engine(data_dir: Path, fake_llm: FakeLLM) -> Engine:
    engine = Engine(_settings(data_dir, fake_llm.url))
    assert isinstance(engine._loaded.llm, LLMAnswerer)
    return engine


@pytest.fixture(scope="module")
def extractive(data_dir: Path) -> Answer:
    """The answer with the LLM off: what every fallback must equal."""
    engine = Engine(_settings(data_dir, None))
    assert engine._loaded.llm is None
    answer = engine.ask(QUESTION, [], Filters())
    assert not answer.abstained and answer.citations
    return answer


@pytest.fixture(autouse=True)
def _reset(fake_llm: FakeLLM) -> None:
    fake_llm.requests.clear()
    fake_llm.mode = "cited"


def _prompt_paragraphs(body: dict[str, Any]) -> dict[int, str]:
    """Numbered paragraph headers in the prompt: {1: 'Child Y, para 3.24', ...}."""
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    return {int(n): head for n, head in re.findall(r"^\[(\d+)\] (.+?, .+?) \(.*\):$", user, flags=re.M)}


def test_cited_sentences_kept_uncited_dropped(llm_engine: Engine, fake_llm: FakeLLM) -> None:
    answer = llm_engine.ask(QUESTION, [], Filters())

    # The server was really called, with numbered paragraphs and the citation rule.
    assert len(fake_llm.requests) == 1
    body = fake_llm.requests[0]
    assert body["model"] == llm_engine.settings.llm.model
    system = next(m["content"] for m in body["messages"] if m["role"] == "system")
    assert "[2]" in system and "cannot answer" in system
    numbered = _prompt_paragraphs(body)
    assert sorted(numbered) == [1, 2, 3, 4, 5, 6]
    assert QUESTION in body["messages"][-1]["content"]

    assert not answer.abstained
    assert UNCITED not in answer.answer
    lines = answer.answer.split("\n")
    assert len(lines) == 2
    assert lines[0].startswith("The reviews found that fathers were often not involved in assessments")
    assert lines[0].endswith(f"[{numbered[1]}]")
    assert lines[1].endswith(f"[{numbered[2]}]")
    assert "[1]" not in answer.answer and "[2]" not in answer.answer

    # Citations are the paragraphs numbered [1] and [2], and each quote is verbatim from its paragraph.
    assert len(answer.citations) == 2
    paras = llm_engine.retriever.para_by_key
    for n, c in zip((1, 2), answer.citations, strict=True):
        assert numbered[n].endswith(f", {label_display(c.label)}")
        assert c.text == paras[(c.review_id, c.label)].text
        assert c.quote and c.quote in c.text
    assert answer.query_used


def test_timeout_falls_back(
    llm_engine: Engine, fake_llm: FakeLLM, extractive: Answer, caplog: pytest.LogCaptureFixture
) -> None:
    fake_llm.mode = "slow"
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="service.llm"):
        answer = llm_engine.ask(QUESTION, [], Filters())
    elapsed = time.monotonic() - started
    assert len(fake_llm.requests) == 1  # no retries
    assert TIMEOUT_S <= elapsed < TIMEOUT_S + 5
    assert answer == extractive
    assert "APITimeoutError" in caplog.text


@pytest.mark.parametrize(
    ("mode", "logged"),
    [
        ("invalid", "no sentence with a valid citation"),  # cites paragraphs it was not given
        ("error", "InternalServerError"),  # a 500
        ("empty", "IndexError"),  # a 200 that is no completion: no choices at all
    ],
)
def test_a_failing_model_falls_back(
    llm_engine: Engine, fake_llm: FakeLLM, extractive: Answer, caplog: pytest.LogCaptureFixture, mode: str, logged: str
) -> None:
    fake_llm.mode = mode
    with caplog.at_level(logging.WARNING, logger="service.llm"):
        answer = llm_engine.ask(QUESTION, [], Filters())
    assert len(fake_llm.requests) == 1  # no retries
    assert answer == extractive
    assert logged in caplog.text


def test_abstains_without_calling_the_llm(data_dir: Path, fake_llm: FakeLLM) -> None:
    engine = Engine(_settings(data_dir, fake_llm.url, threshold=10.0))
    answer = engine.ask(QUESTION, [], Filters())
    assert answer.abstained and not answer.citations and answer.related
    assert fake_llm.requests == []


def test_a_declining_reply_abstains(llm_engine: Engine, fake_llm: FakeLLM) -> None:
    # The model read the paragraphs and found no answer: the extractive answer must not overrule it.
    fake_llm.mode = "decline"
    answer = llm_engine.ask(QUESTION, [], Filters())
    assert len(fake_llm.requests) == 1
    assert answer.abstained and not answer.citations
    assert answer.related and all(c.quote is None for c in answer.related)


def test_value_missing_from_the_evidence_abstains_without_calling_the_llm(
    llm_engine: Engine, fake_llm: FakeLLM
) -> None:
    # No review states a sum of money, so no sentence can answer "how much money": the same rule as extractive.
    answer = llm_engine.ask("How much money did the fathers in these reviews owe?", [], Filters())
    assert answer.abstained and not answer.citations and answer.related
    assert fake_llm.requests == []


def test_declines_recognises_a_reply_without_an_answer() -> None:
    for reply in (
        "I cannot answer this from these reviews.",
        "The paragraphs don't mention when the attack happened.",
        "There is no information about the sentence length.",
        "This is not stated in the paragraphs provided.",
    ):
        assert declines(reply), reply
    for reply in ("Fathers were often overlooked.", "The mother did not attend the conference."):
        assert not declines(reply), reply


def test_keep_cited_parses_citation_forms() -> None:
    kept = keep_cited("- First point. [1, 3]\nSecond point [2][7]. Third point [5]? No cite here.", 6)
    assert [(k.text, k.numbers) for k in kept] == [
        ("First point.", [1, 3]),
        ("Second point.", [2]),
        ("Third point?", [5]),
    ]
