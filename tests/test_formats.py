"""PDF, DOCX and HTML loaders, on files built from the Child Y review with the real libraries."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import docx
import pytest
from fixtures_build import (
    add_rendered_page_break,
    child_y_bullets,
    child_y_document,
    child_y_footnote,
    child_y_paragraph,
    make_docx,
    make_html,
    make_numbered_docx,
    make_pdf,
)
from pypdf import PdfReader, PdfWriter

from ingest.errors import IngestError
from ingest.loaders import PageText, load_pages
from ingest.parser import parse_review

SECTION_1 = ("1.1", "1.2", "1.3")
SECTION_3 = ("3.1", "3.2", "3.3", "3.4")


def lines_of(pages: list[PageText]) -> list[str]:
    return [line for page in pages for line in page.text.splitlines()]


def page_of(pages: list[PageText], needle: str) -> int | None:
    hits = [page.page for page in pages if needle in page.text]
    assert len(hits) == 1, f"{needle[:40]!r} found on pages {hits}"
    return hits[0]


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("formats")


@pytest.fixture(scope="module")
def pdf_path(fixture_dir: Path) -> Path:
    return make_pdf(child_y_document(), fixture_dir / "child-y.pdf")


@pytest.fixture(scope="module")
def docx_path(fixture_dir: Path) -> Path:
    return make_docx(child_y_document(), fixture_dir / "child-y.docx")


@pytest.fixture(scope="module")
def html_path(fixture_dir: Path) -> Path:
    return make_html(child_y_document(), fixture_dir / "child-y.html")


# -- PDF ------------------------------------------------------------------


def test_pdf_paragraphs_wrapped_over_lines_come_out_as_one_line(pdf_path: Path) -> None:
    # The test means something only if pypdf itself returns 3.2 over several lines.
    raw = PdfReader(pdf_path).pages[1].extract_text()
    assert child_y_paragraph("3.2") not in raw.splitlines()

    lines = lines_of(load_pages(pdf_path))
    for label in SECTION_1 + SECTION_3:
        assert child_y_paragraph(label) in lines, label


def test_pdf_headings_lists_bold_and_footnotes(pdf_path: Path) -> None:
    pages = load_pages(pdf_path)
    lines = lines_of(pages)
    assert "# 1 Introduction" in lines
    assert "# 3 The Learning" in lines
    assert "**Learning point 1**" in lines
    for item in child_y_bullets():
        assert f"- {item}" in lines
    # Footnote definitions and references become superscript digits.
    assert f"⁴ {child_y_footnote(4).split(' ', 1)[1]}" in lines
    assert "⁶ For example formally being home schooled." in lines
    assert any("CSPP by considering a case" not in line and "guidance⁵ which" in line for line in lines)
    # Paragraphs are separated by exactly one blank line.
    for page in pages:
        assert "\n\n\n" not in page.text


def test_pdf_pages_are_numbered_from_one_and_page_numbers_dropped(pdf_path: Path) -> None:
    pages = load_pages(pdf_path)
    assert [p.page for p in pages] == [1, 2]
    assert page_of(pages, "# 1 Introduction") == 1
    assert page_of(pages, child_y_paragraph("1.2")) == 1
    assert page_of(pages, "# 3 The Learning") == 2
    assert page_of(pages, child_y_paragraph("3.2")) == 2
    assert page_of(pages, child_y_paragraph("3.4")) == 2
    assert not any("Page" in line for line in lines_of(pages))


@pytest.mark.parametrize("footer", ["{n}", "{n} of 2", "- {n} -", "Page {n} of 2"])
def test_pdf_bare_page_number_lines_are_dropped(fixture_dir: Path, footer: str) -> None:
    path = make_pdf(child_y_document(), fixture_dir / "footer.pdf", footer=footer)
    pages = load_pages(path)
    for page in pages:
        assert footer.format(n=page.page) not in page.text.splitlines()
        assert page.text.splitlines()[0].startswith("# ")
        assert page.text.splitlines()[-1].startswith("⁶") or page.text.splitlines()[-1].startswith("- ")


def test_pdf_paragraphs_without_space_between_them_are_still_split(fixture_dir: Path) -> None:
    # Unlabelled paragraphs, set with no extra space after each: only the short
    # last line ending a sentence, and the capital after it, mark the break.
    first = child_y_paragraph("3.5").split(" ", 1)[1]
    second = child_y_paragraph("3.6").split(" ", 1)[1]
    third = child_y_paragraph("3.7")
    path = make_pdf(
        [("heading", "3 The Learning"), ("para", first), ("para", second), ("para", third)],
        fixture_dir / "tight.pdf",
        paragraph_gap=0,
    )
    lines = lines_of(load_pages(path))
    assert [line for line in lines if line] == ["# 3 The Learning", first, second, third]


def test_pdf_with_an_empty_user_password_is_read(fixture_dir: Path, pdf_path: Path) -> None:
    # Reports are often encrypted only to stop editing; they open without a password.
    writer = PdfWriter(clone_from=pdf_path)
    writer.encrypt(user_password="", owner_password="owner-secret")
    path = fixture_dir / "restricted.pdf"
    writer.write(path)
    assert PdfReader(path).is_encrypted
    assert child_y_paragraph("3.2") in lines_of(load_pages(path))


def test_password_protected_pdf_raises(fixture_dir: Path, pdf_path: Path) -> None:
    writer = PdfWriter(clone_from=pdf_path)
    writer.encrypt(user_password="secret")
    path = fixture_dir / "locked.pdf"
    writer.write(path)
    with pytest.raises(IngestError, match=r"locked\.pdf.*password"):
        load_pages(path)


# -- DOCX -----------------------------------------------------------------


def test_docx_headings_labels_lists_and_bold(docx_path: Path) -> None:
    pages = load_pages(docx_path)
    lines = lines_of(pages)
    assert "# 1 Introduction" in lines
    assert "# 3 The Learning" in lines
    assert "**Learning point 1**" in lines
    for label in SECTION_1 + SECTION_3:
        assert child_y_paragraph(label) in lines, label
    for item in child_y_bullets():
        assert f"- {item}" in lines
    assert "⁶ For example formally being home schooled." in lines


def test_docx_splits_pages_on_hard_page_breaks(docx_path: Path) -> None:
    pages = load_pages(docx_path)
    assert [p.page for p in pages] == [1, 2]
    assert page_of(pages, "# 1 Introduction") == 1
    assert page_of(pages, "# 3 The Learning") == 2
    assert page_of(pages, child_y_paragraph("3.4")) == 2


def test_docx_without_page_breaks_is_one_page(fixture_dir: Path) -> None:
    elements = [e for e in child_y_document() if e[0] != "pagebreak"]
    pages = load_pages(make_docx(elements, fixture_dir / "one-page.docx"))
    assert [p.page for p in pages] == [None]


def test_docx_follows_words_rendered_page_breaks(fixture_dir: Path) -> None:
    # A paragraph Word laid out over two pages: its text is split between them.
    text = child_y_paragraph("3.3")
    cut = text.index(" The law states")
    document = docx.Document()
    document.add_heading("3 The Learning", level=1)
    add_rendered_page_break(document.add_paragraph(), text[:cut], text[cut:])
    document.add_paragraph(child_y_paragraph("3.4"))
    path = fixture_dir / "rendered.docx"
    document.save(str(path))

    pages = load_pages(path)
    assert [p.page for p in pages] == [1, 2]
    assert pages[0].text.splitlines()[-1] == text[:cut]
    assert pages[1].text.splitlines()[0] == text[cut + 1 :]
    assert page_of(pages, child_y_paragraph("3.4")) == 2


def test_docx_word_numbering_becomes_labels(fixture_dir: Path) -> None:
    sections = [
        ("Introduction", [child_y_paragraph(n).split(" ", 1)[1] for n in ("1.1", "1.2")]),
        ("The Process", [child_y_paragraph(n).split(" ", 1)[1] for n in ("2.1", "2.2")]),
    ]
    lines = [line for line in lines_of(load_pages(make_numbered_docx(sections, fixture_dir / "num.docx")))]
    assert [line for line in lines if line] == [
        "# 1 Introduction",
        child_y_paragraph("1.1"),
        child_y_paragraph("1.2"),
        "# 2 The Process",
        child_y_paragraph("2.1"),
        child_y_paragraph("2.2"),
    ]


def test_docx_table_rows_are_lines_of_cells(fixture_dir: Path) -> None:
    table = "\n".join(
        [
            "Agency | Involvement",
            "Housing | Identified Child Y was not in school",
            "CME team | Open from June 2019 to June 2020",
        ]
    )
    pages = load_pages(make_docx([("heading", "2 The Process"), ("table", table)], fixture_dir / "t.docx"))
    assert table in pages[0].text


# -- HTML -----------------------------------------------------------------


def test_html_headings_paragraphs_lists_and_superscripts(html_path: Path) -> None:
    pages = load_pages(html_path)
    assert [p.page for p in pages] == [None]
    lines = lines_of(pages)
    assert "## 1 Introduction" in lines
    assert "## 3 The Learning" in lines
    for label in SECTION_1 + SECTION_3:  # wrapped in the source, one line each here
        assert child_y_paragraph(label) in lines, label
    for item in child_y_bullets():
        assert f"- {item}" in lines
    assert "**Learning point 1**" in lines
    assert "⁶ For example formally being home schooled." in lines
    text = pages[0].text
    assert "Should not appear" not in text  # script
    assert "font-family" not in text  # style
    assert "Reviews" not in text  # nav


def test_html_declared_windows_1252_is_decoded(fixture_dir: Path) -> None:
    title = "Local Child Safeguarding Practice Review — Child Y"
    page = f'<html><head><meta charset="windows-1252"></head><body><h1>{title}</h1><p>{child_y_paragraph("1.1")}</p>'
    path = fixture_dir / "cp1252.html"
    path.write_bytes(page.encode("cp1252"))
    assert load_pages(path)[0].text.splitlines()[0] == f"# {title}"


def test_html_footnote_list_and_tables(fixture_dir: Path) -> None:
    note = child_y_footnote(4).split(" ", 1)[1]
    page = (
        "<html><body><p>2.2 A practitioner participation session<sup><a href='#fn4'>4</a></sup> was held.</p>"
        "<table><tr><th>Agency</th><th>Involvement</th></tr>"
        "<tr><td>Housing</td><td>Fraud team</td></tr></table>"
        '<section class="footnotes"><ol><li id="fn4">'
        f'<p>{note} <a href="#fnref4">↩︎</a></p></li></ol></section>'
        "</body></html>"
    )
    path = fixture_dir / "notes.html"
    path.write_text(page, encoding="utf-8")
    lines = lines_of(load_pages(path))
    assert "2.2 A practitioner participation session⁴ was held." in lines
    assert "Agency | Involvement" in lines and "Housing | Fraud team" in lines
    assert f"⁴ {note}" in lines


# -- The parser reads what the loaders write ------------------------------


@pytest.mark.parametrize("fixture", ["pdf_path", "docx_path", "html_path"])
def test_parsed_paragraphs_keep_labels_sections_and_pages(fixture: str, request: pytest.FixtureRequest) -> None:
    path: Path = request.getfixturevalue(fixture)
    paragraphs = parse_review(load_pages(path), "dudley-2022-child-y")
    by_label = {p.label: p for p in paragraphs}
    for label in SECTION_1 + SECTION_3:
        assert label in by_label, f"{label} missing; got {sorted(by_label)}"
        assert by_label[label].text.startswith(child_y_paragraph(label).split(" ", 1)[1][:60])
    assert "1 Introduction" in by_label["1.2"].section
    assert "3 The Learning" in by_label["3.4"].section
    assert "1 Introduction" not in by_label["3.4"].section
    if path.suffix == ".html":
        assert by_label["3.4"].page is None
    else:
        assert by_label["1.2"].page == 1
        assert by_label["3.2"].page == 2
        assert by_label["3.4"].page == 2
    assert any(note.startswith("6 For example") for note in by_label["3.4"].footnotes)


# -- Files that cannot be read --------------------------------------------


def _random_bytes(n: int) -> bytes:
    return random.Random(7).randbytes(n)


def _junk_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("junk.bin", _random_bytes(2048))
        zf.writestr("notes.txt", "not a Word document")
    return buf.getvalue()


BAD_FILES = {
    "random-bytes.pdf": lambda pdf: _random_bytes(4096),
    "truncated.pdf": lambda pdf: pdf[: len(pdf) // 2],
    "text-named.pdf": lambda pdf: b"3.4 Local authorities have a duty under section 436a\n",
    "junk-zip.docx": lambda pdf: _junk_zip(),
    "random-bytes.docx": lambda pdf: _random_bytes(4096),
    "old-word.docx": lambda pdf: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + _random_bytes(1024),
    "empty.pdf": lambda pdf: b"",
    "empty.docx": lambda pdf: b"",
    "empty.html": lambda pdf: b"",
    "empty.txt": lambda pdf: b"",
    "binary.txt": lambda pdf: b"\x00\x01\x02" + _random_bytes(512),
    "binary.html": lambda pdf: b"<html>\x00\x00" + _random_bytes(512),
    "latin-1.txt": lambda pdf: "3.4 The child’s café visits — noted".encode("cp1252"),
    "no-text.html": lambda pdf: b"<html><body><nav>Home</nav><script>var a;</script></body></html>",
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_unreadable_files_raise_ingest_error_naming_the_file(name: str, fixture_dir: Path, pdf_path: Path) -> None:
    path = fixture_dir / name
    path.write_bytes(BAD_FILES[name](pdf_path.read_bytes()))
    with pytest.raises(IngestError) as info:
        load_pages(path)
    assert name in str(info.value)
