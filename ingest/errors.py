from core.errors import ReviewsError


class IngestError(ReviewsError):
    """A review file could not be read or parsed. The message names the file and the problem."""

    status_code = 422
