"""Query understanding: review names under a review filter, and aliases."""

from __future__ import annotations

import pytest

from core.records import ReviewMeta
from index.query import question_part, review_aliases, strip_review_names
from index.retrieval import Filters

PH = ReviewMeta("child-p-h", "Child P and Child H", "ph.txt", ("Child P", "Child H"), type="Serious Case Review (SILP)")
Y = ReviewMeta("child-y", "Child Y", "y.txt", ("Child Y",), type="LCSPR")
CHILD_O = ReviewMeta("child-o", "Child O", "o.txt", ("Child O",), type="LCSPR")
BRIEF = ReviewMeta("dudley-chronic-neglect-briefing", "Chronic neglect", "n.txt", (), type="Learning briefing")
ALL = [PH, Y, CHILD_O, BRIEF]


def exchange(question: str, answer: str) -> list[dict[str, str]]:
    """A conversation of one question and its answer, as a request's history."""
    return [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]


@pytest.mark.parametrize(
    ("query", "named", "expected"),
    [
        (
            "What did the Child P and H review recommend about domestic abuse?",
            [PH],
            "What did the review recommend about domestic abuse?",
        ),
        (
            "What did Child P/H recommend about staff who meet refusal?",
            [PH],
            "What did recommend about staff who meet refusal?",
        ),
        # One child of a two-child review says which child: kept.
        ("Did Child P's mum have support?", [PH], "Did Child P's mum have support?"),
        ("In Child O’s case, who was in the core group?", [CHILD_O], "In case, who was in the core group?"),
        ("In the neglect briefing, what should MASH do?", [BRIEF], "In the neglect, what should MASH do?"),
        # Only the filtered review's names go; another review named stays in the query.
        ("Was Child Y's school like Child O's?", [Y], "Was school like Child O's?"),
        # Nothing left but the name: the query is kept as it was.
        ("Child Y", [Y], "Child Y"),
    ],
)
def test_filtered_review_names_leave_the_query(query: str, named: list[ReviewMeta], expected: str) -> None:
    assert strip_review_names(query, named, ALL) == expected


def test_letters_alone_are_not_stripped() -> None:
    # A single letter is a name only when joined to another child of the same review ("P and H").
    assert strip_review_names("Plan H: what about housing?", [PH], ALL) == "Plan H: what about housing?"


def test_aliases_name_children_id_and_unique_type() -> None:
    assert review_aliases(PH, ALL) == ["child p", "child h", "child p h", "silp"]
    # "lcspr" names two reviews here, so it names neither.
    assert "lcspr" not in review_aliases(Y, ALL)
    assert "briefing" in review_aliases(BRIEF, ALL)


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("What did the briefing say about GPs?", True),
        ("dudley neglect briefing - what should GPs do?", True),
        ("Dudley chronic neglect learning briefing - what's expected of GPs?", True),
        ("In the Dudley chronic neglect briefing, who should read it?", True),
        # The user's own briefing is not the review.
        ("I'm giving a lunchtime briefing on cumulative neglect. What are the main messages?", False),
        ("Doing a team briefing next week on escalation: what are the key lessons?", False),
    ],
)
def test_an_everyday_type_word_names_a_review_only_when_it_points_at_one(question: str, named: bool) -> None:
    from service.conversation import resolve

    assert resolve(question, [], ALL).review_ids == (["dudley-chronic-neglect-briefing"] if named else [])


def test_contractions_are_their_stopwords() -> None:
    from index.keyword import tokenize

    assert tokenize("I've been asked; it's what they'd done, didn't they? Children's services won't") == [
        "ask",
        "children",
        "servic",
    ]


def test_plural_acronyms_meet_their_glossary_and_synonyms() -> None:
    from index.keyword import tokenize
    from index.query import Glossary

    # "HVs" and "MARACs" are the reviews' "HV" and "MARAC"; "under-5s" is no word the library lacks.
    assert tokenize("GPs and HVs not passing info about under-5s in the 1990s") == ["gp", "hv", "pass", "info", "1990"]
    glossary = Glossary({"marac": "Multi-Agency Risk Assessment Conference"})
    assert "Multi-Agency Risk Assessment Conference" in glossary.expand("were the MARACs told?")
    assert "health visitor" in glossary.expand("did the HVs know?")
    # Two-letter acronyms that are no word are still acronyms in lower case; those that are words are not.
    from index.query import find_acronyms

    assert find_acronyms("why didnt the sw or our hv know about the dv?") == ["DV", "HV", "SW"]
    assert find_acronyms("la la land, ta, a pm meeting") == []
    # A word in capitals that is not a plural stays whole.
    assert tokenize("CAMHS was SLOW") == tokenize("camhs was slow")


def test_search_under_a_review_filter_drops_its_names(real_engine) -> None:  # type: ignore[no-untyped-def]
    retriever = real_engine.retriever
    q = retriever.expand("What did the Child P and H review recommend about domestic abuse?", Filters(["child-p-h"]))
    assert q.text == "What did the review recommend about domestic abuse"
    assert "child" not in q.terms
    unfiltered = retriever.expand("What did the Child P and H review recommend about domestic abuse?")
    assert "Child P and H" in unfiltered.text


def test_recommendation_questions_favour_recommendations(real_engine) -> None:  # type: ignore[no-untyped-def]
    from index.retrieval import is_recommendation

    retriever = real_engine.retriever
    query = "what should happen so that children whose parents never apply for a school place are not missed"
    plain = retriever.search(query, top_k=5)
    favoured = retriever.search(query, top_k=5, recommendations=True)
    count = lambda hits: sum(is_recommendation(h.paragraph) for h in hits)  # noqa: E731
    assert count(favoured) > count(plain)
    assert all(is_recommendation(h.paragraph) for h in favoured[:2])


def test_what_happened_to_the_child_asks_for_the_review_opening(real_engine) -> None:  # type: ignore[no-untyped-def]
    from service.answer import asks_what_happened

    reviews = list(real_engine.retriever.reviews.values())
    assert asks_what_happened("what actually happened to the baby in the Emily review?", reviews)
    assert asks_what_happened("What happened to Emily?", reviews)  # a child of the library
    assert asks_what_happened("Can you give me a one line summary of what happened to Child O?", reviews)
    assert asks_what_happened("So what was the case actually about?", reviews)
    # What happened to someone or something else is asked of the review's whole text.
    assert not asks_what_happened("what happened with Child H's mum and the urine samples?", reviews)
    assert not asks_what_happened("what happened to the referral after that?", reviews)
    assert not asks_what_happened("What happened to Alice?", reviews)  # no child of the library
    # The opening paragraphs come first, and are flagged for the answerer; the title page's credits are not one.
    retriever = real_engine.retriever
    hits = retriever.search("what happened to Child O?", top_k=5, filters=Filters(["child-o"]), opening=True)
    assert hits[0].opening and hits[0].paragraph.label.startswith("Case Synopsis")
    assert not any(
        h.opening for h in retriever.search("what happened to Child O?", top_k=5, filters=Filters(["child-o"]))
    )
    assert all(
        p.section != "Title page"
        for keys in retriever.openings.values()
        for p in (retriever.para_by_key[k] for k in keys)
    )


def test_only_questions_across_the_library_spread_over_reviews() -> None:
    from service.answer import spans_reviews

    assert spans_reviews("What do the reviews say about fathers?")
    assert spans_reviews("Did holidays cause problems in any of these cases?")
    assert not spans_reviews("What was recommended so that kids without a school place aren't missed?")
    # "They" are the reviews, unless one review is in focus: then they are its authors.
    assert spans_reviews("What did they say about housing?")
    assert not spans_reviews("What did they say about housing?", in_focus=True)


def test_what_a_review_wanted_done_is_what_it_recommended() -> None:
    from service.answer import question_kind

    assert question_kind("What did the Child O review want added to core group agendas?") == "recommendation"
    assert question_kind("What did the reviewers want the board to do about it?") == "recommendation"
    assert question_kind("ok and what did it want social care to do for those parents?") == "recommendation"
    assert question_kind("What did mum want from the health visitor?", in_focus=True) == "fact"  # not the review
    # "The learning" and "the lessons" are the library's, unless one review is in focus: then they are its own.
    assert question_kind("ok and from the HV side - what's the learning for us?") == "theme"
    assert question_kind("ok and from the HV side - what's the learning for us?", in_focus=True) == "fact"
    assert question_kind("what lessons do the reviews have for HVs?", in_focus=True) == "theme"
    assert question_kind("What did mum say they wanted from the school?", in_focus=True) == "fact"


def test_what_did_they_say_stays_with_the_review_in_focus() -> None:
    from service.conversation import resolve

    history = exchange(
        "In Child O's review, who was actually in the core group?",
        "Only two agencies: social care and the school.",
    )
    r = resolve("what did they say should happen when it's only those two round the table?", history, ALL)
    assert r.is_followup and r.review_ids == ["child-o"]
    themed = [{"role": "user", "content": "What do the reviews say about fathers?"}, HISTORY[1]]
    assert resolve("and what did they say about housing?", themed, ALL).review_ids == []


def test_an_acknowledgement_before_a_followup_is_not_its_words() -> None:
    from service.conversation import resolve

    history = exchange(
        "In the Child Y case, what happened when the school disagreed with MASH?",
        "The school and the school nurse challenged the MASH decision.",
    )
    r = resolve("good to hear. did the other reviews find people that willing to challenge?", history, ALL)
    assert r.is_followup and "child-y" not in r.review_ids and "good" not in r.query.lower()
    assert resolve("ok, and what about the GP?", history, ALL).query.startswith("what about the GP")
    assert resolve("jeez. and what about the GP?", history, ALL).query.startswith("what about the GP")
    # A word that only looks like one is kept.
    assert resolve("Right to privacy: what did they say?", history, ALL).query.startswith("Right to privacy")


def test_a_carried_topic_leaves_out_contracted_function_words() -> None:
    from service.conversation import resolve

    history = exchange(
        "In the Dudley neglect briefing, what's expected of GPs when they're worried and I'm sure it wasn't missed?",
        "GPs should complete a referral rather than rely on other agencies.",
    )
    words = resolve("why is that?", history, ALL).query.lower().split()
    assert "expected" in words and not {"they're", "i'm", "wasn't", "what's"} & set(words)
    history = exchange("what did the children's home manager say?", "Nothing is recorded.")
    assert "children's" in resolve("why was that?", history, ALL).query  # a possessive names a subject


def test_a_review_type_in_the_askers_introduction_names_no_review(real_engine) -> None:  # type: ignore[no-untyped-def]
    covid = "How did Covid affect things in these reviews?"
    _, _, filters = real_engine.prepare(
        f"I've just started as the partnership's independent scrutineer. {covid}", [], Filters()
    )
    assert not filters.review_ids  # who asks, not the scrutineer's response to Emily
    _, _, filters = real_engine.prepare("What did the scrutineer say about Covid?", [], Filters())
    assert filters.review_ids == ["emily"]
    _, _, filters = real_engine.prepare("As a DSL in Bradford, what happened to the baby?", [], Filters())
    assert filters.review_ids == ["emily"]  # a place still names its review


def test_a_carried_topic_is_what_was_asked_not_the_askers_own_case() -> None:
    from service.conversation import resolve

    history = exchange(
        "I'm a foster carer and had a lad placed with me for a week in similar circs once. In the Child O review, "
        "where is the child living now?",
        "Child O is currently living with maternal grandmother.",
    )
    words = resolve("and did anyone ask them what they wanted?", history, ALL).query.lower().split()
    assert "living" in words and not {"lad", "placed", "week", "circs"} & set(words)
    # Unless the question pointed back at the case it told of: then the case is the topic.
    history = exchange(
        "Youth justice worker, so I know community resolutions well. Was one used in the Child Y case?",
        "The review does not say.",
    )
    assert "resolutions" in resolve("could it be looked at again?", history, ALL).query


def test_a_contracted_question_word_leaves_no_stray_ending() -> None:
    from service.conversation import resolve

    history = exchange("what's the Dudley neglect briefing about?", "Learning from a case of chronic neglect.")
    r = resolve("who's it aimed at?", history, ALL)
    assert r.is_followup and r.query.startswith("it aimed at")


def test_anything_about_a_new_subject_leaves_the_last_topic() -> None:
    from service.conversation import resolve

    history = exchange(
        "what did the p and h review say about genograms",
        "No agency had drawn up a genogram in either case.",
    )
    r = resolve("ok, and was there anything about the housing worker?", history, ALL)
    assert r.is_followup and r.review_ids == ["child-p-h"]
    assert "genograms" not in r.query and "housing worker" in r.query


def test_a_question_naming_its_review_with_a_they_of_its_own_is_complete() -> None:
    from service.conversation import resolve

    history = exchange(
        "in child O, was mum honest with professionals about still seeing her partner?",
        "No. She denied being in contact with him.",
    )
    question = "does the dudley chronic neglect briefing say anything about parents who look like they're complying?"
    r = resolve(question, history, ALL)
    assert not r.is_followup and r.review_ids == ["dudley-chronic-neglect-briefing"] and "honest" not in r.query
    # Pointing back, or too short to stand alone, it still leans on the conversation.
    assert resolve("did the briefing say the same about them?", history, ALL).is_followup
    assert resolve("what did the briefing say they should do?", history, ALL).is_followup


HISTORY = exchange(
    "Who did the Child P and H review praise?",
    "Mainly the housing officer, for her persistence with Child P's mother.",
)


def test_a_complete_question_stays_with_the_review_in_focus() -> None:
    from service.conversation import resolve

    r = resolve("What did the health visitor do well, specifically?", HISTORY, ALL)
    assert r.review_ids == ["child-p-h"] and not r.is_followup
    assert r.query == "What did the health visitor do well, specifically?"  # no topic words carried


def test_naming_another_review_or_asking_across_the_library_leaves_the_focus() -> None:
    from service.conversation import resolve

    assert resolve("What did the health visitor do in Child Y?", HISTORY, ALL).review_ids == ["child-y"]
    assert resolve("What do the reviews say about health visitors?", HISTORY, ALL).review_ids == []
    assert resolve("Which cases had children left on their own?", HISTORY, ALL).review_ids == []
    assert resolve("What did the health visitor do well?", [], ALL).review_ids == []


def test_a_question_naming_its_own_review_carries_no_topic() -> None:
    from service.conversation import resolve

    # Wh-started and short, but it names its review and points back at nothing: not a follow-up.
    r = resolve("When was the Child O review published?", HISTORY, ALL)
    assert not r.is_followup and r.review_ids == ["child-o"] and r.query == "When was the Child O review published?"
    # Pointing back, or continuing, it still carries the topic to the review it names.
    for question in ("And in Child O?", "What about Child O?", "Did Child O say the same about her?"):
        r = resolve(question, HISTORY, ALL)
        assert r.is_followup and r.review_ids == ["child-o"] and "praise" in r.query, question


def test_a_question_that_changes_the_subject_or_only_seems_to_point_back_carries_no_topic() -> None:
    from service.conversation import resolve

    history = exchange(
        "In the Child Y review, who first took Child Y to the school?",
        "Child Y's father, with the family support worker.",
    )
    # Said to change the subject: complete, whatever words it shares with a pointing-back question.
    r = resolve("Changing tack: what do these reviews say about GPs sharing information?", history, ALL)
    assert not r.is_followup and "school" not in r.query and not r.review_ids
    r = resolve("Completely different case now: what did the ambulance service know in Child O?", history, ALL)
    assert not r.is_followup and r.review_ids == ["child-o"] and "school" not in r.query
    r = resolve("A different case now: what did the ambulance service know about the partner?", history, ALL)
    assert not r.is_followup and not r.review_ids  # not Child Y's any more
    r = resolve("On a different note, how did the health visitor try to see the child?", history, ALL)
    assert not r.is_followup and r.review_ids == ["child-y"] and "father" not in r.query
    # "that" joining a clause and "these reviews" point at nothing in the conversation.
    r = resolve("Which service actually discovered that the child wasn't in school at all?", history, ALL)
    assert not r.is_followup and r.review_ids == ["child-y"]
    # ...but "was that the right call?" does.
    assert resolve("Was that the right call according to the reviewer?", history, ALL).is_followup


def test_only_the_latest_history_turns_count(real_engine) -> None:  # type: ignore[no-untyped-def]
    from index.retrieval import Filters

    named_long_ago = exchange(
        "What did the Child Y review say about school places?",
        "It took 16 months for Child Y to start school.",
    )
    chat = [{"role": r, "content": f"turn {i}"} for i in range(30) for r in ("user", "assistant")]
    keep = real_engine.settings.answer.max_history_turns
    _, _, recent = real_engine.prepare("and what did it say about fathers?", named_long_ago + chat[-2:], Filters())
    _, _, stale = real_engine.prepare("and what did it say about fathers?", named_long_ago + chat[-keep:], Filters())
    assert recent.review_ids == ["child-y"] and not stale.review_ids


def test_the_other_reviews_take_the_topic_not_the_name_left_behind() -> None:
    from service.conversation import resolve

    emily = ReviewMeta("emily", "Emily", "e.txt", ("Emily",), type="CSPR")
    history = exchange(
        "In the Emily review, what happened when mum's boyfriend moved in?",
        "Nobody revisited the plan when he moved in.",
    )
    r = resolve("Did the other reviews find the same?", history, [*ALL, emily])
    assert r.is_followup and r.review_ids == ["child-p-h", "child-y", "child-o", "dudley-chronic-neglect-briefing"]
    assert "boyfriend" in r.query and "moved" in r.query
    assert "Emily" not in r.query


def test_asking_for_an_overview_carries_no_topic() -> None:
    from service.conversation import resolve

    history = exchange(
        "Can you give me a quick summary of what happened in the Child O review?",
        "Child O saw mother's partner stab her.",
    )
    r = resolve("what did mum say looking back about how workers should have approached her?", history, ALL)
    assert r.is_followup and r.review_ids == ["child-o"]
    assert not {"give", "quick", "summary"} & set(r.query.split())


def _hit(label: str, score: float):  # type: ignore[no-untyped-def]
    from core.records import Paragraph
    from index.retrieval import Hit

    return Hit(Paragraph("child-y", label, "section", "text", 1), f"c-{label}", score, 0.5, 0.0, 0.0)


def test_blend_adds_the_second_ranking_at_its_weight() -> None:
    from service.answer import blend

    primary = [_hit("1.1", 1.0), _hit("1.2", 0.9), _hit("1.3", 0.8)]
    secondary = [_hit("1.3", 1.0), _hit("2.1", 0.95), _hit("1.1", 0.5)]
    got = blend(primary, secondary, 0.5)
    scores = {h.paragraph.label: round(h.score, 3) for h in got}
    # 1.2 is missing from the second ranking and 2.1 from the first: each counts that ranking's lowest score.
    assert scores == {"1.1": 1.25, "1.3": 1.3, "1.2": 1.15, "2.1": 1.275}
    assert [h.paragraph.label for h in got] == ["1.3", "2.1", "1.1", "1.2"]
    assert primary[0].score == 1.0  # the inputs are not changed


# A follow-up with a topic of its own ("police") after a question about who saw Child Y.
SCHOOL_HISTORY = [
    {"role": "user", "content": "Apart from the school, who actually saw Child Y before they started school?"},
    {"role": "assistant", "content": "Hardly anyone: a CME officer on the doorstep, and a family support worker."},
]
POLICE_FOLLOWUP = "Did the police go round too?"


def test_a_followup_counts_its_own_words(real_engine, real_settings) -> None:  # type: ignore[no-untyped-def]
    from service.answer import ExtractiveAnswerer
    from service.conversation import resolve

    question = POLICE_FOLLOWUP
    resolved = resolve(question, SCHOOL_HISTORY, list(real_engine.retriever.reviews.values()))
    assert resolved.review_ids == ["child-y"] and "school" in resolved.query

    def top3(weight: float) -> list[str]:
        settings = real_settings.model_copy(deep=True)
        settings.retrieval.followup_own_weight = weight
        answerer = ExtractiveAnswerer(real_engine.retriever, settings)
        _, _, _, hits = answerer.retrieve(question, resolved.query, Filters(resolved.review_ids))
        return [h.paragraph.text for h in hits[:3]]

    assert any("police did not visit" in text for text in top3(0.3))
    assert not any("police did not visit" in text for text in top3(0.0))


def test_an_idiom_is_covered_by_its_meaning(real_engine) -> None:  # type: ignore[no-untyped-def]
    # "send another" is never in a paragraph; the neglect briefing's "not repeat MARF submissions into MASH" is what
    # it means (repeated referrals), so that paragraph covers the question's words.
    hits = real_engine.retriever.search(
        "I sent one in and I'm still worried. Should I just send another?",
        filters=Filters(["dudley-chronic-neglect-briefing"]),
    )
    repeat = next(h for h in hits[:5] if "repeat MARF" in h.paragraph.text)
    assert repeat.coverage > 0  # none of the question's own words is in it


def test_coverage_counts_what_is_asked_not_who_asks_or_chat(real_engine) -> None:  # type: ignore[no-untyped-def]
    # The health visitor's introduction, "I've got" and "anyway" ask for nothing, and "get her head round" is
    # "understand": the briefing's recommendation covers the question as fully with them as without.
    def coverage(question: str) -> float:
        hits = real_engine.retriever.search(question, filters=Filters(["dudley-chronic-neglect-briefing"]))
        return next(h.coverage for h in hits if h.paragraph.label == "Recommendation 3")

    plain = coverage("a mum with learning disabilities who can't understand the medication doses")
    chatty = "HV - I've got a mum with learning disabilities who can't get her head round the medication doses, anyway"
    assert plain > 0 and coverage(chatty) == plain


def test_who_a_review_is_meant_for_is_who_should_read_it(real_engine) -> None:  # type: ignore[no-untyped-def]
    hits = real_engine.retriever.search(
        "is the briefing even meant for me?", filters=Filters(["dudley-chronic-neglect-briefing"])
    )
    assert hits[0].paragraph.section == "WHO SHOULD READ THE BRIEFING?"
    from index.query import find_idioms

    assert find_idioms("who's it aimed at?") and not find_idioms("which recommendations were aimed at schools?")


def test_a_word_is_covered_by_its_synonyms(real_engine) -> None:  # type: ignore[no-untyped-def]
    # "dad" is in no paragraph of Child Y; the one on "Child Y's father" covers it.
    hits = real_engine.retriever.search("Child Y's dad", filters=Filters(["child-y"]))
    father = next(h for h in hits[:5] if "communication with Child Y's father" in h.paragraph.text)
    assert father.coverage == 1.0


def test_recommendations_about_a_topic_come_before_ones_that_name_none(real_engine, real_settings) -> None:  # type: ignore[no-untyped-def]
    from service.answer import ExtractiveAnswerer

    history = exchange("what did the reviews say about fathers?", "Found this theme in 3 of the library's reviews.")
    question, query, filters = real_engine.prepare("what did they recommend about that?", history, Filters())

    def first_quote(penalty: float) -> str:
        settings = real_settings.model_copy(deep=True)
        settings.answer.off_topic_penalty = penalty
        answer = ExtractiveAnswerer(real_engine.retriever, settings).answer(question, query, filters)
        return answer.citations[0].quote or ""

    # "...the following additional recommendations are made" says that something was recommended, not what.
    assert "fathers" in first_quote(0.15)
    assert "fathers" not in first_quote(0.0)


def test_a_theme_worded_unlike_every_review_counts_reviews_near_the_strongest(real_engine, real_settings) -> None:  # type: ignore[no-untyped-def]
    from service.answer import ExtractiveAnswerer

    # "Pushing back" on "a MASH decision" is worded like no review, so every review scores low; the neglect
    # briefing's professional challenge and resolution process still scores close to Child Y's escalation.
    question = "What do the reviews say about pushing back when you don't agree with a MASH decision?"
    question, query, filters = real_engine.prepare(question, [], Filters())

    def cited(relative_floor: float) -> set[str]:
        settings = real_settings.model_copy(deep=True)
        settings.answer.theme_relative_floor = relative_floor
        answer = ExtractiveAnswerer(real_engine.retriever, settings).answer(question, query, filters)
        return {c.review_id for c in answer.citations}

    assert cited(0.72) == {"child-y", "dudley-chronic-neglect-briefing"}
    assert cited(0.0) == {"child-y"}  # off: the absolute floor alone


def test_a_followups_answer_quotes_what_it_asks(real_engine, real_settings) -> None:  # type: ignore[no-untyped-def]
    from service.answer import ExtractiveAnswerer
    from service.conversation import resolve

    question = POLICE_FOLLOWUP
    resolved = resolve(question, SCHOOL_HISTORY, list(real_engine.retriever.reviews.values()))

    def answer(share: float) -> str:
        settings = real_settings.model_copy(deep=True)
        settings.answer.followup_own_share = share
        return (
            ExtractiveAnswerer(real_engine.retriever, settings)
            .answer(question, resolved.query, Filters(resolved.review_ids))
            .answer
        )

    assert "police" in answer(0.75).lower()
    assert "police" not in answer(0.0).lower()


def test_dense_score_is_the_cosine_however_a_paragraph_was_found(real_engine) -> None:  # type: ignore[no-untyped-def]
    # Chroma's candidates and those found by keyword or late interaction must share one dense measure,
    # else a paragraph's score jumps with whether it made Chroma's top k (and the ranking flips between runs).
    retriever = real_engine.retriever
    query = "what did the reviews say about fathers and male partners?"
    qvec = retriever.embed_query(query)
    hits = retriever.search(query, top_k=30, query_vec=qvec)
    via_chroma = {cid for cid, _ in retriever.dense_search(qvec, retriever.settings.retrieval.dense_k, Filters())}
    assert any(h.chunk_id in via_chroma for h in hits) and any(h.chunk_id not in via_chroma for h in hits)
    for h in hits:
        assert abs(h.dense - float(retriever.chunk_vecs[h.chunk_id] @ qvec)) < 1e-5


@pytest.mark.parametrize(
    "query",
    [
        "what did the reviews say about fathers?",
        "children missing education",
        "GP and health visitor liaison",
        "Claire's Law disclosure",
        "neglect that goes on for years",
    ],
)
def test_dense_search_finds_the_true_nearest_chunks(real_engine, query: str) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    retriever = real_engine.retriever
    assert retriever.store.chunks.configuration["hnsw"]["ef_search"] == retriever.settings.store.ef_search
    qvec = retriever.embed_query(query)
    ids = list(retriever.chunk_vecs)
    exact = np.stack([retriever.chunk_vecs[i] for i in ids]) @ qvec
    k = retriever.settings.retrieval.dense_k
    assert {cid for cid, _ in retriever.dense_search(qvec, k, Filters())} == {ids[i] for i in np.argsort(-exact)[:k]}


def test_everyday_words_for_the_reviews_words_are_known(real_engine) -> None:  # type: ignore[no-untyped-def]
    from index.keyword import tokenize

    r = real_engine.retriever
    # The reviews say "father" and "mother", never "dad" or "mum": practitioners' words are still known words,
    # so asking in them does not weaken the evidence an answer is judged on.
    assert not r.keyword.knows("dad") and not r.keyword.knows("mum")
    assert r.known_share(tokenize("dads mum kids")) == 1.0
    assert r.known_share(tokenize("mileage expenses claim")) < 1.0  # words the library lacks stay unknown
    # Asking is not content: "saying" stems to "say", a stopword, which the library never holds.
    assert r.known_share(tokenize("what are these reviews saying schools should do")) == 1.0
    # Nor is filler: "we've got families who say yes to everything" is about families saying yes.
    assert r.known_share(tokenize("we've got stuff like families who say yes to everything")) == 1.0
    assert r.known_share(tokenize("has anything changed on the police side?")) == 1.0
    # A stem spelt differently before a suffix is the same word: the reviews' "cancelled" stems to "cancell".
    assert not r.keyword.knows("cancel") and r.known_share(tokenize("families who cancel")) == 1.0
    assert not r.keyword.knows("college") and r.known_share(tokenize("our college")) == 1.0  # a school, to them
    # An idiom's words stand for the reviews' own ("out of the loop": information sharing).
    q = r.expand("GPs being out of the loop")
    assert not r.keyword.knows("loop") and r.known_share(q.terms, q.phrased) == 1.0


def test_shorthand_is_written_out_as_the_reviews_write_it(real_engine) -> None:  # type: ignore[no-untyped-def]
    from index.query import write_out_shorthand

    assert write_out_shorthand("what about schools, esp over the summer hols?") == (
        "what about schools, especially over the summer holidays?"
    )
    assert write_out_shorthand("Nan's info") == "grandmother's information"  # a possessive keeps its 's
    assert write_out_shorthand("school hols or xmas") == "school holidays or Christmas"
    assert write_out_shorthand("a nanny's notes") == "a nanny's notes"  # whole words only
    assert write_out_shorthand("what did the copper do? and her mam?") == "what did the police officer do? and her mum?"
    assert write_out_shorthand("any recs? a CIN enquiry not s47 tho") == (
        "any recommendations? a CIN enquiry not section 47 though"
    )
    # Texting, and contractions typed without their apostrophe.
    assert write_out_shorthand("wat did they say abt dads? y didnt the sw no, im a NQSW") == (
        "what did they say about dads? y didn't the sw no, I'm a NQSW"  # "y" alone may be Child Y
    )
    assert write_out_shorthand("whos it aimed at, shud i b4 the conf") == (
        "who's it aimed at, should i before the conference"
    )
    r = real_engine.retriever
    assert r.correct("mum's bf missed GP appts") == "mum's boyfriend missed GP appointments"
    assert not r.keyword.knows("boyfriend")  # the reviews say "partner"
    assert r.known_share(r.expand(r.correct("mum's new bf")).terms) == 1.0


def test_an_idiom_brings_in_the_reviews_words_one_way_only() -> None:
    from index.query import Glossary, find_idioms, idiom_words

    def phrase_words(text: str) -> frozenset[str]:
        return idiom_words(find_idioms(text))

    g = Glossary({})
    assert "information sharing" in g.expand("were GPs kept in the loop?")
    assert "communication" in g.expand("were GPs kept in the loop?")  # and the group of the words it stands for
    assert "disguised compliance" in g.expand("parents going through the motions")
    assert "missed" in g.expand("kids slipping through the net before school")
    assert "invisible" in g.expand("how long was Child Y off every agency's radar?")
    assert "not accepted" in g.expand("what if our MARFs keep getting knocked back?")
    assert {"discussed", "closed"} <= set(g.expand("did she run it past anyone before she shut it?"))
    assert "identified" in g.expand("who first picked up that she wasn't in school?")
    assert "identified" not in g.expand("dad picked up the baby")  # carried, not noticed
    assert "meeting" in g.expand("when it's only those two round the table")
    assert "disagreement" in g.expand("where can staff take everyday sticking points between agencies?")
    assert "home conditions" in g.expand("what do the reviews say about the state of the houses?")
    assert "joint visit" in g.expand("did police and social care go out together?")
    assert "isolated incidents" in g.expand("concerns dealt with one at a time")
    assert "repeated referrals" in g.expand("the same kid referred again and again")
    assert "court order or prosecution" in g.expand("why didn't the council just go to court and force them?")
    assert "co-sleeping" in g.expand("had the parents been warned about sleeping with the baby?")
    assert {"injured", "assaulted"} <= set(g.expand("who hurt Child O?"))  # what "hurt" is told as
    assert "seen" in g.expand("did anyone from CME actually clap eyes on the child?")
    assert "reliance" in g.expand("leaning on grandparents to keep kids safe")
    assert "relatives" in g.expand("leaning on grandparents to keep kids safe")  # a synonym group
    for cooperating in (
        "parents who look like they're going along with everything",
        "parents who seem to cooperate but nothing changes",
        "parents who look cooperative on the surface",
        "mum says yes to everything",
    ):
        assert "disguised compliance" in g.expand(cooperating), cooperating
    assert "disguised compliance" not in g.expand("parents who cooperate with the social worker")
    assert "repeated referrals" in g.expand("just keep sending them in?")
    assert "repeated referrals" in g.expand("I've sent one in and I'm still worried. Should I just send another?")
    assert "repeated referrals" in g.expand("if nothing happens, do we keep resubmitting?")
    assert "not pursued" in g.expand("were those calls brushed off?")
    assert "raised concerns" in g.expand("did the neighbours raise the alarm?")
    assert "raised concerns" in g.expand("toddler death neighbours ever raise alarm")  # a carried topic's words
    assert "involvement" in g.expand("is his real dad in the picture at all?")
    assert "co-sleeping" in g.expand("advice about sharing a bed with your baby")
    assert "interpreter" in g.expand("did he need someone to translate for him?")  # a synonym group
    assert "red book" in g.expand("has anything changed in the parent-held record?")
    assert "cooperation" in g.expand("parents who seem to be playing ball but aren't really")
    assert "escalation" in g.expand("did anyone push it up the chain?")
    assert "attend" in g.expand("agencies not turning up to core groups, everyone sends apologies")
    assert "identified" in g.expand("who noticed she wasn't in school?")  # a synonym group
    assert "wait" in g.expand("so did everyone just sit on their hands till it was signed off?")
    assert "developmental delay" in g.expand("a lad who's never been in any setting and is clearly way behind")
    assert "developmental delay" not in g.expand("what was behind the decision?")
    assert "challenge" in g.expand("why didn't the housing officer kick up more of a fuss?")
    # The reviews' words do not bring in the idiom: BM25 would only search for "loop" and "dark".
    assert not {"in the loop", "left in the dark"} & set(g.expand("information sharing between agencies"))
    assert {"slipp", "net"} <= phrase_words("kids slipping through the net")
    assert phrase_words("a net loss of staff") == frozenset()  # the words alone are no idiom


def test_an_idiom_means_the_same_to_the_dense_search(real_engine) -> None:  # type: ignore[no-untyped-def]
    r = real_engine.retriever
    q = r.expand("were GPs kept in the loop?")
    assert q.meant == ["information sharing"]
    assert r.dense_query(q) == "were GPs kept in the loop (information sharing)"
    assert r.dense_query(r.expand("were GPs told?")) == "were GPs told"  # no idiom, no addition


def test_a_synonym_phrase_brings_no_other_groups_word() -> None:
    from index.keyword import tokenize
    from index.query import Glossary, expansion_words

    def words(question: str) -> set[str]:
        return expansion_words(tokenize(question), Glossary({}).expand(question))

    fathers = words("what did the reviews say about fathers?")
    # "mother's partner" is a father-group phrase; its "mother" would match every sentence about the mother.
    assert {"father", "dad", "partner", "carer"} <= fathers and "mother" not in fathers
    assert "mother" in words("what about mum and her partner?")  # asked about, it stays


def test_children_named_together_name_their_review() -> None:
    from service.conversation import resolve

    history = exchange(
        "In the P and H review what did they say about the police sharing info?",
        "Officers failed to make referrals and share information.",
    )
    r = resolve("and the GPs?", history, ALL)
    assert r.is_followup and r.review_ids == ["child-p-h"]
    for named in ("P&H found supervision patchy: why?", "what did p/h say about housing?", "Child P and H: fathers?"):
        assert resolve(named, [], ALL).review_ids == ["child-p-h"], named
    assert resolve("Is there a plan A and B for housing?", [], ALL).review_ids == []


def test_acronyms_are_found_as_practitioners_type_them() -> None:
    from index.query import find_acronyms

    assert find_acronyms("got a SW in supervision, and the GPs and HVs?") == ["SW", "GP", "HV"]  # plurals singular
    assert find_acronyms("what do the reviews say about DoLS?") == ["DoLS"]
    assert find_acronyms("when do i go to the lado?") == ["LADO"]  # the field's own, typed in lower case
    assert find_acronyms("send it to the mash") == []  # ... unless they are words
    # Who asks is not what is asked about; shouting is not acronyms; chat and names are not acronyms.
    assert find_acronyms("As a DSL, what did Child O recommend about MARAC?") == ["MARAC"]
    assert find_acronyms("police sgt in MASH here - what happened to Child Y?") == []
    assert find_acronyms("As a school nurse what are my duties if a girl discloses FGM?") == ["FGM"]
    assert find_acronyms("WHAT DID THE REVIEWS SAY ABOUT FGM") == []
    assert find_acronyms("OK, and on YouTube at 3 PM?") == []


def test_topics_are_found_in_any_form_but_not_in_who_asks() -> None:
    from index.query import find_topics

    assert find_topics("is she being trafficked through county lines?") == ["county lines", "trafficking"]
    assert find_topics("teens self-harming") == ["self harm"]
    assert find_topics("FGM - female genital mutilation") == ["female genital mutilation"]  # the longest
    assert find_topics("mum adopted a different approach") == []  # "adopted" is not adoption
    assert find_topics("As a youth worker dealing with gangs, what about schools?") == []
    assert find_topics("what happened as a result of the gang's threats?") == ["gang"]
    assert find_topics("concealed/denied pregnancy or late booking") == ["denied pregnancy"]
    # The orders of the Children Act, named mid-sentence after an "as the" that introduces no one.
    assert find_topics("What do the reviews set out as the legal test for an Emergency Protection Order?") == [
        "emergency protection order"
    ]
    assert find_topics("Speaking as a parent: what about a child arrangements order?") == ["child arrangements order"]


def test_an_acronym_for_what_no_review_mentions_is_unheld(real_engine) -> None:  # type: ignore[no-untyped-def]
    r = real_engine.retriever
    # Held: in capitals ("IT", whose lower case is a stopword), or written out as the reviews write it.
    held = ("our SW says", "the DSLs", "the IT side", "SIDS risk factors", "the MARAC", "the LCSPR", "the TAF meeting")
    for question in held:
        assert r.expand(question).unheld == (), question
    assert r.keyword.knows("social") and not r.keyword.knows("sw")
    q = r.expand("a SW in supervision")
    assert r.known_share(q.terms, q.phrased) == 1.0 and "social worker" in q.expansions
    # Unheld: neither "LADO" nor "local authority designated officer" is anywhere in the library.
    assert r.expand("when do I need a LADO referral?").unheld == ("LADO",)
    assert r.expand("FGM and DoLS").unheld == ("FGM", "DoLS")
    assert r.expand("FGM (female genital mutilation) risk").unheld == ("FGM",)  # named once
    # An acronym whose meaning is not known here is only a word the library lacks, not a missing subject.
    assert r.expand("what do the reviews say about GPs? reviewing our XYZQ policy").unheld == ()
    # So is a topic of the field no review discusses, however everyday its words ("private", "fostering").
    assert r.expand("what do the reviews say about private fostering?").unheld == ("private fostering",)
    assert r.expand("a lad who might be trafficked").unheld == ("trafficking",)
    assert r.expand("a 17 year old in supported accommodation being criminally exploited").unheld == (
        "criminal exploitation",
        "supported accommodation",
    )
    assert r.expand("what do the reviews say about neglect and domestic abuse?").unheld == ()  # held topics
    assert r.expand("what was her DASH? any GDPR issues?").unheld == ("DASH",)  # the reviews weigh data protection
    assert r.expand("did the school get Operation Encompass calls?").unheld == ("operation encompass",)
    assert r.expand("a mad dash to the hospital").unheld == ()  # "dash" in lower case is a word
    # A question of the acronym alone, once "what do the reviews say about" is set aside, is not shouting.
    assert r.expand("What do the reviews say about SUDI?").unheld == ("SUDI",)
    assert r.expand("WHAT DID THEY SAY ABOUT LADO?").unheld == ()  # shouting: every word in capitals
    # No review says "coroner", but one gives the inquest's verdict: a coroner is no topic the library lacks.
    assert r.expand("what did the coroner decide about Child P's death?").unheld == ()


def test_what_the_asker_only_tells_of_is_not_asked_about(real_engine) -> None:  # type: ignore[no-untyped-def]
    told = "Been to two SUDIs this year, both co-sleeping. "
    assert question_part(told + "What did P and H recommend about co-sleeping advice?") == (
        "What did P and H recommend about co-sleeping advice?"
    )
    # Not when the question points back to what it tells, nor at an abbreviation's full stop.
    pointing = "We had a SUDI last month. Did any review look at that?"
    assert question_part(pointing) == pointing
    assert (
        question_part("Any guidance on FGM, e.g. before a trip abroad?")
        == "Any guidance on FGM, e.g. before a trip abroad?"
    )
    r = real_engine.retriever
    assert r.expand(told + "What did the Child P and Child H review recommend about co-sleeping?").unheld == ()
    assert r.expand(pointing).unheld == ("SUDI",)
    assert r.expand("Did any review look at a SUDI in the family?").unheld == ("SUDI",)
    answer = real_engine.ask(
        told + "What did the Child P and Child H review recommend about co-sleeping?", [], Filters()
    )
    assert not answer.abstained and any(c.label == "Recommendation 4" for c in answer.citations)
    # Nor does an account's wording count as words the library lacks; "these reviews" are the library's, not the
    # account's.
    account = "Cafcass FCA. I always want the parents' own account. "
    asked = "In these reviews did parents say why they didn't engage or what would've helped?"
    assert question_part(account + asked) == asked
    q = r.expand(account + asked)
    assert not {"cafcas", "alway", "account"} & set(q.asked_terms) and "engage" in q.asked_terms
    assert not real_engine.ask(account + asked, [], Filters()).abstained


def test_the_askers_introduction_is_not_a_word_the_library_lacks(real_engine) -> None:  # type: ignore[no-untyped-def]
    r = real_engine.retriever
    q = r.expand("I'm a kinship-type foster carer (my niece). What do the reviews say about mental health?")
    assert "kinship" in q.terms and q.asked is not None and "kinship" not in q.asked  # searched, not counted
    assert r.known_share(q.asked, q.phrased) == 1.0 > r.known_share(q.terms, q.phrased)
    assert r.expand("What do the reviews say about mental health?").asked == ["mental", "health"]


def test_a_question_about_what_no_review_mentions_abstains_naming_it(real_engine) -> None:  # type: ignore[no-untyped-def]
    answer = real_engine.ask(
        "when do i need to do a LADO referral if its a member of staff thats the concern?", [], Filters()
    )
    assert answer.abstained
    assert answer.answer.startswith(
        "None of the reviews in this library mentions LADO (local authority designated officer), so"
    )
    # The same question about what the reviews do cover is answered.
    assert not real_engine.ask(
        "When did the school make a referral to social care about Child Y?", [], Filters()
    ).abstained


def test_a_trainers_occasion_is_framing_not_topic() -> None:
    from index.retrieval import strip_framing

    stripped = strip_framing(
        "I'm putting together a twilight session for primary school DSLs. What should they take away from these "
        "reviews about the school's part in safeguarding?"
    )
    assert "twilight" not in stripped and "DSLs" not in stripped and "school's part in safeguarding" in stripped
    # The topic after "on" stays; so does one that names the session ("a 'think dad' session").
    assert strip_framing("Running a workshop for newly qualified social workers on the child's voice").startswith(
        "on the child's voice"
    )
    assert "think dad" in strip_framing("Putting together a 'think dad' training session. What about fathers?")
    assert "CP chairs" not in strip_framing("Disguised compliance - key learning? Want it for a CP chairs' session.")
    assert strip_framing("running a bath") == "running a bath"  # no occasion, nothing framed


def test_how_the_answer_should_be_put_is_framing(real_engine) -> None:  # type: ignore[no-untyped-def]
    from index.retrieval import strip_framing

    assert strip_framing("In plain terms, how old was the baby?") == "how old was the baby"
    assert strip_framing("in a nutshell what went wrong for Child Y?") == "what went wrong for Child Y"
    assert strip_framing("what does the plain English summary say?") == "what does the plain English summary say"
    q = real_engine.retriever.expand("In layman's terms, what happened to Child O?")
    assert not {"layman", "term"} & set(q.asked_terms)  # not words the library lacks


def test_framing_is_not_stripped_across_a_topic() -> None:
    from index.retrieval import strip_framing

    assert strip_framing("What do the reviews say about GPs?") == "GPs"
    assert strip_framing("what, if anything, did the reviews say about dads?") == "dads"
    # The topic named before the framing stays in the query that runs.
    assert "chronologies" in strip_framing("what about chronologies - does the neglect briefing say anything on that?")
    assert "chronologies" in strip_framing("what about chronologies; does the briefing say anything?")


def test_a_place_only_one_review_is_from_names_it() -> None:
    from dataclasses import replace

    from service.conversation import resolve

    emily = ReviewMeta("emily", "Emily", "e.txt", ("Emily",), area="Bradford", type="Scrutineer response")
    placed = [
        replace(PH, area="Dudley"),
        replace(Y, area="Dudley"),
        replace(CHILD_O, area="Hartlepool and Stockton-on-Tees"),
    ]
    reviews = [*placed, emily]
    assert "bradford" in review_aliases(emily, reviews)
    assert {"hartlepool", "stockton", "stockton-on-tees"} <= set(review_aliases(placed[2], reviews))
    assert "dudley" not in review_aliases(placed[1], reviews)  # home to two reviews: names neither
    history = exchange("In the Bradford review, what was the issue with schools?", "Schools should contribute...")
    assert resolve("what was the issue with schools?", [], reviews).review_ids == []
    r = resolve("what about the Hartlepool/Stockton one, were schools left out there too?", history, reviews)
    # The review switched to is the filter; the name of the one left behind is not carried.
    assert r.review_ids == ["child-o"] and "Bradford" not in r.query


def test_a_role_heading_the_question_is_who_asks() -> None:
    from index.query import find_acronyms, strip_self_introduction

    assert find_acronyms("IDVA - schools never know a pupil's mum has been to MARAC. Did the review say?") == ["MARAC"]
    assert "officer" not in strip_self_introduction("L&D officer. The Dudley review compares itself with which SCR?")
    assert "school nurse" in strip_self_introduction("the school nurse, was she told?")  # a subject put first
    assert "GP" in strip_self_introduction("agencies such as a GP or school")  # "as a" mid-sentence is no introduction
    assert "foster carer" not in strip_self_introduction("I'm asking as a foster carer: what about contact?")
    assert strip_self_introduction("Child Y - how long before the child started?").startswith("Child Y")
    assert find_acronyms("EWO - what do the reviews say about attendance and neglect?") == []
    # What the asker is preparing is not what they ask about; its subject ("on fathers") is.
    prepared = strip_self_introduction("I'm running a training session on fathers for school DSLs.")
    assert "session" not in prepared and "running" not in prepared and "on fathers for school DSLs" in prepared
    assert "slide" not in strip_self_introduction("For a slide I'm writing: how did Covid-19 affect visits?")
    # A role with where they work: "IRO in Bradford." names no topic, and IRO is no unheld acronym.
    assert find_acronyms("IRO in Bradford. What did the Emily report want to happen?") == []
    assert "ward" not in strip_self_introduction("HCA on a children's ward. Why did the review take so long?")
    assert "LSCP" not in find_acronyms("lscp bm. in emily what was the response on families moving address?")
    # "q", "quick one" after the role, and "I sit as a ..." are who asks too; so is all they add in that clause.
    assert strip_self_introduction("Midwife q - how many weeks was she?").strip() == "- how many weeks was she?"
    assert "quick" not in strip_self_introduction("ED nurse, quick one - emily review, how old was she?")
    sits = strip_self_introduction("I sit as a magistrate and we get attendance prosecutions. Was there a rec?")
    assert "prosecutions" not in sits and "Was there a rec?" in sits
    # "were" is a verb, not "we're": "what were the issues" introduces nobody; a curly apostrophe is one.
    asked = "In the Emily review what were the issues around schools?"
    assert strip_self_introduction(asked) == asked
    assert "DSL" not in strip_self_introduction("I’m a DSL, what about attendance?")
    # Where the asker works, to the end of its clause; not a longer "I'm in ..." that says what they are doing.
    assert "mental" not in strip_self_introduction("I'm in adult mental health, is the briefing meant for me?")
    assert "meeting" in strip_self_introduction("I'm in a meeting tomorrow about it - what do the reviews say?")
    # A role heading with what the asker is preparing, or the patch they cover; not what the piece is on.
    led = strip_self_introduction("ED consultant putting together NAI teaching. The Emily case - how old was she?")
    assert "teaching" not in led and "NAI" not in led and "how old was she?" in led
    assert "Dudley" not in strip_self_introduction("Probation officer, covering Dudley. Were there any recs?")
    assert "neglect" in strip_self_introduction("SW, covering two estates where neglect is common. Any learning?")
    on = strip_self_introduction("DSL running a session on neglect for staff. What are the key messages?")
    assert "neglect" in on


def test_a_followup_pointing_at_a_thing_by_its_noun_carries_the_answers_name_for_it() -> None:
    from index.query import write_out_shorthand
    from service.conversation import resolve

    history = exchange(
        "neglect briefing - what about when the same kid keeps getting referred into MASH?",
        "It says professionals should use the DSPP Professional Challenge and Resolution process instead.",
    )
    r = resolve("is there any training on that process?", history, [PH, Y, CHILD_O])
    assert r.is_followup and {"Professional", "Challenge", "Resolution"} <= set(r.query.split())
    assert write_out_shorthand("what about the weed they found?") == "what about the cannabis they found?"


def test_same_at_the_start_leans_on_the_last_turn() -> None:
    from service.conversation import resolve

    history = exchange("in the P and H review did GPs and HVs talk to each other?", "Not really...")
    r = resolve("same problem in child y?", history, [PH, Y, CHILD_O])
    assert r.is_followup and r.review_ids == ["child-y"] and "GPs" in r.query


def test_a_followup_carries_neither_the_askers_introduction_nor_loses_an_elliptical_turns_topic() -> None:
    from service.conversation import resolve

    history = exchange("Hi, I'm an IDVA covering Stockton. Was Child O's mum heard at MARAC?", "Yes, she was.")
    r = resolve("did she actually understand what all that meant at the time?", history, ALL)
    assert "MARAC" in r.query and "IDVA" not in r.query
    chain = exchange("did anyone use a genogram in the Child P and Child H cases?", "No agency prepared one.")
    chain += exchange("what did doing one show?", "How many men were involved.")
    # The last question names next to nothing: the topic it ran with carries on.
    assert "genogram" in resolve("what did they recommend about it?", chain, ALL).query
    # "what were the issues" is what was asked, not an introduction ("we're ..."): its topic carries.
    schools = exchange("In the Child Y review what were the issues around schools?", "School places were not taken up.")
    assert "schools" in resolve("has that actually been sorted since?", schools, ALL).query


def test_evidence_strong_enough_to_answer_is_answered(real_engine) -> None:  # type: ignore[no-untyped-def]
    # A recommendation question about one review, its evidence over the threshold, whose best review scores under
    # the thematic floor: the strongest review is quoted (it used to abstain with no closest paragraphs).
    history = exchange("What's the Emily review from Bradford about?", "A baby's non-accidental head injury.")
    history += exchange("was there drinking in the background?", "Yes, the mother's alcohol use dated from 2013.")
    question = "so did she make any recs about the quality of the social work itself?"
    q, query, filters = real_engine.prepare(question, history, Filters())
    strength, missing = real_engine.answerer.assess(q, query, filters)
    assert strength >= real_engine.settings.answer.abstain_threshold and missing is None
    answer = real_engine.ask(question, history, Filters())
    assert not answer.abstained and {c.review_id for c in answer.citations} == {"emily"}


def test_a_review_named_for_its_subject_is_named_by_it_before_a_word_for_a_document() -> None:
    from service.conversation import resolve

    named = "the dudley chronic neglect learning review - how old was the child?"
    assert resolve(named, [], ALL).review_ids == ["dudley-chronic-neglect-briefing"]
    assert resolve("in the dudley chronic neglect one how long was it?", [], ALL).review_ids == [BRIEF.id]
    # The subject alone is a topic, not the review.
    assert resolve("what do the reviews say about dudley chronic neglect?", [], ALL).review_ids == []
    assert resolve("dudley chronic neglect cases: what went wrong?", [], ALL).review_ids == []


def test_a_one_line_paragraph_holds_a_theme_by_what_it_says(real_engine) -> None:  # type: ignore[no-untyped-def]
    # The neglect briefing's learning points are one sentence each, so their vectors are mostly the briefing's
    # title ("Learning from a case of chronic neglect"); its Covid-19 learning point still holds the theme.
    question = "did covid / lockdown come up as a factor in any of these? thinking about all the doorstep visits we did"
    answer = real_engine.ask(question, [], Filters())
    briefing = [c.quote or "" for c in answer.citations if c.review_id == "dudley-chronic-neglect-briefing"]
    assert any("COVID-19" in quote for quote in briefing)
