from core.errors import ReviewsError


class ServiceError(ReviewsError):
    """A request the service cannot answer; ``status_code`` says why."""

    status_code = 400


class BadRequestError(ServiceError):
    status_code = 422
