"""The conversation as a Markdown file or a Word document, with every citation."""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime

import docx
from docx.shared import Pt, RGBColor

from core.records import Citation, ReviewMeta
from ui.conversation import Turn
from ui.text import label_display

TITLE = "Conversation with the safeguarding reviews assistant"
NOT_COVERED = "Not covered by these reviews"


def _review_name(c: Citation, reviews: Mapping[str, ReviewMeta]) -> str:
    meta = reviews.get(c.review_id)
    title = c.review_title or (meta.title if meta else c.review_id)
    extra = [str(x) for x in (meta.area, meta.year) if x] if meta else []
    return f"{title} ({', '.join(extra)})" if extra else title


def citation_line(c: Citation, reviews: Mapping[str, ReviewMeta] | None = None) -> str:
    """One citation as plain text: review, paragraph label, section, page."""
    parts = [_review_name(c, reviews or {}), label_display(c.label)]
    if c.section:
        parts.append(f"section: {c.section}")
    parts.append(f"page {c.page}" if c.page is not None else "page not recorded")
    return ", ".join(parts)


def _filters_line(filters: Mapping[str, object] | None) -> str | None:
    if not filters:
        return None
    return "Filters: " + "; ".join(
        f"{k.replace('_', ' ')} = {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in filters.items()
    )


def to_markdown(
    turns: list[Turn], reviews: Mapping[str, ReviewMeta] | None = None, exported_at: datetime | None = None
) -> str:
    """The conversation as Markdown: each question, its answer, and its full citation list."""
    reviews = reviews or {}
    when = (exported_at or datetime.now()).strftime("%Y-%m-%d %H:%M")
    lines = [f"# {TITLE}", "", f"Exported {when}. {len(turns)} question(s).", ""]
    for n, turn in enumerate(turns, 1):
        r = turn.result
        lines += [f"## {n}. {turn.question}", ""]
        if (fl := _filters_line(turn.filters)) is not None:
            lines += [f"*{fl}*", ""]
        if r.abstained:
            lines += [f"**{NOT_COVERED}.** {r.answer}", ""]
        else:
            lines += [r.answer, ""]
        for heading, cited in (("Citations", r.citations), ("May be related (not an answer)", r.related)):
            if cited:
                lines += [f"### {heading}", ""]
                for i, c in enumerate(cited, 1):
                    lines.append(f"{i}. {citation_line(c, reviews)}")
                    if c.quote:
                        lines.append(f"   > {c.quote}")
                lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def to_docx(
    turns: list[Turn], reviews: Mapping[str, ReviewMeta] | None = None, exported_at: datetime | None = None
) -> bytes:
    """The conversation as a Word document (.docx bytes), same content as :func:`to_markdown`."""
    reviews = reviews or {}
    when = (exported_at or datetime.now()).strftime("%Y-%m-%d %H:%M")
    doc = docx.Document()
    doc.add_heading(TITLE, level=0)
    doc.add_paragraph(f"Exported {when}. {len(turns)} question(s).")
    for n, turn in enumerate(turns, 1):
        r = turn.result
        doc.add_heading(f"{n}. {turn.question}", level=1)
        if (fl := _filters_line(turn.filters)) is not None:
            doc.add_paragraph().add_run(fl).italic = True
        para = doc.add_paragraph()
        if r.abstained:
            para.add_run(f"{NOT_COVERED}. ").bold = True
        para.add_run(r.answer)
        for heading, cites in (("Citations", r.citations), ("May be related (not an answer)", r.related)):
            if not cites:
                continue
            doc.add_heading(heading, level=2)
            for c in cites:
                item = doc.add_paragraph(style="List Number")
                item.add_run(citation_line(c, reviews))
                if c.quote:
                    q = doc.add_paragraph(style="Quote")
                    run = q.add_run(c.quote)
                    run.font.size = Pt(10)
                    run.font.color.rgb = RGBColor(0x44, 0x44, 0x44)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
