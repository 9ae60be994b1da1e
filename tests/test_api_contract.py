"""The service keeps the contract its OpenAPI document states, for inputs nobody thought to write down.

Schemathesis generates requests from /openapi.json (valid ones and ones that break the schema) and checks each
response against it: no 500 for any input, only documented status codes and content types, bodies in the
documented shape, and every schema-valid request accepted. It runs in-process against the real index.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings

from core.settings import Settings, get_settings
from service.app import create_app

pytestmark = pytest.mark.slow

JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def api_schema(real_settings: Settings, real_engine: Any) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(real_settings, engine=real_engine))


# The routes, read from a service that has loaded nothing (the document does not depend on the index).
ROUTES = [
    (method.upper(), path) for path, ops in create_app(get_settings()).openapi()["paths"].items() for method in ops
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_keeps_its_openapi_contract(api_schema: Any, method: str, path: str) -> None:
    @given(case=api_schema[path][method].as_strategy())
    @hsettings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def check(case: Any) -> None:
        response = case.call()
        filters = case.body.get("filters") if isinstance(case.body, dict) else None
        years = [filters.get(k) for k in ("year_from", "year_to")] if isinstance(filters, dict) else []
        if len(years) == 2 and all(isinstance(y, int) for y in years) and years[0] > years[1]:
            # Schema-valid, but a range that ends before it starts: the one constraint the schema cannot state.
            assert response.status_code == 422 and "is after year_to" in response.json()["error"]
        else:
            case.validate_response(response)

    check()


def test_openapi_states_the_length_limit_and_error_shape(client_app: Any) -> None:
    doc = client_app.get("/openapi.json").json()
    question = doc["components"]["schemas"]["AskRequest"]["properties"]["question"]
    assert question["maxLength"] == 1000 and question["minLength"] == 1
    ask = doc["paths"]["/v1/ask"]["post"]["responses"]
    assert ask["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")
    stream = doc["paths"]["/v1/ask/stream"]["post"]["responses"]["200"]["content"]
    assert list(stream) == ["text/event-stream"]


@pytest.fixture(scope="module")
def client_app(real_settings: Settings, real_engine: Any) -> Any:
    from fastapi.testclient import TestClient

    return TestClient(create_app(real_settings, engine=real_engine))


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"question": "fathers", "filters": {"review_ids": ["nope"]}}, 404, "no review with id 'nope'"),
        ({"question": "fathers", "filters": {"year_from": 2022, "year_to": 2017}}, 422, "after year_to"),
    ],
)
def test_bad_filters_are_named(client_app: Any, body: dict[str, Any], status: int, needle: str) -> None:
    r = client_app.post("/v1/ask", json=body)
    assert r.status_code == status and needle in r.json()["error"]


def test_filters_matching_no_review_say_so(client_app: Any) -> None:
    r = client_app.post("/v1/ask", json={"question": "what about fathers?", "filters": {"area": "Leeds"}}).json()
    assert r["abstained"] and r["citations"] == []
    assert "No review in this library matches the filters (area 'Leeds')" in r["answer"]
    assert "Dudley" in r["answer"]  # what the library does hold
    assert client_app.post("/v1/search", json={"query": "fathers", "filters": {"area": "Leeds"}}).json() == {
        "results": []
    }


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"\xff\xfe", "not valid JSON"),
        (b'{"question": "\xff"}', "not valid JSON text (send UTF-8 JSON)"),  # not UTF-8: FastAPI's 400
        (b"[1, 2]", "must be a JSON object"),
        (b'{"question": ', "not valid JSON"),
    ],
)
def test_unreadable_bodies_are_422_in_words(client_app: Any, content: bytes, needle: str) -> None:
    r = client_app.post("/v1/ask", content=content, headers={"content-type": "application/json"})
    assert r.status_code == 422 and needle in r.json()["error"]


def test_wrong_method_is_405_with_allow(client_app: Any) -> None:
    r = client_app.request("TRACE", "/health")
    assert r.status_code == 405 and r.headers["allow"] == "GET" and r.json()["ok"] is False


def test_text_that_is_not_text_gets_no_500(client_app: Any) -> None:
    # An unpaired surrogate is valid JSON but not text: it is replaced, and the question answered.
    r = client_app.post("/v1/ask", content=b'{"question": "what about fathers \\ud800?"}', headers=JSON)
    assert r.status_code == 200 and "\ufffd" in r.json()["query_used"]
    history = b'{"question": "and dads?", "history": [{"role": "user", "content": "neglect \\udc80"}]}'
    assert client_app.post("/v1/ask", content=history, headers=JSON).status_code == 200
    r = client_app.post("/v1/search", json={"query": "\u0000\u0001 \t"})
    assert r.status_code == 422 and "query is empty" in r.json()["error"]


def test_filter_spelling_is_the_librarys(client_app: Any) -> None:
    # Area and type match without regard to case in the dense search too, not only in the keyword side.
    def ranked(area: str) -> list[tuple[str, str]]:
        body = {"query": "health visitor and GP sharing information", "filters": {"area": area}}
        return [(c["review_id"], c["label"]) for c in client_app.post("/v1/search", json=body).json()["results"]]

    assert ranked("dudley") == ranked("Dudley") and ranked("Dudley")
