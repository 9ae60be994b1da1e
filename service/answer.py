"""Answer composition: extractive by default, every sentence quoted verbatim and cited.

``ExtractiveAnswerer`` picks the sentences that answer the question from the
retrieved paragraphs, scoring each sentence with the embedding model and term
overlap. ``LLMAnswerer`` (optional, ``LLM_BASE_URL``) writes an answer from
numbered paragraphs and keeps only sentences with a valid citation; on any
error it falls back to the extractive answer.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from functools import partial
from typing import Protocol

import numpy as np

from core.records import Answer, Citation, ReviewMeta, label_display
from core.settings import Settings
from index.keyword import tokenize
from index.query import PRACTICE_ACRONYMS, SYNONYM_GROUPS, expansion_words
from index.retrieval import ExpandedQuery, Filters, Hit, Retriever, is_recommendation
from service.answer_types import AnswerType, expected_type

log = logging.getLogger(__name__)

_THEME = re.compile(
    r"\b(reviews|across|themes?|common|patterns?|all the|library|each review|any of the|which reviews|"
    r"what (?:do|did) (?:the )?reviews (?:say|find|learn)|"
    r"(?:these|those|the|any of the|all the|which|other|any) cases)\b",
    re.I,
)
# "What did they say...", "what's the learning for us", "the lessons": the reviews, unless one review is in focus,
# when "they" are its authors and the learning is its own.
_THEY_SAY = re.compile(r"\bwhat (?:do|did) they (?:say|find|learn)\b|\blearning (?:about|on|for)\b|\blessons?\b", re.I)
# A sentence that is itself a question: "To what extent did practitioners "Think Fathers"?"
_QUESTION_END = re.compile(r"\?[\"”’')\]]*\s*$")
_RECOMMEND = re.compile(
    r"\b(recommend\w*|should (?:be )?(?:done|change)|actions?|what needs to change)\b|"
    # "What did the review want done / added / the board to do...?": what it asked for is what it recommended.
    # The review (or "it", "they") must be what asks: "what did mum say they wanted" is about mum.
    r"\bwhat (?:did|does|do) (?:(?:the |that |this )?(?:[\w'’/-]+ ){0,5}?(?:review|reviews|reviewer|reviewers|author|"
    r"briefing)|it|they)\b[^?]{0,10}\bwant(?:ed)?\b",
    re.I,
)

# "What happened to Child O?", "a one line summary of what happened to the baby", "what was the case about?": the
# case itself, which a review tells in its opening paragraphs. A name must be one of the library's children.
_WHAT_HAPPENED = re.compile(
    r"\bwhat (?:\w+ )?happened (?:to|with) (?:child [a-z]|(?:the|this|that|both|these|those) (?:two |little )?"
    r"(?:baby|babies|child|children|kids?|little ones?|boy|girl|toddler|infant|young person)|(?P<name>\w+))\b(?!['’])|"
    r"\bwhat (?:was|is|were) (?:the|this|that) (?:case|review|incident)s? (?:\w+ )?about\b|"
    r"\bsummary of (?:the|this|that) case\b",
    re.I,
)

# A sentence telling of harm to a child: what "what happened to..." asks for.
_HARM = re.compile(
    r"\b(?:died|death|deaths|killed|assault\w*|stabbed|attack\w*|injur\w*|trauma|fractur\w*|non-accidental|"
    r"neglect\w*|abuse[ds]?|harmed|suffered|hospitali[sz]ed|developmentally delayed)\b",
    re.I,
)


def asks_what_happened(question: str, reviews: list[ReviewMeta]) -> bool:
    """Whether the question asks what happened to the child a review is about (see ``_WHAT_HAPPENED``)."""
    m = _WHAT_HAPPENED.search(question)
    if not m:
        return False
    name = m.group("name")
    return name is None or any(name.lower() == child.lower() for meta in reviews for child in meta.children)


# The words that ask for recommendations, not what about: "what did they recommend about fathers?" -> fathers.
# The recommendation synonym group's words, which every such question's expansion brings in, and the asking.
_ASKING_FOR_ACTIONS = frozenset(
    tokenize(" ".join(next(g for g in SYNONYM_GROUPS if "recommend" in g)) + " what review reviews report want done")
)

_MAY_BE_RELATED = "The closest paragraphs are listed as 'may be related' so you can check for yourself."
ABSTAIN_MESSAGE = f"The reviews in this library don't appear to answer that. {_MAY_BE_RELATED}"


class Answerer(Protocol):
    def answer(self, question: str, query: str, filters: Filters) -> Answer: ...


@dataclass
class Scored:
    hit: Hit
    sentence: str
    score: float


@dataclass
class Evidence:
    """What an answer is written from: the question's kind ("fact", "across", "theme", "recommendation"),
    the query that ran, its vector, the candidate paragraphs and their sentences, best first."""

    kind: str
    query: str
    qvec: np.ndarray
    hits: list[Hit]
    scored: list[Scored]


def no_review_matches(query: str, filters: Filters, reviews: list[ReviewMeta]) -> Answer:
    """The answer when the request's filters admit none of the library's reviews: says so, and what it holds."""
    areas = sorted({m.area for m in reviews if m.area})
    years = sorted({m.year for m in reviews if m.year})
    types = sorted({m.type for m in reviews if m.type})
    held = f"areas {', '.join(areas)}"
    if years:
        held += f"; years {years[0]}-{years[-1]}"
    if types:
        held += f"; types {', '.join(types)}"
    message = f"No review in this library matches the filters ({filters.describe()}). The library holds: {held}."
    return Answer(message, [], True, query, [])


def question_kind(question: str, in_focus: bool = False) -> str:
    if _RECOMMEND.search(question):
        return "recommendation"
    if spans_reviews(question, in_focus):
        return "theme"
    return "fact"


def spans_reviews(question: str, in_focus: bool = False) -> bool:
    """Whether the question asks across the library ("what do the reviews say..."), not about one review.
    With one review in focus (named, or carried from the conversation), "what did they say" asks about it."""
    return bool(_THEME.search(question) or (not in_focus and _THEY_SAY.search(question)))


def is_rewritten(question: str, query: str) -> bool:
    """Whether the query was rewritten from the conversation (a follow-up), not the question as asked."""
    return query.strip() != question.strip()


def cite_label(retriever: Retriever, review_id: str, label: str) -> str:
    return f"[{short_name(retriever, review_id)}, {label_display(label)}]"


def short_name(retriever: Retriever, review_id: str) -> str:
    meta = retriever.reviews.get(review_id)
    if meta and meta.children:
        return " and ".join(meta.children) if len(meta.children) <= 2 else meta.children[0]
    return meta.title if meta else review_id


# The weight of a sentence's paragraph (its match with the question, pooled and word by word) in the sentence's score.
_PARAGRAPH_WEIGHT = 0.3


def evidence_score(hit: Hit) -> float:
    """How well a paragraph supports an answer: dense similarity lifted by query-word coverage."""
    return hit.dense + 0.25 * hit.coverage


def evidence_strength(retriever: Retriever, q: ExpandedQuery, hits: list[Hit], qvec: np.ndarray) -> float:
    """Whether the library can answer at all: the best matching sentence, how fully the best paragraph
    covers the question's words, how many of those words the library knows, and how closely the best
    paragraph matches each of the question's tokens (late interaction), less a penalty when the question names
    one of the field's acronyms or topics that no review mentions. Abstention compares this with
    ``answer.abstain_threshold``, calibrated on the dev split (``reviews eval --calibrate``)."""
    top = hits[:5]
    if not top:
        return 0.0
    best_sentence = max(
        (sim for h in top for _, sim in retriever.sentence_scores(qvec, h.paragraph.review_id, h.paragraph.label)),
        default=0.0,
    )
    coverage = max(h.coverage for h in top)
    late = max(h.late for h in top)
    strength = 0.5 * best_sentence + 0.25 * coverage + 0.5 * retriever.known_share(q.asked_terms, q.phrased) + late
    return strength - retriever.settings.answer.unheld_penalty * bool(q.unheld)


def blend(primary: list[Hit], secondary: list[Hit], weight: float) -> list[Hit]:
    """The paragraphs of both rankings, scored by the primary score plus ``weight`` times the secondary;
    a paragraph missing from one ranking counts as scoring that ranking's lowest."""
    first = {(h.paragraph.review_id, h.paragraph.label): h for h in primary}
    second = {(h.paragraph.review_id, h.paragraph.label): h for h in secondary}
    floor1 = min((h.score for h in primary), default=0.0)
    floor2 = min((h.score for h in secondary), default=0.0)
    merged: dict[tuple[str, str], tuple[float, Hit]] = {}
    for key in list(first) + [k for k in second if k not in first]:
        hit = first.get(key) or second[key]
        s1 = first[key].score if key in first else floor1
        s2 = second[key].score if key in second else floor2
        merged[key] = (s1 + weight * s2, hit)
    ranked = sorted(merged.values(), key=lambda sh: -sh[0])
    return [replace(hit, score=score) for score, hit in ranked]


class ExtractiveAnswerer:
    def __init__(self, retriever: Retriever, settings: Settings) -> None:
        self.retriever = retriever
        self.settings = settings

    def retrieve(
        self, question: str, query: str, filters: Filters, top_k: int = 20
    ) -> tuple[str, ExpandedQuery, np.ndarray, list[Hit]]:
        """The question's kind, expanded query, query vector and candidate paragraphs."""
        in_focus = len(filters.review_ids or []) == 1
        kind = question_kind(question, in_focus)
        r = self.retriever
        q = r.expand(query, filters)
        qvec = r.embed_query(r.dense_query(q))
        diversify, recommendations = spans_reviews(question, in_focus), kind == "recommendation"
        opening = in_focus and asks_what_happened(question, list(r.reviews.values()))
        # Both searches below (the query as resolved, and a follow-up in its own words) favour the same paragraphs.
        search = partial(
            r.search,
            top_k=top_k,
            filters=filters,
            diversify=diversify,
            recommendations=recommendations,
            opening=opening,
        )
        hits = search(query, query_vec=qvec)
        weight = self.settings.retrieval.followup_own_weight
        if weight > 0 and hits and is_rewritten(question, query):
            # A follow-up rewritten with the conversation's topic ("did the police go round too" + the last
            # question's words) also counts what its own words ask for (dev split: evals/DECISIONS.md).
            hits = blend(hits, search(question), weight)[:top_k]
        return kind, q, qvec, hits

    def assess(self, question: str, query: str, filters: Filters) -> tuple[float, str | None]:
        """For calibration: the evidence strength, and the kind of value the question asks for ("how many":
        a number) when none of the best sentences holds one, so the answerer abstains whatever its threshold."""
        kind, q, qvec, hits = self.retrieve(question, query, filters)
        strength = evidence_strength(self.retriever, q, hits, qvec)
        if not hits:
            return strength, None
        wanted, scored = self._sentences(question, query, filters, kind, q, qvec, hits)
        missing = self._missing(question, wanted, scored)
        return strength, missing.name if missing else None

    def gather(self, question: str, query: str, filters: Filters) -> Evidence | Answer:
        """The evidence an answer is written from, or the abstention when there is none worth quoting.

        Both answerers start here, so the generative one abstains whenever the extractive one would."""
        r = self.retriever
        kind, q, qvec, hits = self.retrieve(question, query, filters)
        if not hits:
            return Answer(ABSTAIN_MESSAGE, [], True, query, [])
        if evidence_strength(r, q, hits, qvec) < self.settings.answer.abstain_threshold:
            return self.abstain(query, hits, q.unheld)
        wanted, scored = self._sentences(question, query, filters, kind, q, qvec, hits)
        held = self._first_held(question, wanted, scored)
        if wanted and held is None and self.settings.answer.type_window:
            # "How many...?" answered by sentences with no number in them is not an answer.
            log.debug("no %s among the best sentences: abstaining", wanted.name)
            return self.abstain(query, hits)
        if held:
            # "Who was the lead reviewer?": the answer leads with the sentence that names one.
            scored = [held, *(s for s in scored if s is not held)]
        if kind == "fact" and len(filters.review_ids or []) != 1 and len(r.reviews) > 1:
            # No one review in focus (none named, none carried from the conversation): the question is about
            # the library, so the answer says which reviews hold it rather than quoting only the top paragraph.
            kind = "across"
        return Evidence(kind, query, qvec, hits, scored)

    def answer(self, question: str, query: str, filters: Filters) -> Answer:
        evidence = self.gather(question, query, filters)
        return evidence if isinstance(evidence, Answer) else self.compose(evidence)

    def compose(self, evidence: Evidence) -> Answer:
        """The extractive answer from gathered evidence: quoted sentences, grouped by review across the library."""
        if evidence.kind == "fact":
            return self._fact(evidence.scored, evidence.query)
        return self._theme(evidence.scored, evidence.query, evidence.kind, evidence.qvec)

    def abstain(self, query: str, hits: list[Hit], unheld: tuple[str, ...] = ()) -> Answer:
        """No answer, with the closest paragraphs offered as "may be related", and what the question named that
        no review mentions ("LADO (local authority designated officer)")."""
        message = ABSTAIN_MESSAGE
        if unheld:
            names = " or ".join(f"{a} ({PRACTICE_ACRONYMS[a]})" if a in PRACTICE_ACRONYMS else a for a in unheld)
            message = (
                f"None of the reviews in this library mentions {names}, so they can't answer that. {_MAY_BE_RELATED}"
            )
        return Answer(message, [], True, query, [self.citation(h, None) for h in hits[:3]])

    def _sentences(
        self,
        question: str,
        query: str,
        filters: Filters,
        kind: str,
        q: ExpandedQuery,
        qvec: np.ndarray,
        hits: list[Hit],
    ) -> tuple[AnswerType | None, list[Scored]]:
        """The kind of value the question asks for, if any, and the candidate sentences best first."""
        r = self.retriever
        query_words = expansion_words(q.terms, q.expansions)
        share = self.settings.answer.followup_own_share
        if share > 0 and is_rewritten(question, query):
            # A follow-up's paragraphs carry the conversation's topic; its sentences answer what it asks now.
            own = r.embed_query(r.dense_query(r.expand(question, filters)))
            blended = (1 - share) * qvec + share * own
            qvec = blended / (np.linalg.norm(blended) or 1.0)
        wanted = expected_type(question)  # what the question asks now, a follow-up included
        return wanted, self._score_sentences(question, hits, qvec, query_words, kind, wanted)

    def _first_held(self, question: str, wanted: AnswerType | None, scored: list[Scored]) -> Scored | None:
        """The best sentence holding the kind of value the question asks for, among the best
        ``answer.type_window`` (all of them when that is 0)."""
        if wanted is None:
            return None
        window = self.settings.answer.type_window
        return next((s for s in (scored[:window] if window else scored) if wanted.holds(s.sentence, question)), None)

    def _missing(self, question: str, wanted: AnswerType | None, scored: list[Scored]) -> AnswerType | None:
        """The kind of value the question asks for when none of the best sentences holds one, else None."""
        if wanted and self.settings.answer.type_window and self._first_held(question, wanted, scored) is None:
            return wanted
        return None

    def _case_told(self, hits: list[Hit], qvec: np.ndarray) -> dict[str, tuple[int, int]]:
        """For each review among the opening paragraphs, where its first sentence telling of harm is: (paragraph
        ordinal, sentence index)."""
        told: dict[str, tuple[int, int]] = {}
        for hit in hits:
            if not hit.opening:
                continue
            p = hit.paragraph
            sentences = self.retriever.sentence_scores(qvec, p.review_id, p.label)
            i = next((i for i, (sentence, _) in enumerate(sentences) if _HARM.search(sentence)), None)
            if i is not None and (p.review_id not in told or (p.ordinal, i) < told[p.review_id]):
                told[p.review_id] = (p.ordinal, i)
        return told

    def _score_sentences(
        self,
        question: str,
        hits: list[Hit],
        qvec: np.ndarray,
        words: set[str],
        kind: str,
        wanted: AnswerType | None = None,
    ) -> list[Scored]:
        out: list[Scored] = []
        late_weight = self.settings.answer.sentence_late_weight
        type_boost = self.settings.answer.type_boost
        asks = self.settings.answer.question_penalty
        opening = self.settings.answer.opening_boost
        # A recommendation is asked about a topic: one that names none of its words doesn't answer.
        topic = words - _ASKING_FOR_ACTIONS if kind == "recommendation" else set()
        off_topic = self.settings.answer.off_topic_penalty if topic else 0.0
        told = self._case_told(hits, qvec)
        for rank, hit in enumerate(hits):
            # A sentence inherits how well its paragraph matches the question: pooled, word by word, and by rank.
            para_prior = evidence_score(hit) + late_weight * hit.late - 0.01 * rank
            label = hit.paragraph.label
            is_rec = is_recommendation(hit.paragraph)
            for i, (sentence, sim) in enumerate(self.retriever.sentence_scores(qvec, hit.paragraph.review_id, label)):
                if len(sentence) < 25:
                    continue
                stems = set(tokenize(sentence))
                overlap = len(words & stems) / (len(words) or 1)
                score = 0.5 * sim + _PARAGRAPH_WEIGHT * para_prior + 0.2 * min(1.0, overlap * 2)
                if kind == "recommendation":
                    score += 0.15 if is_rec else -0.05
                    if off_topic and not topic & stems:
                        score -= off_topic
                if wanted and wanted.holds(sentence, question):
                    score += type_boost
                if hit.opening and _HARM.search(sentence):  # "what happened to Child O?": the harm, told at the opening
                    # The review's first sentence telling of harm states the case, and leads; later ones tell its
                    # details.
                    first = told.get(hit.paragraph.review_id) == (hit.paragraph.ordinal, i)
                    score += opening * 1.2 if first else opening
                if asks and _QUESTION_END.search(sentence):
                    score -= asks
                out.append(Scored(hit, sentence, score))
        out.sort(key=lambda s: -s.score)
        return out

    def _fact(self, scored: list[Scored], query: str) -> Answer:
        chosen: list[Scored] = []
        paras: set[tuple[str, str]] = set()
        best = max((s.score for s in scored), default=0.0)
        for s in scored:
            key = (s.hit.paragraph.review_id, s.hit.paragraph.label)
            if (chosen and s.score < best - 0.12) or len(chosen) >= self.settings.answer.max_fact_sentences:
                break
            if key not in paras and len(paras) >= 2:
                continue
            paras.add(key)
            chosen.append(s)
        return self._compose_fact(chosen, query)

    def _compose_fact(self, chosen: list[Scored], query: str) -> Answer:
        r = self.retriever
        lines: list[str] = []
        citations: dict[tuple[str, str], Citation] = {}
        for s in chosen:
            p = s.hit.paragraph
            if s.sentence not in p.text:  # every quote must occur in the paragraph it cites
                continue
            lines.append(f"“{s.sentence}” {cite_label(r, p.review_id, p.label)}")
            key = (p.review_id, p.label)
            if key in citations:
                citations[key].quote = f"{citations[key].quote} {s.sentence}"
            else:
                citations[key] = self.citation(s.hit, s.sentence)
        if not lines:
            return Answer(ABSTAIN_MESSAGE, [], True, query, [])
        return Answer("\n".join(lines), list(citations.values()), False, query)

    def _theme(self, scored: list[Scored], query: str, kind: str, qvec: np.ndarray) -> Answer:
        r = self.retriever
        a = self.settings.answer
        by_review: dict[str, list[Scored]] = {}
        late: dict[str, float] = {}
        for s in scored:
            rid = s.hit.paragraph.review_id
            by_review.setdefault(rid, []).append(s)
            late[rid] = max(late.get(rid, 0.0), s.hit.late)
        lifts: dict[int, float] = {}

        def lift(hit: Hit) -> float:
            # A paragraph's vector carries its review's title and section heading, which outweigh a one-line
            # paragraph (the neglect briefing's learning points): here it matches at least as well as its
            # sentences do on average (dev split, evals/DECISIONS.md). Both are measured against the question's
            # vector, as ``hit.dense`` was, not the blend a follow-up's sentences are scored with, so the
            # sentence similarities are taken afresh here.
            if id(hit) not in lifts:
                sims = [sim for _, sim in r.sentence_scores(qvec, hit.paragraph.review_id, hit.paragraph.label)]
                mean = sum(sims) / len(sims) if sims else 0.0
                lifts[id(hit)] = _PARAGRAPH_WEIGHT * max(0.0, mean - hit.dense)
            return lifts[id(hit)]

        # A review holds the theme when its best sentence, lifted by how closely its best paragraph matches
        # the question's words, is strong in itself, or strong beside the strongest review's when the question's
        # wording scores every review low, and not far behind the strongest review's (dev split).
        strength = {
            rid: max(s.score + lift(s.hit) for s in ss) + a.theme_late_weight * late[rid]
            for rid, ss in by_review.items()
        }
        strongest = max(strength.values(), default=0.0)
        relative = a.theme_relative_floor * strongest if a.theme_relative_floor else a.theme_min_score
        floor = max(min(a.theme_min_score, relative), strongest - a.theme_margin)
        # The strongest review always holds it: whether to answer at all is the evidence strength's decision.
        holding = [(rid, ss) for rid, ss in by_review.items() if strength[rid] >= floor or strength[rid] == strongest]
        holding.sort(key=lambda kv: -strength[kv[0]])
        holding = holding[: self.settings.answer.max_theme_reviews]
        blocks: list[str] = []
        citations: list[Citation] = []
        for rid, ss in holding:
            meta = r.reviews.get(rid)
            where = ", ".join(str(x) for x in (meta.area if meta else None, meta.year if meta else None) if x)
            # The review's best sentence, then close runners-up, those from paragraphs not yet quoted first: a
            # theme's evidence is usually spread over several paragraphs of a review.
            close = [s for s in ss if s.score >= ss[0].score - a.theme_sentence_margin]
            labels: set[str] = set()
            fresh: list[Scored] = []
            for s in close:
                if s.hit.paragraph.label not in labels:
                    labels.add(s.hit.paragraph.label)
                    fresh.append(s)
            taken = {id(s) for s in fresh}
            picked: list[Scored] = []
            for s in fresh + [s for s in close if id(s) not in taken]:
                if len(picked) >= a.theme_sentences:
                    break
                if s.sentence in s.hit.paragraph.text and all(s.sentence != p.sentence for p in picked):
                    picked.append(s)
            if not picked:
                continue
            quotes = " ".join(f"“{s.sentence}” [{label_display(s.hit.paragraph.label)}]" for s in picked)
            blocks.append(f"{short_name(r, rid)} ({where}): {quotes}" if where else f"{short_name(r, rid)}: {quotes}")
            merged: dict[str, Citation] = {}
            for s in picked:
                label = s.hit.paragraph.label
                if label in merged:
                    merged[label].quote = f"{merged[label].quote} {s.sentence}"
                else:
                    merged[label] = self.citation(s.hit, s.sentence)
            citations.extend(merged.values())
        if not blocks:
            return Answer(ABSTAIN_MESSAGE, [], True, query, [])
        total = len(r.reviews)
        noun = {"recommendation": "recommendations ", "theme": "this theme "}.get(kind, "")
        head = f"Found {noun}in {len(blocks)} of the library's {total} reviews:"
        return Answer(head + "\n\n" + "\n\n".join(blocks), citations, False, query)

    def citation(self, hit: Hit, quote: str | None) -> Citation:
        p = hit.paragraph
        return Citation(
            review_id=p.review_id,
            review_title=self.retriever.review_title(p.review_id),
            label=p.label,
            section=p.section,
            page=p.page,
            text=p.text,
            quote=quote,
            score=round(evidence_score(hit), 4),
        )
