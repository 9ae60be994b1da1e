"""Turn a review file into page texts in one light markup the parser reads.

Every loader returns ``list[PageText]``. The text uses the conventions of the
PDF-to-text conversions in ``corpus/``: ``#`` for headings, ``- `` for list
items, a blank line between paragraphs, footnotes as lines starting with a
superscript number. Page numbers are 1-based where the format has pages, else None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import IngestError

SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf", ".docx", ".html", ".htm")


@dataclass(frozen=True)
class PageText:
    page: int | None
    text: str


def _looks_binary(data: bytes) -> bool:
    return b"\x00" in data[:8192]


def load_text(path: Path) -> list[PageText]:
    data = path.read_bytes()
    if _looks_binary(data):
        raise IngestError(f"{path.name}: looks like binary data, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"{path.name}: is not UTF-8 text (bad byte at offset {exc.start}); re-save it as UTF-8"
        ) from exc
    # Form feeds are page breaks in text exports.
    pages = text.split("\f")
    if len(pages) > 1:
        return [PageText(i + 1, p) for i, p in enumerate(pages)]
    return [PageText(None, text)]


def _loader_for(suffix: str) -> Callable[[Path], list[PageText]]:
    if suffix in (".txt", ".md"):
        return load_text
    if suffix == ".pdf":
        from ingest.formats import load_pdf

        return load_pdf
    if suffix == ".docx":
        from ingest.formats import load_docx

        return load_docx
    if suffix in (".html", ".htm"):
        from ingest.formats import load_html

        return load_html
    raise IngestError(f"unsupported file type {suffix!r}; supported: {', '.join(SUPPORTED_SUFFIXES)}")


def load_pages(path: Path) -> list[PageText]:
    """Read one review file. Raises IngestError naming the file and the problem."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(
            f"{path.name}: unsupported file type {suffix or '(none)'!r}; supported: {', '.join(SUPPORTED_SUFFIXES)}"
        )
    if path.stat().st_size == 0:
        raise IngestError(f"{path.name}: the file is empty")
    loader = _loader_for(suffix)
    try:
        pages = loader(path)
    except IngestError:
        raise
    except Exception as exc:  # a third-party reader failing on a corrupt file
        kind = suffix[1:].upper()
        raise IngestError(f"{path.name}: could not be read as {kind} ({type(exc).__name__}: {exc})") from exc
    if not any(p.text.strip() for p in pages):
        raise IngestError(f"{path.name}: no text could be extracted (empty, or a scanned image without text)")
    return pages
