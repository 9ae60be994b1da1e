"""The parser produces the paragraphs a practitioner would cite, from the real corpus text."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.records import Paragraph
from ingest.loaders import PageText, load_pages
from ingest.parser import parse_review

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def parse(name: str) -> dict[str, Paragraph]:
    paras = parse_review(load_pages(CORPUS / name), "r")
    return {p.label: p for p in paras}


@pytest.fixture(scope="module")
def child_y() -> dict[str, Paragraph]:
    return parse("dudley-2022-child-y-lcspr.txt")


@pytest.fixture(scope="module")
def child_ph() -> dict[str, Paragraph]:
    return parse("dudley-2017-child-p-and-h-silp-serious-case-review.txt")


def test_paragraph_broken_by_page_break_and_footnotes_is_rejoined(child_y: dict[str, Paragraph]) -> None:
    p = child_y["3.4"]
    assert p.text.startswith("Local authorities have a duty under section 436a")
    assert "was not attending school and had no school place" in p.text
    assert p.text.endswith("improve awareness of the application process and timescales.")
    assert "nearly seven years old" in p.text
    assert "Four groups were organised" not in p.text  # footnote 4 is not body text
    assert p.footnotes == ("6 For example formally being home schooled.",)
    assert p.section == "3 The Learning"


def test_named_labels_and_learning_points(child_y: dict[str, Paragraph]) -> None:
    assert child_y["Learning point 1"].text.startswith("When a young child is 'missing from education'")
    assert child_y["Recommendation 4"].text.startswith("The DSPP to request that the LEA Admissions Team")
    assert child_y["Recommendation 1"].section == "4 Conclusion and recommendations"


def test_contents_page_is_not_indexed(child_y: dict[str, Paragraph]) -> None:
    assert not any("page 11" in p.text for p in child_y.values())


def test_title_page_credits_are_citable_paragraphs(child_y: dict[str, Paragraph]) -> None:
    # Short "Key: value" lines on a title page would otherwise be read as headings, and "who wrote it?" lost.
    assert child_y["Title page ¶1"].text == "Independent Reviewer: Nicki Pettitt"
    assert child_y["Title page ¶2"].text == "Date published: 2nd February 2022"
    assert child_y["Title page ¶1"].section == "Title page"
    pages = [PageText(None, "Overview Report\n\nLead Reviewer: A. Smith\n\n1 Introduction\n\n1.1 Text.\n\nAuthor: B\n")]
    paras = parse_review(pages, "r")
    assert [p.text for p in paras][:2] == ["Lead Reviewer: A. Smith", "Text."]
    # After the first numbered paragraph, such a line is no longer a title-page credit.
    assert "Author: B" not in [p.text for p in paras]


def test_numbered_heading_sections(child_ph: dict[str, Paragraph]) -> None:
    assert "6.36" not in child_ph  # a heading, not a paragraph
    for label in ("6.37", "6.40", "6.52"):
        assert child_ph[label].section == "6 Analysis by Themes › 6.36 Fathers and Males"
    assert child_ph["6.167"].section.endswith("6.166 Mental Ill Health & Disabilities")


def test_footnotes_after_rules_are_attached_not_inlined(child_ph: dict[str, Paragraph]) -> None:
    p = child_ph["6.38"]
    assert "Coventry Local Safeguarding Children Board" not in p.text
    assert any("Coventry" in f for f in p.footnotes)
    # A footnote carried onto the next page stays out of the paragraph it interrupts.
    assert child_ph["6.78"].text.endswith("never be approached by any professionals.")
    assert "Poppy Widdowson" not in child_ph["6.78"].text


def test_cross_reference_is_not_a_label(child_ph: dict[str, Paragraph]) -> None:
    recs = [label for label in child_ph if label.startswith("Recommendation")]
    assert recs == [f"Recommendation {n}" for n in range(1, 10)]
    assert all(child_ph[r].section == "16 Recommendations" for r in recs)
    assert "Recommendation 3:" in child_ph["6.129"].text  # quoted from an earlier review, inside 6.129


def test_markup_noise_removed(child_ph: dict[str, Paragraph]) -> None:
    for p in child_ph.values():
        assert "**" not in p.text and "<sup>" not in p.text


def test_unnumbered_reviews_get_stable_section_labels() -> None:
    o = parse("hartlepool-stockton-2021-child-o-lcspr.txt")
    assert "Professional Challenge ¶1" in o
    # A converted link reads as its words, without the escapes: "...Professional Disagreement (teescpp.org.uk)".
    challenge = o["Professional Challenge ¶1"].text
    assert "Disagreement (teescpp.org.uk) [Recommendation 13]" in challenge and "\\" not in challenge
    assert o["Recommendation 12"].text == "A robust flagging process for Children In Need"
    briefing = parse("dudley-chronic-neglect-practitioner-briefing.txt")
    assert briefing["Learning 3"].text.startswith("Where there are noticeable safeguarding concerns, GP's must")
    assert briefing["Recommendation 6"].text == "The learning is shared across the partnership."


def test_number_inside_sentence_is_not_a_label() -> None:
    pages = [PageText(None, "1 Introduction\n\n1.1 First point, see\n6.36 for more on this.\n\n1.2 Second point.\n")]
    labels = [p.label for p in parse_review(pages, "r")]
    assert "1.1" in labels and "1.2" in labels


def test_definition_items_belong_to_their_lead_in(child_ph: dict[str, Paragraph]) -> None:
    # "Time period on which agency reports shall focus:" then "**Child P:** 16 October 2012 to ...": the dates
    # are what the lead-in introduces, so one citable paragraph holds both.
    p = child_ph["SCOPE ¶3"]
    assert p.text.startswith("Time period on which agency reports shall focus:")
    assert p.text.endswith("- Child P: 16 October 2012 to 16 April 2015 - Child H: 1 January 2014 to 10 April 2015")
    assert "SCOPE ¶4" not in child_ph
    # A sentence that merely contains a colon after an ordinary paragraph still starts its own paragraph.
    pages = [PageText(None, "## Section\n\nThe panel met twice.\n\nNote: the family declined to take part.\n")]
    texts = [p.text for p in parse_review(pages, "r")]
    assert texts == ["The panel met twice.", "Note: the family declined to take part."]


def test_numbered_list_items_are_their_own_paragraphs(child_ph: dict[str, Paragraph]) -> None:
    # Ten terms of reference, one per line with no blank lines between: each is a citable item, and a short
    # question-like item ("4. How were the family histories incorporated into assessments?") is item 4 of
    # the list, not a heading.
    tor = [child_ph.get(f"ORIGINAL TERMS OF REFERENCE {n}") for n in range(1, 11)]
    assert all(tor)
    assert tor[3] is not None and tor[3].text == "How were the family histories incorporated into assessments?"
    assert tor[4] is not None and tor[4].section.endswith("ORIGINAL TERMS OF REFERENCE")
    # Items after a lead-in ending in ':' belong to the lead-in, as bullets do.
    lead = child_ph["FURTHER AREAS TO BE CONSIDERED ADDED DURING THE REVIEW ¶1"]
    assert lead.text.startswith("Reflecting on the integrated chronology")
    assert "3. What revised recommendations can be formulated" in lead.text
    # A wrapped line that starts with a number is not an item.
    pages = [PageText(None, "## Section\n\nThe family had moved house in\n2015 and again in 2016.\n")]
    assert [p.text for p in parse_review(pages, "r")] == ["The family had moved house in 2015 and again in 2016."]
