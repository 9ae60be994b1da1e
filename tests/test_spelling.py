"""Misspelt query words are corrected to the library's own words; real words are left alone."""

from __future__ import annotations

import pytest

from index.retrieval import Filters
from index.spelling import Speller, american, edit_distance

LIBRARY = [
    "The health visitor saw the father twice. Domestic abuse was not explored.",
    "Chronic neglect was not recognised; the chronology was incomplete. Safeguarding partners agreed.",
    "Professional curiosity about the mother's partner was missing. The health visitor was not told.",
]


@pytest.fixture(scope="module")
def speller() -> Speller:
    return Speller.build(LIBRARY, known={"drag", "mileage", "claim"})


def test_edit_distance_counts_swaps_as_one_edit() -> None:
    assert edit_distance("health", "health") == 0
    assert edit_distance("helth", "health") == 1  # a dropped letter
    assert edit_distance("nelgect", "neglect") == 1  # two letters swapped
    assert edit_distance("neglact", "neglect") == 1
    assert edit_distance("profesional", "professional") == 1
    assert edit_distance("curiosty", "curiosity") == 1
    assert edit_distance("abc", "xyz") == 3


def test_misspelt_words_become_the_library_words(speller: Speller) -> None:
    assert speller.correct("helth visitor and domestc abuse") == "health visitor and domestic abuse"
    assert speller.correct("Nelgect and the chronolgy?") == "Neglect and the chronology?"  # case and punctuation kept
    assert speller.correct("safegaurding partners") == "safeguarding partners"
    # Long words may be two edits away.
    assert speller.correct("profesionl curiosity") == "professional curiosity"


def test_real_words_and_short_words_are_left_alone(speller: Speller) -> None:
    assert speller.correct("How do I claim mileage?") == "How do I claim mileage?"  # known, though not in the library
    assert speller.correct("The case drags on") == "The case drags on"  # an inflection of a known word
    assert speller.correct("radicalisation") == "radicalisation"  # no library word is that close
    assert speller.correct("fathr") == "father"
    assert speller.correct("fath") == "fath"  # too short to correct safely


def test_english_words_the_library_lacks_are_left_alone() -> None:
    speller = Speller.build(["In the middle of the night she reached no conclusions; rigor and a centre."])
    # English, though neither the library nor the embedding model's whole words have them.
    assert speller.correct("a total muddle") == "a total muddle"  # not "middle"
    assert speller.correct("febrile convulsions") == "febrile convulsions"  # not "conclusions"
    assert speller.correct("more rigour") == "more rigour"  # a British spelling, not a misspelt "rigor"
    assert speller.correct("midle and conclusons") == "middle and conclusions"  # typos are still corrected
    assert american("behaviours") == "behaviors" and american("criticised") == "criticized"
    assert american("paediatric") == "pediatric" and american("house") == "house"


def test_words_formed_from_library_words_are_left_alone() -> None:
    speller = Speller.build(["They may have been prosecuted; the case was criticised on submitting it."])
    # Another inflection of a library word's stem, the base of one, a prefix on one: English, not typos.
    assert speller.correct("prosecuting") == "prosecuting"  # not "protecting", which changes the question
    assert speller.correct("criticise resubmitting") == "criticise resubmitting"
    assert speller.correct("prosecuited") == "prosecuted"  # a typo is still corrected


def test_a_word_formed_from_a_library_word_is_one_the_library_knows(real_engine) -> None:  # type: ignore[no-untyped-def]
    from index.keyword import tokenize

    r = real_engine.retriever
    # The briefing says "submitting": a question about resubmitting is not about something the reviews lack.
    assert r.correct("keeps resubmitting") == "keeps resubmitting"
    assert r.known_share(tokenize("resubmitting")) == r.known_share(tokenize("submitting")) == 1.0
    assert r.known_share(tokenize("did anybody ever")) == 1.0  # filler, as "anything" is
    assert r.known_share(tokenize("fingerprinting")) == 0.0


def test_a_correction_keeps_the_first_letter() -> None:
    speller = Speller.build(["A cessation of contact was noted."])
    assert speller.correct("weeks gestation") == "weeks gestation"  # another word, not a misspelt "cessation"
    assert speller.correct("cesation") == "cessation"


def test_a_misspelt_question_gets_the_same_answer(real_engine) -> None:  # type: ignore[no-untyped-def]
    clean = real_engine.ask("What did the reviews say about the health visitor and neglect?", [], Filters())
    typed = real_engine.ask("What did the reveiws say about the helth visitor and neglact?", [], Filters())
    assert not typed.abstained
    assert [(c.review_id, c.label) for c in typed.citations] == [(c.review_id, c.label) for c in clean.citations]
    assert "health" in typed.query_used and "neglect" in typed.query_used  # the query that ran says so
    # A misspelt review name still finds the review.
    named = real_engine.ask("How old was Emilly when she was injured?", [], Filters())
    assert named.citations and {c.review_id for c in named.citations} == {"emily"}


def test_acronyms_are_left_alone(speller: Speller) -> None:
    assert speller.correct("What did CAMHS do?") == "What did CAMHS do?"
    assert speller.correct("Helth") == "Health"  # a capital stays


def test_contractions_typed_without_apostrophes_are_not_misspellings(real_engine) -> None:  # type: ignore[no-untyped-def]
    from index.keyword import tokenize

    # "wasnt" is one edit from "want": it must read as "wasn't", a stopword, not be "corrected".
    text = "who noticed Child Y wasnt in school? they dont know, theyre not sure"
    assert real_engine.retriever.correct(text) == (
        "who noticed Child Y wasn't in school? they don't know, they're not sure"
    )
    assert tokenize("wasnt dont theyre didnt") == tokenize("wasn't don't they're didn't") == []


def test_possessives_and_contractions_keep_their_apostrophe(speller: Speller) -> None:
    # The word before the apostrophe is what may be misspelt; a known one stays, apostrophe and all.
    assert speller.correct("the council's view, we're told, and the parents' notes") == (
        "the council's view, we're told, and the parents' notes"
    )
    assert speller.correct_word("Vistor's") == "Visitor's"
