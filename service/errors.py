from typing import Any, Literal

from pydantic import BaseModel, Field

from core.errors import ReviewsError


class ServiceError(ReviewsError):
    """A request the service cannot answer; ``status_code`` says why."""

    status_code = 400


class BadRequestError(ServiceError):
    status_code = 422


class ErrorResponse(BaseModel):
    """The one shape of every error the service returns."""

    ok: Literal[False] = False
    error: str = Field(description="What went wrong, in words a person understands.")
    status: int = Field(description="The HTTP status code, repeated.")


_MEANING = {
    404: "No review or paragraph by that name (in the path, or in filters.review_ids).",
    422: "The request is malformed: an empty or too long question, an unknown field value, or a body that is not JSON.",
    503: "The index is empty: run `reviews ingest`.",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for a route's error statuses, all in the one error shape."""
    return {code: {"model": ErrorResponse, "description": _MEANING[code]} for code in codes}
