"""The conversation as the UI keeps it: one :class:`Turn` per question answered."""

from __future__ import annotations

from dataclasses import dataclass, field

from ui.client import Answer


@dataclass
class Turn:
    """A question, the service's answer, and what was sent with it."""

    question: str
    result: Answer
    history: list[dict[str, str]] = field(default_factory=list)
    filters: dict[str, object] | None = None
    feedback_id: int | None = None


# The service accepts at most 200 history messages and uses only the latest few turns.
MAX_HISTORY_MESSAGES = 100


def history_of(turns: list[Turn], limit: int = MAX_HISTORY_MESSAGES) -> list[dict[str, str]]:
    """The ``history`` the service expects: alternating user and assistant messages, latest last."""
    out: list[dict[str, str]] = []
    for t in turns[-(limit // 2) :] if limit else []:
        out.append({"role": "user", "content": t.question})
        out.append({"role": "assistant", "content": t.result.answer})
    return out
