"""Base of every layer's error family. Each layer subclasses this once."""


class ReviewsError(Exception):
    """An error a person can act on; its message names the problem."""

    status_code = 500
