"""Follow-up resolution without an LLM.

A follow-up ("what did it recommend about that?", "and the father?", "what about
health visitors?") is rewritten into a standalone query by carrying forward the
topic words of the earlier question(s) and the review(s) in focus. A question
complete in itself keeps only the review in focus (unless it names another review
or asks across the library).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.records import ReviewMeta
from index.keyword import STOPWORDS, base_word
from index.query import (
    DOC_TYPE_WORDS,
    alias_pattern,
    children_together,
    question_part,
    review_aliases,
    strip_review_names,
    strip_self_introduction,
)
from service.answer import spans_reviews

# Starts that continue the conversation whatever the question names ("and Child O?", "what about ...",
# "same problem in Child Y?").
_CONTINUING = r"and|but|also|so|what about|how about|what else|anything else|same(?!-)"
_FOLLOWUP_START = re.compile(
    rf"^\s*({_CONTINUING}|"
    r"did (?:it|they|that|the other)|does it|do they|was (?:it|that|there)|were they|why|how come|who|when)"
    r"(?:['’]s)?\b",  # "who's it aimed at?": not "'s it aimed at"
    re.I,
)
_PRONOUN = re.compile(
    r"\b(it|its|that|this|these|those|they|them|their|he|she|him|her|the same|that review|this review|"
    r"the review|that case|this case|the case|there|the other)\b",
    re.I,
)
_TOPIC_STOP = STOPWORDS | {
    "review",
    "reviews",
    "say",
    "said",
    "about",
    "tell",
    "me",
    "more",
    "please",
    "anything",
    "else",
    "learning",
    "find",
    "found",
    "happened",
    "report",
    "recommend",
    "recommended",
    "recommendation",
    "recommendations",
    "child",
    "children",
    "case",
    "also",
    "other",
    "one",
    "thing",
    "things",
    "know",
    "like",
    "get",
    "got",
    # Asking for an overview names no topic: "give me a quick summary of the Child O review".
    "give",
    "quick",
    "summary",
    "summarise",
    "summarize",
    "overview",
    "outline",
    "explain",
}
_REVIEW_REF = re.compile(r"\[([^\],]+?), [^\]]+\]")


@dataclass
class Resolved:
    query: str
    review_ids: list[str] = field(default_factory=list)
    is_followup: bool = False


def _content_words(text: str) -> list[str]:
    words = re.findall(r"[A-Za-z][A-Za-z'’\-]+", text)
    return [w for w in words if w.lower() not in _TOPIC_STOP and len(w) > 2]


def _topic_words(text: str) -> list[str]:
    """The words a follow-up carries from an earlier question: its content words less contractions of function
    words ("they're", "I'm", "wasn't"), which name no topic; a possessive ("children's") stays."""
    return [w for w in _content_words(text) if base_word(w.lower().replace("’", "'")) not in STOPWORDS]


def _mentioned_reviews(text: str, reviews: list[ReviewMeta]) -> list[str]:
    """The reviews the text names. A review's type ("scrutineer", "briefing") names it only outside the asker's
    introduction: "I've just started as the partnership's independent scrutineer" is who asks."""
    low = text.lower()
    asked = strip_self_introduction(text).lower()
    found = []
    for meta in reviews:
        together = children_together([meta])  # "P and H" names the Child P and Child H review
        if any(
            re.search(alias_pattern(n, meta), asked if n in DOC_TYPE_WORDS else low)
            for n in review_aliases(meta, reviews)
        ) or (together and re.search(together, low, re.I)):
            found.append(meta.id)
    return found


def _cited_reviews(answer: str, reviews: list[ReviewMeta]) -> list[str]:
    names = {m.id: [c.lower() for c in m.children] + [m.title.lower()] for m in reviews}
    cited: list[str] = []
    for m in _REVIEW_REF.finditer(answer):
        ref = m.group(1).lower()
        for rid, ns in names.items():
            if any(n and n in ref for n in ns) and rid not in cited:
                cited.append(rid)
    # Grouped thematic answers name each review at the start of its block: "Child Y (Dudley, 2022): ..."
    for line in answer.splitlines():
        head = line.split(":", 1)[0].lower()
        for rid, ns in names.items():
            if any(n and head.startswith(n) for n in ns) and rid not in cited:
                cited.append(rid)
    return cited


_CONTINUES = re.compile(rf"^\s*({_CONTINUING})\b", re.I)


# An acknowledgement before the question ("ok, and ...", "thanks - what about ...") says nothing of it.
_ACKNOWLEDGED = re.compile(
    r"^\s*(?:(?:ok(?:ay)?|right|thanks|thank you|cheers|great|cool|fine|got it|good to (?:hear|know)|"
    r"interesting|makes sense|jeez|wow|blimey|gosh|crikey|yikes|omg|oh dear|oh no|oh god|god|ugh|hmm+|oof)"
    r"(?:\s*[,.!:;\-]+\s*|\s+(?=(?:and|so|but|what|how|then|thanks|thank you)\b)))+",
    re.I,
)


# "And was there anything about X?", "did it say anything on X?": a new subject in the same review; the last
# topic's words would only pull away from it.
_ANYTHING_ABOUT = re.compile(
    r"^\s*(?:and\s+|so\s+)?(?:(?:was|is) there anything (?:about|on)|"
    r"(?:did|does) (?:it|they|that review|the review) (?:say|mention|cover) anything (?:about|on))\b",
    re.I,
)


# Words that point back at the last answer, not at something the question itself names.
_POINTS_BACK = re.compile(r"\b(it|its|that|this|these|those|the same)\b", re.I)


# Words that only look like pointing back: "that" joining a clause ("discovered that the child wasn't in
# school"), and "these reviews", which are the library's.
_NOT_POINTING = re.compile(
    r"\b(?P<before>[\w'’]+\s+)that(?=\s+(?:the|a|an|he|she|they|it|there|his|her|their|no|any|some|all|we|you|i|"
    r"mum|dad|mother|father|parents?|child|children|professionals?|agencies|staff|social workers?|nobody|no-one|"
    r"someone)\b)|\b(?:these|those)(?=\s+(?:reviews|cases|reports|five reviews)\b)",
    re.I,
)
# ...but not "was that the right call?", "about that the first time": there "that" is the thing pointed at.
_THAT_POINTS_AFTER = frozenset(
    "was is were be been being did does do about of with on in for to after before from how why when what all and "
    "but so like by at".split()
)


def _pointing_words_only(text: str) -> str:
    """The text without words that only look like pointing back (``_NOT_POINTING``)."""

    def drop(m: re.Match[str]) -> str:
        before = m.group("before")
        if before is None:
            return " "
        return m.group(0) if before.strip().lower() in _THAT_POINTS_AFTER else before

    return _NOT_POINTING.sub(drop, text)


# A new subject, said so: "Changing tack: ...", "On a different note, ...", "Different question - ...".
_NEW_SUBJECT = re.compile(
    r"^\s*(?:changing tack|change of (?:subject|topic)|on (?:a )?(?:different|another|separate|unrelated) "
    r"(?:note|topic|subject)|(?:completely |totally )?(?:a |one )?(?:different|new|separate|unrelated) "
    r"(?:question|topic|subject|case|review)(?: now)?|"
    r"moving on|switching (?:topics?|subjects?)|something (?:else|different)(?: entirely)?)\b[\s,.:;!\-–—]*",
    re.I,
)


def is_followup(question: str, names_review: bool = False, unnamed: str | None = None) -> bool:
    """Whether the question leans on the conversation. One that names its own review and points back at
    nothing ("When was the Child O review published?") is complete, however short or wh-started; so is one
    that names its review and asks a whole question of it, with a "they" of its own ("does the Dudley
    briefing say anything about parents who look like they're going along with things?"). One that says it
    changes the subject ("Changing tack: ...") is complete too. ``unnamed`` is the question without the
    review's names."""
    if _NEW_SUBJECT.match(question) and len(_content_words(_NEW_SUBJECT.sub("", question))) >= 3:
        return False
    question = _pointing_words_only(question)
    unnamed = _pointing_words_only(unnamed) if unnamed else None
    if names_review and not _CONTINUES.search(question):
        if not _PRONOUN.search(question):
            return False
        if not _POINTS_BACK.search(question) and len(_content_words(unnamed or question)) >= 4:
            return False
    words = _content_words(question)
    return bool(_FOLLOWUP_START.search(question) or _PRONOUN.search(question) or len(words) <= 2)


def _last_named(users: list[str], reviews: list[ReviewMeta]) -> list[str]:
    """The review(s) the user most recently named, however many turns ago."""
    for earlier in reversed(users):
        named = _mentioned_reviews(earlier, reviews)
        if named:
            return named
    return []


def _without_names(words: list[str], left: list[ReviewMeta], reviews: list[ReviewMeta]) -> list[str]:
    """Carried topic words without the names of reviews the conversation has left (possibly all of them)."""
    return strip_review_names(" ".join(words), left, reviews, keep_bare=False).split()


def resolve(question: str, history: list[dict[str, str]], reviews: list[ReviewMeta]) -> Resolved:
    """The query to run for ``question`` given the conversation so far."""
    question = _ACKNOWLEDGED.sub("", question) or question
    explicit = _mentioned_reviews(question, reviews)
    users = [h["content"] for h in history if h.get("role") == "user" and h.get("content")]
    assistants = [h["content"] for h in history if h.get("role") == "assistant" and h.get("content")]
    if not users:
        return Resolved(question.strip(), explicit, False)
    named = [m for m in reviews if m.id in explicit]
    unnamed = strip_review_names(question, named, reviews) if named else question
    if not is_followup(question, names_review=bool(explicit), unnamed=unnamed):
        # A question complete in itself still stays with the review the conversation is about, unless it
        # names its own or asks across the library.
        new_subject = _NEW_SUBJECT.match(question)
        other_case = bool(new_subject and re.search(r"\b(?:case|review)\b", new_subject.group(0), re.I))
        if not explicit and not other_case:  # "A different case now: ..." leaves the review in focus too
            last = _last_named(users, reviews)
            if not spans_reviews(question, in_focus=bool(last)):
                explicit = last
        return Resolved(question.strip(), explicit, False)

    # The last question's topic, or, when it was itself an elliptical follow-up naming next to nothing ("what did
    # doing one show?" after a question about genograms), the topic it ran with.
    previous = users[-1]
    if len(_topic_words(previous)) <= 2:
        asked_at = max(i for i, h in enumerate(history) if h.get("role") == "user" and h.get("content"))
        earlier = resolve(previous, history[:asked_at], reviews)
        previous = earlier.query if earlier.is_followup else previous
    # What was asked, not the asker's account of themselves or their case before it ("had a lad placed with me for
    # a week once. In the Child O review, where is the child living now?").
    topic = _topic_words(strip_self_introduction(question_part(previous)))
    own = {w.lower() for w in _content_words(question)}
    carried = [w for w in topic if w.lower() not in own]
    # "What about X?" replaces the subject but keeps the frame; a pronoun keeps the whole topic.
    replaces_subject = bool(re.match(r"^\s*(and\s+)?(what|how) about\b", question, re.I)) and own
    if replaces_subject:
        carried = [w for w in carried if w[0].isupper()] or carried[:3]
    elif _ANYTHING_ABOUT.match(question) and own:
        carried = [w for w in carried if w[0].isupper()]
    focus = explicit
    if explicit:
        # Switching review ("what about the Hartlepool one?"): the name of the one left behind does not carry.
        carried = _without_names(carried, [m for m in reviews if m.id not in explicit], reviews)
    if not focus:
        mentioned_before = _last_named(users, reviews)
        cited = _cited_reviews(assistants[-1], reviews) if assistants else []
        refers_to_one = re.search(r"\b(that|this|the) (review|case|report)\b|\b(it|they|he|she)\b", question, re.I)
        if re.search(r"\bthe other (review|one|reviews)\b|\bother reviews\b", question, re.I):
            left = mentioned_before or cited
            focus = [m.id for m in reviews if m.id not in left]
            # The topic carries to the other reviews; the name of the one left behind does not ("Emily").
            carried = _without_names(carried, [m for m in reviews if m.id in left], reviews)
        elif spans_reviews(question, in_focus=bool(mentioned_before) or len(cited) == 1):
            focus = []  # "what do the reviews say about that?": the topic carries, the review does not
        elif mentioned_before:
            focus = mentioned_before
        elif refers_to_one and len(cited) == 1:
            focus = cited
    if assistants:
        # "Is there any training on that process?": the words the last answer put before "process" ("the DSPP
        # Professional Challenge and Resolution process") say which one.
        said = _named_in_answer(question, assistants[-1])
        carried += [w for w in said if w.lower() not in own and w not in carried]
    stripped = re.sub(_FOLLOWUP_START, "", question).strip(" ?.!") or question
    query = " ".join([stripped] + carried).strip()
    return Resolved(query, focus, True)


# "that process", "those meetings", "the same policy": a thing pointed at by its noun.
_POINTED_NOUN = re.compile(r"\b(?:that|this|those|these|the same)\s+([a-z][a-z-]{3,})\b", re.I)


def _named_in_answer(question: str, answer: str) -> list[str]:
    """The content words the answer puts just before a noun the question points at ("that process")."""
    words: list[str] = []
    for m in _POINTED_NOUN.finditer(question):
        noun = m.group(1).lower()
        if noun in _TOPIC_STOP:
            continue
        singular = noun[:-1] if noun.endswith("s") and not noun.endswith("ss") else noun  # not "proces"
        before = re.search(rf"((?:[\w'’-]+\s+){{0,4}}){re.escape(singular)}\w*\b", answer, re.I)
        if before:
            words += [w for w in re.findall(r"[\w'’-]+", before.group(1)) if w.lower() not in _TOPIC_STOP]
    return list(dict.fromkeys(words))
