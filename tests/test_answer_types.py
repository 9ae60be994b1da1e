"""The kind of value a question asks for: sentences holding one are preferred; none at all means abstaining."""

from __future__ import annotations

import pytest

from core.settings import Settings
from index.retrieval import Filters
from service.answer_types import counted, expected_type


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("How old was Child Y when they started school?", "age"),
        ("At what age can a child be left home alone?", "age"),
        ("How old was Child P's mum when she had her first baby?", "age"),
        ("How much money did the family owe?", "money"),
        ("How much did the new service cost?", "money"),
        ("How long was the child in foster care?", "duration"),
        ("For how many years was nobody seeing the child?", "duration"),
        ("How many weeks did the family wait for a school place?", "duration"),
        ("How many police incidents involved mum?", "count"),
        ("On what date did the attack happen?", "date"),
        ("Which year was the review published?", "date"),
        ("Was anyone charged over the baby's injury?", "criminal outcome"),
        ("Who was found responsible, and was anyone prosecuted?", "criminal outcome"),
        ("What sentence did mum's partner get?", "sentence"),
        ("what did he get sentenced to for it", "sentence"),
        ("How long did he get?", "prison term"),  # a prison sentence, not a stretch of time
        ("How long was he sent down for?", "prison term"),
        ("He'd just come out of prison for theft. How long was that sentence?", "prison term"),
        ("How did the family court case turn out?", "court outcome"),
        ("Has the family court given nan an SGO in the end?", "court outcome"),
        ("how long was he in for?", "duration"),  # in hospital, as often as in prison
        ("How long was he in hospital for?", "duration"),
        ("What overall grade did Ofsted give the council's children's services?", "inspection rating"),
        ("What was children's social care rated by Ofsted at the time?", "inspection rating"),
        ("What overall judgement did Ofsted give Dudley at the 2016 inspection?", "inspection rating"),
        ("Which country is dad originally from?", "origin"),
        ("What nationality was mum's partner?", "origin"),
        ("Which antidepressant was mum on, and what dose?", "medication"),
        ("What was the medication he kept asking for?", "medication"),
        ("Did the baby make a full recovery?", "recovery"),
        ("Has she been left with lasting damage?", "recovery"),
        ("What school was it?", "school name"),
        ("What's the name of the primary school the child started at?", "school name"),
        ("Did NICE ever respond to the recommendation and change its guidance?", "later change"),
        ("Has that pilot been evaluated yet?", "later change"),
        ("so what are they rated now?", "later change"),
        ("has that rule been changed since?", "later change"),
        ("Who was the independent author of the review?", "author"),
        ("who did they eventually get to write it?", "author"),
        ("how long did the partner get in prison for it?", "prison term"),
        ("what's the max fine a parent can get for that?", "money"),
        ("who got arrested for the baby's head injury?", "criminal outcome"),
        ("How many weeks pregnant was she when she booked in?", "gestation"),
        ("What gestation was Child H born at?", "gestation"),
        ("What DASH score do you need to refer to MARAC?", "score"),
        ("how do you actually score the graded care profile?", "score"),
        ("What was mum's actual mental health diagnosis?", "diagnosis"),
        ("What did the Section 175 audit find about the holidays?", "findings"),
        ("What did SafeLives conclude from their look at MARAC?", "findings"),
        ("What did the evaluation of the My Sisters Place / IRIS pilot in Middlesbrough find?", "findings"),
        ("did he ever get his immigration status sorted out?", "later change"),
        ("has the My Sisters Place / IRIS thing actually been rolled out in Stockton now?", "later change"),
        # A question of its own after asking what was recommended.
        ("What did they recommend, and has it actually been implemented since?", "later change"),
        ("how many child safeguarding practice reviews get published in England every year?", "national figure"),
        ("Which council in England had the most kids on child protection plans last year?", "national figure"),
        ("national figures - how many babies die a year where co-sleeping was a factor?", "national figure"),
        ("what did they recommend about attendance and how many days did Y miss?", "duration"),
        ("Was Child Y eventually taken into care?", "placement"),
        ("where is child o living now?", "placement"),
        ("Did Child Y end up in care proceedings or get removed in the end?", "placement"),
        ("were any of the social workers sacked or disciplined after he died", "disciplinary outcome"),
        ("did anyone lose their job over Emily?", "disciplinary outcome"),
        ("was the social worker suspended or dismissed?", "disciplinary outcome"),
        ("What was Child Y's attendance percentage once they did start school?", "percentage"),
        ("what % of parents said they lied about co-sleeping?", "percentage"),
        ("How would a mum go about applying for that herself, and how long does it take?", "application process"),
        ("how do parents apply for a school place?", "application process"),
        # Typed into a search box, the last word names what is wanted.
        ("child y school name", "school name"),
        ("neglect briefing rapid review date", "date"),
        ("dudley ofsted rating", "inspection rating"),
        ("what did Ofsted rate them at the next inspection, and when was it?", "inspection rating"),
    ],
)
def test_questions_that_ask_for_a_value(question: str, name: str) -> None:
    wanted = expected_type(question)
    assert wanted is not None and wanted.name == name


@pytest.mark.parametrize(
    "question",
    [
        "What did reviews say about fathers?",
        "How did the health visitor find out?",
        "How much did the family's housing problems matter?",  # "how much" without a sum
        "When did someone finally do a proper assessment?",  # answered by events as often as by dates
        "Who picked up on the neglect?",
        "How many reviews mention fathers?",  # counted by the grouped answer, not by a sentence
        "How many of the cases involved domestic abuse?",
        "Which year group was the child put in?",  # a class at school, not a date
        "Who was in charge of the case?",
        "What were the nursery's charges?",  # fees, not a prosecution
        "What judgement did the family court make?",  # a court's, not an inspectorate's
        "Was some kind of out-of-court disposal given?",  # the police's outcome, without a court
        "Where did the information come from that contradicted her?",  # a source, not a country
        "What drugs was mum using?",  # illicit drugs, not medicines
        "What did the school do when she stopped attending?",
        "What support did mum get with her recovery from alcohol misuse?",  # not asking whether anyone recovered
        "Did all that pushing back actually change anything?",  # an effect at the time, not a later change
        "So what did they recommend the Board actually do about getting recs implemented?",  # what was recommended
        "Which area in England was Child Y from?",  # a place, not a national figure
        # The topic of the recommendations asked for.
        "What did the SCR on Child P and Child H recommend around checking recs are actually implemented?",
        "What did the review say should change?",
        "Who was the chair who decided it wasn't a Serious Case Review?",  # a role's decision, not an author's name
        "What did the lead reviewer find about fathers?",  # the review's own findings
        "What did they find when they visited?",
        "I sit as a magistrate and we get attendance prosecutions. Was there a recommendation on attendance?",
        "What happened at that appointment and where did the referral go after?",  # a thing, not a child
        "child o core group membership",  # a search-box query naming no value
        "Why was the review suspended in 2020?",  # a piece of work, not a person
        "Was the allegation dismissed?",
        # The asker's own figures, not what is asked.
        "Our attendance figures have a few kids who are hardly ever in. Do the reviews link missing school to neglect?",
    ],
)
def test_questions_that_ask_for_no_particular_value(question: str) -> None:
    assert expected_type(question) is None


def test_what_holds_each_kind_of_value() -> None:
    def holds(question: str, sentence: str) -> bool:
        wanted = expected_type(question)
        assert wanted is not None
        return wanted.holds(sentence, question)

    assert holds("How old was she?", "By then Child Y was nearly seven years old.")
    national = "how much is the kinship carer allowance in England per week?"
    assert holds(national, "Nationally, an estimated 180,000 children are cared for by relatives.")
    assert not holds(national, "The national Panel published its annual report in May 2021.")  # a year
    # A regulation's number is its name, not a figure.
    assert not holds(national, "She was approved under Regulation 24 of the Care Planning (England) Regulations.")
    assert holds("what % of parents lied?", "In a survey involving 600 parents 46% said they lied to their GP.")
    assert not holds("what % of parents lied?", "Parents said they lied to their GP about co-sleeping.")
    assert holds("Was anyone sacked?", "The social worker was later dismissed following a disciplinary hearing.")
    assert not holds("Was anyone sacked?", "The case was closed without consideration of the risks.")
    # How to apply is told where a review describes the process, not where it says an application was made.
    apply = "How would a mum go about applying for one?"
    assert holds(apply, "It involves a parent putting in an application either on-line or using a written form.")
    assert not holds(apply, "A Claire's Law application was shared with mother following the MARAC meeting.")
    assert holds("Who was the independent author?", "Independent Reviewer: Jane Smith")
    assert not holds("Who was the independent author?", "There was a delay in finding an independent author.")
    assert holds("Has the policy changed since?", "It is positive that the policy has since changed.")
    # What the reviewer has since learnt of the time before is no change since; a status changed is one of it.
    status = "did he ever get his immigration status sorted out?"
    assert not holds(status, "It is now known that his precarious immigration status had an impact on his engagement.")
    assert holds(status, "His immigration status has since been resolved.")
    assert not holds(status, "The housing has since been resolved.")
    rolled = "has the My Sisters Place / IRIS thing actually been rolled out in Stockton now?"
    assert not holds(rolled, "The My Sisters Place / IRIS pilot to be replicated / rolled out within Stockton.")
    assert holds(rolled, "The My Sisters Place / IRIS pilot has since been rolled out within Stockton.")
    pilot = "What did the evaluation of the My Sisters Place / IRIS pilot find?"
    assert holds(pilot, "An evaluation of the IRIS pilot found that referrals rose.")
    assert not holds(pilot, "The My Sisters Place / IRIS pilot to be replicated / rolled out within Stockton.")
    assert not holds("Has the policy changed since?", "The CME team policy at the time was to close a case.")
    assert holds("How old was she?", "This case involved a 6 week old child.")
    assert not holds("How old was she?", "She started school in October 2020.")
    assert not holds("How old was the child?", "The term 'children' includes children up to 18 years of age.")
    assert holds("How many weeks pregnant was she?", "She booked at 22 weeks pregnant.")
    assert not holds("How many weeks pregnant was she?", "The conference was seven weeks after the visit.")
    assert holds("What DASH score was she?", "The DASH risk checklist gave a score of 14.")
    assert not holds("What DASH score was she?", "A DASH was completed and she was referred to MARAC.")
    assert holds("What was her diagnosis?", "She had a diagnosis of attention deficit hyperactivity disorder.")
    assert not holds("What was her diagnosis?", "Mother's mental health was a concern to the health visitor.")
    assert holds("What's the fine for that?", "Parents can be fined up to £2,500.")
    # An age asked of a relative is that relative's, not the child's.
    mum = "How old was Child P's mum when she had her first baby?"
    assert holds(mum, "Her mother was 17 years old at the time of the birth.")
    assert not holds(mum, "Child P was 2 years old and had been seen by the health visitor.")
    assert holds("Where is he living now?", "Child O now lives with their maternal grandmother.")
    assert not holds("Was she taken into care?", "She was the youngest of 6 children living with a single mother.")
    # Another body's findings: told of that body, not merely mentioned.
    audit = "What did the Section 175 audit find?"
    assert holds(audit, "The section 175 audit found that few schools had cover.")
    assert not holds(audit, "A section 175 audit is completed by schools each year.")
    assert not holds(audit, "Ofsted found that schools had no cover.")
    assert holds("How many incidents?", "There had been 73 recorded incidents.")
    assert holds("How many partners?", "Mother had nine known partners.")
    assert not holds("How many incidents?", "He was known to police from 2001 onwards.")  # a year is not a count
    assert not holds("How many incidents?", "Schools closed on 20 March due to the COVID-19 pandemic.")  # nor a date
    assert holds("How long did it take?", "It was seven weeks after the first visit.")
    assert not holds("How long did it take?", "There was a long delay.")
    assert holds("How long was nobody seeing the child?", "The child was invisible from October 2017 to October 2019.")
    assert holds("How long was the stay?", "The child remained in foster care for approximately one week.")
    # A date says when, not how long; an age says how old.
    assert not holds("How long was he kept in?", "He had an admission to hospital with bronchial problems in 2015.")
    assert not holds("How long did he get?", "When Child P was only a few months' old, a relative appeared in court.")
    assert not holds("How long was it?", "The term 'children' includes young people up to 18 years of age.")
    assert holds("How much money was owed?", "Rent arrears of £1,200 had built up.")
    assert not holds("How much money was owed?", "The family had 3 children.")
    assert holds("What month was it?", "The strategy meeting was held in March.")
    charged = "Was anyone charged?"
    assert holds(charged, "The charges had not been dropped and the relative was later convicted and imprisoned.")
    assert holds(charged, "Her partner had been sentenced to imprisonment for 2 years.")
    assert holds(charged, "The council agreed that no prosecutions should be pursued during the pandemic.")
    # Police custody, a family court or being in charge of something tell of no outcome.
    assert not holds(charged, "A notification was received on the release from custody of Mother's partner.")
    assert not holds(charged, "There were ongoing family Court proceedings.")
    assert not holds(charged, "The manager in charge of the team reviewed the case.")
    sentenced = "What sentence did he get?"
    assert holds(sentenced, "Her partner had been sentenced to imprisonment for 2 years.")
    # A charge or a prosecution nobody supported tells of no sentence.
    assert not holds(sentenced, "Mother did not wish to support a police prosecution.")
    term = "How long did he get?"
    assert holds(term, "Her partner had been sentenced to imprisonment for 2 years.")
    assert holds(term, "He received a 3 year sentence.")
    assert not holds(term, "The relative was later convicted and imprisoned.")  # a sentence, but how long?
    court = "What did the court decide in the end?"
    assert holds(court, "The court granted a Special Guardianship Order to the grandmother.")
    assert not holds(court, "Family court proceedings were ongoing at the time of the review.")
    rated = "What was social care rated by Ofsted?"
    assert holds(rated, "Children's Social Care services had been judged as Inadequate by Ofsted.")
    assert not holds(rated, "This was confirmed by an OFSTED inspection in January 2016.")  # when, not what grade
    origin = "Which country is dad originally from?"
    assert holds(origin, "Father is a Pakistani national who came to the UK in 2015.")
    assert holds(origin, "He was born in Romania.")
    assert not holds(origin, "Child Y is dual heritage as his mother is white British.")  # an ethnicity, and mum's
    assert not holds(origin, "His spoken English is limited.")  # a language
    assert not holds(origin, "Father's immigration status was uncertain.")
    assert not holds(origin, "The family moved in March.")  # a month, not a nationality
    medicine = "What medication was she on?"
    assert holds(medicine, "She was prescribed sertraline 50mg daily.")
    assert holds(medicine, "She had been prescribed antidepressants since the birth.")
    assert not holds(medicine, "Parents struggled to calculate and administer medication.")
    assert not holds(medicine, "Concerns were also around Mother's cocaine use.")  # not a medicine
    assert not holds(medicine, "A parenting magazine was left at the home.")
    recovered = "Did she make a full recovery?"
    assert holds(recovered, "She has since made a good recovery and has no lasting injuries.")
    assert not holds(recovered, "Emily sustained a serious head injury.")
    school = "What school was it?"
    assert holds(school, "Child Y then started at Oakfield Primary in the autumn.")
    assert not holds(school, "The Academy Trust that manages the school contacted the team.")  # names no school


def test_a_value_the_question_already_gives_is_not_an_answer() -> None:
    question = "How many children were missed for school attendance orders in 2019/20?"
    wanted = expected_type(question)
    assert wanted is not None
    assert not wanted.holds("In 2019/20 the service reviewed how it tracks children.", question)
    assert wanted.holds("In 2019/20, 14 children were missed.", question)
    # Singular or plural: "which antidepressant" is not answered by "prescribed antidepressants".
    drug = "Which antidepressant was mum on, and what dose?"
    assert not expected_type(drug).holds("She was prescribed antidepressants.", drug)  # type: ignore[union-attr]
    # A grade the question gives is no answer to "what is its grade now?".
    now = "Has Bradford got out of 'Inadequate' since? What's its Ofsted grade now?"
    assert not expected_type(now).holds("Services had been judged as Inadequate by Ofsted.", now)  # type: ignore[union-attr]
    in_2014 = "How many partners did mum have by 2014?"
    assert expected_type(in_2014).holds("She had 4 partners.", in_2014)  # type: ignore[union-attr]  # not the 4 of 2014


def test_a_count_counts_what_the_question_asks_about() -> None:
    def holds(question: str, sentence: str) -> bool:
        wanted = expected_type(question)
        assert wanted is not None and wanted.name == "count"
        return wanted.holds(sentence, question)

    meetings = "How many core group meetings were held?"
    assert counted(meetings) == ["core", "group", "meet"]
    assert holds(meetings, "Three core group meetings were held before the conference.")
    assert not holds(meetings, "Police recorded 12 incidents before the plan ended and a new core group was formed.")
    # A number counts the plural after it: two incidents, not the meeting before them.
    assert not holds(meetings, "The Strategy Meeting was held due to two precipitating incidents in short succession.")
    assert holds(meetings, "The core group met on four occasions.")  # occasions of meeting
    assert holds(meetings, "Meetings of the core group: 5, with the school at each.")
    assert holds("How many recs were made?", "The review has made 14 recommendations.")  # a shortened word
    kids = "How many kids were in the family?"  # counted in other words than the review's
    assert holds(kids, "She was the youngest of 6 children living with a single mother.")
    assert holds("How many partners had mum had?", "Mother had lived with 3 men since 2012.")
    others = "How many other children had been missed in 2019/20?"  # counts children, not "other"
    assert counted(others) == ["children"]
    assert not holds(others, "SAOs for children were not being used at the time due to COVID 19.")  # a name
    assert holds(others, "A further 14 children had been missed.")
    incidents = "How many incidents had the police recorded?"
    assert holds(incidents, "There were two incidents in May.")
    assert not holds(incidents, "There was an incident a few weeks before the attack.")  # a length of time
    assert not holds(incidents, "After the incident she had 1-1 support.")  # a ratio
    # "How many times" counts occurrences of anything: any number will do.
    assert counted("How many times was she referred?") == []
    assert holds("How many times was she referred?", "She was referred to the hub on 5 occasions.")


def _answer(engine, settings: Settings, question: str, **answer: float):  # type: ignore[no-untyped-def]
    """The extractive answer under these answer settings, with the review(s) the question names in focus."""
    from service.answer import ExtractiveAnswerer
    from service.conversation import resolve

    s = settings.model_copy(deep=True)
    for key, value in answer.items():
        setattr(s.answer, key, value)
    resolved = resolve(question, [], list(engine.retriever.reviews.values()))
    return ExtractiveAnswerer(engine.retriever, s).answer(question, resolved.query, Filters(resolved.review_ids))


def test_no_sentence_holding_the_value_asked_for_means_abstaining(real_engine, real_settings) -> None:  # type: ignore[no-untyped-def]
    # The reviews say Child O's mother was stabbed by her partner, never in which month.
    question = "In which month was Child O's mother attacked by her partner?"
    checked = _answer(real_engine, real_settings, question, type_window=5)
    assert checked.abstained and not checked.citations
    assert any("stabbed" in c.text for c in checked.related)  # the closest paragraphs are still offered
    unchecked = _answer(real_engine, real_settings, question, type_window=0)
    assert not unchecked.abstained and "stabbed" in unchecked.answer


def test_a_criminal_outcome_is_quoted_only_where_a_review_gives_one(real_engine, real_settings) -> None:  # type: ignore[no-untyped-def]
    # The Emily review says the injury was non-accidental, never who caused it or whether anyone was charged.
    emily = _answer(real_engine, real_settings, "Was anyone charged over Emily's head injury?", type_window=5)
    assert emily.abstained and not emily.citations
    unchecked = _answer(real_engine, real_settings, "Was anyone charged over Emily's head injury?", type_window=0)
    assert not unchecked.abstained  # on the topic, so retrieval alone would quote it
    # The Child P and Child H review gives the sentence Child P's mother's partner got.
    sentence = _answer(real_engine, real_settings, "What sentence did Child P's mum's partner get?", type_window=5)
    assert not sentence.abstained and "sentenced to imprisonment for 2 years" in sentence.answer


def test_details_the_reviews_never_give_mean_abstaining(real_engine, real_settings) -> None:  # type: ignore[no-untyped-def]
    # The reviews are anonymised and written about the practice before the harm: no school's name, no Ofsted
    # grade for Dudley, no word on how the child is now. On the topic, so retrieval alone would quote them.
    for question in (
        "What's the name of the primary school Child Y started at?",
        "Did Emily make a full recovery from the head injury?",
        "Which country is Child Y's dad originally from?",
        "were any of the social workers on Child P's case sacked or disciplined after he died",
        "What was Child Y's attendance percentage once they did start school?",
    ):
        assert _answer(real_engine, real_settings, question, type_window=5).abstained, question
        assert not _answer(real_engine, real_settings, question, type_window=0).abstained, question
    # Where a review gives the grade, it is quoted.
    bradford = "What was Bradford children's social care rated by Ofsted?"
    rated = _answer(real_engine, real_settings, bradford, type_window=5)
    assert not rated.abstained and "Inadequate" in rated.answer


def test_a_later_change_is_quoted_only_where_a_review_tells_of_one(real_engine, real_settings) -> None:  # type: ignore[no-untyped-def]
    # The Child P and Child H review recommends that NICE review its co-sleeping guidance; what NICE did after
    # is not in it ("In December 2014 NICE updated..." is the time before). On the topic, so retrieval alone
    # would quote it.
    nice = "Did NICE actually change its co-sleeping guidance after Dudley recommended it?"
    assert _answer(real_engine, real_settings, nice, type_window=5).abstained
    assert not _answer(real_engine, real_settings, nice, type_window=0).abstained
    # The Child Y review tells of one: the CME team's policy "has since changed".
    cme = "Has the CME team's policy of closing cases been changed since?"
    changed = _answer(real_engine, real_settings, cme, type_window=5)
    assert not changed.abstained and "has since changed" in changed.answer


def test_a_sentence_holding_the_value_is_quoted(real_engine, real_settings) -> None:  # type: ignore[no-untyped-def]
    question = "How old was Emily when she was injured?"
    answer = _answer(real_engine, real_settings, question, type_window=5)
    assert not answer.abstained and "6 week old" in answer.answer


def test_sentences_holding_the_value_are_preferred(real_engine, real_settings) -> None:  # type: ignore[no-untyped-def]
    question = (
        "How long after the police and social care first visited Child Y was the initial child protection "
        "conference held?"
    )
    # The sentence holding a length of time leads the answer, its score lifted or not.
    for boost in (0.1, 0.0):
        answer = _answer(real_engine, real_settings, question, type_boost=boost)
        assert "seven weeks" in (answer.citations[0].quote or ""), boost
