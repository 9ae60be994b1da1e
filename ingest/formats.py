"""Loaders for PDF, DOCX and HTML reviews, writing the light markup of ``corpus/*.txt``.

The markup: ``#`` headings, ``- `` list items, one paragraph per line with a
blank line between paragraphs, numbered paragraphs (``3.4 text``) starting their
own line, and footnotes as lines that start with superscript digits (``⁴ text``).
Each loader raises IngestError naming the file for the problems it can recognise;
``ingest.loaders.load_pages`` wraps anything else a library throws.
"""

from __future__ import annotations

import io
import math
import re
import warnings
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bs4
import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml import parse_xml
from docx.styles.style import CharacterStyle
from lxml import etree
from pypdf import PdfReader
from pypdf.errors import DependencyError, PdfReadError

from ingest.errors import IngestError
from ingest.loaders import PageText

_TO_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"

# Bold-only paragraphs up to this many characters are written as **text**;
# longer ones are body text that happens to be bold.
_BOLD_ONLY_MAX_CHARS = 150

# "3.4 ", "2.1.1. ": a numbered paragraph.
_PARA_LABEL = re.compile(r"^\d{1,2}(?:\.\d{1,3}){1,3}\.?\s")
# "1. ", "a) ", "iv. ": a numbered list item.
_LIST_NUMBER = re.compile(r"^(?:\d{1,2}|[a-z]|[ivx]{1,4})[.)]\s")
_NAMED_LABEL = re.compile(r"^\[?(?:Learning [Pp]oint|Recommendation|Finding|Lesson)\s+\d{1,2}\b")
# Bullet glyphs as PDF text extraction returns them. \uf0b7 and friends are
# Symbol/Wingdings bullets in the private use area (Word exports); \x7f is what
# pypdf returns for the bullet of reportlab's standard-font encoding.
_BULLET_MARKERS = "•●▪◦‣∙·■□➢➤►▶✓✔–—\\-*o\uf0b7\uf0a7\uf0d8\uf0fc\uf076\x7f"
_BULLET = re.compile(rf"^[{_BULLET_MARKERS}]\s+")
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?[-–—]?\s*\d{1,4}\s*[-–—]?(?:\s*(?:of|/)\s*\d{1,4})?$", re.I)
_SENTENCE_END = re.compile(rf"[.!?:;][\"'”’)]?[{_SUPERSCRIPT_DIGITS}]*$")
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\ufeff]")


def _clean(text: str, *, keep_tabs: bool = True) -> str:
    """Collapse runs of spaces; keep tabs where they are the document's (one before a page
    number marks a contents line), not where they are source indentation (HTML)."""
    text = _INVISIBLE.sub("", text).replace("\u00a0", " ")
    if not keep_tabs:
        text = text.replace("\t", " ")
    text = re.sub(r"[ \r\n\f\v]+", " ", text)
    text = re.sub(r" *\t[ \t]*", "\t", text)
    return text.strip()


def _paragraph_markup(text: str, *, bold: bool) -> str:
    if bold and len(text) <= _BOLD_ONLY_MAX_CHARS and not text.startswith("**"):
        return f"**{text}**"
    return text


def _superscript(digits: str) -> str:
    return digits.translate(_TO_SUPERSCRIPT)


# -- PDF ------------------------------------------------------------------


@dataclass
class _Frag:
    text: str
    size: float
    bold: bool
    y: float


@dataclass
class _Line:
    text: str
    size: float
    bold: bool
    y: float


@dataclass
class _PdfStats:
    """Font sizes and spacing measured over the whole document."""

    body_size: float
    heading_levels: dict[float, int]
    pitch: dict[float, float]
    full_line_chars: int

    def pitch_for(self, size: float) -> float:
        return self.pitch.get(size, size * 1.2)


def _mult(m: list[float], n: list[float]) -> list[float]:
    return [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]


def _round_size(size: float) -> float:
    return round(size * 2) / 2


def _is_bold_font(font: Any) -> bool:
    name = ""
    if isinstance(font, dict):
        name = str(font.get("/BaseFont", ""))
    return bool(re.search(r"bold|black|heavy|semibold|demi", name, re.I))


def _pdf_page_lines(page: Any) -> list[_Line]:
    """The page's lines as pypdf extracts them, with font size, boldness and baseline."""
    rows: list[list[_Frag]] = [[]]

    def visit(text: str, cm: list[float], tm: list[float], font: Any, font_size: float) -> None:
        if not text:
            return
        m = _mult(tm, cm)
        size = abs(font_size) * math.hypot(m[2], m[3])
        bold = _is_bold_font(font)
        for i, part in enumerate(text.split("\n")):
            if i:
                rows.append([])
            if part:
                rows[-1].append(_Frag(part, size, bold, m[5]))

    page.extract_text(visitor_text=visit)
    lines = [line for line in (_make_line(row) for row in rows) if line is not None]
    return _drop_page_numbers(lines)


def _make_line(frags: list[_Frag]) -> _Line | None:
    inked = [f for f in frags if f.text.strip()]
    if not inked:
        return None
    weights: Counter[float] = Counter()
    for f in inked:
        weights[_round_size(f.size)] += len(f.text.strip())
    size = weights.most_common(1)[0][0]
    out = ""
    for f in frags:
        stripped = f.text.strip()
        # A footnote marker is a run of digits set smaller than its line.
        if stripped.isdigit() and len(stripped) <= 3 and f.size <= size * 0.85:
            out = out.rstrip() + _superscript(stripped)
            if f.text != f.text.rstrip():
                out += " "
        else:
            out += f.text
    y = next(f.y for f in inked if _round_size(f.size) == size)
    return _Line(_clean(out), size, all(f.bold for f in inked), y)


def _drop_page_numbers(lines: list[_Line]) -> list[_Line]:
    """Drop a bare page number ("3", "Page 3", "3 of 12") printed at the top or bottom of the page."""
    if not lines:
        return lines
    ys = [line.y for line in lines]
    edges = {0, len(lines) - 1, ys.index(max(ys)), ys.index(min(ys))}
    return [line for i, line in enumerate(lines) if not (i in edges and _PAGE_NUMBER.match(line.text))]


def _pdf_stats(pages: list[list[_Line]]) -> _PdfStats:
    sizes: Counter[float] = Counter()
    for lines in pages:
        for line in lines:
            sizes[line.size] += len(line.text)
    body = sizes.most_common(1)[0][0] if sizes else 0.0
    heading_sizes = sorted((s for s in sizes if body > 0 and s >= body * 1.15), reverse=True)
    levels = {s: min(i + 1, 6) for i, s in enumerate(heading_sizes)}

    steps: dict[float, Counter[float]] = {}
    lengths: list[int] = []
    for lines in pages:
        for prev, line in zip(lines, lines[1:], strict=False):
            dy = prev.y - line.y
            if prev.size == line.size and 0 < dy <= line.size * 3:
                steps.setdefault(line.size, Counter())[round(dy, 1)] += 1
        lengths.extend(len(line.text) for line in lines if line.size == body)
    pitch = {s: c.most_common(1)[0][0] for s, c in steps.items()}
    lengths.sort()
    full = lengths[int(len(lengths) * 0.9)] if lengths else 80
    return _PdfStats(body, levels, pitch, full)


@dataclass
class _Block:
    kind: str  # heading, footnote, body
    lines: list[_Line] = field(default_factory=list)


def _line_kind(line: _Line, stats: _PdfStats) -> str:
    if line.size in stats.heading_levels and len(line.text) <= 200:
        return "heading"
    if line.text[:1] in _SUPERSCRIPT_DIGITS:
        return "footnote"
    if stats.body_size and line.size <= stats.body_size * 0.92 and re.match(r"^\d{1,3}\s+\S", line.text):
        digits, rest = line.text.split(None, 1)
        line.text = f"{_superscript(digits)} {rest}"
        return "footnote"
    if stats.body_size and line.size <= stats.body_size * 0.92:
        return "small"
    return "body"


def _breaks_between(prev: _Line, line: _Line, block: _Block, stats: _PdfStats) -> bool:
    """Whether ``line`` starts a new paragraph after ``prev``, which ends ``block``."""
    dy = prev.y - line.y
    if dy < -1:  # moved up: a new column or a text box
        return True
    if dy > stats.pitch_for(max(prev.size, line.size)) * 1.3:
        return True
    if block.kind == "heading":
        return line.size != prev.size
    if _BULLET.match(line.text):
        return True
    ends_sentence = bool(_SENTENCE_END.search(prev.text))
    short = len(prev.text) < stats.full_line_chars * 0.8
    text = line.text
    # A label starts a paragraph; a wrapped line that merely begins with a
    # number ("1.5 hours") follows a line that stops mid-sentence.
    if (_PARA_LABEL.match(text) or _LIST_NUMBER.match(text) or _NAMED_LABEL.match(text)) and (ends_sentence or short):
        return True
    starts_upper = text[:1].isupper() or text[:1] in "\"'“‘(" or text[:1].isdigit()
    if prev.bold != line.bold and starts_upper:
        return True
    # A short line that ends a sentence, then a capital: the previous paragraph ended there.
    return short and starts_upper and ends_sentence


def _join_lines(lines: Iterable[str]) -> str:
    out = ""
    for text in lines:
        if not out:
            out = text
        elif re.search(r"[A-Za-z]-$", out) and text[:1].islower():
            out += text  # a word hyphenated at the line end
        else:
            out += " " + text
    return out


def _pdf_page_markup(lines: list[_Line], stats: _PdfStats) -> str:
    blocks: list[_Block] = []
    for line in lines:
        kind = _line_kind(line, stats)
        current = blocks[-1] if blocks else None
        if kind == "small":
            # A footnote wrapped onto more lines keeps its following lines.
            if current is not None and current.kind == "footnote":
                dy = current.lines[-1].y - line.y
                if 0 < dy <= stats.pitch_for(line.size) * 1.3:
                    current.lines.append(line)
                    continue
            kind = "body"
        if (
            current is None
            or current.kind != kind
            or kind == "footnote"
            or _breaks_between(current.lines[-1], line, current, stats)
        ):
            blocks.append(_Block(kind, [line]))
        else:
            current.lines.append(line)

    out: list[str] = []
    for block in blocks:
        text = _join_lines(line.text for line in block.lines)
        if block.kind == "heading":
            level = stats.heading_levels[block.lines[0].size]
            out.append("#" * level + " " + text)
        elif block.kind == "footnote":
            out.append(text)
        elif _BULLET.match(text):
            out.append("- " + _BULLET.sub("", text, count=1))
        else:
            out.append(_paragraph_markup(text, bold=all(line.bold for line in block.lines)))
    return "\n\n".join(out)


def _open_pdf(path: Path) -> PdfReader:
    data = path.read_bytes()
    if b"%PDF-" not in data[:1024]:
        raise IngestError(f"{path.name}: is not a PDF (no %PDF header); it may be another format renamed .pdf")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            # Many published reports are encrypted only to restrict editing, with an
            # empty password for reading; those are readable. Anything else is not.
            try:
                opened = reader.decrypt("")
            except (DependencyError, NotImplementedError) as exc:  # AES needs `cryptography`
                raise IngestError(
                    f"{path.name}: is an encrypted PDF that could not be opened ({type(exc).__name__}: {exc})"
                ) from exc
            if not opened:
                raise IngestError(f"{path.name}: is a password-protected PDF; save an unprotected copy")
        _ = len(reader.pages)  # reads the page tree, where truncation shows
    except PdfReadError as exc:
        raise IngestError(f"{path.name}: is a damaged or truncated PDF ({type(exc).__name__}: {exc})") from exc
    return reader


def load_pdf(path: Path) -> list[PageText]:
    """One PageText per page, 1-based, in the corpus markup."""
    reader = _open_pdf(path)
    page_lines: list[list[_Line]] = []
    for number, page in enumerate(reader.pages, start=1):
        try:
            page_lines.append(_pdf_page_lines(page))
        except PdfReadError as exc:
            raise IngestError(f"{path.name}: page {number} could not be read ({type(exc).__name__}: {exc})") from exc
    stats = _pdf_stats(page_lines)
    return [PageText(i, _pdf_page_markup(lines, stats)) for i, lines in enumerate(page_lines, start=1)]


# -- DOCX -----------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_PAGE_BREAK = "\f"
# Containers whose runs are part of the paragraph's visible text.
_RUN_CONTAINERS = {
    _W + name
    for name in ("hyperlink", "ins", "smartTag", "fldSimple", "customXml", "sdt", "sdtContent", "moveTo", "dir", "bdo")
}


def _w(el: Any, name: str) -> Any:
    return el.find(_W + name)


def _w_val(el: Any) -> str | None:
    return None if el is None else el.get(_W + "val")


def _on(el: Any) -> bool | None:
    """An OOXML toggle property: absent -> None, else its value."""
    if el is None:
        return None
    return _w_val(el) not in ("0", "false", "off", "none")


def _style_chain(style: CharacterStyle | None) -> Iterator[CharacterStyle]:
    seen = 0
    while style is not None and seen < 20:  # guard against a basedOn cycle
        yield style
        style = style.base_style
        seen += 1


def _format_number(n: int, fmt: str) -> str:
    if fmt in ("lowerLetter", "upperLetter"):
        s = ""
        while n > 0:
            n, r = divmod(n - 1, 26)
            s = chr(ord("a") + r) + s
        return s.upper() if fmt == "upperLetter" else s
    if fmt in ("lowerRoman", "upperRoman"):
        pairs = [
            (1000, "m"),
            (900, "cm"),
            (500, "d"),
            (400, "cd"),
            (100, "c"),
            (90, "xc"),
            (50, "l"),
            (40, "xl"),
            (10, "x"),
            (9, "ix"),
            (5, "v"),
            (4, "iv"),
            (1, "i"),
        ]
        s = ""
        for value, letters in pairs:
            while n >= value:
                s += letters
                n -= value
        return s.upper() if fmt == "upperRoman" else s
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)


@dataclass
class _Level:
    start: int
    fmt: str
    text: str


class _Numbering:
    """Computes the labels Word draws for numbered paragraphs ("3.4", "1.", bullets)."""

    def __init__(self, numbering_xml: Any | None) -> None:
        self.abstract: dict[str, dict[int, _Level]] = {}
        self.nums: dict[str, tuple[str, dict[int, int]]] = {}
        self.counters: dict[str, dict[int, int]] = {}
        self.started: set[str] = set()
        if numbering_xml is None:
            return
        for an in numbering_xml.findall(_W + "abstractNum"):
            levels: dict[int, _Level] = {}
            for lvl in an.findall(_W + "lvl"):
                start = _w_val(_w(lvl, "start"))
                levels[int(lvl.get(_W + "ilvl", "0"))] = _Level(
                    int(start) if start and start.isdigit() else 1,
                    _w_val(_w(lvl, "numFmt")) or "decimal",
                    _w_val(_w(lvl, "lvlText")) or "",
                )
            self.abstract[an.get(_W + "abstractNumId", "")] = levels
        for num in numbering_xml.findall(_W + "num"):
            overrides: dict[int, int] = {}
            for ov in num.findall(_W + "lvlOverride"):
                start = _w_val(_w(ov, "startOverride"))
                if start and start.isdigit():
                    overrides[int(ov.get(_W + "ilvl", "0"))] = int(start)
            self.nums[num.get(_W + "numId", "")] = (_w_val(_w(num, "abstractNumId")) or "", overrides)

    def label(self, num_id: str, ilvl: int) -> str | None:
        """The drawn label, "-" for a bullet, or None when the numbering is unknown."""
        if num_id not in self.nums:
            return None
        abstract_id, overrides = self.nums[num_id]
        levels = self.abstract.get(abstract_id, {})
        level = levels.get(ilvl)
        if level is None:
            return None
        # Lists that share an abstract definition continue each other's count,
        # unless the list instance restarts it (a startOverride).
        counts = self.counters.setdefault(abstract_id, {})
        if num_id not in self.started:
            self.started.add(num_id)
            for lv, start in overrides.items():
                counts[lv] = start - 1
        counts[ilvl] = counts.get(ilvl, overrides.get(ilvl, level.start) - 1) + 1
        for deeper in [k for k in counts if k > ilvl]:
            del counts[deeper]
        if level.fmt == "bullet":
            return "-"
        if level.fmt == "none":
            return _clean(re.sub(r"%\d", "", level.text)) or None

        def value(m: re.Match[str]) -> str:
            idx = int(m.group(1)) - 1
            lv = levels.get(idx)
            n = counts.get(idx, lv.start if lv else 1)
            return _format_number(n, lv.fmt if lv else "decimal")

        return _clean(re.sub(r"%([1-9])", value, level.text)) or None


@dataclass
class _DocxPage:
    blocks: list[str] = field(default_factory=list)
    footnote_ids: list[str] = field(default_factory=list)


class _DocxReader:
    def __init__(self, document: Any, break_tag: str) -> None:
        self.document = document
        self.break_tag = break_tag  # which element starts a new page
        part = document.part
        self.numbering = _Numbering(self._numbering_xml())
        self.footnotes = self._footnotes(part)
        self.footnote_numbers: dict[str, int] = {}
        self.pages: list[_DocxPage] = [_DocxPage()]

    # -- document parts ---------------------------------------------------
    def _numbering_xml(self) -> Any | None:
        try:
            rel_part = self.document.part.part_related_by(RT.NUMBERING)
        except KeyError:
            return None
        return rel_part.element

    def _footnotes(self, part: Any) -> dict[str, Any]:
        try:
            notes_part = part.part_related_by(RT.FOOTNOTES)
        except KeyError:
            return {}
        root = parse_xml(notes_part.blob)
        return {fn.get(_W + "id", ""): fn for fn in root.findall(_W + "footnote")}

    # -- text of runs -----------------------------------------------------
    def _run_bold(self, r: Any, para_bold: bool) -> bool:
        rpr = _w(r, "rPr")
        if rpr is not None:
            direct = _on(_w(rpr, "b"))
            if direct is not None:
                return direct
            style_id = _w_val(_w(rpr, "rStyle"))
            if style_id:
                style = self.document.styles.element.get_by_id(style_id)
                if style is not None and style.rPr is not None:
                    styled = _on(style.rPr.find(_W + "b"))
                    if styled is not None:
                        return styled
        return para_bold

    def _runs_text(self, el: Any, para_bold: bool, bold_flags: list[bool], textboxes: list[Any]) -> str:
        out: list[str] = []
        for child in el:
            tag = child.tag
            if tag == _W + "r":
                out.append(self._run_text(child, para_bold, bold_flags, textboxes))
            elif tag in _RUN_CONTAINERS:
                out.append(self._runs_text(child, para_bold, bold_flags, textboxes))
        return "".join(out)

    def _run_text(self, r: Any, para_bold: bool, bold_flags: list[bool], textboxes: list[Any]) -> str:
        rpr = _w(r, "rPr")
        superscript = rpr is not None and _w_val(_w(rpr, "vertAlign")) == "superscript"
        out: list[str] = []
        for child in r:
            tag = child.tag
            if tag == _W + "t":
                text = child.text or ""
                if superscript and text.strip().isdigit():
                    text = _superscript(text.strip())
                out.append(text)
            elif tag == _W + "tab":
                out.append("\t")
            elif tag == _W + "br":
                hard = self.break_tag == "br" and child.get(_W + "type") == "page"
                out.append(_PAGE_BREAK if hard else " ")
            elif tag == _W + "cr":
                out.append(" ")
            elif tag == _W + "lastRenderedPageBreak" and self.break_tag == "lastRenderedPageBreak":
                out.append(_PAGE_BREAK)
            elif tag == _W + "noBreakHyphen":
                out.append("-")
            elif tag == _W + "footnoteReference":
                out.append(self._footnote_marker(child.get(_W + "id", "")))
        text = "".join(out)
        if text.replace(_PAGE_BREAK, "").strip():
            bold_flags.append(self._run_bold(r, para_bold))
        for box in r.iter(_W + "txbxContent"):
            if not any(a.tag == _MC_FALLBACK for a in box.iterancestors()):
                textboxes.append(box)
        return text

    def _footnote_marker(self, note_id: str) -> str:
        if note_id not in self.footnotes:
            return ""
        # Word numbers footnotes in order of reference, whatever their ids.
        number = self.footnote_numbers.setdefault(note_id, len(self.footnote_numbers) + 1)
        self.pages[-1].footnote_ids.append(note_id)
        return _superscript(str(number))

    # -- paragraphs -------------------------------------------------------
    def _para_style(self, p: Any) -> CharacterStyle | None:
        style = self.document.part.get_style(p.style, WD_STYLE_TYPE.PARAGRAPH)
        return style if isinstance(style, CharacterStyle) else None

    def _heading_level(self, p: Any, style: CharacterStyle | None) -> int | None:
        for s in _style_chain(style):
            name = (s.name or "").strip()
            m = re.fullmatch(r"(?i)heading\s*([1-9])", name)
            if m:
                return int(m.group(1))
            if name.lower() == "title":
                return 1
        ppr = _w(p, "pPr")
        outline = _w_val(_w(ppr, "outlineLvl")) if ppr is not None else None
        for s in _style_chain(style):
            if outline is not None:
                break
            spr = s.element.pPr
            outline = _w_val(spr.find(_W + "outlineLvl")) if spr is not None else None
        if outline is not None and outline.isdigit() and int(outline) < 9:
            return int(outline) + 1
        return None

    def _num_pr(self, p: Any, style: CharacterStyle | None) -> tuple[str, int] | None:
        candidates = [_w(p, "pPr")] + [s.element.pPr for s in _style_chain(style)]
        num_id: str | None = None
        ilvl: str | None = None
        for ppr in candidates:
            num_pr = _w(ppr, "numPr") if ppr is not None else None
            if num_pr is None:
                continue
            num_id = num_id or _w_val(_w(num_pr, "numId"))
            ilvl = ilvl or _w_val(_w(num_pr, "ilvl"))
            if num_id is not None:
                break
        if num_id is None or num_id == "0":
            return None
        return num_id, int(ilvl) if ilvl and ilvl.isdigit() else 0

    def _style_bold(self, style: CharacterStyle | None) -> bool:
        for s in _style_chain(style):
            if s.font.bold is not None:
                return bool(s.font.bold)
        return False

    def paragraph(self, p: Any) -> None:
        style = self._para_style(p)
        bold_flags: list[bool] = []
        textboxes: list[Any] = []
        raw = self._runs_text(p, self._style_bold(style), bold_flags, textboxes)
        ppr = _w(p, "pPr")
        if self.break_tag == "br" and ppr is not None and _on(_w(ppr, "pageBreakBefore")):
            raw = _PAGE_BREAK + raw
        segments = raw.split(_PAGE_BREAK)

        level = self._heading_level(p, style)
        num = self._num_pr(p, style)
        label = self.numbering.label(*num) if num else None
        style_name = style.name if style is not None and style.name else ""
        if level is not None:
            prefix = "#" * min(level, 6) + " " + (label + " " if label and label != "-" else "")
        elif label == "-" or (label is None and (num is not None or "list" in style_name.lower())):
            prefix = "- "
        elif label:
            prefix = label + " "
        else:
            prefix = ""

        placed = False
        for i, segment in enumerate(segments):
            if i:
                self.new_page()
            text = _clean(segment)
            if not text:
                continue
            if not placed:
                placed = True
                if not prefix:
                    text = _paragraph_markup(text, bold=bool(bold_flags) and all(bold_flags))
                text = prefix + text
            self.pages[-1].blocks.append(text)
        for box in textboxes:
            for inner in box.iter(_W + "p"):
                self.paragraph(inner)

    def table(self, tbl: Any) -> None:
        rows: list[str] = []
        for tr in tbl.iter(_W + "tr"):
            if tr.getparent() is not tbl:
                continue  # a nested table's rows are read with their cell
            cells: list[str] = []
            for tc in tr.findall(_W + "tc"):
                parts: list[str] = []
                for p in tc.iter(_W + "p"):
                    text = self._runs_text(p, False, [], [])
                    if _PAGE_BREAK in text:
                        if rows:
                            self.pages[-1].blocks.append("\n".join(rows))
                            rows = []
                        self.new_page()
                    parts.append(_clean(text.replace(_PAGE_BREAK, " ")))
                cells.append(" ".join(part for part in parts if part))
            if any(cells):
                rows.append(" | ".join(cells))
        if rows:
            self.pages[-1].blocks.append("\n".join(rows))

    def body(self, container: Any) -> None:
        for el in container:
            if el.tag == _W + "p":
                self.paragraph(el)
            elif el.tag == _W + "tbl":
                self.table(el)
            elif el.tag in (_W + "sdt", _W + "sdtContent", _W + "customXml"):
                self.body(el)

    def new_page(self) -> None:
        self.pages.append(_DocxPage())

    def page_texts(self) -> list[str]:
        texts = []
        for page in self.pages:
            blocks = list(page.blocks)
            for note_id in dict.fromkeys(page.footnote_ids):
                note = self.footnotes[note_id]
                text = _clean(" ".join(self._runs_text(p, False, [], []) for p in note.iter(_W + "p")))
                if text:
                    blocks.append(f"{_superscript(str(self.footnote_numbers[note_id]))} {text}")
            texts.append("\n\n".join(blocks))
        return texts


def _open_docx(path: Path) -> Any:
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise IngestError(f"{path.name}: is an old binary Word (.doc) file; re-save it as .docx")
    try:
        return docx.Document(str(path))
    except zipfile.BadZipFile as exc:
        raise IngestError(f"{path.name}: is not a .docx file (not a zip archive: {exc})") from exc
    except (PackageNotFoundError, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        raise IngestError(f"{path.name}: is not a readable Word .docx file ({type(exc).__name__}: {exc})") from exc


def load_docx(path: Path) -> list[PageText]:
    """The document's text in the corpus markup: one page (page=None) unless it records page breaks.

    Pages follow Word's last rendered page breaks when the file has them (files
    saved by Word), else explicit page breaks.
    """
    document = _open_docx(path)
    body = document.element.body
    has_rendered = next(body.iter(_W + "lastRenderedPageBreak"), None) is not None
    reader = _DocxReader(document, "lastRenderedPageBreak" if has_rendered else "br")
    reader.body(body)
    texts = reader.page_texts()
    if len(texts) == 1:
        return [PageText(None, texts[0])]
    return [PageText(i, text) for i, text in enumerate(texts, start=1)]


# -- HTML -----------------------------------------------------------------

_HTML_DROP = ["script", "style", "nav", "noscript", "template", "head", "svg", "iframe", "button"]
_HTML_BLOCKS = {
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "aside",
    "blockquote",
    "figure",
    "figcaption",
    "address",
    "body",
    "html",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "pre",
    "hr",
    "center",
    "form",
    "fieldset",
    "details",
    "summary",
    "caption",
}
_FOOTNOTE_ID = re.compile(r"^(?:fn|footnote|note|endnote)[-_:]?(\d{1,3})$", re.I)
_BACKREF = re.compile("[↩\ufe0e\ufe0f]")


class _HtmlWriter:
    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.buf: list[tuple[str, bool]] = []

    def flush(self) -> None:
        text = _clean("".join(t for t, _ in self.buf), keep_tabs=False)
        inked = [bold for t, bold in self.buf if t.strip()]
        self.buf = []
        if text:
            self.blocks.append(_paragraph_markup(text, bold=bool(inked) and all(inked)))

    def inline(self, el: bs4.Tag, *, skip_lists: bool = False) -> str:
        parts: list[str] = []
        for child in el.children:
            if isinstance(child, bs4.element.NavigableString):
                if type(child) is bs4.element.NavigableString:
                    parts.append(str(child))
            elif isinstance(child, bs4.Tag):
                name = child.name
                if skip_lists and name in ("ul", "ol"):
                    continue
                if name == "sup":
                    parts.append(_sup_text(child))
                elif name == "br" or name in _HTML_BLOCKS or name in ("li", "td", "th", "tr", "table"):
                    parts.append(" " + self.inline(child, skip_lists=skip_lists) + " ")
                else:
                    parts.append(self.inline(child, skip_lists=skip_lists))
        return "".join(parts)

    def walk(self, el: bs4.Tag, bold: bool = False) -> None:
        for child in el.children:
            if isinstance(child, bs4.element.NavigableString):
                # Comments, doctypes and CDATA are NavigableString subclasses; skip them.
                if type(child) is bs4.element.NavigableString:
                    self.buf.append((str(child), bold))
                continue
            if not isinstance(child, bs4.Tag) or child.has_attr("hidden"):
                continue
            name = child.name
            if re.fullmatch(r"h[1-6]", name):
                self.flush()
                text = _clean(self.inline(child), keep_tabs=False)
                if text:
                    self.blocks.append("#" * int(name[1]) + " " + text)
            elif name == "li":
                self.flush()
                self.list_item(child)
            elif name == "table":
                self.flush()
                self.table(child)
            elif name == "br":
                self.flush()
            elif name == "sup":
                self.buf.append((_sup_text(child), bold))
            elif name in _HTML_BLOCKS:
                self.flush()
                self.walk(child, bold)
                self.flush()
            else:
                self.walk(child, bold or name in ("b", "strong"))

    def list_item(self, li: bs4.Tag) -> None:
        text = _clean(_BACKREF.sub("", self.inline(li, skip_lists=True)), keep_tabs=False)
        note = _FOOTNOTE_ID.match(str(li.get("id") or ""))
        if text and note:
            self.blocks.append(f"{_superscript(note.group(1))} {text}")
        elif text:
            self.blocks.append("- " + text)
        for sub in li.find_all(["ul", "ol"], recursive=False):
            self.walk(sub)

    def table(self, table: bs4.Tag) -> None:
        rows = []
        for tr in table.find_all("tr"):
            if tr.find_parent("table") is not table:
                continue
            cells = tr.find_all(["td", "th"], recursive=False)
            texts = [_clean(self.inline(c), keep_tabs=False) for c in cells]
            if any(texts):
                rows.append(" | ".join(texts))
        if rows:
            self.blocks.append("\n".join(rows))


def _sup_text(sup: bs4.Tag) -> str:
    text = sup.get_text().strip()
    m = re.fullmatch(r"\[?(\d{1,3})\]?", text)
    return _superscript(m.group(1)) if m else text


def load_html(path: Path) -> list[PageText]:
    """The page's text in the corpus markup, as one PageText with page=None."""
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise IngestError(f"{path.name}: looks like binary data, not HTML")
    with warnings.catch_warnings():
        # XHTML exports start with an XML declaration; reading them as HTML is what we want.
        warnings.simplefilter("ignore", bs4.XMLParsedAsHTMLWarning)
        soup = bs4.BeautifulSoup(data, "html.parser")
    for tag in soup(_HTML_DROP):
        tag.decompose()
    writer = _HtmlWriter()
    writer.walk(soup)
    writer.flush()
    return [PageText(None, "\n\n".join(writer.blocks))]
