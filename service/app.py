"""The HTTP service: search, cited answers, conversation, reviews. OpenAPI at /docs."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field, field_validator, model_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import ReviewsError
from core.records import Answer, Citation
from core.settings import Settings
from index.errors import NotFoundError
from index.retrieval import Filters, Retriever
from index.store import open_fresh, read_generation
from service import feedback
from service.answer import ExtractiveAnswerer, no_review_matches
from service.conversation import resolve
from service.errors import BadRequestError, error_responses

log = logging.getLogger(__name__)


# -- request and response models ----------------------------------------------------------------
class FilterModel(BaseModel):
    review_ids: list[str] | None = Field(None, description="Only these reviews.")
    area: str | None = Field(None, description="Local area, e.g. Dudley.")
    year_from: int | None = Field(None, ge=1900, le=2200)
    year_to: int | None = Field(None, ge=1900, le=2200)
    review_type: str | None = Field(None, description="e.g. LCSPR, Learning briefing.")

    @model_validator(mode="after")
    def _years_in_order(self) -> FilterModel:
        if self.year_from and self.year_to and self.year_from > self.year_to:
            raise ValueError(f"year_from ({self.year_from}) is after year_to ({self.year_to})")
        return self

    def to_filters(self) -> Filters:
        return Filters(self.review_ids, self.area, self.year_from, self.year_to, self.review_type)


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=20000)

    @field_validator("content", mode="before")
    @classmethod
    def _content_text(cls, v: object) -> object:
        return _as_text(v) if isinstance(v, str) else v


# Documented in the schema; enforced by ``_nonblank`` so the error names the field in plain words.
_NONBLANK: dict[str, Any] = {"minLength": 1, "pattern": r"[^\s\x00-\x1f\x7f-\x9f]"}
_VISIBLE = re.compile(_NONBLANK["pattern"])
_SURROGATE = re.compile("[\ud800-\udfff]")


def _as_text(value: str) -> str:
    return _SURROGATE.sub("\ufffd", value)


def _nonblank(value: str, what: str) -> str:
    """The text with any unpaired surrogate (valid JSON, not text) replaced by U+FFFD; an error if nothing is
    left but spaces and control characters."""
    value = _as_text(value)
    if not _VISIBLE.search(value):
        raise ValueError(f"the {what} is empty: type what you want to know about the reviews")
    return value


def _within_limit(text: str, what: str, settings: Settings) -> None:
    limit = settings.answer.max_question_chars
    if len(text) > limit:
        raise BadRequestError(f"{what}: the {what} is {len(text)} characters long; the limit is {limit}")


class SearchRequest(BaseModel):
    query: str = Field(
        description="What to look for, in your own words (at most `answer.max_question_chars`, 1000 by default).",
        json_schema_extra=_NONBLANK,
    )
    top_k: int = Field(10, ge=1, le=50)
    filters: FilterModel | None = None

    @field_validator("query")
    @classmethod
    def _query_nonblank(cls, v: str) -> str:
        return _nonblank(v, "query")


class AskRequest(BaseModel):
    question: str = Field(
        description="A question about the reviews (at most `answer.max_question_chars`, 1000 by default).",
        json_schema_extra=_NONBLANK,
    )
    history: list[Turn] = Field(default_factory=list, max_length=200)
    filters: FilterModel | None = None

    @field_validator("question")
    @classmethod
    def _question_nonblank(cls, v: str) -> str:
        return _nonblank(v, "question")


class AskResponse(BaseModel):
    answer: str
    citations: list[Citation] = Field(description="The paragraphs quoted, each with the sentence(s) used.")
    abstained: bool
    query_used: str
    related: list[Citation] = Field(default_factory=list, description="'May be related' paragraphs.")


class SearchResponse(BaseModel):
    results: list[Citation]


# -- the engine ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Loaded:
    """What the engine answers from, swapped whole when the store changes."""

    retriever: Retriever
    answerer: ExtractiveAnswerer
    llm: Any
    generation: str | None


class Engine:
    """Retriever and answerer, loaded once; reloaded when an ingest changes the store (``refresh``)."""

    RETRY_SECONDS = 30.0

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._retry_at = 0.0
        # Requests in flight, and whether a reload waits for them: a reload replaces the Chroma client
        # every request reads through, so it runs alone (a second or two, after an ingest).
        self._gate = threading.Condition()
        self._active = 0
        self._reloading = False
        self._loaded = self._load(read_generation(settings), Retriever(settings))

    def _load(self, generation: str | None, retriever: Retriever) -> _Loaded:
        answerer = ExtractiveAnswerer(retriever, self.settings)
        llm: Any = None
        if self.settings.llm.base_url:
            from service.llm import LLMAnswerer

            llm = LLMAnswerer(retriever, self.settings, fallback=answerer)
        return _Loaded(retriever, answerer, llm, generation)

    @property
    def retriever(self) -> Retriever:
        return self._loaded.retriever

    @property
    def answerer(self) -> ExtractiveAnswerer:
        return self._loaded.answerer

    def refresh(self) -> None:
        """Reload if an ingest (in any process) changed the store since this engine loaded it, or if the
        engine loaded an empty store that is empty no longer. The reload waits for requests in flight to
        finish and holds new ones until it is done. A reload that fails is logged, the old load kept, and
        the reload retried after ``RETRY_SECONDS``."""
        loaded = self._loaded
        generation = read_generation(self.settings)
        stale = generation != loaded.generation or (not loaded.retriever.chunk_by_id and loaded.retriever.store.count())
        if not stale or time.monotonic() < self._retry_at or not self._lock.acquire(blocking=False):
            return
        try:
            if self._loaded is loaded:
                with self._alone():
                    retriever = Retriever(
                        self.settings, store=open_fresh(self.settings), embedder=loaded.retriever.embedder
                    )
                    self._loaded = self._load(generation, retriever)
                log.info(
                    "reloaded the index: %d reviews, %d chunks", len(retriever.reviews), len(retriever.chunk_by_id)
                )
        except Exception:  # noqa: BLE001 - a store mid-write, say: keep answering from what is loaded
            log.exception(
                "could not reload the index; answering from the one loaded, retrying in %.0f s", self.RETRY_SECONDS
            )
            self._retry_at = time.monotonic() + self.RETRY_SECONDS
        finally:
            self._lock.release()

    @contextmanager
    def in_use(self) -> Iterator[Engine]:
        """Hold the engine for one request: a reload waits for it to finish, and it for a reload."""
        with self._gate:
            while self._reloading:
                self._gate.wait()
            self._active += 1
        try:
            yield self
        finally:
            with self._gate:
                self._active -= 1
                self._gate.notify_all()

    @contextmanager
    def _alone(self) -> Iterator[None]:
        with self._gate:
            self._reloading = True
            while self._active:
                self._gate.wait()
        try:
            yield
        finally:
            with self._gate:
                self._reloading = False
                self._gate.notify_all()

    def prepare(self, question: str, history: list[dict[str, str]], filters: Filters) -> tuple[str, str, Filters]:
        """The question with misspelt words corrected, the query to run and its filters: a review the
        question names (or the conversation is about) becomes the review filter, unless the request set one."""
        self.retriever.ensure_nonempty()
        filters = self.retriever.check_filters(filters)  # an unknown review id is an error naming it
        question = self.retriever.correct(question)
        keep = self.settings.answer.max_history_turns
        history = [
            {**turn, "content": self.retriever.correct(turn.get("content", ""))} if turn.get("role") == "user" else turn
            for turn in (history[-keep:] if keep else [])
        ]
        resolved = resolve(question, history, list(self.retriever.reviews.values()))
        if resolved.review_ids and not filters.review_ids:
            filters = Filters(
                resolved.review_ids, filters.area, filters.year_from, filters.year_to, filters.review_type
            )
        return question, resolved.query, filters

    def ask(self, question: str, history: list[dict[str, str]], filters: Filters) -> Answer:
        question, query, filters = self.prepare(question, history, filters)
        loaded = self._loaded
        if not loaded.retriever.matching_reviews(filters):
            return no_review_matches(query, filters, list(loaded.retriever.reviews.values()))
        answerer = loaded.llm or loaded.answerer
        return answerer.answer(question, query, filters)  # type: ignore[no-any-return]

    def store_count(self) -> int:
        return self.retriever.store.count()

    def search(self, query: str, top_k: int, filters: Filters) -> list[Citation]:
        """The paragraphs an answer to ``query`` would rest on, best first (the answerer's own retrieval)."""
        question, resolved, filters = self.prepare(query, [], filters)
        _, _, _, hits = self.answerer.retrieve(question, resolved, filters, top_k=top_k)
        return [self.answerer.citation(h, None) for h in hits]


def get_engine(request: Request) -> Iterator[Engine]:
    engine: Engine | None = request.app.state.engine
    if engine is None:
        with request.app.state.engine_lock:
            if request.app.state.engine is None:
                request.app.state.engine = Engine(request.app.state.settings)
            engine = request.app.state.engine
    engine.refresh()
    with engine.in_use():
        yield engine


EngineDep = Annotated[Engine, Depends(get_engine)]


def _answer_model(a: Answer) -> AskResponse:
    return AskResponse(
        answer=a.answer,
        citations=a.citations,
        abstained=a.abstained,
        query_used=a.query_used,
        related=a.related,
    )


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"ok": False, "error": message, "status": status}, status_code=status, headers=headers)


# One server-sent event of /v1/ask/stream, as OpenAPI describes each event of a stream.
_SSE_EVENT: dict[str, Any] = {
    "type": "object",
    "properties": {"event": {"type": "string", "enum": ["sentence", "done"]}, "data": {"type": "string"}},
    "required": ["event", "data"],
}

# A body that is not text FastAPI reports as 400 with this detail; it is as malformed as broken JSON (422).
_UNREADABLE_BODY = "There was an error parsing the body"


def create_app(settings: Settings, engine: Engine | None = None, preload: bool = False) -> FastAPI:
    """The FastAPI app. ``preload`` loads the model and index at startup rather than on first use."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if preload and app.state.engine is None:
            try:
                app.state.engine = Engine(settings)
            except ReviewsError as exc:
                log.warning("engine not loaded at startup: %s", exc)
                app.state.engine_error = str(exc)
        yield

    app = FastAPI(
        title="Safeguarding reviews assistant",
        description="Cited answers from child safeguarding practice reviews.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.engine_error = None
    app.state.engine_lock = threading.Lock()

    # -- errors: one JSON shape, mapped in one place ------------------------------------------
    @app.exception_handler(ReviewsError)
    async def _reviews_error(_: Request, exc: ReviewsError) -> JSONResponse:
        return _error(exc.status_code, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors():
            loc = tuple(err.get("loc", ()))
            if err.get("type") == "json_invalid":  # loc is ("body", character offset)
                at = f"at character {loc[-1]}" if len(loc) > 1 else "in it"
                parts.append(
                    f"the request body is not valid JSON ({err.get('ctx', {}).get('error', 'unreadable')} {at})"
                )
                continue
            if loc == ("body",) and err.get("type") == "model_attributes_type":
                parts.append('the request body must be a JSON object, such as {"question": "..."}')
                continue
            where = ".".join(str(x) for x in loc if x != "body")
            msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            parts.append(f"{where}: {msg}" if where else msg)
        return _error(422, "; ".join(parts) or "the request is malformed")

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == _UNREADABLE_BODY:
            return _error(422, "the request body is not valid JSON text (send UTF-8 JSON)")
        return _error(exc.status_code, str(exc.detail), exc.headers)  # a 405 keeps its Allow header

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return _error(500, f"internal error ({type(exc).__name__}); the service log has details")

    @app.get(
        "/health",
        responses={503: {"description": "The service could not load the index at startup; `error` says why."}},
    )
    def health(request: Request) -> Any:
        engine = request.app.state.engine
        if engine is None:
            if request.app.state.engine_error:  # startup failed: say why, as a status a probe sees
                body = {"status": "error", "error": request.app.state.engine_error, "reviews": None, "chunks": None}
                return JSONResponse(body, status_code=503)
            return {"status": "starting", "reviews": None, "chunks": None}
        engine.refresh()
        return {"status": "ok", "reviews": len(engine.retriever.reviews), "chunks": engine.store_count()}

    @app.post("/v1/search", response_model=SearchResponse, responses=error_responses(404, 422, 503))
    def search(body: SearchRequest, engine: EngineDep) -> SearchResponse:
        _within_limit(body.query, "query", settings)
        filters = (body.filters or FilterModel()).to_filters()
        return SearchResponse(results=engine.search(body.query, body.top_k, filters))

    @app.post("/v1/ask", response_model=AskResponse, responses=error_responses(404, 422, 503))
    def ask(body: AskRequest, engine: EngineDep) -> AskResponse:
        _within_limit(body.question, "question", settings)
        filters = (body.filters or FilterModel()).to_filters()
        history = [t.model_dump() for t in body.history]
        return _answer_model(engine.ask(body.question, history, filters))

    @app.post(
        "/v1/ask/stream",
        response_class=StreamingResponse,
        responses={
            200: {
                "description": 'Server-sent events: `sentence` events ({"text"}), then one `done` event '
                "carrying the whole answer as /v1/ask returns it.",
                "content": {"text/event-stream": {"schema": _SSE_EVENT}},
            },
            **error_responses(404, 422, 503),
        },
    )
    def ask_stream(body: AskRequest, engine: EngineDep) -> StreamingResponse:
        _within_limit(body.question, "question", settings)
        filters = (body.filters or FilterModel()).to_filters()
        history = [t.model_dump() for t in body.history]
        answer = engine.ask(body.question, history, filters)  # errors surface before streaming starts

        def events() -> Iterator[str]:
            for line in answer.answer.split("\n"):
                if line.strip():
                    yield f"event: sentence\ndata: {json.dumps({'text': line}, ensure_ascii=False)}\n\n"
            yield f"event: done\ndata: {_answer_model(answer).model_dump_json()}\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    @app.get("/v1/reviews", responses=error_responses(503))
    def reviews(engine: EngineDep) -> dict[str, Any]:
        return {"reviews": [m.to_dict() for m in engine.retriever.store.list_reviews()]}

    @app.get("/v1/reviews/{review_id}", responses=error_responses(404, 503))
    def review(review_id: str, engine: EngineDep) -> dict[str, Any]:
        store = engine.retriever.store
        meta = store.get_review(review_id)
        return {**meta.to_dict(), "paragraphs": [p.to_dict() for p in store.paragraphs(review_id)]}

    @app.get("/v1/reviews/{review_id}/paragraphs/{label:path}", responses=error_responses(404, 422, 503))
    def paragraph(
        review_id: str,
        label: str,
        engine: EngineDep,
        neighbours: Annotated[int, Query(ge=0, le=10, description="Paragraphs before and after.")] = 0,
    ) -> dict[str, Any]:
        store = engine.retriever.store
        paras = store.paragraphs(review_id)
        for i, p in enumerate(paras):
            if p.label == label:
                return {
                    "paragraph": p.to_dict(),
                    "before": [x.to_dict() for x in paras[max(0, i - neighbours) : i]],
                    "after": [x.to_dict() for x in paras[i + 1 : i + 1 + neighbours]],
                }
        raise NotFoundError(f"review {review_id!r} has no paragraph labelled {label!r}")

    app.include_router(feedback.router)

    base_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        """The generated schema, with the question length limit these settings enforce."""
        schema = base_openapi()
        for model, field in (("AskRequest", "question"), ("SearchRequest", "query")):
            schema["components"]["schemas"][model]["properties"][field]["maxLength"] = (
                settings.answer.max_question_chars
            )
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
