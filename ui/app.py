"""The chat front end: ``streamlit run ui/app.py``.

Speaks to the service over HTTP only (``API_URL``, see core.settings); every call
goes through :mod:`ui.client`. State lives in ``st.session_state``: the turns of the
conversation, paragraph contexts opened, and a failed question waiting for Retry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core.records import Citation, ReviewMeta
from core.settings import get_settings
from ui.client import (
    Answer,
    Done,
    Filters,
    ParagraphContext,
    ReviewText,
    ServiceClient,
    ServiceError,
    ServiceUnavailable,
    StreamBroken,
)
from ui.conversation import Turn, history_of
from ui.export import to_docx, to_markdown
from ui.text import citation_place, escape_md, highlight, label_display

log = logging.getLogger("ui.app")

APP_TITLE = "Safeguarding practice reviews"
NOT_COVERED = "The reviews here don't cover that."
ALL = "All"
VIEW_CHAT = "Chat"
VIEW_LIBRARY = "Library"
CONTEXT_NEIGHBOURS = 2


# -- service calls that are cached across reruns ------------------------------------
@st.cache_data(ttl=60, show_spinner=False)
def _reviews(base_url: str, timeout_s: float) -> list[ReviewMeta]:
    return ServiceClient(base_url, timeout_s).reviews()


@st.cache_data(ttl=300, show_spinner="Loading the review…")
def _review_text(base_url: str, timeout_s: float, review_id: str) -> ReviewText:
    return ServiceClient(base_url, timeout_s).review(review_id)


# -- state ---------------------------------------------------------------------------
def _init_state() -> None:
    ss = st.session_state
    ss.setdefault("turns", [])
    ss.setdefault("failed", None)
    ss.setdefault("contexts", {})
    ss.setdefault("feedback_errors", {})
    ss.setdefault("conv", 0)


def _new_conversation() -> None:
    ss = st.session_state
    ss.turns = []
    ss.failed = None
    ss.contexts = {}
    ss.feedback_errors = {}
    ss.conv += 1


def _retry_failed() -> None:
    failed = st.session_state.get("failed")
    if failed:
        st.session_state.retry_question = failed["question"]


def _retry_connection() -> None:
    _reviews.clear()
    _review_text.clear()
    st.session_state.failed = None


# -- messages --------------------------------------------------------------------------
def _unavailable_message(exc: ServiceUnavailable) -> str:
    return (
        f"**The review service is not available.** {exc.reason.capitalize()} (`{exc.url}`).\n\n"
        "Start it with `reviews serve` (or `make run`), or set `API_URL` to the address where it runs, "
        "then press **Retry**."
    )


def _show_service_error(exc: ServiceError, retry_key: str, on_retry: Callable[[], None]) -> None:
    if isinstance(exc, ServiceUnavailable):
        st.error(_unavailable_message(exc), icon=":material/power_off:")
    else:
        st.warning(f"**The service could not answer that.** {escape_md(str(exc))}", icon=":material/warning:")
    st.button("Retry", key=retry_key, on_click=on_retry, icon=":material/refresh:")


def _as_markdown(text: str) -> str:
    """Service text shown literally, its line breaks kept."""
    return escape_md(text).replace("\n", "  \n")


# -- citations ---------------------------------------------------------------------------
def _load_context(client: ServiceClient, key: str, review_id: str, label: str) -> None:
    try:
        st.session_state.contexts[key] = client.paragraph(review_id, label, neighbours=CONTEXT_NEIGHBOURS)
    except ServiceError as exc:
        st.session_state.contexts[key] = f"Could not fetch the paragraphs around it: {exc}"


def _hide_context(key: str) -> None:
    st.session_state.contexts.pop(key, None)


def _review_facts(c: Citation, reviews: Mapping[str, ReviewMeta]) -> str:
    meta = reviews.get(c.review_id)
    facts = [meta.area, str(meta.year) if meta.year else None, meta.type] if meta else []
    return " · ".join(f for f in facts if f)


def _render_context(ctx: ParagraphContext, c: Citation) -> None:
    for p in ctx.before:
        st.caption(escape_md(label_display(p.label)))
        st.markdown(escape_md(p.text))
    st.caption(f"**{escape_md(label_display(ctx.paragraph.label))}** (cited)")
    st.markdown(highlight(ctx.paragraph.text, c.quote))
    for p in ctx.after:
        st.caption(escape_md(label_display(p.label)))
        st.markdown(escape_md(p.text))


def _render_citation(client: ServiceClient, c: Citation, key: str, reviews: Mapping[str, ReviewMeta]) -> None:
    title = c.review_title or (reviews[c.review_id].title if c.review_id in reviews else c.review_id)
    ctx = st.session_state.contexts.get(key)
    with st.container(border=True, key=f"card-{key}"):
        st.markdown(f"**{escape_md(label_display(c.label))}** — {escape_md(title)}")
        facts = " · ".join(x for x in (_review_facts(c, reviews), citation_place(c, with_label=False)) if x)
        st.caption(escape_md(facts))
        if c.quote:
            st.markdown("> " + escape_md(" ".join(c.quote.split())))
        with st.expander("Whole paragraph", expanded=ctx is not None):
            if ctx is None:
                st.markdown(highlight(c.text, c.quote))
                st.button(
                    "Show in context",
                    key=f"{key}-ctx",
                    on_click=_load_context,
                    args=(client, key, c.review_id, c.label),
                )
            elif isinstance(ctx, str):
                st.markdown(highlight(c.text, c.quote))
                st.warning(ctx)
                st.button("Hide", key=f"{key}-hide", on_click=_hide_context, args=(key,))
            else:
                _render_context(ctx, c)
                st.button("Hide context", key=f"{key}-hide", on_click=_hide_context, args=(key,))


def _render_result(client: ServiceClient, r: Answer, key: str, reviews: Mapping[str, ReviewMeta]) -> None:
    if r.abstained:
        st.info(f"**{NOT_COVERED}** {escape_md(r.answer)}", icon=":material/info:")
        if r.related:
            st.markdown("**May be related** — passages that came close. They do not answer the question.")
            for j, c in enumerate(r.related):
                _render_citation(client, c, f"{key}-rel{j}", reviews)
        return
    st.markdown(_as_markdown(r.answer))
    if r.citations:
        st.markdown(f"**Sources** ({len(r.citations)})")
        for j, c in enumerate(r.citations):
            _render_citation(client, c, f"{key}-cit{j}", reviews)


# -- feedback ----------------------------------------------------------------------------
def _send_feedback(client: ServiceClient, index: int, key: str) -> None:
    ss = st.session_state
    turn: Turn = ss.turns[index]
    rating = "up" if ss.get(f"{key}-fb") == 1 else "down"
    comment = (ss.get(f"{key}-fbc") or "").strip() or None
    try:
        turn.feedback_id = client.feedback(
            question=turn.question,
            answer=turn.result.answer,
            rating=rating,
            comment=comment,
            citations=turn.result.citations or turn.result.related,
            history=turn.history,
            query_used=turn.result.query_used,
        )
        ss.feedback_errors.pop(key, None)
    except ServiceError as exc:
        ss.feedback_errors[key] = f"Your feedback was not sent: {exc}"


def _render_feedback(client: ServiceClient, index: int, turn: Turn, key: str) -> None:
    if turn.feedback_id is not None:
        st.caption("Thank you — your feedback was recorded.")
        return
    rating = st.feedback("thumbs", key=f"{key}-fb")
    if rating is None:
        return
    st.text_input(
        "Comment (optional)",
        key=f"{key}-fbc",
        max_chars=2000,
        placeholder="What was right or wrong about this answer?",
    )
    st.button("Send feedback", key=f"{key}-fbs", on_click=_send_feedback, args=(client, index, key))
    if err := st.session_state.feedback_errors.get(key):
        st.warning(err)


def _render_turn(client: ServiceClient, index: int, turn: Turn, reviews: Mapping[str, ReviewMeta]) -> None:
    key = f"c{st.session_state.conv}-t{index}"
    _render_result(client, turn.result, key, reviews)
    if turn.result.query_used and turn.result.query_used.strip() != turn.question.strip():
        st.caption(f"Searched for: {escape_md(turn.result.query_used)}")
    _render_feedback(client, index, turn, key)


# -- asking ------------------------------------------------------------------------------
def _ask(client: ServiceClient, question: str, history: list[dict[str, str]], filters: Filters) -> Answer:
    """Stream the answer into the page as it comes; fall back to the plain endpoint if streaming fails."""
    placeholder = st.empty()
    placeholder.markdown("_Searching the reviews…_")
    sentences: list[str] = []
    result: Answer | None = None
    try:
        for event in client.ask_stream(question, history, filters):
            if isinstance(event, Done):
                result = event.result
            else:
                sentences.append(event.text)
                placeholder.markdown(_as_markdown("\n\n".join(sentences)) + " ▌")
    except StreamBroken as exc:
        log.warning("streaming failed (%s); asking without streaming", exc)
        placeholder.markdown("_Fetching the answer…_")
        result = client.ask(question, history, filters)
    finally:
        placeholder.empty()
    assert result is not None  # ask_stream ends with Done or raises
    return result


def _sidebar_filters(reviews: list[ReviewMeta]) -> Filters:
    sb = st.sidebar
    sb.subheader("Filters")
    by_id = {r.id: r for r in reviews}

    def review_name(rid: str) -> str:
        r = by_id.get(rid)
        if r is None:
            return rid
        extra = ", ".join(str(x) for x in (r.area, r.year) if x)
        return f"{r.title} ({extra})" if extra else r.title

    chosen = sb.multiselect("Reviews", list(by_id), key="f_reviews", format_func=review_name, placeholder="All reviews")
    areas = sorted({r.area for r in reviews if r.area})
    area = sb.selectbox("Area", [ALL, *areas], key="f_area")
    types = sorted({r.type for r in reviews if r.type})
    rtype = sb.selectbox("Review type", [ALL, *types], key="f_type")
    years = sorted({r.year for r in reviews if r.year})
    year_from = year_to = None
    if len(years) >= 2:
        lo, hi = sb.slider("Years", years[0], years[-1], (years[0], years[-1]), key="f_years")
        # An untouched slider means "any year", which also keeps reviews with no year.
        if (lo, hi) != (years[0], years[-1]):
            year_from, year_to = lo, hi
    return Filters(
        review_ids=list(chosen),
        area=None if area == ALL else area,
        year_from=year_from,
        year_to=year_to,
        review_type=None if rtype == ALL else rtype,
    )


def _render_failure(failed: dict[str, Any]) -> None:
    """A question the service could not answer, kept on screen with a Retry button."""
    with st.chat_message("user"):
        st.markdown(escape_md(failed["question"]))
    with st.chat_message("assistant"):
        _show_service_error(failed["error"], f"retry-ask-{st.session_state.conv}", _retry_failed)


def chat_page(client: ServiceClient, reviews: list[ReviewMeta]) -> None:
    ss = st.session_state
    by_id = {r.id: r for r in reviews}
    filters = _sidebar_filters(reviews)
    export_box = st.sidebar.container()  # filled last, so the export includes the answer just given

    prompt = st.chat_input("Ask about the reviews…", key="chat")
    question = (prompt.strip() if isinstance(prompt, str) else "") or ss.pop("retry_question", None)
    if question:
        ss.failed = None

    if not ss.turns and not ss.failed and not question:
        st.markdown(
            "Ask a question about the child safeguarding practice reviews in the library, for example "
            "*what did reviews say about fathers?* Every answer cites the paragraphs it comes from."
        )

    for i, turn in enumerate(ss.turns):
        with st.chat_message("user"):
            st.markdown(escape_md(turn.question))
        with st.chat_message("assistant"):
            _render_turn(client, i, turn, by_id)

    if ss.failed:
        _render_failure(ss.failed)

    if question:
        history = history_of(ss.turns)
        with st.chat_message("user"):
            st.markdown(escape_md(question))
        with st.chat_message("assistant"):
            try:
                result = _ask(client, question, history, filters)
            except ServiceError as exc:
                ss.failed = {"question": question, "error": exc}
                _show_service_error(exc, f"retry-ask-{ss.conv}", _retry_failed)
            else:
                turn = Turn(question=question, result=result, history=history, filters=filters.to_json())
                ss.turns.append(turn)
                _render_turn(client, len(ss.turns) - 1, turn, by_id)

    _render_exports(export_box, ss.turns, by_id)


def _render_exports(box: DeltaGenerator, turns: list[Turn], reviews: Mapping[str, ReviewMeta]) -> None:
    if not turns:
        return
    with box:
        st.subheader("Export")
        st.download_button(
            "Download as Markdown",
            data=to_markdown(turns, reviews),
            file_name="safeguarding-reviews-conversation.md",
            mime="text/markdown",
            on_click="ignore",
            icon=":material/description:",
            key="export-md",
        )
        st.download_button(
            "Download as Word",
            data=to_docx(turns, reviews),
            file_name="safeguarding-reviews-conversation.docx",
            mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            on_click="ignore",
            icon=":material/article:",
            key="export-docx",
        )


# -- library -----------------------------------------------------------------------------
def library_page(client: ServiceClient, reviews: list[ReviewMeta]) -> None:
    st.title("Library")
    if not reviews:
        st.info("No reviews have been ingested yet. Run `reviews ingest`, then Retry.")
        return
    st.dataframe(
        [
            {
                "Title": r.title,
                "Area": r.area or "",
                "Year": str(r.year) if r.year else "",
                "Type": r.type or "",
                "Paragraphs": r.paragraphs,
                "Partnership": r.partnership or "",
                "Published": r.published or "",
                "Metadata": "inferred" if r.inferred else "manifest",
            }
            for r in reviews
        ],
        hide_index=True,
    )
    by_id = {r.id: r for r in reviews}
    rid = st.selectbox("Read a review", list(by_id), key="lib_review", format_func=lambda i: by_id[i].title)
    if rid is None:
        return
    try:
        review = _review_text(client.base_url, client.timeout_s, rid)
    except ServiceError as exc:
        _show_service_error(exc, "retry-library", _retry_connection)
        return
    meta = review.meta
    st.header(escape_md(meta.title))
    facts = [
        ("Children", ", ".join(meta.children)),
        ("Partnership", meta.partnership),
        ("Area", meta.area),
        ("Published", meta.published or (str(meta.year) if meta.year else None)),
        ("Type", meta.type),
        ("Authors", ", ".join(meta.authors)),
        ("Source file", meta.source),
    ]
    st.markdown("  \n".join(f"**{k}:** {escape_md(str(v))}" for k, v in facts if v))
    find = st.text_input("Find in this review", key=f"lib_find_{rid}", placeholder="a word or phrase")
    paragraphs = [p for p in review.paragraphs if not find or find.lower() in p.text.lower()]
    st.caption(f"{len(paragraphs)} of {len(review.paragraphs)} paragraphs")
    section = None
    for p in paragraphs:
        if p.section != section:
            section = p.section
            if section:
                st.markdown(f"#### {escape_md(section)}")
        where = f" · page {p.page}" if p.page is not None else ""
        st.markdown(f"**{escape_md(label_display(p.label))}**{where}  \n{escape_md(p.text)}")


# -- page ----------------------------------------------------------------------------------
def main() -> None:
    st.set_page_config(page_title=APP_TITLE, page_icon=":material/menu_book:", layout="wide")
    settings = get_settings()
    client = ServiceClient(settings.ui.api_url, settings.ui.timeout_s)
    _init_state()

    st.sidebar.title(APP_TITLE)
    view = st.sidebar.radio("View", [VIEW_CHAT, VIEW_LIBRARY], key="view", horizontal=True)
    try:
        reviews = _reviews(client.base_url, client.timeout_s)
    except ServiceError as exc:
        st.title(APP_TITLE)
        _show_service_error(exc, "retry-connection", _retry_connection)
        return
    st.sidebar.caption(f"**{len(reviews)}** reviews in the library")
    st.sidebar.button(
        "New conversation", on_click=_new_conversation, icon=":material/add_comment:", key="new-conversation"
    )

    if view == VIEW_LIBRARY:
        library_page(client, reviews)
    else:
        st.title(APP_TITLE)
        chat_page(client, reviews)


main()
