"""The kind of answer a question asks for, when it asks for one a sentence can visibly hold.

"How old was...", "how long did it take...", "how many...", "how much money...", "on what date..."
each want a sentence holding an age, a length of time, a number, a sum or a date. The answerer prefers
sentences that hold one and abstains when none of its best candidates does: a sentence about the right
topic with no number in it does not answer "how many".

A count must also count what was asked about: "how many core group meetings" is answered by a number
near "meetings" (or "core", "group"), not by any number in a sentence about core groups.

"Was anyone charged...?", "what sentence did he get?" want a sentence telling of a criminal outcome
(charged, convicted, sentenced, imprisoned): a review that says the injury was non-accidental does not
say who was prosecuted.

"What sentence did he get?" wants a sentence handed down, which a charge does not tell; "how long did he
get?" wants its length. Details that reviews, anonymised and written about the practice before the harm,
seldom give are typed too: what a court decided, an inspection grade, a parent's country of origin, a named
medicine or dose, whether the child recovered, a school's name. A question asking for one is answered only
where a review gives it.

"Did NICE ever change its guidance?", "has that pilot been evaluated?", "what are they rated now?" ask what
happened after the review was written. Only a sentence telling of a later change ("the policy has since
changed", "schools now have arrangements") about what was asked after answers; "In December 2014 NICE updated
its guidance", written of the time before the review, does not. "Who was the independent author?" wants a
person named as the author.

More near misses of that kind: a tool's score ("what DASH score..."), a diagnosis, weeks of pregnancy, a fine,
where a child lives now ("was Child Y taken into care in the end?"), and another body's findings ("what did the
Section 175 audit find?": a finding told near that body's name), whether a worker was sacked or disciplined, a
percentage ("what was her attendance percentage?") and how to apply for something ("how would a mum go about
applying?"), which a review tells only where it describes the process. "How old was Child P's mum...?" wants an age
near the mother, not the child's. The asker's introduction asks for nothing ("I sit as a magistrate and we get
attendance prosecutions" asks for no criminal outcome).

Questions without such a wh-phrase (most of them) have no expected type and are not affected.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from index.keyword import STOPWORDS, tokenize
from index.query import strip_self_introduction, synonym_stems

_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_YEAR = r"(?:19|20)\d\d"
# A number, not a year ("2014"), a date's day ("20 March") or part of a name ("Covid-19").
_NUMBER = (
    rf"(?:(?<![A-Za-z]-)(?!{_YEAR}\b)\d[\d,.]*(?!\s+{_MONTH})|one|two|three|four|five|six|seven|eight|nine|ten|"
    r"eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|"
    r"sixty|seventy|eighty|ninety|hundred|a (?:few|couple of)|several|dozens?)"
)
_UNIT = r"(?:years?|months?|weeks?|days?|hours?|minutes?)"
# A figure that is part of a name, not a value: "COVID 19", "NHS 111", "Section 47", "Year 9", "Recommendation 2".
_NAMED = re.compile(
    r"(?:\b[A-Z]{2,}|\b(?:Section|Year|Recommendation|Appendix|Paragraph|Page|Tier|Level|Phase|Stage|Step|Chapter|"
    r"Part|Schedule|Article|Regulation|Child|School))[ -]$"
)
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’-]*")
# Words that count occurrences, not things: any number near anything answers "how many times".
_GENERIC = frozenset(tokenize("times occasions people person different separate individual"))
# How far (in words) a number may sit from the word naming what it counts: "9 known partners",
# "women (it was estimated about 300 per annum)".
_NEAR = 6
# A number counts the plural within this many words after it ("three unannounced visits").
_COUNTED_WITHIN = 3
# Five letters or more ("was", "this" never match), not "-ss" or "-us" ("process", "status"), not an adverb.
_PLURAL = re.compile(r"(?!(?:always|perhaps|whereas|towards|besides|afterwards|sometimes)$)[a-z]{3,}[^su]s")


def _typed_in_a_search_box(*attributes: str) -> str:
    """A search-box query naming what it wants last ("child y school name", "neglect briefing rapid review date"):
    two to six words, no question word, ending with one of the attributes."""
    return (
        r"^\s*(?!(?:what|which|who|when|where|why|how|did|does|do|is|are|was|were|can|could|should)\b)"
        r"(?:[\w'’/&-]+\s+){1,5}(?:" + "|".join(attributes) + r")\s*\??\s*$"
    )


def counted(question: str) -> list[str]:
    """What "how many" counts, as keyword stems: the words after it up to the first function word
    ("how many core group meetings were held" -> core, group, meet); none for "how many times"."""
    m = re.search(r"\bhow many\s+(.*)", question, re.I)
    if not m:
        return []
    words: list[str] = []
    for w in _WORD.findall(m.group(1)):
        if w.lower() in STOPWORDS:
            if words:
                break
            continue  # "how many other children", "how many more visits"
        if len(words) == 4:
            break
        words.extend(tokenize(w))
    return [] if all(w in _GENERIC for w in words) else words


# "Did NICE ever change...", "has that pilot been evaluated", "what are they rated now": what happened since.
_CHANGED = (
    r"(?:chang\w*|respond\w*|repl(?:y|ied)|act(?:ed)? on|implement\w*|approv\w*|evaluat\w*|updat\w*|"
    r"commission\w*|go(?:ne)? live|introduc\w*|adopt\w*|deliver\w*|brought in|put into practice|sorted|fix\w*|"
    r"improv\w*|re-?grad\w*|re-?inspect\w*|roll(?:ed|ing)? out|replicat\w*|extend\w*)"
)
_SINCE = r"(?:ever|actually|since|yet|in the end|eventually|subsequently|afterwards|by now|now)"
_AUX = r"(?:did|has|have|had|was|were|is|are)"
# Who or what the question asks about: the words between "did"/"has" and "ever"/"been"/the change itself.
_LATER_SUBJECT = re.compile(rf"\b{_AUX}\s+((?:[\w'’/-]+\s+){{1,7}}?)(?:{_SINCE}|been|got|gone|{_CHANGED})\b", re.I)
# Words that name nothing: "has anything changed since?", "has that been sorted?".
_POINTING = frozenset(
    tokenize("anything anyone anybody something everything nothing one thing things side front it that this they")
    + tokenize("them those these there he she")
)


# "What did the Section 175 audit find?", "what did SafeLives conclude?": what another body found, which the
# reviews mention more often than they report. Not the review's own findings ("what did the reviewer find?").
_FOUND_BY = re.compile(
    r"\bwhat did (?:the |that |those |their |this |these |its )?"
    r"(?!(?:[\w'’-]+ ){0,3}?(?:reviews?|reviewers?|report|briefing|panel|they|it|he|she|we|you|i|cspr|lcspr|scr|"
    r"author|authors)\b)((?:[\w'’/-]+ ){1,12}?)(?:actually |eventually |finally |ever )?"
    r"(?:find|conclude|show|turn up|come out|end up (?:finding|concluding|recommending|saying))\b",
    re.I,
)
_NOT_NAMING = frozenset(tokenize("actually newer new last latest recent most first second later earlier other"))


def _naming_stems(words: str, naming_nothing: frozenset[str]) -> list[str]:
    """The keyword stems of the words that name something: no stopwords, none of ``naming_nothing``."""
    stems = [w for x in _WORD.findall(words) if x.lower() not in STOPWORDS for w in tokenize(x)]
    return [w for w in stems if w not in naming_nothing]


def found_by(question: str) -> list[str]:
    """Who or what "what did X find?" asks about, as keyword stems ("the Section 175 audit" -> section, 175,
    audit)."""
    m = _FOUND_BY.search(question)
    return _naming_stems(m.group(1), _NOT_NAMING) if m else []


# "How old was Child P's mum when...?": an age asked of a relative wants that relative's age, not the child's.
_AGE_OF = re.compile(
    r"\bhow old (?:was|were|is|are) ((?:[\w'’-]+ ){1,5}?)(?:when|at|by|on|in|and|before|after)\b", re.I
)
_RELATIVES = frozenset(
    tokenize(
        "mum mums mother mothers mom dad dads father fathers brother brothers sister sisters sibling siblings "
        "partner boyfriend girlfriend stepfather stepmother grandmother grandfather nan grandparents uncle aunt"
    )
)


def age_of(question: str) -> list[str]:
    """The relative "how old was X" asks about, as keyword stems ("Child P's mum" -> mum); none for the child."""
    m = _AGE_OF.search(question + " ")
    if not m:
        return []
    return [w for x in _WORD.findall(m.group(1)) for w in tokenize(x) if w in _RELATIVES]


# What was got or had changed: "did he ever get his immigration status sorted?" -> his immigration status.
_GOT_CHANGED = re.compile(rf"\b(?:get|got|have|had)\s+((?:[\w'’-]+\s+){{1,4}}?){_CHANGED}", re.I)


def changed_subject(question: str) -> list[str]:
    """What "has X changed since" asks about, as keyword stems ("did NICE ever respond" -> nice; "did he ever get
    his status sorted" -> status); none when it names nothing ("has anything changed?") or asks after any change
    ("has Dudley brought in anything?")."""
    m = _LATER_SUBJECT.search(question)
    if not m or re.search(r"\b(?:anything|something)\b", question[m.start() :], re.I):
        return []
    named = _naming_stems(m.group(1), _POINTING)
    if named:
        return named
    got = _GOT_CHANGED.search(question, m.end(1))
    return _naming_stems(got.group(1), _POINTING) if got else []


@dataclass(frozen=True)
class AnswerType:
    name: str
    asks: re.Pattern[str]  # the question asks for this type
    held: re.Pattern[str]  # a sentence holds a value of this type
    subject: Callable[[str], list[str]] | None = None  # what the value must sit near (stems from the question)
    counts: bool = False  # the value is a number, which counts the plural after it, if any

    def holds(self, sentence: str, question: str = "") -> bool:
        """Whether the sentence holds a value of this type that the question does not already give
        ("how many children in 2019/20" is not answered by a sentence whose only number is 2019/20), and,
        for a count, near a word naming what the question counts."""
        asked = question.lower()
        values = [
            m
            for m in self.held.finditer(sentence)
            # A whole value, singular or plural: not "4" in "2014"; "antidepressant" given by "antidepressants".
            if not re.search(rf"(?<!\w){re.escape(m.group(0).lower())}(?:e?s)?(?!\w)", asked)
            and not (m.group(0)[:1].isdigit() and _NAMED.search(sentence[: m.start()]))
        ]
        if not values:
            return False
        near = self._near_positions(sentence, question)  # only for sentences holding a value: most hold none
        return near is None or any(self._names(sentence, m, near) for m in values)

    def _names(self, sentence: str, value: re.Match[str], near: list[int]) -> bool:
        """Whether the value stands near a word naming what was asked about, and, for a count, counts it: a number
        counts the plural that follows it ("two precipitating incidents" counts incidents, not the meeting
        before it)."""
        at = _word_index(sentence, value.start())
        if not any(abs(at - i) <= _NEAR for i in near):
            return False
        if not self.counts or any(0 < i - at <= _COUNTED_WITHIN for i in near):
            return True
        following = _WORD.findall(sentence[value.end() :])[:_COUNTED_WITHIN]
        return not any(_PLURAL.fullmatch(w) and not set(tokenize(w)) & _GENERIC for w in following)

    def _near_positions(self, sentence: str, question: str) -> list[int] | None:
        """Word positions in the sentence naming what the question asks about; None when anywhere will do."""
        asked = self.subject(question) if self.subject else []
        if not asked:
            return None
        wanted = {x for stem in asked for x in synonym_stems(stem)}
        out = []
        for i, w in enumerate(_WORD.findall(sentence)):
            stems = tokenize(w)
            # A prefix either way: "recs" (rec) names "recommendations" (recommend).
            if stems and any(s.startswith(x) or x.startswith(s) for s in stems for x in wanted if len(x) >= 3):
                out.append(i)
        return out


def _word_index(text: str, offset: int) -> int:
    """The position, in words, of the word at a character offset."""
    return len(_WORD.findall(text[:offset]))


_NATIONAL = (
    r"(?:in england|in the uk|in britain|nationally|national(?:ly)? (?:figures?|stats?|statistics|data)|"
    r"across (?:england|the country|the uk)|in the country)"
)
_SCOPE = r"(?:England|[Nn]ationally|[Nn]ational|UK|Britain)"
_FIGURE = r"(?!(?:19|20)\d\d\b)\d[\d,.]*%?"

# Most specific first: "how old" before "how many", "how much money" before nothing at all; a sentence handed
# down before "how long" ("how long did he get?" asks for a prison term, not a stretch of time).
TYPES = (
    AnswerType(
        "national figure",
        # "How many CSPRs get published in England every year?", "how much is the kinship carer allowance in England
        # per week?", "which council in England had the most...": a figure for the country, which reviews of one
        # area's cases seldom give.
        re.compile(
            # "Which council... had the most", not "which area in England was Child Y from?" (a place).
            rf"\b(?:how many|how much|how often|what (?:percentage|proportion|%|number|figure)|which (?:council|local "
            r"authority|authorities|area|region)s?\b(?=[^?]{0,80}\b(?:most|highest|lowest|fewest|best|worst)\b))"
            rf"\b[^?]{{0,80}}\b{_NATIONAL}\b|"
            rf"\b{_NATIONAL}\b[^?]{{0,60}}\b(?:how many|how much|what (?:percentage|proportion|%|number))\b",
            re.I,
        ),
        # A figure in a sentence about the country or the nation's body ("nationally, 4 in 10..."), not a year.
        re.compile(rf"\b{_SCOPE}\b[^.]*?\b{_FIGURE}|\b{_FIGURE}[^.]*?\b{_SCOPE}\b"),
    ),
    AnswerType(
        "prison term",
        # "How long did he get?", "how long was that sentence?": a length of sentence, which "was convicted and
        # imprisoned" does not give.
        re.compile(
            r"\bhow long did (?:he|she|they|(?:the|his|her|their|mum['’]s|mother['’]s) [a-z]+) get\b|"
            r"\bhow long (?:was|were) (?:he|she|they) (?:jailed|imprisoned|in prison|in jail|sent down)\b|"
            r"\bhow long was (?:that|the|his|her|their) (?:prison |jail |custodial )?sentence\b|"
            r"\bhow long\b[^?]{0,40}\b(?:sent down|get in (?:prison|jail)|(?:go|went|sent) to (?:prison|jail))\b",
            re.I,
        ),
        re.compile(
            rf"\b(?:sentenc\w*|imprison\w*|jail\w*|prison)\b[^.]{{0,40}}?\b{_NUMBER}[- ]{_UNIT}\b|"
            rf"\b{_NUMBER}[- ]{_UNIT}['’]?s? (?:sentence|imprisonment|in prison|in jail|custod\w*)\b",
            re.I,
        ),
    ),
    AnswerType(
        "sentence",
        # "What sentence did he get?", "how long was he sent down for?": a sentence handed down, which a charge or
        # a prosecution the mother would not support does not tell.
        re.compile(
            r"\b(?:what|which|prison|jail|custodial) sentence\b|\bsentence did\b|\bsentenced\b|"
            r"\bhow long did (?:he|she|they) get\b|"
            r"\bsent down\b|\bhow long (?:was|were) (?:he|she|they) (?:jailed|imprisoned|in prison|in jail)\b",
            re.I,
        ),
        re.compile(r"\b(?:sentenc\w*|imprison\w*|jail\w*|prison|custodial|community order|detention)\b", re.I),
    ),
    AnswerType(
        "criminal outcome",
        # Was anyone charged, prosecuted, convicted, found guilty or responsible.
        re.compile(
            r"\b(?:charged|prosecuted|prosecutions?|convicted|convictions?|jailed|imprisoned|arrested|"
            r"(?:found|held|pleaded) (?:guilty|responsible))\b",
            re.I,
        ),
        # A sentence that tells of one: "had been charged with", "was subsequently convicted and imprisoned",
        # "sentenced to imprisonment for 2 years", "no prosecutions should be pursued". Not "custody" or
        # "court": a family court and police custody say nothing of an outcome.
        re.compile(
            r"\b(?:charg(?:ed|es?|ing)\b(?! (?:of|for) (?:the|a|her|his|their)\b)|prosecut\w*|convict\w*|arrest\w*|"
            r"sentenc\w*|jail\w*|imprison\w*|prison|guilty|acquitt\w*|criminal (?:investigation|proceedings))",
            re.I,
        ),
    ),
    AnswerType(
        "disciplinary outcome",
        # "Was anyone sacked?", "were the social workers disciplined?", "did anyone lose their job?": what happened to
        # a worker, which reviews (written for learning, not blame) seldom tell.
        re.compile(
            r"\b(?:sacked|fired|disciplined|disciplinary|struck off|misconduct|"
            r"(?:lose|lost|losing) (?:their|his|her|your) (?:jobs?|registration)|(?:resign|resigned|resignations?))\b|"
            # A person dismissed or suspended, not an allegation or a service.
            r"\b(?:he|she|they|anyone|anybody|someone|staff|workers?|social workers?|managers?|nurses?|officers?)\b"
            r"[^?.]{0,20}\b(?:dismissed|suspended)\b",
            re.I,
        ),
        re.compile(
            r"\b(?:sack\w*|fired|disciplin\w*|dismiss(?:ed|al)|struck off|suspend\w*|misconduct|resign\w*|"
            r"(?:lost|left) (?:their|his|her) (?:jobs?|posts?|registration))\b",
            re.I,
        ),
    ),
    AnswerType(
        "age",
        re.compile(r"\bhow old\b|\b(?:what|which) age\b|" + _typed_in_a_search_box("age", "ages"), re.I),
        re.compile(
            rf"\b{_NUMBER}[- ]{_UNIT}[- ]old\b|\baged? (?:of )?(?:just |about |around )?{_NUMBER}\b|"
            rf"(?<!up to )(?<!under )\b{_NUMBER}[- ]{_UNIT} of age\b|\b(?:teenager|teenage|newborn|infant|toddler)\b",
            re.I,
        ),
        age_of,
    ),
    AnswerType(
        "money",
        re.compile(
            r"\bhow much (?:money|funding|debt)\b|\bhow much\b[^?]{0,60}\b(?:cost|owe|owed|pay|paid|spend|spent|"
            r"fund|funding|ask(?:ed)? for|fined?)\b|"
            # "What's the fine for...?", "the max fine a parent can get": a sum.
            r"\bwhat(?:['’]s| is| was| are)? (?:the |a )?(?:max(?:imum)? |biggest |usual )?fines?\b",
            re.I,
        ),
        re.compile(r"[£$€]\s?\d|\b\d[\d,.]*\s?(?:pounds|k\b|million|thousand)", re.I),
    ),
    AnswerType(
        "percentage",
        # "What was her attendance percentage?", "what proportion of...": a share, told as one.
        re.compile(
            r"\b(?:what|which|how many)\b[^?.]{0,40}"
            r"(?:\b(?:percentage|per ?cent|proportion|attendance (?:rate|figures?))\b|%)",
            re.I,
        ),
        re.compile(
            r"\d[\d.]*\s?(?:%|per ?cent)|\b(?:half|a third|a quarter|two thirds|three quarters|most|majority|"
            r"minority|proportion|percentage)\b",
            re.I,
        ),
    ),
    AnswerType(
        "gestation",
        # "How many weeks pregnant was she when she booked?", "what gestation was he born at?": weeks of pregnancy,
        # before "how long" and "how many weeks" take it for a stretch of time.
        re.compile(
            r"\bweeks pregnant\b|\bgestation(?:al)?\b|\bhow far (?:along|gone)\b|"
            r"\bhow many weeks\b[^?]{0,40}\b(?:pregnan\w*|booked|booking|antenatal|born)\b",
            re.I,
        ),
        re.compile(
            rf"\b{_NUMBER}[- ]weeks?['’]? (?:pregnant|gestation|of pregnancy|into (?:the|her) pregnancy)\b|"
            r"\bgestation(?:al)?\b|\b(?:premature|prematurity|pre-term|preterm|full[- ]term)\b",
            re.I,
        ),
    ),
    AnswerType(
        "application process",
        # "How would a mum go about applying for that herself?", "what are the steps to apply for an SGO?": how to
        # apply, which a review tells only where it describes the process ("putting in an application either
        # on-line or using a written form"); before "how long" ("...and how long does a disclosure take?").
        re.compile(
            r"\bhow (?:would|do|does|can|could|should|might|to) (?:(?:I|we|you|she|he|they|someone|somebody|anyone|"
            r"people|parents?|families|carers?|(?:a|the) (?:\w+ ){0,2}?(?:mum|mother|dad|father|parent|carer|family|"
            r"grandparent|victim|woman|person)) )?(?:actually )?(?:go about |go |set about )?(?:apply|applying|make "
            r"an application|making an application)\b|"
            r"\b(?:what|which)(?:['’]s| are| is)? (?:the )?(?:steps|process|procedure)\b[^?]{0,30}\b(?:apply|applying|"
            r"application)\b|"
            r"\b(?:apply|applying) for (?:one|it|that|an? \w+)\b[^?]{0,40}\b(?:steps|process|procedure)\b",
            re.I,
        ),
        re.compile(
            r"\b(?:put(?:ting)? in|mak(?:e|es|ing)|complet(?:e|es|ing)|submit\w*|fill(?:ing)? in|send(?:ing)?) "
            r"(?:an? |the |their )?(?:[\w-]+ ){0,2}?applications?\b|\bapplication (?:form|process)\b|"
            r"\bapply (?:on-?line|by|through|via|to|using)\b",
            re.I,
        ),
    ),
    AnswerType(
        "duration",
        re.compile(
            rf"\bhow long\b|\bhow many {_UNIT}\b|" + _typed_in_a_search_box("timescales?", "duration", "length"), re.I
        ),
        # "Seven weeks", "from October 2017 to October 2019", "a fortnight"; not an age ("18 years of age")
        # and not a bare date: "an admission to hospital in 2015" does not say how long it lasted.
        re.compile(
            rf"\b{_NUMBER}[- ]{_UNIT}\b(?!['’]?[- ](?:old|of age)\b)|"
            rf"\b(?:from|between|since)\s+(?:[\w,]+\s+){{0,2}}?(?:{_MONTH}|{_YEAR})\b|\b(?:fortnight|overnight)\b",
            re.I,
        ),
    ),
    AnswerType(
        "count",
        # "How many reviews/cases..." is answered by the grouped answer's count of reviews, not by a sentence.
        re.compile(r"\bhow many\b(?!\s+(?:of\s+)?(?:the\s+|these\s+|those\s+)?(?:reviews|cases|reports)\b)", re.I),
        # "A few weeks before" or "two years" is a length of time, not a count of what was asked about; nor is
        # a ratio ("1-1 support", "24/7").
        re.compile(rf"(?<!\d[-:/])\b{_NUMBER}\b(?![- ]{_UNIT}\b)(?![-:/]\d)", re.I),
        counted,
        counts=True,
    ),
    AnswerType(
        "inspection rating",
        # "What grade did Ofsted give...", "what was it rated by Ofsted": the inspectorate's judgement.
        re.compile(
            r"\b(?:what|which) (?:overall |ofsted |inspection )*(?:grade|grading|rating)\b|\bofsted judge?ment\b|"
            r"\b(?:what|which) (?:overall |inspection )*judge?ment\b[^?]{0,30}\bofsted\b|"
            r"\b(?:rated|graded|judged)\b[^?]{0,40}\bofsted\b|\bofsted\b[^?]{0,40}\b(?:rated?|graded?|rating|grade)\b|"
            + _typed_in_a_search_box("ofsted (?:rating|grade|judge?ment)", "inspection (?:rating|grade|outcome)"),
            re.I,
        ),
        re.compile(
            # The grade alone, so a grade the question already gives ("has it got out of 'Inadequate'?") is no answer.
            r"\b(?:outstanding|requires improvement|inadequate)\b|"
            r"(?:(?<=rated )|(?<=graded )|(?<=judged )|(?<=as ))good\b|\bgood\b(?=[^.]{0,60}\bofsted\b)",
            re.I,
        ),
    ),
    AnswerType(
        "origin",
        # "Which country is dad from?", "his nationality": a country or a nationality, not "immigration status".
        re.compile(
            r"\b(?:what|which) (?:country|nationality|ethnicity)\b|\bnationality\b|\bcountry of (?:origin|birth)\b|"
            r"\boriginally from\b|\bwhere (?:was|were|is|are) [\w'’ ]{1,30} born\b",
            re.I,
        ),
        # A nationality ("Polish", "Pakistani", "Vietnamese", "Kurdish") or a named country after from/in/to.
        re.compile(
            r"(?<![Ww]hite )(?<![Bb]lack )(?<!spoken )\b(?!English\b)[A-Z][a-z]+(?:ian|ish|ese|i|an)\b(?<!\bChristian)|"
            r"\b(?:French|Dutch|Czech|Swiss|Greek|Thai|Welsh)\b|"
            r"\b(?:from|in|to|of) (?:the )?(?:[A-Z][a-z]+ ){0,2}[A-Z][a-z]+\b"
            r"(?=[^.]{0,40}\b(?:country|nation|born|citizen|national)\b)|"
            r"\b(?:born|citizen|national) (?:in|of) (?:the )?[A-Z][a-z]+",
        ),
    ),
    AnswerType(
        "medication",
        # "Which antidepressant was she on, and what dose?", "what medicine were they on": a named medicine or a
        # dose, not a sentence about "medication" in general.
        re.compile(
            r"\b(?:what|which) (?:kind of |type of |sort of )?(?:medicines?|medications?|antidepressants?|tablets?|"
            r"pills?)\b|\bwhat (?:was|were) (?:the|his|her|their) (?:medicines?|medications?)\b|"
            r"\bwhat dose\b|\bdosage\b",
            re.I,
        ),
        re.compile(
            r"\b\d+(?:\.\d+)?\s?(?:mg|mcg|ml|micrograms?|milligrams?)\b|"
            r"\b(?:antidepressant|antipsychotic|anti-psychotic|painkiller|analgesic|opiate|opioid|methadone|"
            r"subutex|buprenorphine|insulin|inhaler|antibiotic|sedative|benzodiazepine|paracetamol|ibuprofen|"
            r"calpol|diazepam|sertraline|fluoxetine|citalopram|mirtazapine|"
            r"olanzapine|quetiapine|pregabalin|gabapentin|codeine|tramadol|morphine|melatonin)(?=s?\b)|"
            r"\b[a-z]+(?:xetine|pram|zepam|apine|oxone|profen|cillin|mycin|oprazole)\b",
            re.I,
        ),
    ),
    AnswerType(
        "recovery",
        # "Did she make a full recovery, or has she lasting damage?": how the child is now, which reviews written
        # about the practice before the harm rarely say.
        re.compile(
            r"\b(?:make|made|making) an? (?:full |good |complete )?recovery\b|"
            r"\b(?:did|has|have|had|will) (?:[\w'’]+ ){1,3}(?:fully )?recover(?:ed)?\b|\brecovered (?:fully|from)\b|"
            r"\blasting (?:damage|effects?|harm|impact|injur\w*|problems?)\b|"
            r"\bpermanent (?:damage|injur\w*|disabilit\w*|harm)\b|\bleft with (?:any )?(?:lasting|permanent|brain)\b",
            re.I,
        ),
        re.compile(
            r"\b(?:recover\w*|lasting|permanent\w*|disabilit\w*|disabled|impairment|brain damage|"
            r"life[- ](?:changing|long|limiting))\b",
            re.I,
        ),
    ),
    AnswerType(
        "school name",
        # "What school was it?", "the name of the primary school": a named school, which reviews anonymise.
        re.compile(
            r"\b(?:what|which) (?:primary |secondary |high |junior |infant |nursery )?school (?:was|is|did|does|do)\b|"
            r"\bname of (?:the |their |his |her )?(?:primary |secondary |high |nursery )?school\b|\bschool['’]s name\b|"
            + _typed_in_a_search_box(r"school(?:'?s)? name"),
            re.I,
        ),
        re.compile(
            r"\b[A-Z][\w'’]+(?: [A-Z][\w'’]+)* (?:Primary|Junior|Infants?|Nursery|Academy|High|Secondary|College)\b"
            r"(?! Trust)|\bSt\.? [A-Z]\w+|\bSchool [A-Z0-9]\b"
        ),
    ),
    AnswerType(
        "court outcome",
        # "How did the family court case turn out?", "what did the court decide?": an order or a finding, which
        # reviews of the practice before the harm seldom report ("proceedings were ongoing").
        re.compile(
            # Not an "out-of-court disposal": that is the police's outcome, given without a court.
            r"(?<!out of )(?<!out-of-)\bcourt\b[^?]{0,60}\b(?:decide|decided|decision|turn(?:ed)? out|outcome|rule|"
            r"ruled|conclude|concluded|given|granted|awarded|in the end)\b|\bwhat did the (?:family |care )?court\b|"
            r"\boutcome of the (?:family |care )?(?:court|proceedings|hearing)\b|"
            r"\bhow did the (?:family |care )?(?:court case|proceedings|hearing)\b",
            re.I,
        ),
        re.compile(
            r"\b(?:care order|supervision order|placement order|special guardianship|sgo|adoption order|"
            r"child arrangements order|residence order|non-molestation order|orders? (?:was|were) (?:made|granted)|"
            r"court (?:decided|ordered|granted|made|found|ruled|concluded)|the judge|judgment|findings? of fact|"
            r"placed for adoption|adopted)\b",
            re.I,
        ),
    ),
    AnswerType(
        "date",
        # "Which year group" asks for a class at school, not a date.
        re.compile(
            r"\b(?:what|which|on what) (?:date|day|month|year)\b(?! groups?\b)|\bwhen exactly\b|"
            + _typed_in_a_search_box("dates?"),
            re.I,
        ),
        re.compile(rf"\b{_MONTH}\b|\b{_YEAR}\b|\b\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}}\b", re.I),
    ),
    AnswerType(
        "author",
        # "Who was the independent author?", "who did they eventually get to write it?": a person named as the
        # review's author, which the reviews' text seldom gives.
        re.compile(
            r"\bwho (?:was|were|is|are) the (?:independent |lead |overview |report )*(?:author|reviewer|writer)s?\b|"
            r"\bwho (?:wrote|authored)\b|\bwho did they (?:eventually |finally |actually )?(?:get|appoint|commission|"
            r"find) to (?:write|do|author|lead)\b|\bname of the (?:independent |lead |overview )*(?:author|reviewer|"
            r"writer)\b",
            re.I,
        ),
        # A name given as the author's: "Independent Reviewer: Jane Smith", "written by Dr A. Jones".
        re.compile(
            r"\b(?:[Rr]eviewer|[Aa]uthor|[Ww]riter|written by|authored by|undertaken by|led by)\s*:?\s*"
            r"(?:(?:Dr|Mr|Mrs|Ms|Miss|Professor)\.?\s+)?[A-Z][a-z]+(?:\s+[A-Z]\.)?\s+[A-Z][a-z'’-]+"
        ),
    ),
    AnswerType(
        "score",
        # "What DASH score gets a case to MARAC?", "how do you score the GCP2?": a score on a tool, which the reviews
        # that name a tool do not give.
        re.compile(r"\bscor(?:e|es|ed|ing)\b", re.I),
        re.compile(r"\bscor\w*\b[^.]{0,30}?\b\d+\b|\b\d+\b[^.]{0,15}\bscor\w*|\b(?:level|grade) [1-5]\b", re.I),
    ),
    AnswerType(
        "diagnosis",
        # "What was mum's actual diagnosis?": a diagnosis, or a named condition.
        re.compile(r"\bdiagnos(?:is|es|ed)\b", re.I),
        re.compile(
            r"\bdiagnos\w*|\b(?:depression|depressive|anxiety|bipolar|schizophreni\w*|psychos[ie]s|psychotic|"
            r"personality disorder|ptsd|post[- ]traumatic|adhd|attention deficit|autis\w*|learning disabilit\w*|"
            r"epilep\w*|dementia|eating disorder)\b",
            re.I,
        ),
    ),
    AnswerType(
        "findings",
        _FOUND_BY,
        # A finding told of what the question names: "the audit found that...", "SafeLives concluded...".
        re.compile(
            r"\b(?:find|finds|found|finding|findings|conclu\w*|show(?:s|ed|n)?|reveal\w*|identif\w*|noted|"
            r"observ\w*|assess\w*|confirm\w*|judged|recommend\w*|reported|highlight\w*|recorded)\b",
            re.I,
        ),
        found_by,
    ),
    AnswerType(
        "placement",
        # "Was Child Y taken into care in the end?", "where is he living now?": where a child went to live, which
        # reviews of the practice before the harm seldom report.
        re.compile(
            r"\b(?:taken into care|go(?:ne)? into (?:care|foster care)|went into (?:care|foster care)|still at home|"
            # "Did Child Y end up in care or get removed in the end?"
            r"end(?:ed)? up in (?:care|foster care)|(?:get|got|was|were|be|being) removed|removed from (?:home|"
            r"the family|(?:their|his|her) (?:parents|mum|mother|family|home))|"
            r"(?:go|went|gone|going) back home|living now|live now|in care now|end(?:ed)? up living|"
            # A child, not a thing: not "where did the referral go after?".
            r"where (?:are|is|do|does|did) (?:they|he|she|the (?:child|children|kids?|baby|boy|girl|lad|siblings)|"
            r"child \w)(?: end up)? (?:living|live|go|now)|"
            r"where['’]s (?:he|she|the \w+) living)\b",
            re.I,
        ),
        re.compile(
            # Not "was living with" or "lived with": the family before, which every review describes.
            r"\b(?:lives? with|now living with|placed (?:with|in)|placements?|foster (?:care|carers?)|"
            r"in (?:our |their |local authority )?care|looked after|care order|special guardianship|kinship|"
            r"police protection|returned (?:home|to)|remain\w* (?:at home|living|with)|went (?:to live|home)|"
            r"moved (?:in )?with|grandparents?|grandmother|nan)\b",
            re.I,
        ),
    ),
    # Last: a question asking for one of the values above ("what is its Ofsted grade now?") wants that value.
    AnswerType(
        "later change",
        re.compile(
            # "Did NICE actually change its guidance?", not "did all that pushing back actually change anything?"
            # Not what was recommended: "what did they recommend the Board actually do about getting recs implemented?"
            rf"\b{_AUX}\b(?![^?]{{0,30}}\brecommend\b)[^?]{{0,60}}\b{_SINCE}\b[^?]{{0,50}}\b{_CHANGED}\b"
            r"(?!\s+(?:anything|things|much|matters)\b)|"
            rf"\b{_CHANGED}\b[^?]{{0,40}}\b(?:since|yet|in the end|eventually|afterwards|after (?:that|the review|"
            r"this review|it was published|they recommended|the recommendation))\b|"
            r"\b(?:current|currently|now)\b[^?]{0,30}\b(?:rating|rated|grade|graded|status)\b|"
            r"\b(?:rating|rated|grade|graded)\b[^?]{0,30}\b(?:now|currently)\b",
            re.I,
        ),
        # A later change told as one: "has since changed", "now have", "no longer", "following the review";
        # not a past perfect ("had been judged"), which tells of the time before.
        re.compile(
            # Not "it is now known that...": what the reviewer has learnt of the time before.
            r"\b(?:since|now(?! (?:known|understood|clear|apparent|recogni[sz]ed|accepted|believed|thought)\b)|"
            r"no longer|no evidence|recently|subsequently|following (?:the|this) review|"
            r"as a result of (?:the|this) review|(?:has|have) (?:now |since |recently |already |also )?(?:been )?"
            r"\w+(?:ed|en|t)|re-?launch\w*|led to)\b",
            re.I,
        ),
        changed_subject,
    ),
)


# "What did the SCR recommend around ... checking recs are actually implemented?": what follows names the topic of
# the recommendations asked for, not a value asked for; a question of its own may follow ("..., and has it
# actually been implemented since?").
_RECOMMENDED_ABOUT = re.compile(
    r"\bwhat\b[^.?!]{0,80}\brecommend\w*\b"
    r"(?:(?!(?:,|\band|\bbut)\s+(?:has|have|had|did|does|do|was|were|is|are|how|when|who|what|which)\b)[^.?!])*"
    r"(?<!,)(?<!, )(?<! and )(?<! but )$",
    re.I,
)


def expected_type(question: str) -> AnswerType | None:
    """The type of value the question asks for, if it asks for one (see the module docstring); the asker's
    introduction of themselves asks for nothing ("I sit as a magistrate and we get attendance prosecutions."), nor
    does the topic of the recommendations a question asks for."""
    asked = strip_self_introduction(question)
    for t in TYPES:
        m = t.asks.search(asked)
        if m and not _RECOMMENDED_ABOUT.search(asked, 0, m.start()):
            return t
    return None
