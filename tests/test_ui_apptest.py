"""The Streamlit app driven by AppTest against a real service (see ui_fixtures.py).

Each test talks to uvicorn serving ``service.app:create_app`` over the ingested
bundled corpus; the service's request log shows what the UI actually sent.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docx
import httpx
import pytest
import ui_fixtures
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest
from ui_fixtures import LiveService, free_port

from core.records import Citation
from ui import client as ui_client
from ui.client import Answer, ServiceClient, ServiceUnavailable, StreamBroken
from ui.conversation import Turn, history_of
from ui.export import to_docx, to_markdown
from ui.text import escape_md, highlight, label_display, quote_spans

# The shared fixtures, registered in this module (see ui_fixtures.py for why they are a singleton).
live_server = ui_fixtures.live_server
live_service = ui_fixtures.live_service
service_log = ui_fixtures.service_log

APP = str(Path(__file__).resolve().parents[1] / "ui" / "app.py")
FATHERS = "what did reviews say about fathers?"
OFF_TOPIC = "What is the capital of France?"
TIMEOUT = 120


def _app(monkeypatch: pytest.MonkeyPatch, url: str) -> AppTest:
    monkeypatch.setenv("API_URL", url)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    return at


def _ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _markdown(at: AppTest) -> str:
    return "\n".join(str(m.value) for m in at.markdown)


def _turns(at: AppTest) -> list[Turn]:
    turns: list[Turn] = at.session_state["turns"]
    return turns


# -- flows against the real service --------------------------------------------------------------
def test_ask_streams_an_answer_with_citation_cards(monkeypatch: pytest.MonkeyPatch, service_log: LiveService) -> None:
    at = _app(monkeypatch, service_log.url)
    assert not at.exception
    count = len(httpx.get(f"{service_log.url}/v1/reviews", timeout=10).json()["reviews"])
    assert any(f"**{count}** reviews in the library" in c.value for c in at.sidebar.caption)
    _ask(at, FATHERS)

    sent = service_log.posted("/v1/ask/stream")
    assert sent == [{"question": FATHERS, "history": []}]
    assert not service_log.posted("/v1/ask"), "the streaming answer should not fall back"

    [turn] = _turns(at)
    assert not turn.result.abstained and turn.result.citations
    shown = _markdown(at)
    assert escape_md(turn.result.answer.splitlines()[0]) in shown
    assert f"**Sources** ({len(turn.result.citations)})" in shown
    for c in turn.result.citations:
        # A card per citation: paragraph label and review title, then area/year/section.
        assert f"**{escape_md(label_display(c.label))}** — {escape_md(c.review_title)}" in shown
    # Numbered paragraphs read as "para 6.37"; the bundled reviews answer this from numbered ones.
    assert any(label_display(c.label).startswith("para ") for c in turn.result.citations)
    captions = [c.value for c in at.caption]
    assert any("Dudley · 2022 · LCSPR" in c for c in captions), captions
    # The whole paragraph sits in an expander with the quote highlighted.
    assert len(at.expander) >= len(turn.result.citations)
    assert ":orange-background[" in at.expander[0].markdown[0].value
    assert len(at.feedback) == 1


def test_show_in_context_fetches_neighbours(monkeypatch: pytest.MonkeyPatch, service_log: LiveService) -> None:
    at = _ask(_app(monkeypatch, service_log.url), FATHERS)
    first = _turns(at)[0].result.citations[0]
    at.button(key="c0-t0-cit0-ctx").click().run()
    assert not at.exception

    [got] = [r for r in service_log.requests if r.path.startswith(f"/v1/reviews/{first.review_id}/paragraphs/")]
    assert got.query == "neighbours=2"
    ctx = at.session_state["contexts"]["c0-t0-cit0"]
    assert ctx.paragraph.label == first.label
    assert ctx.before or ctx.after
    expander_text = "\n".join(str(m.value) for m in at.expander[0].markdown)
    for p in [*ctx.before, *ctx.after]:
        assert escape_md(p.text) in expander_text
    assert ":orange-background[" in expander_text
    at.button(key="c0-t0-cit0-hide").click().run()
    assert "c0-t0-cit0" not in at.session_state["contexts"]


def test_follow_up_sends_the_first_turn_as_history(monkeypatch: pytest.MonkeyPatch, service_log: LiveService) -> None:
    at = _ask(_app(monkeypatch, service_log.url), FATHERS)
    _ask(at, "what did Child Y's review say about that?")

    first, second = service_log.posted("/v1/ask/stream")
    assert first["history"] == []
    answer = _turns(at)[0].result.answer
    assert second["history"] == [
        {"role": "user", "content": FATHERS},
        {"role": "assistant", "content": answer},
    ]
    assert len(_turns(at)) == 2
    assert [m.name for m in at.chat_message] == ["user", "assistant", "user", "assistant"]


def test_filters_are_sent_with_the_question(monkeypatch: pytest.MonkeyPatch, service_log: LiveService) -> None:
    at = _app(monkeypatch, service_log.url)
    at.multiselect(key="f_reviews").set_value(["child-y"])
    at.selectbox(key="f_area").set_value("Dudley")
    at.selectbox(key="f_type").set_value("LCSPR")
    at.slider(key="f_years").set_value((2020, 2022))
    at.run()
    _ask(at, FATHERS)

    [body] = service_log.posted("/v1/ask/stream")
    assert body["filters"] == {
        "review_ids": ["child-y"],
        "area": "Dudley",
        "year_from": 2020,
        "year_to": 2022,
        "review_type": "LCSPR",
    }
    result = _turns(at)[0].result
    assert result.citations and {c.review_id for c in result.citations} == {"child-y"}


def test_untouched_filters_send_none(monkeypatch: pytest.MonkeyPatch, service_log: LiveService) -> None:
    _ask(_app(monkeypatch, service_log.url), FATHERS)
    [body] = service_log.posted("/v1/ask/stream")
    assert "filters" not in body


def test_abstention_is_shown_as_such_with_related_paragraphs_apart(
    monkeypatch: pytest.MonkeyPatch, service_log: LiveService
) -> None:
    at = _ask(_app(monkeypatch, service_log.url), OFF_TOPIC)
    [turn] = _turns(at)
    assert turn.result.abstained and not turn.result.citations and turn.result.related
    [info] = at.info
    assert "The reviews here don't cover that." in info.value
    assert escape_md(turn.result.answer) in info.value
    shown = _markdown(at)
    assert "**May be related**" in shown
    assert "**Sources**" not in shown
    # The answer text is only in the info box, never as an answer paragraph.
    assert all(escape_md(turn.result.answer) not in str(m.value) for m in at.markdown)
    for c in turn.result.related:
        assert f"**{escape_md(label_display(c.label))}**" in shown


def test_export_markdown_and_word(monkeypatch: pytest.MonkeyPatch, service_log: LiveService) -> None:
    served: dict[str, bytes] = {}
    original: Callable[..., str] = MemoryMediaFileStorage.load_and_get_id

    def spy(self: Any, path_or_data: Any, mimetype: str, kind: Any, filename: str | None = None) -> str:
        if filename and isinstance(path_or_data, bytes):
            served[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", spy)
    at = _app(monkeypatch, service_log.url)
    assert not at.get("download_button"), "nothing to export before the first answer"
    _ask(at, FATHERS)
    _ask(at, OFF_TOPIC)
    assert [b.label for b in at.get("download_button")] == ["Download as Markdown", "Download as Word"]

    first, second = (t.result for t in _turns(at))
    md = served["safeguarding-reviews-conversation.md"].decode("utf-8")
    assert f"## 1. {FATHERS}" in md and f"## 2. {OFF_TOPIC}" in md
    assert first.answer.splitlines()[0] in md
    for c in first.citations:
        assert f"{c.review_title} (" in md
        assert f"{label_display(c.label)}, section: {c.section}, page " in md
        assert c.quote and c.quote in md
    assert "Not covered by these reviews." in md and "### May be related (not an answer)" in md
    assert second.related[0].label in md

    document = docx.Document(io.BytesIO(served["safeguarding-reviews-conversation.docx"]))
    text = "\n".join(p.text for p in document.paragraphs)
    assert f"1. {FATHERS}" in text and f"2. {OFF_TOPIC}" in text
    for c in first.citations:
        assert label_display(c.label) in text and c.quote and c.quote in text
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "Citations" in headings and "May be related (not an answer)" in headings


def test_feedback_is_posted_with_comment(monkeypatch: pytest.MonkeyPatch, service_log: LiveService) -> None:
    at = _ask(_app(monkeypatch, service_log.url), FATHERS)
    at.feedback[0].set_value(1).run()
    at.text_input(key="c0-t0-fbc").set_value("clear, and the paragraphs check out").run()
    at.button(key="c0-t0-fbs").click().run()
    assert not at.exception
    assert any("your feedback was recorded" in c.value for c in at.caption)

    [body] = service_log.posted("/v1/feedback")
    turn = _turns(at)[0]
    assert body["rating"] == "up" and body["question"] == FATHERS and body["answer"] == turn.result.answer
    assert body["comment"] == "clear, and the paragraphs check out"
    assert [c["label"] for c in body["citations"]] == [c.label for c in turn.result.citations]
    assert turn.feedback_id is not None

    export = httpx.get(f"{service_log.url}/v1/feedback/export", timeout=10)
    rows = [json.loads(line) for line in export.text.splitlines()]
    mine = [r for r in rows if r["id"] == turn.feedback_id]
    assert mine and mine[0]["comment"] == "clear, and the paragraphs check out" and mine[0]["rating"] == "up"


def test_thumbs_down_without_comment(monkeypatch: pytest.MonkeyPatch, service_log: LiveService) -> None:
    at = _ask(_app(monkeypatch, service_log.url), OFF_TOPIC)
    at.feedback[0].set_value(0).run()
    at.button(key="c0-t0-fbs").click().run()
    [body] = service_log.posted("/v1/feedback")
    assert body["rating"] == "down" and body["comment"] is None
    # An abstention has no citations; its "may be related" paragraphs go with the feedback.
    assert body["citations"] and body["citations"][0]["label"] == _turns(at)[0].result.related[0].label


def test_streaming_failure_falls_back_to_plain_ask(monkeypatch: pytest.MonkeyPatch, service_log: LiveService) -> None:
    def broken(self: ServiceClient, *args: Any, **kwargs: Any) -> Any:
        raise StreamBroken("stream endpoint answered HTTP 404")
        yield  # a generator, like the real one

    monkeypatch.setattr(ui_client.ServiceClient, "ask_stream", broken)
    at = _ask(_app(monkeypatch, service_log.url), FATHERS)
    assert service_log.posted("/v1/ask") == [{"question": FATHERS, "history": []}]
    assert _turns(at)[0].result.citations
    assert not at.error


def test_library_lists_reviews_and_reads_one(monkeypatch: pytest.MonkeyPatch, service_log: LiveService) -> None:
    at = _app(monkeypatch, service_log.url)
    at.radio(key="view").set_value("Library").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 5 and {"Title", "Area", "Year", "Type", "Paragraphs"} <= set(table.columns)
    at.selectbox(key="lib_review").set_value("child-y").run()
    assert not at.exception
    shown = _markdown(at)
    assert "**para 3.24**" in shown and "**Area:** Dudley" in shown
    paragraphs = int(table.loc[table["Title"].str.contains("Child Y"), "Paragraphs"].iloc[0])
    assert any(f"{paragraphs} of {paragraphs} paragraphs" in c.value for c in at.caption)
    at.text_input(key="lib_find_child-y").set_value("fathers").run()
    assert all("fathers" in m.value.lower() for m in at.markdown if m.value.startswith("**para"))


def test_new_conversation_clears_the_chat(monkeypatch: pytest.MonkeyPatch, service_log: LiveService) -> None:
    at = _ask(_app(monkeypatch, service_log.url), FATHERS)
    at.button(key="new-conversation").click().run()
    assert _turns(at) == [] and not at.chat_message
    _ask(at, FATHERS)
    assert service_log.posted("/v1/ask/stream")[-1]["history"] == []


# -- the service down or failing -------------------------------------------------------------------
def test_service_down_shows_a_clear_error_and_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    at = _app(monkeypatch, url)
    assert not at.exception
    [error] = at.error
    assert url in error.value and "reviews serve" in error.value and "make run" in error.value
    assert "Traceback" not in error.value
    at.button(key="retry-connection").click().run()
    assert not at.exception and url in at.error[0].value


def test_service_failing_mid_conversation_then_retry(monkeypatch: pytest.MonkeyPatch, service_log: LiveService) -> None:
    def down(self: ServiceClient, *args: Any, **kwargs: Any) -> Any:
        raise ServiceUnavailable(self.base_url, "it did not answer in time")

    at = _app(monkeypatch, service_log.url)
    with monkeypatch.context() as m:
        m.setattr(ui_client.ServiceClient, "ask_stream", down)
        m.setattr(ui_client.ServiceClient, "ask", down)
        _ask(at, FATHERS)
        assert _turns(at) == []
        [error] = at.error
        assert "did not answer in time" in error.value and service_log.url in error.value
        at.run()  # the failure stays on screen across reruns
        assert len(at.error) == 1
    at.button(key="retry-ask-0").click().run()
    assert not at.exception and not at.error
    assert [t.question for t in _turns(at)] == [FATHERS]


def test_rejected_question_is_a_warning_not_a_crash(monkeypatch: pytest.MonkeyPatch, service_log: LiveService) -> None:
    at = _ask(_app(monkeypatch, service_log.url), "   ")
    assert not _turns(at) and not service_log.posted("/v1/ask/stream"), "blank input is not sent"
    _ask(at, "fathers " * 130)  # over the service's 1000-character limit
    assert not _turns(at) and not at.error
    [warning] = at.warning
    assert "could not answer that" in warning.value and "1000" in warning.value


# -- pure helpers and the client ----------------------------------------------------------------------
def citation(**kw: Any) -> Citation:
    base: dict[str, Any] = {
        "review_id": "child-y",
        "review_title": "Local Child Safeguarding Practice Review: Child Y",
        "label": "3.24",
        "section": "Findings",
        "page": 7,
        "text": "Fathers matter. The review was told   that fathers\nwere missed. Next sentence.",
        "quote": "The review was told that fathers were missed.",
        "score": 0.5,
    }
    base.update(kw)
    return Citation(**base)


def test_highlight_finds_the_quote_across_whitespace() -> None:
    c = citation()
    out = highlight(c.text, c.quote)
    assert out.startswith("Fathers matter. :orange-background[The review was told")
    assert out.endswith("were missed.] Next sentence.")
    assert highlight("a $5 [note] *x*", None) == r"a \$5 \[note\] \*x\*"
    assert quote_spans("One. Two. Three.", "Three. Missing. One.") == [(0, 4), (10, 16)]
    assert quote_spans("One. 'Two.' Three.", "Three. 'Two.'") == [(5, 18)]
    assert escape_md("- item\n2. two :smile:") == "\\- item\n2\\. two \\:smile\\:"
    assert label_display("6.37") == "para 6.37" and label_display("12") == "para 12"
    assert label_display("Learning 3") == "Learning 3" and label_display("2. Process ¶4") == "2. Process ¶4"


def test_markdown_and_docx_exports_without_a_service() -> None:
    turns = [
        Turn("q one?", Answer("Answer one.", citations=[citation()], query_used="q one")),
        Turn(
            "q two?",
            Answer("Not here.", abstained=True, related=[citation(label="Learning 3", page=None)]),
        ),
    ]
    assert history_of(turns)[1] == {"role": "assistant", "content": "Answer one."}
    assert [m["content"] for m in history_of(turns, limit=2)] == ["q two?", "Not here."]
    md = to_markdown(turns)
    assert "1. Local Child Safeguarding Practice Review: Child Y, para 3.24, section: Findings, page 7" in md
    assert "   > The review was told that fathers were missed." in md
    assert "Learning 3, section: Findings, page not recorded" in md
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(to_docx(turns))).paragraphs)
    assert "Not covered by these reviews. Not here." in text


def test_client_reads_the_stream_and_maps_errors() -> None:
    done = {"answer": "A. B.", "citations": [], "abstained": False, "query_used": "q", "related": []}
    stream = (
        'event: sentence\ndata: {"text": "A."}\n\n: keep-alive\n\n'
        f'event: sentence\ndata: {{"text": "B."}}\n\nevent: done\ndata: {json.dumps(done)}\n\n'
    )

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/ask/stream":
            return httpx.Response(200, text=stream, headers={"content-type": "text/event-stream"})
        if request.url.path == "/v1/ask":
            return httpx.Response(422, json={"ok": False, "error": "question: too long", "status": 422})
        return httpx.Response(503, json={"ok": False, "error": "index empty", "status": 503})

    c = ServiceClient("http://svc", transport=httpx.MockTransport(handler))
    events = list(c.ask_stream("q", []))
    assert [getattr(e, "text", None) for e in events] == ["A.", "B.", None]
    assert events[-1].result.answer == "A. B."  # type: ignore[union-attr]
    with pytest.raises(ui_client.ServiceRejected, match="too long"):
        c.ask("q", [])
    with pytest.raises(ServiceUnavailable, match="http://svc.*index empty"):
        c.reviews()

    def error_event(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text='event: error\ndata: {"error": "boom"}\n\n')

    broken = ServiceClient("http://svc", transport=httpx.MockTransport(error_event))
    with pytest.raises(StreamBroken, match="boom"):
        list(broken.ask_stream("q", []))
    with pytest.raises(ServiceUnavailable, match="nothing is listening"):
        ServiceClient(f"http://127.0.0.1:{free_port()}").health()
