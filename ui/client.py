"""The service's HTTP API, as typed functions. The UI talks to the service only through here.

Every failure to reach the service (connection refused, timeout, 5xx, a body that is
not the API's JSON) becomes :class:`ServiceUnavailable`, whose message names the URL.
A request the service refuses (4xx) becomes :class:`ServiceRejected`, carrying the
service's own message.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from core.records import Answer, Citation, ReviewMeta


class ServiceError(Exception):
    """Base of the UI client's errors; the message is fit to show a person."""


class ServiceUnavailable(ServiceError):
    """The service could not be reached, was too slow, or failed (5xx)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"The service at {url} is not answering: {reason}")
        self.url = url
        self.reason = reason


class ServiceRejected(ServiceError):
    """The service refused the request (4xx); ``status`` is the HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class StreamBroken(ServiceError):
    """The answer stream failed part-way, or is not offered; the plain endpoint may still work."""


@dataclass
class Filters:
    review_ids: list[str] = field(default_factory=list)
    area: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    review_type: str | None = None

    def to_json(self) -> dict[str, Any] | None:
        """The request's ``filters`` object, without unset fields; None when nothing is filtered."""
        out = {k: v for k, v in asdict(self).items() if v not in (None, [], "")}
        return out or None


@dataclass
class ParagraphView:
    review_id: str
    label: str
    section: str
    text: str
    page: int | None = None
    footnotes: list[str] = field(default_factory=list)


@dataclass
class ParagraphContext:
    paragraph: ParagraphView
    before: list[ParagraphView]
    after: list[ParagraphView]


@dataclass
class ReviewText:
    meta: ReviewMeta
    paragraphs: list[ParagraphView]


@dataclass
class Health:
    status: str
    reviews: int
    chunks: int


@dataclass
class Sentence:
    """One streamed sentence of the answer."""

    text: str


@dataclass
class Done:
    """The end of the stream: the whole answer."""

    result: Answer


def citation_from_json(d: dict[str, Any]) -> Citation:
    return Citation(
        review_id=str(d.get("review_id", "")),
        review_title=str(d.get("review_title") or d.get("review_id", "")),
        label=str(d.get("label", "")),
        section=str(d.get("section") or ""),
        page=d.get("page"),
        text=str(d.get("text") or ""),
        quote=d.get("quote"),
        score=float(d.get("score") or 0.0),
    )


def ask_result_from_json(d: dict[str, Any]) -> Answer:
    return Answer(
        answer=str(d.get("answer", "")),
        citations=[citation_from_json(c) for c in d.get("citations") or []],
        abstained=bool(d.get("abstained", False)),
        query_used=str(d.get("query_used") or ""),
        related=[citation_from_json(c) for c in d.get("related") or []],
    )


def paragraph_from_json(d: dict[str, Any]) -> ParagraphView:
    return ParagraphView(
        review_id=str(d.get("review_id", "")),
        label=str(d.get("label", "")),
        section=str(d.get("section") or ""),
        text=str(d.get("text") or ""),
        page=d.get("page"),
        footnotes=list(d.get("footnotes") or []),
    )


def sse_events(lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(event name, data) pairs from server-sent-event lines; comments are skipped."""
    event, data_lines = "message", list[str]()
    for line in _with_final_blank(lines):
        if line == "":
            if data_lines:
                yield event, "\n".join(data_lines)
            event, data_lines = "message", []
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "event":
                event = value
            elif name == "data":
                data_lines.append(value)


def _with_final_blank(lines: Iterable[str]) -> Iterator[str]:
    # A stream may end without the blank line that closes its last event.
    yield from lines
    yield ""


class ServiceClient:
    """A thin typed client over the service's ``/v1`` API."""

    def __init__(self, base_url: str, timeout_s: float = 60.0, transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.timeout = httpx.Timeout(timeout_s, connect=min(5.0, timeout_s))
        self._transport = transport

    def _client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=self.timeout, transport=self._transport)

    # -- plumbing -----------------------------------------------------------
    def _unavailable(self, exc: Exception) -> ServiceUnavailable:
        if isinstance(exc, httpx.TimeoutException):
            reason = "it did not answer in time"
        elif isinstance(exc, httpx.ConnectError):
            reason = "nothing is listening there"
        else:
            reason = f"{type(exc).__name__}: {exc}"
        return ServiceUnavailable(self.base_url, reason)

    @staticmethod
    def _error_message(resp: httpx.Response) -> str:
        try:
            body = resp.json()
        except ValueError:
            return resp.text[:300] or resp.reason_phrase
        if isinstance(body, dict):
            if isinstance(body.get("error"), str):
                return body["error"]
            if "detail" in body:
                return str(body["detail"])
        return str(body)[:300]

    def _check(self, resp: httpx.Response) -> Any:
        if resp.status_code >= 500:
            raise ServiceUnavailable(self.base_url, f"HTTP {resp.status_code}: {self._error_message(resp)}")
        if resp.status_code >= 400:
            raise ServiceRejected(resp.status_code, self._error_message(resp))
        try:
            return resp.json()
        except ValueError as exc:
            raise ServiceUnavailable(self.base_url, "it answered with something that is not JSON") from exc

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            with self._client() as c:
                resp = c.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise self._unavailable(exc) from exc
        return self._check(resp)

    # -- the API --------------------------------------------------------------
    def health(self) -> Health:
        d = self._request("GET", "/health")
        return Health(str(d.get("status", "")), int(d.get("reviews", 0)), int(d.get("chunks", 0)))

    def reviews(self) -> list[ReviewMeta]:
        d = self._request("GET", "/v1/reviews")
        return [ReviewMeta.from_dict(r) for r in d.get("reviews", [])]

    def review(self, review_id: str) -> ReviewText:
        d = self._request("GET", f"/v1/reviews/{quote(review_id, safe='')}")
        return ReviewText(ReviewMeta.from_dict(d), [paragraph_from_json(p) for p in d.get("paragraphs", [])])

    def paragraph(self, review_id: str, label: str, neighbours: int = 2) -> ParagraphContext:
        d = self._request(
            "GET",
            f"/v1/reviews/{quote(review_id, safe='')}/paragraphs/{quote(label, safe='')}",
            params={"neighbours": neighbours},
        )
        return ParagraphContext(
            paragraph_from_json(d["paragraph"]),
            [paragraph_from_json(p) for p in d.get("before", [])],
            [paragraph_from_json(p) for p in d.get("after", [])],
        )

    @staticmethod
    def _ask_body(question: str, history: list[dict[str, str]], filters: Filters | None) -> dict[str, Any]:
        body: dict[str, Any] = {"question": question, "history": history}
        f = filters.to_json() if filters else None
        if f:
            body["filters"] = f
        return body

    def ask(self, question: str, history: list[dict[str, str]], filters: Filters | None = None) -> Answer:
        return ask_result_from_json(self._request("POST", "/v1/ask", json=self._ask_body(question, history, filters)))

    def ask_stream(
        self, question: str, history: list[dict[str, str]], filters: Filters | None = None
    ) -> Iterator[Sentence | Done]:
        """Yield the answer's sentences as the service sends them, then :class:`Done`.

        Raises :class:`StreamBroken` when the stream itself fails (no stream endpoint, an
        ``error`` event, a dropped connection, no ``done`` event); the caller may then use
        :meth:`ask`. Connection failures and timeouts are :class:`ServiceUnavailable`.
        """
        body = self._ask_body(question, history, filters)
        try:
            with self._client() as c, c.stream("POST", "/v1/ask/stream", json=body) as resp:
                if resp.status_code in (404, 405) or resp.status_code >= 500:
                    resp.read()
                    raise StreamBroken(f"stream endpoint answered HTTP {resp.status_code}")
                if resp.status_code >= 400:
                    resp.read()
                    self._check(resp)
                for event, data in sse_events(resp.iter_lines()):
                    item = self._sse_event(event, data)
                    if item is not None:
                        yield item
                    if isinstance(item, Done):
                        return
        except (httpx.ConnectError, httpx.TimeoutException) as exc:
            raise self._unavailable(exc) from exc
        except httpx.HTTPError as exc:
            raise StreamBroken(f"the stream broke: {type(exc).__name__}: {exc}") from exc
        raise StreamBroken("the stream ended without its final answer")

    @staticmethod
    def _sse_event(event: str, data: str) -> Sentence | Done | None:
        try:
            payload = json.loads(data)
        except ValueError as exc:
            raise StreamBroken(f"unreadable {event!r} event from the stream") from exc
        if event == "sentence":
            return Sentence(str(payload.get("text", "")))
        if event == "done":
            return Done(ask_result_from_json(payload))
        if event == "error":
            raise StreamBroken(str(payload.get("error", "the service reported an error")))
        return None

    def search(self, query: str, top_k: int = 10, filters: Filters | None = None) -> list[Citation]:
        body: dict[str, Any] = {"query": query, "top_k": top_k}
        f = filters.to_json() if filters else None
        if f:
            body["filters"] = f
        d = self._request("POST", "/v1/search", json=body)
        return [citation_from_json(c) for c in d.get("results", [])]

    def feedback(
        self,
        question: str,
        answer: str,
        rating: str,
        comment: str | None,
        citations: list[Citation],
        history: list[dict[str, str]],
        query_used: str | None,
    ) -> int:
        d = self._request(
            "POST",
            "/v1/feedback",
            json={
                "question": question,
                "answer": answer,
                "rating": rating,
                "comment": comment or None,
                "citations": [c.to_dict() for c in citations],
                "history": history,
                "query_used": query_used or None,
            },
        )
        return int(d.get("id", 0))
