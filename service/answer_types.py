"""The kind of answer a question asks for, when it asks for one a sentence can visibly hold.

"How old was...", "how long did it take...", "how many...", "how much money...", "on what date..."
each want a sentence holding an age, a length of time, a number, a sum or a date. The answerer prefers
sentences that hold one and abstains when none of its best candidates does: a sentence about the right
topic with no number in it does not answer "how many".

Questions without such a wh-phrase (most of them) have no expected type and are not affected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_YEAR = r"(?:19|20)\d\d"
# A number, not a year ("2014"), a date's day ("20 March") or part of a name ("Covid-19").
_NUMBER = (
    rf"(?:(?<![A-Za-z]-)(?!{_YEAR}\b)\d[\d,.]*(?!\s+{_MONTH})|one|two|three|four|five|six|seven|eight|nine|ten|"
    r"eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|"
    r"sixty|seventy|eighty|ninety|hundred|a (?:few|couple of)|several|dozens?)"
)
_UNIT = r"(?:years?|months?|weeks?|days?|hours?|minutes?)"


@dataclass(frozen=True)
class AnswerType:
    name: str
    asks: re.Pattern[str]  # the question asks for this type
    held: re.Pattern[str]  # a sentence holds a value of this type

    def holds(self, sentence: str, question: str = "") -> bool:
        """Whether the sentence holds a value of this type that the question does not already give
        ("how many children in 2019/20" is not answered by a sentence whose only number is 2019/20)."""
        asked = question.lower()
        return any(
            not re.search(rf"(?<!\w){re.escape(m.group(0).lower())}(?!\w)", asked)  # a whole value, not "4" in "2014"
            for m in self.held.finditer(sentence)
        )


# Most specific first: "how old" before "how many", "how much money" before nothing at all.
TYPES = (
    AnswerType(
        "age",
        re.compile(r"\bhow old\b|\b(?:what|which) age\b", re.I),
        re.compile(
            rf"\b{_NUMBER}[- ]{_UNIT}[- ]old\b|\baged? (?:of )?(?:just |about |around )?{_NUMBER}\b|"
            rf"\b{_NUMBER}[- ]{_UNIT} of age\b|\b(?:teenager|teenage|newborn|infant|toddler)\b",
            re.I,
        ),
    ),
    AnswerType(
        "money",
        re.compile(
            r"\bhow much (?:money|funding|debt)\b|\bhow much\b[^?]{0,60}\b(?:cost|owe|owed|pay|paid|spend|spent|"
            r"fund|funding|ask(?:ed)? for)\b",
            re.I,
        ),
        re.compile(r"[£$€]\s?\d|\b\d[\d,.]*\s?(?:pounds|k\b|million|thousand)", re.I),
    ),
    AnswerType(
        "duration",
        re.compile(r"\bhow long\b|\bfor how many (?:years|months|weeks|days)\b", re.I),
        re.compile(rf"\b{_NUMBER}[- ]{_UNIT}\b|\b{_MONTH}\b|\b{_YEAR}\b", re.I),
    ),
    AnswerType(
        "count",
        # "How many reviews/cases..." is answered by the grouped answer's count of reviews, not by a sentence.
        re.compile(r"\bhow many\b(?!\s+(?:of\s+)?(?:the\s+|these\s+|those\s+)?(?:reviews|cases|reports)\b)", re.I),
        re.compile(rf"\b{_NUMBER}\b", re.I),
    ),
    AnswerType(
        "date",
        re.compile(r"\b(?:what|which|on what) (?:date|day|month|year)\b|\bwhen exactly\b", re.I),
        re.compile(rf"\b{_MONTH}\b|\b{_YEAR}\b|\b\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}}\b", re.I),
    ),
)


def expected_type(question: str) -> AnswerType | None:
    """The type of value the question asks for, if it asks for one (see the module docstring)."""
    return next((t for t in TYPES if t.asks.search(question)), None)
