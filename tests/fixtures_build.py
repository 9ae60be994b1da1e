"""Build PDF, DOCX and HTML review files from real corpus text, for loader tests.

A document is a list of ``(kind, text)`` elements. Kinds: ``heading``,
``subheading``, ``para``, ``list``, ``bold``, ``footnote`` (text starts with its
number, "4 Four groups..."), ``table`` (rows on lines, cells split by " | ") and
``pagebreak`` (text ignored). Superscript digits in the corpus text (``session⁴``)
are drawn as real superscripts in each format.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from xml.sax.saxutils import escape

import docx
from docx.enum.text import WD_BREAK
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.shared import Pt
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.platypus import PageBreak, SimpleDocTemplate, Table
from reportlab.platypus import Paragraph as PdfParagraph

Element = tuple[str, str]

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
CHILD_Y = CORPUS / "dudley-2022-child-y-lcspr.txt"

_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_FROM_SUPERSCRIPT = str.maketrans(_SUPERSCRIPTS, "0123456789")
_SUP_RUN = re.compile(f"([{_SUPERSCRIPTS}]+)")


def child_y_lines() -> list[str]:
    return CHILD_Y.read_text(encoding="utf-8").splitlines()


def child_y_paragraph(label: str) -> str:
    """The text of numbered paragraph ``label`` ("3.4") in the Child Y review, label included."""
    for line in child_y_lines():
        text = line.strip().removeprefix("- ").strip()
        if text.startswith(label + " "):
            return text
    raise KeyError(f"paragraph {label} not in {CHILD_Y.name}")


def child_y_footnote(number: int) -> str:
    """Footnote ``number`` as "4 Four groups...", with a plain-digit number."""
    sup = str(number).translate(str.maketrans("0123456789", _SUPERSCRIPTS))
    for line in child_y_lines():
        if line.startswith(sup + " "):
            return f"{number} {line[len(sup) :].strip()}"
    raise KeyError(f"footnote {number} not in {CHILD_Y.name}")


def child_y_bullets() -> list[str]:
    """The learning areas listed under paragraph 1.3."""
    lines = child_y_lines()
    start = next(i for i, line in enumerate(lines) if line.startswith("- 1.3 "))
    items = []
    for line in lines[start + 1 :]:
        if not line.strip().startswith("- "):
            break
        items.append(line.strip()[2:])
    return items


def child_y_document() -> list[Element]:
    """Sections 1 and 3 of the Child Y review, with section 3 starting on page 2."""
    elements: list[Element] = [
        ("heading", "1 Introduction"),
        ("para", child_y_paragraph("1.1")),
        ("para", child_y_paragraph("1.2")),
        ("para", child_y_paragraph("1.3")),
    ]
    elements += [("list", item) for item in child_y_bullets()]
    elements += [
        ("pagebreak", ""),
        ("heading", "3 The Learning"),
        ("para", child_y_paragraph("3.1")),
        ("bold", "Learning point 1"),
        ("para", child_y_paragraph("3.2")),
        ("para", child_y_paragraph("3.3")),
        ("para", child_y_paragraph("3.4")),
        ("footnote", child_y_footnote(4)),
        ("footnote", child_y_footnote(6)),
    ]
    return elements


# -- PDF ------------------------------------------------------------------


def _pdf_markup(text: str) -> str:
    """Reportlab paragraph markup; superscript digits become <super> (Helvetica has no ⁴)."""
    return _SUP_RUN.sub(lambda m: f"<super>{m.group(1).translate(_FROM_SUPERSCRIPT)}</super>", escape(text))


def make_pdf(elements: list[Element], path: Path, *, footer: str | None = "Page {n}", paragraph_gap: float = 6) -> Path:
    """A PDF with Helvetica body text that wraps, bold headings, small footnotes and a page-number footer.

    ``footer`` is formatted with the page number ``n``; ``paragraph_gap`` is the
    space after each body paragraph in points (0: only line breaks separate them).
    """
    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["Normal"], fontSize=10, leading=12, spaceAfter=paragraph_gap)
    bold = ParagraphStyle("bold", parent=body, fontName="Helvetica-Bold")
    note = ParagraphStyle("note", parent=body, fontSize=8, leading=10, spaceAfter=2)
    story: list = []
    for kind, text in elements:
        if kind == "pagebreak":
            story.append(PageBreak())
        elif kind == "heading":
            story.append(PdfParagraph(_pdf_markup(text), styles["Heading1"]))
        elif kind == "subheading":
            story.append(PdfParagraph(_pdf_markup(text), styles["Heading2"]))
        elif kind == "para":
            story.append(PdfParagraph(_pdf_markup(text), body))
        elif kind == "bold":
            story.append(PdfParagraph(_pdf_markup(text), bold))
        elif kind == "list":
            story.append(PdfParagraph(_pdf_markup(text), body, bulletText="•"))
        elif kind == "footnote":
            number, rest = text.split(" ", 1)
            story.append(PdfParagraph(f"<super>{number}</super> {_pdf_markup(rest)}", note))
        elif kind == "table":
            story.append(Table([row.split(" | ") for row in text.splitlines()]))
        else:
            raise ValueError(f"unknown element kind {kind!r}")

    def draw_footer(canvas, doc) -> None:  # type: ignore[no-untyped-def]
        if footer is not None:
            canvas.setFont("Helvetica", 9)
            canvas.drawCentredString(A4[0] / 2, 30, footer.format(n=doc.page))

    SimpleDocTemplate(str(path), pagesize=A4, title="Child Y").build(
        story, onFirstPage=draw_footer, onLaterPages=draw_footer
    )
    return path


# -- DOCX -----------------------------------------------------------------


def _add_runs(paragraph, text: str, *, bold: bool = False) -> None:  # type: ignore[no-untyped-def]
    for i, part in enumerate(_SUP_RUN.split(text)):
        if not part:
            continue
        run = paragraph.add_run(part.translate(_FROM_SUPERSCRIPT) if i % 2 else part)
        run.font.superscript = bool(i % 2)
        run.bold = bold or None


def make_docx(elements: list[Element], path: Path) -> Path:
    """A Word file with Heading styles, List Bullet items, bold lines, tables and hard page breaks."""
    document = docx.Document()
    for kind, text in elements:
        if kind == "pagebreak":
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        elif kind in ("heading", "subheading"):
            document.add_heading(text, level=1 if kind == "heading" else 2)
        elif kind == "para":
            _add_runs(document.add_paragraph(), text)
        elif kind == "bold":
            _add_runs(document.add_paragraph(), text, bold=True)
        elif kind == "list":
            _add_runs(document.add_paragraph(style="List Bullet"), text)
        elif kind == "footnote":
            number, rest = text.split(" ", 1)
            p = document.add_paragraph()
            sup = p.add_run(number)
            sup.font.superscript = True
            p.add_run(" " + rest).font.size = Pt(8)
        elif kind == "table":
            rows = [row.split(" | ") for row in text.splitlines()]
            table = document.add_table(rows=len(rows), cols=max(len(r) for r in rows))
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
        else:
            raise ValueError(f"unknown element kind {kind!r}")
    document.save(str(path))
    return path


def make_numbered_docx(sections: list[tuple[str, list[str]]], path: Path) -> Path:
    """A Word file whose headings and paragraphs are numbered by Word ("1", "1.1"), not in their text.

    ``sections`` is ``[(heading, [paragraph, ...]), ...]``; headings are Heading 1
    at list level 0, paragraphs are at level 1, like a multilevel list in Word.
    """
    document = docx.Document()
    numbering = document.part.numbering_part.element
    abstract = parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90">'
        '<w:multiLevelType w:val="multilevel"/>'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1"/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1.%2"/></w:lvl>'
        "</w:abstractNum>"
    )
    # abstractNum elements must precede num elements in numbering.xml.
    numbering.insert(0, abstract)
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))

    def number(paragraph, level: int) -> None:  # type: ignore[no-untyped-def]
        num_pr = parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>')
        paragraph._p.get_or_add_pPr().append(num_pr)

    for heading, paragraphs in sections:
        number(document.add_heading(heading, level=1), 0)
        for text in paragraphs:
            number(document.add_paragraph(text), 1)
    document.save(str(path))
    return path


def add_rendered_page_break(paragraph, before: str, after: str) -> None:  # type: ignore[no-untyped-def]
    """Give ``paragraph`` the text ``before`` + ``after`` with Word's record of a page break between."""
    paragraph.add_run(before)
    run = paragraph.add_run()
    run._r.append(parse_xml(f"<w:lastRenderedPageBreak {nsdecls('w')}/>"))
    run.add_text(after)


# -- HTML -----------------------------------------------------------------


def _html_inline(text: str) -> str:
    return _SUP_RUN.sub(lambda m: f"<sup>{m.group(1).translate(_FROM_SUPERSCRIPT)}</sup>", html.escape(text))


def make_html(elements: list[Element], path: Path) -> Path:
    """An HTML page with a nav bar, a script and a style sheet around the review text."""
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>Child Y</title>',
        "<style>body { font-family: sans-serif; }</style></head><body>",
        '<nav><ul><li><a href="/">Home</a></li><li><a href="/reviews">Reviews</a></li></ul></nav>',
        "<script>var tracking = 'Should not appear';</script>",
        "<main>",
    ]
    in_list = False
    for kind, text in elements:
        if kind == "list" and not in_list:
            out.append("<ul>")
            in_list = True
        elif kind != "list" and in_list:
            out.append("</ul>")
            in_list = False
        if kind == "pagebreak":
            continue
        if kind == "heading":
            out.append(f"<h2>{_html_inline(text)}</h2>")
        elif kind == "subheading":
            out.append(f"<h3>{_html_inline(text)}</h3>")
        elif kind == "para":
            # Source HTML wraps long paragraphs; the loader must not.
            wrapped = re.sub(r"(.{60,80}?) ", "\\1\n\t\t", _html_inline(text))
            out.append(f"<p>{wrapped}</p>")
        elif kind == "bold":
            out.append(f"<p><strong>{_html_inline(text)}</strong></p>")
        elif kind == "list":
            out.append(f"<li>{_html_inline(text)}</li>")
        elif kind == "footnote":
            number, rest = text.split(" ", 1)
            out.append(f'<p class="footnote"><sup>{number}</sup> {_html_inline(rest)}</p>')
        elif kind == "table":
            rows = "".join(
                "<tr>" + "".join(f"<td>{_html_inline(c)}</td>" for c in row.split(" | ")) + "</tr>"
                for row in text.splitlines()
            )
            out.append(f"<table>{rows}</table>")
        else:
            raise ValueError(f"unknown element kind {kind!r}")
    if in_list:
        out.append("</ul>")
    out.append("</main><footer><p>Dudley Safeguarding People Partnership</p></footer></body></html>")
    path.write_text("\n".join(out), encoding="utf-8")
    return path
