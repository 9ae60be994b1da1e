"""Parse a review's text into the paragraphs a practitioner would cite.

The input is page texts in the light markup of ``ingest.loaders`` (converted
PDFs: ``#`` headings, ``**bold**``, ``- `` bullets, footnotes after ``---`` or
as lines starting with superscript digits, page breaks that cut paragraphs in
two). The output is ``Paragraph`` records with the review's own labels
(``3.24``, ``Recommendation 4``, ``Learning point 3``), a section path, the page,
and the footnotes each paragraph cites.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.records import TITLE_PAGE, Paragraph
from ingest.loaders import PageText

SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUP_TO_DIGIT = str.maketrans(SUPERSCRIPT_DIGITS, "0123456789")
SECTION_SEP = " › "

# A footnote definition: "⁴ text", "¹⁰ text", "<sup>4</sup> text".
_FOOTNOTE_DEF = re.compile(rf"^\s*(?:<sup>\s*(\d+)\s*</sup>|([{SUPERSCRIPT_DIGITS}]+))\s*(.*)$")
# A footnote reference inside body text.
_SUP_REF_TAG = re.compile(r"<sup>\s*(\d+)\s*</sup>")
_SUP_REF_UNI = re.compile(rf"(?<=[^\s{SUPERSCRIPT_DIGITS}])([{SUPERSCRIPT_DIGITS}]+)")
_SUP_OTHER = re.compile(r"</?sup>")
_HTML_TAGS = re.compile(r"</?(?:u|b|i|em|strong|span|br)\s*/?>", re.I)
_URL_ONLY = re.compile(r"^\s*<?(?:https?://|www\.)\S+>?\s*$")
_PRIVATE_USE = re.compile("[\ue000-\uf8ff\u200b\ufeff]")

# "3.24 text", "2.1.1. text", "6.36 Fathers and Males": a numbered paragraph or heading.
_DOTTED_LABEL = re.compile(r"^(\d{1,2}(?:\.\d{1,3}){1,3})\.?(?:\s+|$)(.*)$")
# "1 Introduction", "16 Recommendations", "8.0 Quality of ...": a numbered section heading.
_TOP_HEADING = re.compile(r"^(\d{1,2})(?:\.0?)?\.?\s+([A-Z][^.]*?)\s*$")
# "1. text" in a numbered list.
_LIST_NUMBER = re.compile(r"^(\d{1,2})[.)]\s+(.*)$")
# "Learning point 3: text", "Recommendation 4:", "[Recommendation 9] text".
_NAMED_LABEL = re.compile(
    r"^\[?\s*(Learning [Pp]oint|Recommendation|Finding|Lesson)\s+(\d{1,2})\s*\]?\s*[:.\-–]?\s*(.*)$"
)
_TOC_LINE = re.compile(r"\t\s*(?:page\s*)?\d{1,3}\s*$", re.I)
_BULLET = re.compile(r"^\s*(?:[-•●▪◦*]|\u2022)\s+")
# A numbered list item's start, on a line of its own after a finished sentence: "2. What were the barriers...".
_LIST_ITEM_START = re.compile(r"^\d{1,2}[.)]\s+[A-Z\"“‘']")
# How a finished line ends before such an item; not ')', which ends the cells of tables laid out as lines.
_ENDS = (".", "?", "!", ":", ";", '"', "”", "’")
# A definition item under a lead-in ending in ':' ("Time period ... shall focus:" then "Child P: 16 October 2012
# to 16 April 2015"): a short term, a colon, its value.
_TERM_ITEM = re.compile(r"^[A-Z][\w'’ ]{0,40}:\s+\S")
# A title-page credit or date, "Independent Reviewer: Jane Smith", "Date published: 2nd February 2022": short,
# so read as a heading if nothing said otherwise, yet it answers "who wrote the review?" and "when was it published?".
_CREDIT_LINE = re.compile(
    r"^(?:(?:independent|lead|overview|report)\s+)*(?:reviewers?|authors?|writers?|chair)\s*:\s*\S"
    r"|^(?:date(?:\s+of)?\s+publi(?:shed|cation)|publi(?:shed|cation date)|(?:final\s+)?report\s+date"
    r"|final\s+report|presented\s+to\b[^:]{0,80}|written\s+by|commissioned\s+by)\s*:\s*\S",
    re.I,
)
_SENTENCE_VERBS = {
    "should",
    "must",
    "is",
    "are",
    "was",
    "were",
    "will",
    "can",
    "could",
    "would",
    "has",
    "have",
    "had",
    "need",
    "needs",
    "did",
    "does",
    "do",
    "be",
}
_TERMINAL = (".", "!", "?", '"', "'", "”", "’", ")", ";")


_MD_LINK = re.compile(r"\[((?:[^\[\]\\]|\\.)+)\]\(([^()\s]*)\)")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>])")


def clean_inline(text: str) -> str:
    """Remove markup noise from a run of body text; keep the words."""
    text = _PRIVATE_USE.sub(" ", text)
    text = _HTML_TAGS.sub("", text)
    text = _SUP_OTHER.sub("", text)
    text = text.replace("**", "").replace("__", "")
    text = re.sub(r"(?<!\w)\*(?=\S)|(?<=\S)\*(?!\w)", "", text)
    text = re.sub(r"<(https?://[^>]+)>", r"\1", text)
    # A link as its words ("[17. Professional Challenge ... \(teescpp.org.uk\)](#)"), its address kept when it
    # has one; then punctuation the conversion escaped ("\(" for "(").
    text = _MD_LINK.sub(lambda m: m[1] if m[2] in ("", "#") else f"{m[1]} ({m[2]})", text)
    text = _MD_ESCAPE.sub(r"\1", text)
    text = text.replace("\t", " ")
    return re.sub(r"\s+", " ", text).strip()


def _extract_refs(text: str) -> tuple[str, list[int]]:
    """Pull footnote references out of body text; return the text and the numbers cited."""
    refs: list[int] = []

    def tag(m: re.Match[str]) -> str:
        refs.append(int(m.group(1)))
        return ""

    def uni(m: re.Match[str]) -> str:
        refs.append(int(m.group(1).translate(_SUP_TO_DIGIT)))
        return ""

    text = _SUP_REF_TAG.sub(tag, text)
    text = _SUP_REF_UNI.sub(uni, text)
    return text, refs


@dataclass
class _Para:
    label: str | None
    section: tuple[str, ...]
    page: int | None
    parts: list[str]
    refs: list[int] = field(default_factory=list)
    open_list: bool = False  # ends with ':' so following bullets belong to it

    @property
    def text(self) -> str:
        return clean_inline(" ".join(self.parts))


@dataclass
class _Line:
    text: str
    page: int | None


def _blocks(pages: list[PageText]) -> list[list[_Line]]:
    """Split pages into blank-line-separated blocks of lines, keeping each line's page."""
    blocks: list[list[_Line]] = []
    current: list[_Line] = []
    for page in pages:
        for raw in page.text.splitlines():
            if raw.strip() == "":
                if current:
                    blocks.append(current)
                    current = []
                continue
            current.append(_Line(raw.rstrip(), page.page))
        if current:  # a page end closes a block
            blocks.append(current)
            current = []
    return blocks


def _split_items(block: list[_Line]) -> list[_Line]:
    """Join wrapped lines; start a new item at each bullet, label, heading or footnote."""
    items: list[_Line] = []
    for line in block:
        stripped = line.text.strip()
        dotted = _DOTTED_LABEL.match(stripped)
        starts_item = bool(
            _BULLET.match(line.text)
            or (dotted and _is_label_start(dotted.group(2)))
            or _NAMED_LABEL.match(clean_inline(stripped))
            or stripped.startswith("#")
            or _FOOTNOTE_DEF.match(stripped)
            or _TOC_LINE.search(line.text)
        )
        # A markdown hard break (two trailing spaces) also ends a line of its own, as does a numbered list item
        # after a finished sentence ("...domestic abuse?" then "2. What were the barriers...").
        hard_break = bool(items) and items[-1].text.endswith("  ")
        list_item = bool(items) and bool(_LIST_ITEM_START.match(stripped)) and items[-1].text.rstrip().endswith(_ENDS)
        if not items or starts_item or hard_break or list_item:
            items.append(_Line(line.text, line.page))
        else:
            items[-1] = _Line(items[-1].text.rstrip() + " " + stripped, items[-1].page)
    return items


def _is_label_start(rest: str) -> bool:
    """Text after a number that starts a paragraph; "6.36 for more" is a wrapped cross-reference."""
    rest = clean_inline(rest)
    return not rest or not rest[0].islower()


def _is_bold_only(text: str) -> bool:
    t = text.strip()
    return bool(re.fullmatch(r"\*\*[^*]+\*\*:?", t)) or bool(re.fullmatch(r"<b>[^<]+</b>", t))


def _word_count(text: str) -> int:
    return len(text.split())


def _looks_like_title(text: str) -> bool:
    """A short standalone line that reads as a heading rather than a sentence."""
    t = text.strip().rstrip(":")
    if not t or _word_count(t) > 12 or len(t) > 100:
        return False
    if t.endswith((".", ",", ";")) or t[0].islower():
        return False
    if not (t[0].isupper() or t[0].isdigit() or t[0] in "'\"“‘"):
        return False
    # A finite verb makes it a sentence ("Children who miss appointments should be followed up").
    return not (set(t.lower().split()) & _SENTENCE_VERBS)


@dataclass
class _Heading:
    level: int
    title: str
    markdown: bool = False


class _ReviewParser:
    def __init__(self, review_id: str) -> None:
        self.review_id = review_id
        self.paras: list[_Para] = []
        self.footnotes: dict[int, str] = {}
        self.stack: list[_Heading] = []
        self.md_levels: list[int] = []
        self.last_footnote: int | None = None
        self.after_rule = False
        # The number the current numbered list would go on with, in its section: "4. How were the family
        # histories incorporated into assessments?" after items 1-3 is item 4, not a heading.
        self.next_item: tuple[tuple[str, ...], int] | None = None

    # -- sections ---------------------------------------------------------
    def _section(self) -> tuple[str, ...]:
        return tuple(h.title for h in self.stack)

    def _push_heading(self, level: int, title: str, markdown: bool = False) -> None:
        title, _ = _extract_refs(title)
        title = clean_inline(title).rstrip(":").strip()
        if not title:
            return
        # A plain title-page line never parents an explicit markdown heading.
        while self.stack and (self.stack[-1].level >= level or (markdown and not self.stack[-1].markdown)):
            self.stack.pop()
        self.stack.append(_Heading(level, title, markdown))

    # -- paragraphs -------------------------------------------------------
    def _add(self, label: str | None, text: str, page: int | None, section: tuple[str, ...] | None = None) -> None:
        body, refs = _extract_refs(text)
        stripped = clean_inline(body)
        if not stripped:
            return
        section = self._section() if section is None else section
        self.paras.append(_Para(label, section, page, [body], refs, open_list=stripped.endswith(":")))

    def _continue(self, text: str) -> None:
        body, refs = _extract_refs(text)
        para = self.paras[-1]
        para.parts.append(body)
        para.refs.extend(refs)
        para.open_list = clean_inline(body).endswith(":") or para.open_list

    def _last_unfinished(self) -> bool:
        """The previous paragraph stops mid-sentence, as happens at a page break."""
        if not self.paras:
            return False
        tail = self.paras[-1].text
        return bool(tail) and not tail.endswith(_TERMINAL) and not tail.endswith(":")

    # -- one item ---------------------------------------------------------
    def feed(self, item: _Line, prev_was_footnote: bool) -> bool:
        """Consume one item; return True if it was a footnote definition."""
        raw = item.text
        text = raw.strip()
        if text in ("---", "***", "___"):
            # A rule opens the footnote area at the foot of a page.
            self.after_rule = True
            return False
        if re.fullmatch(r"[-\s\t]+", text):
            return False
        if self.after_rule and not _FOOTNOTE_DEF.match(text):
            body_like = (
                text[:1].islower()
                or _BULLET.match(raw)
                or text.startswith("#")
                or _DOTTED_LABEL.match(text.replace("**", ""))
                or _NAMED_LABEL.match(clean_inline(text))
            )
            if not body_like:
                # A footnote carried over from the previous page: not body text.
                if self.last_footnote is not None:
                    self.footnotes[self.last_footnote] += " " + clean_inline(text)
                return True
            self.after_rule = False

        fn = _FOOTNOTE_DEF.match(text)
        if fn and not _BULLET.match(raw):
            num = int(fn.group(1) or fn.group(2).translate(_SUP_TO_DIGIT))
            self.footnotes[num] = clean_inline(fn.group(3))
            self.last_footnote = num
            return True
        if prev_was_footnote and _URL_ONLY.match(text) and self.last_footnote is not None:
            self.footnotes[self.last_footnote] += " " + clean_inline(text)
            return True

        # Tables of contents are not indexed.
        plain = clean_inline(text.lstrip("#").strip())
        if re.fullmatch(r"(?i)(table of )?contents", plain):
            return False
        if _TOC_LINE.search(raw) or re.fullmatch(r"(?i)section\s+page", plain):
            return False
        is_bullet = bool(_BULLET.match(raw))
        body = _BULLET.sub("", raw, count=1) if is_bullet else raw
        body = body.strip()

        # Markdown headings.
        md = re.match(r"^(#{1,6})\s+(.*)$", body)
        if md:
            self._heading_line(md.group(2), len(md.group(1)), item.page)
            return False

        cleaned = clean_inline(body)
        if not cleaned:
            return False

        # Named labels: "Learning point 3: ...", "Recommendation 4:", "[Recommendation 9] ...".
        named = _NAMED_LABEL.match(cleaned)
        if named and self._is_cross_reference(named.group(1), cleaned):
            self._continue(" " + body)
            return False
        if named and (named.group(3) or _word_count(cleaned) <= 3):
            label = f"{named.group(1).capitalize()} {named.group(2)}"
            rest = named.group(3).strip()
            if rest.startswith("**"):
                rest = rest.lstrip("*").strip()
            if rest:
                self._add(label, self._body_after_label(body, rest), item.page)
            else:
                # A heading-like label whose text is the next paragraph.
                self.paras.append(_Para(label, self._section(), item.page, [], []))
            return False

        # Dotted labels: "3.24 text" or a numbered heading "6.36 Fathers and Males".
        dotted = _DOTTED_LABEL.match(body.replace("**", "", 2) if body.startswith("**") else body)
        if dotted and _is_label_start(dotted.group(2)):
            label, rest = dotted.group(1), dotted.group(2).strip()
            rest_clean = clean_inline(rest)
            if not rest_clean:
                # "3.21 And:" style or an empty label line; keep as label with following text.
                self.paras.append(_Para(label, self._section(), item.page, [], []))
                return False
            if self._is_numbered_heading(rest, rest_clean):
                self._push_heading(self._level_for_label(label), f"{label} {rest_clean}")
                return False
            self._add(label, rest, item.page)
            return False

        numbered = _LIST_NUMBER.match(cleaned)
        continues_list = numbered is not None and self.next_item == (self._section(), int(numbered.group(1)))
        top = _TOP_HEADING.match(cleaned)
        heading_like = _word_count(cleaned) <= 10 and not cleaned.endswith((".", ":"))
        if top and heading_like and not continues_list and not is_bullet:
            self._push_heading(1, cleaned)
            return False

        if _CREDIT_LINE.match(cleaned) and not any(p.label for p in self.paras) and _word_count(cleaned) <= 30:
            # Before the first numbered paragraph: a title-page credit, a paragraph of its own ("Title page ¶1").
            self._add(None, body, item.page, section=(TITLE_PAGE,))
            return False

        # Bold-only or standalone title lines are headings, unless they continue a lowercase sentence.
        if not is_bullet and not cleaned[0].islower():
            if _is_bold_only(body) and _word_count(cleaned) <= 14:
                self._push_heading(self._plain_heading_level(), cleaned)
                return False
            caps = cleaned.isupper() and _word_count(cleaned) <= 12
            if caps or (
                _looks_like_title(cleaned)
                and not re.search(r"[.!?]\s", cleaned)
                and not _LIST_NUMBER.match(cleaned)
                and _word_count(cleaned) <= 8
                and not cleaned.endswith(":")
            ):
                self._push_heading(self._plain_heading_level(), cleaned)
                return False

        # Numbered list items: "1. text" is an item, "1. Short title" a numbered heading.
        if numbered:
            rest = self._strip_number(cleaned)
            if not continues_list and _looks_like_title(rest) and _word_count(rest) <= 8 and not rest.endswith("?"):
                self._push_heading(1, cleaned)
                return False
            if not (self.paras and self.paras[-1].open_list):
                n = int(numbered.group(1))
                self._add(self._list_label(n), self._strip_number(body), item.page)
                self.next_item = (self._section(), n + 1)
                return False

        # Anything else: a continuation, or a new unnumbered paragraph.
        term_item = bool(self.paras) and self.paras[-1].open_list and _TERM_ITEM.match(cleaned) is not None
        if (
            self.paras
            and (
                self._last_unfinished()
                or (self.paras[-1].open_list and (is_bullet or cleaned[0].islower() or cleaned[0] in "\"“'‘"))
                or (self.paras[-1].open_list and (term_item or numbered is not None))
                or cleaned[0].islower()
                or (self.paras[-1].open_list and cleaned.startswith(('*"', '"', "“")))
            )
            and self.paras[-1].section == self._section()
        ):
            self._continue(("\n- " if is_bullet or term_item else "\n" if numbered else " ") + body)
            return False
        if self.paras and not self.paras[-1].parts:
            # A label line waiting for its text ("Recommendation 1:" then the recommendation).
            self._continue(body)
            return False
        if self._after_numbered_paragraph():
            # In a numbered review, quotes and lists between two numbered paragraphs belong to the first.
            self._continue(("\n- " if is_bullet else " ") + body)
            return False
        self._add(None, body, item.page)
        return False

    def _after_numbered_paragraph(self) -> bool:
        if not self.paras:
            return False
        last = self.paras[-1]
        return (
            last.label is not None
            and _DOTTED_LABEL.match(last.label + " x") is not None
            and last.section == self._section()
        )

    def _is_cross_reference(self, kind: str, text: str = "") -> bool:
        """'Recommendation 8' in an analysis section points at a recommendation; it is not one."""
        if kind.lower() != "recommendation" or not self.paras:
            return False
        # "[Recommendation 1]. It may also..." closes a sentence of the paragraph before.
        if re.match(r"^\W*Recommendation\s+\d+\W*\.\s", text):
            return True
        in_recs = "recommend" in " ".join(self._section()).lower()
        return not in_recs and self._after_numbered_paragraph()

    def _body_after_label(self, body: str, rest: str) -> str:
        idx = body.find(rest[:20]) if rest else -1
        return body[idx:] if idx >= 0 else rest

    def _strip_number(self, body: str) -> str:
        return re.sub(r"^\s*\d{1,2}[.)]\s+", "", body)

    def _list_label(self, n: int) -> str:
        section = self.stack[-1].title if self.stack else ""
        low = section.lower()
        if "recommend" in low:
            return f"Recommendation {n}"
        if "learning" in low or "lesson" in low:
            return f"Learning {n}"
        if "outcome" in low:
            return f"Outcome {n}"
        return f"{section} {n}".strip() if section else str(n)

    def _is_numbered_heading(self, rest: str, rest_clean: str) -> bool:
        if _is_bold_only(rest) and _word_count(rest_clean) <= 10:
            return True
        if rest_clean.endswith((".", ",", ";", ":")) or _word_count(rest_clean) > 9:
            return False
        if rest_clean[0].islower():
            return False
        # "6.36 Fathers and Males", "5.24 Child P's Death", "6.119 What is ... strategy?"
        return bool(re.fullmatch(r"[A-Z0-9][\w'’&,()/\- ]*\??", rest_clean))

    def _level_for_label(self, label: str) -> int:
        return label.count(".") + 1

    def _plain_heading_level(self) -> int:
        # An unnumbered heading sits under the current numbered section, if any.
        if self.stack and re.match(r"^\d", self.stack[-1].title):
            return self.stack[-1].level + 1
        if self.stack and len(self.stack) >= 2 and re.match(r"^\d", self.stack[-2].title):
            return self.stack[-1].level
        return 1

    def _heading_line(self, title: str, hashes: int, page: int | None) -> None:
        cleaned = clean_inline(title)
        if not cleaned:
            return
        dotted = _DOTTED_LABEL.match(cleaned)
        top = _TOP_HEADING.match(cleaned)
        named = _NAMED_LABEL.match(cleaned)
        if named and self._is_cross_reference(named.group(1), cleaned):
            self._continue(" " + cleaned)
            return
        if named and not named.group(3):
            # "#### Recommendation 8" is a label whose text follows.
            label = f"{named.group(1).capitalize()} {named.group(2)}"
            if "recommend" in " ".join(self._section()).lower() or self.stack == []:
                self.paras.append(_Para(label, self._section(), page, [], []))
                return
            self._push_heading(self._plain_heading_level(), cleaned)
            return
        if dotted:
            self._push_heading(self._level_for_label(dotted.group(1)), cleaned)
        elif top:
            self._push_heading(1, cleaned)
        else:
            # Unnumbered markdown headings nest by their '#' depth beneath numbered ones.
            if self.stack and re.match(r"^\d", self.stack[0].title):
                level = self._plain_heading_level() if hashes >= 2 else 1
            else:
                level = hashes
            self._push_heading(level, cleaned, markdown=True)

    # -- output -----------------------------------------------------------
    def result(self) -> list[Paragraph]:
        out: list[Paragraph] = []
        seen: dict[str, int] = {}
        ordinal_in_section: dict[tuple[str, ...], int] = {}
        for para in self.paras:
            text = para.text
            if not text:
                continue
            if para.label is None:
                n = ordinal_in_section.get(para.section, 0) + 1
                ordinal_in_section[para.section] = n
                name = para.section[-1] if para.section else "Front matter"
                label = f"{name} ¶{n}"
            else:
                label = para.label
            if label in seen:
                seen[label] += 1
                label = f"{label} ({seen[label]})"
            else:
                seen[label] = 1
            notes = tuple(f"{n} {self.footnotes[n]}" for n in dict.fromkeys(para.refs) if n in self.footnotes)
            out.append(
                Paragraph(
                    review_id=self.review_id,
                    label=label,
                    section=SECTION_SEP.join(para.section),
                    text=text,
                    ordinal=len(out) + 1,
                    page=para.page,
                    footnotes=notes,
                )
            )
        return out


def parse_review(pages: list[PageText], review_id: str) -> list[Paragraph]:
    """Parse one review into citable paragraphs, in document order."""
    parser = _ReviewParser(review_id)
    prev_fn = False
    for block in _blocks(pages):
        for item in _split_items(block):
            prev_fn = parser.feed(item, prev_fn)
    return parser.result()


def first_heading(pages: list[PageText]) -> str | None:
    """The document's first heading-like line, used as a title when no manifest entry exists."""
    for block in _blocks(pages):
        for item in _split_items(block):
            text = clean_inline(item.text.lstrip("#").strip())
            if text and _word_count(text) <= 16 and not _FOOTNOTE_DEF.match(item.text.strip()):
                return text
    return None
