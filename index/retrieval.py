"""Hybrid retrieval: dense (Chroma via llama-index) + BM25, fused by weighted reciprocal rank fusion.

Also keeps the corpus's paragraphs and per-sentence embeddings in memory (a few
thousand short vectors) so the answerer can score sentences without re-embedding.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core import VectorStoreIndex
from llama_index.core.vector_stores import FilterCondition, FilterOperator, MetadataFilter, MetadataFilters
from llama_index.vector_stores.chroma import ChromaVectorStore
from threadpoolctl import threadpool_limits

from core.records import TITLE_PAGE, Paragraph, ReviewMeta
from core.settings import Settings
from index.cache import replace_cache
from index.embedder import TEXT_FORM, Embedder, LlamaEmbedding, TokenVectors, get_embedder
from index.errors import FilterError, StoreError
from index.keyword import BARE_CONTRACTIONS, STOPWORDS, KeywordIndex, tokenize
from index.late import TokenIndex, chunk_text
from index.query import (
    PRACTICE_ACRONYMS,
    SHORT_NAMES,
    SYNONYM_GROUPS,
    TOPICS,
    Glossary,
    find_acronyms,
    find_idioms,
    find_topics,
    idiom_meanings,
    idiom_words,
    question_part,
    strip_review_names,
    strip_self_introduction,
    synonym_stems,
    write_out_shorthand,
)
from index.rerank import CrossEncoderReranker
from index.spelling import PREFIXES, Speller
from index.store import ReviewStore, StoredChunk, paragraphs_from_chunks

log = logging.getLogger(__name__)

_SENT_SPLIT = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"'”’)]))\s+(?=[\"'“‘(]?[A-Z0-9])")
_ABBREV = re.compile(r"\b(?:e\.g|i\.e|etc|Mr|Mrs|Ms|Dr|No|para|paras|St|vs|approx|Prof)\.$", re.I)


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph, verbatim (each one a substring of the paragraph)."""
    pieces = _SENT_SPLIT.split(text)
    out: list[str] = []
    for piece in pieces:
        if out and (_ABBREV.search(out[-1]) or len(out[-1]) < 3):
            out[-1] = out[-1] + " " + piece
        else:
            out.append(piece)
    # A list run into a paragraph ("... areas: - a - b") stays one sentence per item.
    final: list[str] = []
    for s in out:
        if ": - " in s:
            intro, _, items = s.partition(": - ")
            final.append(intro + ":")
            final.extend(p.lstrip("- ") for p in re.split(r"\s(?=- [A-Z])", items) if p.strip())
        else:
            final.append(s)
    return [s.strip() for s in final if s.strip()]


# What kind of occasion a trainer is preparing: "a twilight session", "a multi-agency training briefing".
_OCCASION_KIND = (
    r"(?:twilight|training|team|short|quick|multi-agency|multi agency|practice|learning|lunchtime|cpd|development|"
    r"half-day|full-day|one-day|staff|inset|supervision|reflective|peer|group)"
)
# Framing that says how to answer, not what about: "what do the reviews say about X" -> "X".
_FRAMING = [
    re.compile(p, re.I)
    for p in (
        # Not across a topic: "what about chronologies - does the briefing say anything on that?" keeps it.
        r"\b(?:what|anything)\b(?:(?!\s[-–—]\s|\babout\b)[^?;:]){0,40}?\b(?:reviews?|briefing|reports?|library)\b\s+"
        r"(?:say|said|says|find|found|tell us|have to say|learn(?:ed|t)?|show)\b(?:\s+about)?",
        r"\b(?:across|in|from|going by)\s+(?:all\s+)?(?:the|these|those)\s+(?:reviews?|cases|reports)\b",
        r"\bwhat (?:is|was) the learning (?:about|on|for)\b",
        r"\b(?:is|was) there any (?:evidence|learning|research) (?:on|about)\b",
        r"\bwhat do we know about\b",
        r"^\s*(?:tell me|can you tell me|please)\b",
        # A trainer's occasion says what the answer is for, not what it is about: "I'm putting together a twilight
        # session for primary school DSLs", "running a workshop for newly qualified social workers on <topic>"
        # (the topic stays), "want it for a CP chairs' practice session".
        r"\b(?:(?:I'?m|I am|we'?re|we are)\s+)?(?:putting together|pulling together|running|doing|planning|preparing|"
        r"delivering|writing|designing)\s+(?:a|an|our|my|some)\s+(?:" + _OCCASION_KIND + r"\s+){0,3}"
        r"(?:sessions?|workshops?|briefings?|training|presentations?|slides?|courses?|modules?|seminars?|twilights?|"
        r"talks?|lunch and learn)\b(?:\s+(?:next|this)\s+\w+)?"
        r"(?:\s+for\s+(?:[\w'’-]+\s+){0,4}?[\w'’-]+(?=\s+(?:on|about)\b|[,.:;?!–—-]))?",
        r"\b(?:want|need)(?:ing)? (?:it|this) for (?:a|an|our|my) [^.?!]*",
        r"\bfor (?:a|an|our|my) (?:training|teaching|twilight) (?:session|day|event)\b",
        # How the answer should be put, not what it is about: "in plain terms", "in a nutshell", "in layman's terms".
        r"\b(?:in|into|using) (?:plain|simple|everyday|layman['’]?s|lay|non-jargon) (?:terms|english|words|language)\b|"
        r"\bin a nutshell\b",
    )
]


def strip_framing(query: str) -> str:
    out = query
    for pattern in _FRAMING:
        out = pattern.sub(" ", out)
    out = re.sub(r"\s+", " ", out).strip(" ,:;?") or query
    return out if len(out.split()) >= 1 else query


def is_recommendation(paragraph: Paragraph) -> bool:
    """A paragraph the review sets out as a recommendation, learning point or outcome (label or section)."""
    return paragraph.label.startswith(("Recommendation", "Learning", "Outcome")) or (
        "recommend" in paragraph.section.lower()
    )


@dataclass
class Filters:
    review_ids: list[str] | None = None
    area: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    review_type: str | None = None

    def is_empty(self) -> bool:
        return not (self.review_ids or self.area or self.year_from or self.year_to or self.review_type)

    def allows(self, meta: dict[str, Any]) -> bool:
        if self.review_ids and meta.get("review_id") not in self.review_ids:
            return False
        if self.area and str(meta.get("area", "")).lower() != self.area.lower():
            return False
        year = int(meta.get("year") or 0)
        if self.year_from and (not year or year < self.year_from):
            return False
        if self.year_to and (not year or year > self.year_to):
            return False
        if self.review_type and str(meta.get("review_type", "")).lower() != self.review_type.lower():
            return False
        return True

    def allows_review(self, meta: ReviewMeta) -> bool:
        """Whether the filters admit this review (the same test ``allows`` makes of a chunk's metadata)."""
        return self.allows({"review_id": meta.id, "area": meta.area, "year": meta.year, "review_type": meta.type})

    def describe(self) -> str:
        """The filters in words: "area 'Leeds', years 2018-2019"."""
        parts = []
        if self.review_ids:
            parts.append("reviews " + ", ".join(repr(r) for r in self.review_ids))
        if self.area:
            parts.append(f"area {self.area!r}")
        if self.year_from or self.year_to:
            parts.append(f"years {self.year_from or '...'}-{self.year_to or '...'}")
        if self.review_type:
            parts.append(f"type {self.review_type!r}")
        return ", ".join(parts) or "none"

    def to_llama(self) -> MetadataFilters | None:
        items: list[MetadataFilter] = []
        if self.review_ids:
            items.append(MetadataFilter(key="review_id", value=list(self.review_ids), operator=FilterOperator.IN))
        if self.area:
            items.append(MetadataFilter(key="area", value=self.area, operator=FilterOperator.EQ))
        if self.year_from:
            items.append(MetadataFilter(key="year", value=self.year_from, operator=FilterOperator.GTE))
        if self.year_to:
            items.append(MetadataFilter(key="year", value=self.year_to, operator=FilterOperator.LTE))
        if self.review_type:
            items.append(MetadataFilter(key="review_type", value=self.review_type, operator=FilterOperator.EQ))
        return MetadataFilters(filters=items, condition=FilterCondition.AND) if items else None  # type: ignore[arg-type]


@dataclass
class Hit:
    """One retrieved paragraph with its scores."""

    paragraph: Paragraph
    chunk_id: str
    score: float  # fused RRF score (ranking)
    dense: float  # cosine similarity of query and chunk, 0..1
    keyword: float  # BM25 score of the chunk
    coverage: float  # share of the query's content words found in the paragraph
    late: float = 0.0  # late-interaction (token MaxSim) score of the paragraph's best chunk, 0..1
    opening: bool = False  # one of its review's opening paragraphs, favoured for "what happened to the child?"


@dataclass
class ExpandedQuery:
    text: str
    terms: list[str]
    expansions: list[str] = field(default_factory=list)
    phrased: frozenset[str] = frozenset()  # words of a curated phrase in the query ("out of the loop")
    idiomatic: frozenset[str] = frozenset()  # words of its idioms ("send another"), which their meaning covers
    meant: list[str] = field(default_factory=list)  # what its idioms stand for ("information sharing")
    unheld: tuple[str, ...] = ()  # acronyms and topics naming something no review mentions ("LADO")
    # The words of what is asked, without the asker's introduction ("I'm a kinship foster carer (my niece)"): only
    # these count towards the share of words the library knows.
    asked: list[str] | None = None

    @property
    def asked_terms(self) -> list[str]:
        """The words of what is asked (no introduction) that say what it is about: no everyday filler."""
        return [t for t in (self.asked or self.terms) if t not in FILLER]

    @property
    def dense_text(self) -> str:
        if not self.expansions:
            return self.text
        return f"{self.text} ({', '.join(self.expansions[:8])})"


# Everyday filler the reviews have no call to use: a question is no less answerable for "we've got" or "stuff".
FILLER = frozenset(
    stem
    for word in """got get gets getting everything anything something stuff thing things yes yeah lot lots bit like
    really actually basically literally though tho ok okay please pls thanks kind sort side anybody anyone somebody
    ever till already nothing anyway someone wondering wonder hi hello cheers""".split()
    for stem in tokenize(word)
)


def _doubled(stem: str) -> tuple[str, ...]:
    """A stem and its other spelling before a suffix: "cancel" / "cancell" ("cancelled"), "stopp" / "stop"."""
    if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "aeious":
        return (stem, stem[:-1])
    if len(stem) > 2 and stem[-1] not in "aeiouywsx" and stem[-2] in "aeiou":
        return (stem, stem + stem[-1])
    return (stem,)


def _spellings(stem: str) -> tuple[str, ...]:
    """The stem's spellings (``_doubled``), and those of the word it is formed from by a prefix: "resubmitt" is
    known where the library says "submitting"."""
    bases = [stem[len(p) :] for p in PREFIXES if stem.startswith(p) and len(stem) - len(p) >= 4]
    return tuple(s for base in (stem, *bases) for s in _doubled(base))


class Retriever:
    """Search the stored reviews. Build once per process; cheap to query."""

    def __init__(self, settings: Settings, store: ReviewStore | None = None, embedder: Embedder | None = None):
        self.settings = settings
        self.store = store or ReviewStore(settings)
        self.embedder = embedder or get_embedder(settings.embedding)
        self.reranker: CrossEncoderReranker | None = None
        self._encoded: OrderedDict[str, TokenVectors] = OrderedDict()
        self._encoded_lock = threading.Lock()
        # numpy's OpenBLAS threads spin between calls and starve torch's on a small machine: a query's
        # matrix products are small, so BLAS runs single-threaded (measured: search p50 halves on 2 cores).
        threadpool_limits(1, user_api="blas")
        if settings.retrieval.reranker_model:
            self.reranker = CrossEncoderReranker(settings.retrieval.reranker_model, settings.embedding.device)
        self.reload()

    # -- state ------------------------------------------------------------
    def reload(self) -> None:
        chunks = self.store.all_chunks()
        self.chunk_by_id: dict[str, StoredChunk] = {c.id: c for c in chunks}
        self.reviews: dict[str, ReviewMeta] = {m.id: m for m in self.store.list_reviews()}
        self.paragraphs = paragraphs_from_chunks(chunks)
        self.para_by_key = {(p.review_id, p.label): p for p in self.paragraphs}
        # Each paragraph's keyword tokens (text tokenized once): with its section's, for query-word coverage at
        # search time; in order, as the library's stem text, for whether words stand together somewhere in it.
        text_stems = [tokenize(p.text) for p in self.paragraphs]
        self.para_words = {
            (p.review_id, p.label): set(stems) | set(tokenize(p.section))
            for p, stems in zip(self.paragraphs, text_stems, strict=True)
        }
        self._stem_text = " | ".join(" ".join(stems) for stems in text_stems) + " "
        # The acronyms it writes in capitals ("IT", whose lower case is a stopword; "NICE", a word).
        self._capitals = {w for p in self.paragraphs for w in re.findall(r"\b[A-Z][A-Za-z&]*[A-Z]\b", p.text)}
        got = self.store.chunks.get(include=["embeddings"])
        self.chunk_vecs: dict[str, np.ndarray] = {
            cid: np.asarray(vec, dtype=np.float32) for cid, vec in zip(got["ids"], got["embeddings"], strict=True)
        }
        self.first_chunk: dict[tuple[str, str], str] = {}
        self.para_chunks: dict[tuple[str, str], list[str]] = {}
        for c in sorted(chunks, key=lambda c: int(c.metadata.get("part", 0))):
            self.first_chunk.setdefault((c.review_id, c.label), c.id)
            self.para_chunks.setdefault((c.review_id, c.label), []).append(c.id)
        # Each review's opening paragraphs, where a review tells what happened to the child: the first few of
        # some length after the title page's credits.
        self.openings: dict[str, list[tuple[str, str]]] = {}
        for p in sorted(self.paragraphs, key=lambda p: p.ordinal):
            opening = self.openings.setdefault(p.review_id, [])
            told = p.section != TITLE_PAGE and len(p.text.split()) >= 10
            if told and len(opening) < self.settings.retrieval.opening_paragraphs:
                opening.append((p.review_id, p.label))
        folder = self.settings.paths.bm25_dir
        try:
            self.keyword = KeywordIndex.load_or_build(chunks, folder)
        except OSError as exc:
            log.warning("cannot persist keyword index at %s: %s", folder, exc)
            self.keyword = KeywordIndex.build(chunks)
        # Mined from the paragraphs, cached by their content: a changed library mines it again.
        key = hashlib.sha256("\n".join(p.text for p in self.paragraphs).encode()).hexdigest()[:16]
        glossary_path = folder / f"glossary-{key}.json"
        glossary = Glossary.load(glossary_path)
        if glossary is None:
            glossary = Glossary.mine(p.text for p in self.paragraphs)
            replace_cache(glossary_path, glossary.save, "glossary")
        self.glossary = glossary
        self.speller: Speller | None = None
        if self.settings.retrieval.spelling:
            names = [" ".join([m.title, *m.children, m.area or "", m.partnership or ""]) for m in self.reviews.values()]
            known = (
                self.embedder.vocabulary()
                | {w for group in SYNONYM_GROUPS for t in group for w in t.split()}
                | set(BARE_CONTRACTIONS)  # "wasnt" is "wasn't", not a misspelt "want"
                | {w for topic in TOPICS for w in topic.split()}  # "sexting" is a topic, not a misspelt "setting"
            )
            self.speller = Speller.build([p.text + " " + p.section for p in self.paragraphs] + names, known)
        self._index = VectorStoreIndex.from_vector_store(
            ChromaVectorStore(chroma_collection=self.store.chunks),
            embed_model=LlamaEmbedding(self.embedder, batch_size=self.settings.embedding.batch_size),
        )
        self._load_sentences(folder)
        self.tokens: TokenIndex | None = None
        if self.settings.retrieval.late_weight > 0:
            ordered = sorted(chunks, key=lambda c: c.id)
            self.tokens = TokenIndex.load_or_build(
                self.embedder,
                [c.id for c in ordered],
                [chunk_text(str(c.metadata.get("section", "")), c.text) for c in ordered],
                folder,
            )

    def _load_sentences(self, folder: Path) -> None:
        """Per-sentence embeddings of every paragraph, cached on disk by content hash."""
        sentences: list[tuple[str, str, str]] = []  # (review_id, label, sentence)
        for p in self.paragraphs:
            for s in split_sentences(p.text):
                sentences.append((p.review_id, p.label, s))
        key = hashlib.sha256(
            ("\n".join(f"{r}|{lab}|{s}" for r, lab, s in sentences) + self.embedder.name + TEXT_FORM).encode()
        ).hexdigest()[:16]
        path = folder / f"sentences-{key}.npy"
        vecs: np.ndarray | None = None
        if path.exists():
            try:
                vecs = np.load(path)
            except (OSError, ValueError):
                vecs = None
        if vecs is None or len(vecs) != len(sentences):
            vecs = self.embedder.embed_batch([s for _, _, s in sentences]) if sentences else np.zeros((0, 1))
            computed = vecs
            replace_cache(path, lambda p: np.save(p, computed), "sentence embeddings")
        self.sentences = sentences
        self.sentence_vecs = np.asarray(vecs, dtype=np.float32)
        self.sentence_rows: dict[tuple[str, str], list[int]] = {}
        for i, (r, lab, _) in enumerate(sentences):
            self.sentence_rows.setdefault((r, lab), []).append(i)

    def check_filters(self, filters: Filters) -> Filters:
        """The filters as the library spells them: area and type matched without regard to case (the dense
        search matches them exactly), an empty review list meaning none. A review id the library does not
        hold is an error naming it, not an empty result."""
        unknown = [r for r in filters.review_ids or [] if r not in self.reviews]
        if unknown:
            raise FilterError(
                f"filters.review_ids: no review with id {', '.join(repr(r) for r in unknown)} "
                f"(known: {', '.join(self.reviews)})"
            )

        def spelt(value: str | None, held: set[str]) -> str | None:
            if not value:
                return None
            return next((h for h in sorted(held) if h.lower() == value.strip().lower()), value)

        metas = self.reviews.values()
        return Filters(
            filters.review_ids or None,
            spelt(filters.area, {m.area for m in metas if m.area}),
            filters.year_from,
            filters.year_to,
            spelt(filters.review_type, {m.type for m in metas if m.type}),
        )

    def matching_reviews(self, filters: Filters) -> list[ReviewMeta]:
        """The library's reviews the filters admit."""
        return [m for m in self.reviews.values() if filters.allows_review(m)]

    def ensure_nonempty(self) -> None:
        self.store.require_nonempty()
        if not self.chunk_by_id:
            # Filled by an ingest since this retriever loaded: its owner (the service's engine) reloads it.
            raise StoreError("the index was filled after the service loaded it and is being reloaded: retry shortly")

    # -- query ------------------------------------------------------------
    def correct(self, text: str) -> str:
        """The text with shorthand written out ("hols" -> "holidays") and misspelt words replaced by the library's
        words ("helth visitor" -> "health visitor")."""
        text = write_out_shorthand(text)
        return self.speller.correct(text) if self.speller is not None else text

    def expand(self, query: str, filters: Filters | None = None) -> ExpandedQuery:
        expansions = self.glossary.expand(query)
        in_focus = filters.review_ids if filters is not None and filters.review_ids else []
        named = [self.reviews[r] for r in in_focus if r in self.reviews]

        def bare(text: str) -> str:
            """The text without its framing ("what do the reviews say about") or the names of reviews in focus."""
            text = strip_framing(text)
            return strip_review_names(text, named, list(self.reviews.values())) if in_focus else text

        core = bare(query)
        idioms = find_idioms(core)
        acronyms = find_acronyms(core)
        held = [a for a in acronyms if self.holds_acronym(a)]
        idiomatic = idiom_words(idioms)
        phrased = idiomatic | {stem for a in held for stem in tokenize(a)}
        # Only an acronym whose meaning is known can be missing from the library: another ("CCG", "WNB") may
        # be written out in words no list here gives, so it is only a word the library lacks.
        unheld_acronyms = tuple(a for a in acronyms if a not in held and a in PRACTICE_ACRONYMS)
        written_out = {PRACTICE_ACRONYMS[a] for a in unheld_acronyms}  # "FGM - female genital mutilation": once
        unheld = unheld_acronyms + tuple(
            topic for topic in find_topics(core) if topic not in written_out and not self.holds_phrase(topic)
        )
        # Something no review names counts against the question only if it is asked about, not when the asker
        # only tells of meeting it ("Been to two SUDIs this year...").
        asking = question_part(query)
        if asking != query:
            asked_names = set(find_acronyms(asking)) | set(find_topics(asking))
            unheld = tuple(u for u in unheld if u in asked_names or PRACTICE_ACRONYMS.get(u) in asked_names)
        # Only what is asked counts towards the share of words the library knows: not the asker's introduction, nor
        # an account of their own work before the question, unless the question points back to it ("Cafcass FCA. I
        # always want the parents' own account. In these reviews did parents say why they didn't engage...?").
        asked = tokenize(strip_self_introduction(bare(asking) if asking != query else core))
        return ExpandedQuery(
            core,
            tokenize(core),
            expansions,
            frozenset(phrased),
            idiomatic,
            idiom_meanings(idioms),
            unheld,
            asked or None,
        )

    def holds_phrase(self, phrase: str) -> bool:
        """Whether the phrase's words stand together somewhere in the library (compared as keyword stems, so
        "looked after child" is held by "looked after children")."""
        stems = tokenize(phrase)
        return bool(stems) and f" {' '.join(stems)} " in self._stem_text

    def holds_acronym(self, acronym: str) -> bool:
        """Whether the library mentions what the acronym names: the acronym itself, or (for the field's common
        ones) what it stands for ("SW": the reviews say "social worker"; "LADO": neither)."""
        if acronym in self._capitals:
            return True
        stems = tokenize(acronym)
        if stems and all(self.keyword.knows(stem) for stem in stems):
            return True
        if acronym.lower() in self.glossary.acronyms:
            return True
        forms = (PRACTICE_ACRONYMS[acronym], *SHORT_NAMES.get(acronym, ())) if acronym in PRACTICE_ACRONYMS else ()
        return any(self.holds_phrase(form) for form in forms)

    def dense_query(self, q: ExpandedQuery) -> str:
        if self.settings.retrieval.expand_dense:
            return q.dense_text
        # An idiom's meaning joins the dense query too: the model reads "kept in the loop" too literally.
        return f"{q.text} ({', '.join(q.meant)})" if q.meant else q.text

    def embed_query(self, text: str) -> np.ndarray:
        if self.tokens is None:
            return self.embedder.embed_batch([text])[0]
        return self._encode(text).pooled

    def _encode(self, text: str) -> TokenVectors:
        """A query's pooled and token vectors from one forward pass, remembered for the next few queries."""
        with self._encoded_lock:
            hit = self._encoded.get(text)
            if hit is not None:
                self._encoded.move_to_end(text)
                return hit
        encoded = self.embedder.embed_tokens([text])[0]
        with self._encoded_lock:
            self._encoded[text] = encoded
            while len(self._encoded) > 64:
                self._encoded.popitem(last=False)
        return encoded

    def search(
        self,
        query: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        diversify: bool = False,
        query_vec: np.ndarray | None = None,
        recommendations: bool = False,
        opening: bool = False,
    ) -> list[Hit]:
        """Paragraphs best first. ``diversify`` caps how many come from one review at the top;
        ``recommendations`` favours paragraphs that are recommendations (the question asks for them);
        ``opening`` favours each review's opening paragraphs (the question asks what happened to the child)."""
        self.ensure_nonempty()
        s = self.settings.retrieval
        top_k = top_k or s.top_k
        filters = filters or Filters()
        q = self.expand(query, filters)
        qvec = query_vec if query_vec is not None else self.embed_query(self.dense_query(q))

        # Dense, through llama-index's retriever over the Chroma vector store.
        dense_ranked = self.dense_search(qvec, s.dense_k, filters)
        # Keyword: the query's own words count double, expansions once.
        allowed = None
        if not filters.is_empty():
            allowed = {cid for cid, c in self.chunk_by_id.items() if filters.allows(c.metadata)}
        kw_tokens = q.terms * s.query_term_weight + tokenize(" ".join(q.expansions))
        keyword_ranked = self.keyword.search(kw_tokens, s.keyword_k, allowed)

        # One similarity per sentence in the library, shared by every sentence-level signal below.
        sims = self.sentence_vecs @ qvec if len(self.sentence_vecs) else np.zeros(0, dtype=np.float32)
        sentence_ranked = self._sentence_ranked(sims, s.dense_k, filters)
        late_score, late_ranked = self._late_ranked(q.text, s.dense_k, allowed)

        fused: dict[str, float] = {}
        for rank, (cid, _) in enumerate(sentence_ranked):
            fused[cid] = fused.get(cid, 0.0) + s.sentence_weight / (s.rrf_k + rank + 1)
        for rank, (cid, _) in enumerate(dense_ranked):
            fused[cid] = fused.get(cid, 0.0) + s.dense_weight / (s.rrf_k + rank + 1)
        for rank, (cid, _) in enumerate(keyword_ranked):
            fused[cid] = fused.get(cid, 0.0) + s.keyword_weight / (s.rrf_k + rank + 1)
        for rank, cid in enumerate(late_ranked):
            fused[cid] = fused.get(cid, 0.0) + s.late_weight / (s.rrf_k + rank + 1)
        if diversify:
            # Thematic questions need every review's best paragraphs among the candidates.
            for cid in self._per_review_best(sims, filters, per_review=2):
                fused.setdefault(cid, 0.0)
        opened = set(self.opening_chunks(filters)) if opening else set()
        for cid in opened:
            fused.setdefault(cid, 0.0)
        dense_score = dict(dense_ranked)
        kw_score = dict(keyword_ranked)

        # Chunks of one paragraph collapse into the paragraph, keeping its best chunk.
        best: dict[tuple[str, str], Hit] = {}
        # An idiom's words ("send another") are covered by its meaning ("repeated referrals"), not by themselves.
        meanings = [frozenset(tokenize(m)) for m in q.meant]
        query_words = set(q.asked_terms) - (q.idiomatic - frozenset().union(*meanings))
        # A word no review uses is covered by its synonyms ("dad" by a paragraph on the father); one they use,
        # by itself ("fathers" not by "partner agencies").
        slots = [frozenset({w}) if self.keyword.knows(w) else synonym_stems(w) for w in query_words] + meanings
        for cid, score in sorted(fused.items(), key=lambda kv: -kv[1]):
            chunk = self.chunk_by_id.get(cid)
            if chunk is None:
                continue
            key = (chunk.review_id, chunk.label)
            if key in best:
                continue
            para = self.para_by_key.get(key)
            if para is None:
                continue
            words = self.para_words[key]
            coverage = sum(bool(slot & words) for slot in slots) / len(slots) if slots else 0.0
            dense = dense_score.get(cid)
            if dense is None and cid in self.chunk_vecs:
                dense = float(self.chunk_vecs[cid] @ qvec)
            late = max((late_score.get(c, 0.0) for c in self.para_chunks.get(key, [cid])), default=0.0)
            best[key] = Hit(
                para, cid, score, dense or 0.0, kw_score.get(cid, 0.0), coverage, late, self.first_chunk[key] in opened
            )
        if s.fusion == "linear" and best:
            self._linear_scores(list(best.values()), sims)
            if recommendations:
                for h in best.values():
                    if is_recommendation(h.paragraph):
                        h.score += s.recommendation_prior
            for h in best.values():
                if h.opening:
                    h.score += s.opening_prior
        hits = sorted(best.values(), key=lambda h: -h.score)
        if self.reranker is not None and hits:
            hits = self._rerank(self.reranker, q.text, hits, s.rerank_k)
        if diversify:
            hits = self._diversify(hits, s.max_per_review)
        return hits[:top_k]

    @staticmethod
    def _rerank(reranker: CrossEncoderReranker, query: str, hits: list[Hit], k: int) -> list[Hit]:
        """Order the top ``k`` by the cross-encoder; the rest keep their order below them."""
        head, tail = hits[:k], hits[k:]
        for h, score in zip(head, reranker.scores(query, [h.paragraph.text for h in head]), strict=True):
            h.score = score
        return sorted(head, key=lambda h: -h.score) + tail

    def _linear_scores(self, hits: list[Hit], sims: np.ndarray) -> None:
        """Replace rank fusion by a weighted sum of calibrated signals (weights tuned on the dev split)."""
        s = self.settings.retrieval
        top_kw = max((h.keyword for h in hits), default=0.0) or 1.0
        for h in hits:
            rows = self.sentence_rows.get((h.paragraph.review_id, h.paragraph.label), [])
            best_sentence = float(sims[rows].max()) if rows else 0.0
            h.score = (
                s.dense_weight * h.dense
                + s.sentence_weight * best_sentence
                + s.keyword_weight * (h.keyword / top_kw)
                + s.coverage_weight * h.coverage
                + s.late_weight * h.late
            )

    def _late_ranked(self, text: str, k: int, allowed: set[str] | None) -> tuple[dict[str, float], list[str]]:
        """Every chunk's late-interaction score, and the ids of the ``k`` best allowed chunks."""
        if self.tokens is None or not self.tokens.ids:
            return {}, []
        scores = self.tokens.scores(self._encode(text))
        by_id = {cid: float(v) for cid, v in zip(self.tokens.ids, scores, strict=True)}
        ranked = [self.tokens.ids[int(i)] for i in np.argsort(-scores)]
        if allowed is not None:
            ranked = [cid for cid in ranked if cid in allowed]
        return by_id, ranked[:k]

    def opening_chunks(self, filters: Filters) -> list[str]:
        """The first chunks of the opening paragraphs of the reviews the filters allow."""
        cids = (self.first_chunk.get(key) for keys in self.openings.values() for key in keys)
        return [cid for cid in cids if cid is not None and filters.allows(self.chunk_by_id[cid].metadata)]

    def _per_review_best(self, sims: np.ndarray, filters: Filters, per_review: int) -> list[str]:
        taken: dict[str, list[str]] = {}
        for i in np.argsort(-sims):
            review_id, label, _ = self.sentences[int(i)]
            got = taken.setdefault(review_id, [])
            cid = self.first_chunk.get((review_id, label))
            if len(got) >= per_review or cid is None or cid in got:
                continue
            if filters.allows(self.chunk_by_id[cid].metadata):
                got.append(cid)
            if len(taken) == len(self.reviews) and all(len(v) >= per_review for v in taken.values()):
                break
        return [cid for ids in taken.values() for cid in ids]

    def _sentence_ranked(self, sims: np.ndarray, k: int, filters: Filters) -> list[tuple[str, float]]:
        """Paragraphs ranked by their best-matching sentence (as the id of the paragraph's first chunk)."""
        best: dict[tuple[str, str], float] = {}
        for i in np.argsort(-sims)[: k * 6]:
            review_id, label, _ = self.sentences[int(i)]
            key = (review_id, label)
            if key not in best:
                best[key] = float(sims[int(i)])
        out: list[tuple[str, float]] = []
        for (review_id, label), sim in sorted(best.items(), key=lambda kv: -kv[1]):
            cid = self.first_chunk.get((review_id, label))
            if cid is None or not filters.allows(self.chunk_by_id[cid].metadata):
                continue
            out.append((cid, sim))
            if len(out) >= k:
                break
        return out

    def dense_search(self, qvec: np.ndarray, k: int, filters: Filters) -> list[tuple[str, float]]:
        from llama_index.core.schema import QueryBundle

        retriever = self._index.as_retriever(similarity_top_k=k, filters=filters.to_llama())
        bundle = QueryBundle(query_str="", embedding=qvec.tolist())
        nodes = retriever.retrieve(bundle)
        # Chroma ranks the candidates; each one's score is its exact cosine with the query, the same measure
        # as for a candidate that arrives through another ranking (llama-index reports exp(cosine - 1)).
        out = []
        for n in nodes:
            vec = self.chunk_vecs.get(n.node.node_id)
            out.append((n.node.node_id, float(vec @ qvec) if vec is not None else float(n.score or 0.0)))
        return out

    @staticmethod
    def _diversify(hits: list[Hit], cap: int) -> list[Hit]:
        """Round-robin-ish: at most ``cap`` of one review before every review has had its turn."""
        counts: dict[str, int] = {}
        head: list[Hit] = []
        tail: list[Hit] = []
        for h in hits:
            n = counts.get(h.paragraph.review_id, 0)
            if n < cap:
                head.append(h)
                counts[h.paragraph.review_id] = n + 1
            else:
                tail.append(h)
        return head + tail

    def known_share(self, terms: list[str], phrased: frozenset[str] = frozenset()) -> float:
        """Share of the query's words the library knows: words that occur in it, or whose synonym does ("dad":
        the reviews say "father"), or that make up a curated phrase ("out of the loop": information sharing).
        Asking and chat are not content: "saying" stems to "say", a stopword; "got", "stuff", "tho" are filler."""
        terms = [t for t in terms if t not in STOPWORDS and t not in FILLER]
        if not terms:
            return 1.0
        known = sum(
            1
            for t in terms
            if t in phrased or any(self.keyword.knows(x) for s in _spellings(t) for x in synonym_stems(s))
        )
        return known / len(terms)

    def sentence_scores(self, qvec: np.ndarray, review_id: str, label: str) -> list[tuple[str, float]]:
        rows = self.sentence_rows.get((review_id, label), [])
        if not rows:
            return []
        sims = self.sentence_vecs[rows] @ qvec
        return [(self.sentences[r][2], float(sim)) for r, sim in zip(rows, sims, strict=True)]

    def review_title(self, review_id: str) -> str:
        meta = self.reviews.get(review_id)
        return meta.title if meta else review_id

    def neighbours(self, review_id: str, label: str, n: int) -> tuple[list[Paragraph], Paragraph, list[Paragraph]]:
        paras = [p for p in self.paragraphs if p.review_id == review_id]
        for i, p in enumerate(paras):
            if p.label == label:
                return paras[max(0, i - n) : i], p, paras[i + 1 : i + 1 + n]
        raise KeyError(label)
