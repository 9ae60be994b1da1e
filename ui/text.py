"""Pure text helpers for showing review text in Streamlit markdown."""

from __future__ import annotations

import re

from core.records import Citation, label_display

# Characters Streamlit's markdown would act on: emphasis, links, code, HTML, headings,
# tables, LaTeX ($), strikethrough (~) and colour/emoji directives (:orange[..], :smile:).
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|$~:])")
_LIST_MARKER = re.compile(r"(?m)^(\s*)([-+])(\s)")
_ORDERED_MARKER = re.compile(r"(?m)^(\s*\d+)([.)])(\s)")
# A sentence ends at . ! or ?, possibly followed by a closing quote or bracket.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[.!?]['’”\")\]])\s+")

HIGHLIGHT_OPEN = ":orange-background["
HIGHLIGHT_CLOSE = "]"


def escape_md(text: str) -> str:
    """Text that Streamlit markdown shows literally (review text is not markdown)."""
    out = _MD_SPECIAL.sub(r"\\\1", text)
    out = _LIST_MARKER.sub(r"\1\\\2\3", out)
    return _ORDERED_MARKER.sub(r"\1\\\2\3", out)


__all__ = ["label_display"]


def _span(text: str, fragment: str) -> tuple[int, int] | None:
    words = fragment.split()
    if not words:
        return None
    m = re.search(r"\s+".join(re.escape(w) for w in words), text)
    return (m.start(), m.end()) if m else None


def quote_spans(text: str, quote: str | None) -> list[tuple[int, int]]:
    """Where the quote sits in the paragraph, whitespace-insensitively.

    The whole quote if it is found as one run, otherwise each of its sentences that is
    (answers may quote a paragraph's sentences out of order); adjacent ones are joined.
    """
    if not quote or not quote.strip():
        return []
    whole = _span(text, quote)
    if whole:
        return [whole]
    spans = [s for s in (_span(text, part) for part in _SENTENCE_END.split(quote.strip())) if s]
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and (start <= merged[-1][1] or text[merged[-1][1] : start].isspace()):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str, quote: str | None) -> str:
    """The paragraph as Streamlit markdown, with the quoted sentence(s) highlighted."""
    spans = quote_spans(text, quote)
    out: list[str] = []
    pos = 0
    for start, end in spans:
        out.append(escape_md(text[pos:start]))
        out.append(f"{HIGHLIGHT_OPEN}{escape_md(text[start:end])}{HIGHLIGHT_CLOSE}")
        pos = end
    out.append(escape_md(text[pos:]))
    return "".join(out)


def citation_place(c: Citation, with_label: bool = True) -> str:
    """Where a citation sits in its review: "para 6.37 · Findings · page 12"."""
    parts = [label_display(c.label)] if with_label else []
    if c.section and c.section != c.label:
        parts.append(c.section)
    if c.page is not None:
        parts.append(f"page {c.page}")
    return " · ".join(parts)
