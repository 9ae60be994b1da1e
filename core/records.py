"""Small typed records that carry citation data everywhere they go."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

# The section of a review's title-page credits ("Independent Reviewer: ..."), which come before its first paragraph.
TITLE_PAGE = "Title page"
_NUMBERED_LABEL = re.compile(r"\d+(\.\d+)*[a-z]?")


def label_display(label: str) -> str:
    """How a citation names a paragraph: ``6.37`` reads "para 6.37"; "Recommendation 4" stays as it is."""
    label = label.strip()
    return f"para {label}" if _NUMBERED_LABEL.fullmatch(label) else label


@dataclass(frozen=True)
class ReviewMeta:
    """One review's facts, from the manifest or inferred from the document."""

    id: str
    title: str
    source: str
    children: tuple[str, ...] = ()
    partnership: str | None = None
    area: str | None = None
    year: int | None = None
    published: str | None = None
    type: str | None = None
    authors: tuple[str, ...] = ()
    inferred: bool = False
    paragraphs: int = 0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["children"] = list(self.children)
        d["authors"] = list(self.authors)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ReviewMeta:
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        known["children"] = tuple(known.get("children") or ())
        known["authors"] = tuple(known.get("authors") or ())
        return cls(**known)


@dataclass(frozen=True)
class Paragraph:
    """A paragraph as a practitioner would cite it: review, label, section, page."""

    review_id: str
    label: str
    section: str
    text: str
    ordinal: int
    page: int | None = None
    footnotes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "review_id": self.review_id,
            "label": self.label,
            "section": self.section,
            "page": self.page,
            "text": self.text,
            "footnotes": list(self.footnotes),
        }


@dataclass(frozen=True)
class Chunk:
    """A unit of retrieval: a paragraph, or one sentence-bounded part of a long one."""

    id: str
    review_id: str
    label: str
    part: int
    section: str
    ordinal: int
    text: str
    embed_text: str
    page: int | None = None
    footnotes: tuple[str, ...] = ()


@dataclass
class Citation:
    """A cited paragraph: the whole paragraph, and the sentence(s) quoted from it."""

    review_id: str
    review_title: str
    label: str
    section: str
    page: int | None
    text: str
    quote: str | None = None
    score: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Answer:
    answer: str
    citations: list[Citation] = field(default_factory=list)
    abstained: bool = False
    query_used: str = ""
    related: list[Citation] = field(default_factory=list)
