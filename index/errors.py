from core.errors import ReviewsError


class StoreError(ReviewsError):
    """The store cannot be reached or holds nothing to answer from."""

    status_code = 503


class EmptyIndexError(StoreError):
    def __init__(self) -> None:
        super().__init__("the index is empty: run `reviews ingest` to add the reviews in corpus/")


class NotFoundError(ReviewsError):
    """An unknown review id or paragraph label."""

    status_code = 404


class FilterError(NotFoundError):
    """A filter naming a review the library does not hold."""
