"""Keyword (BM25) index over the stored chunks, with bm25s; persisted beside the store."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from index.store import StoredChunk

log = logging.getLogger(__name__)

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
STOPWORDS = frozenset(
    """a an the and or but if of to in on at by for with from as is are was were be been being it its this that
    these those there their they them he she his her him we our you your i me my not no so than then too very can
    could should would will shall may might must do does did done have has had having about into over under again
    further once here when where why how all any both each few more most other some such only own same just also
    which who whom what while during before after above below up down out off between through because until
    what's whats did said say says tell told""".split()
)


def _stem(word: str) -> str:
    """A light English suffix stripper: enough to match father/fathers, assess/assessment."""
    for suffix in ("ations", "ation", "ments", "ment", "ings", "ing", "ies", "es", "s", "ed", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            return stem + "y" if suffix == "ies" else stem
    return word


# Contractions typed without their apostrophe, as practitioners often do ("wasnt", "dont", "theyre").
BARE_CONTRACTIONS = {
    "wasnt": "was",
    "werent": "were",
    "isnt": "is",
    "arent": "are",
    "dont": "do",
    "doesnt": "does",
    "didnt": "did",
    "cant": "can",
    "couldnt": "could",
    "wouldnt": "would",
    "shouldnt": "should",
    "wont": "will",
    "hasnt": "has",
    "havent": "have",
    "hadnt": "had",
    "theyre": "they",
    "youre": "you",
    "ive": "i",
    "im": "i",
    "thats": "that",
    "theres": "there",
}


def base_word(word: str) -> str:
    """A word without its contraction: "children's" -> "children", "didn't" -> "did", "i've" -> "i";
    "wasnt" -> "was"."""
    if "'" not in word:
        return BARE_CONTRACTIONS.get(word, word)
    if word.endswith("n't"):
        return {"won't": "will", "can't": "can", "shan't": "shall"}.get(word, word[:-3])
    return word.split("'", 1)[0]


# An acronym's or a number's plural: "HVs", "MARACs", "under-5s", "the 1990s".
_PLURAL_OF_LETTERS = re.compile(r"\b([A-Z]{2,}|[0-9]+)s\b")


def singular_acronyms(text: str) -> str:
    """The text with acronyms and numbers in the singular ("GPs and HVs" -> "GP and HV"), so they meet the
    glossary, the synonyms and the reviews' own "GP" and "HV"."""
    return _PLURAL_OF_LETTERS.sub(r"\1", text)


def tokenize(text: str) -> list[str]:
    words = (base_word(w) for w in _WORD.findall(singular_acronyms(text).lower().replace("’", "'")))
    return [_stem(w) for w in words if w not in STOPWORDS and len(w) > 1]


TOKENIZER_VERSION = "5"


def fingerprint(chunks: Sequence[StoredChunk]) -> str:
    h = hashlib.sha256(TOKENIZER_VERSION.encode())
    for c in sorted(chunks, key=lambda c: c.id):
        h.update(c.id.encode())
        h.update(hashlib.sha256(c.text.encode()).digest())
    return h.hexdigest()


class KeywordIndex:
    """BM25 over chunk text plus its section heading."""

    def __init__(self, ids: list[str], retriever: bm25s.BM25, fp: str) -> None:
        self.ids = ids
        self.retriever = retriever
        self.fingerprint = fp

    @classmethod
    def build(cls, chunks: Sequence[StoredChunk]) -> KeywordIndex:
        chunks = sorted(chunks, key=lambda c: c.id)
        corpus = [tokenize(f"{c.metadata.get('label', '')} {c.metadata.get('section', '')} {c.text}") for c in chunks]
        retriever = bm25s.BM25()
        if chunks:
            retriever.index(corpus, show_progress=False)
        return cls([c.id for c in chunks], retriever, fingerprint(chunks))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self.ids:
            self.retriever.save(str(folder / "bm25"))
        (folder / "ids.json").write_text(json.dumps({"fingerprint": self.fingerprint, "ids": self.ids}))

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex | None:
        try:
            meta = json.loads((folder / "ids.json").read_text())
            retriever = bm25s.BM25.load(str(folder / "bm25")) if meta["ids"] else bm25s.BM25()
        except (OSError, ValueError, KeyError) as exc:
            log.info("no usable keyword index at %s (%s)", folder, exc)
            return None
        return cls(list(meta["ids"]), retriever, str(meta["fingerprint"]))

    @classmethod
    def load_or_build(cls, chunks: Sequence[StoredChunk], folder: Path) -> KeywordIndex:
        """The persisted index if it matches the chunks; else a new one, saved (OSError if it cannot be)."""
        existing = cls.load(folder)
        if existing is not None and existing.fingerprint == fingerprint(chunks):
            return existing
        index = cls.build(chunks)
        index.save(folder)
        return index

    def knows(self, token: str) -> bool:
        vocab = getattr(self.retriever, "vocab_dict", None) or {}
        return token in vocab

    def search(self, query_tokens: list[str], k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """Chunk ids with BM25 scores, best first; ``allowed`` filters ids."""
        if not self.ids or not query_tokens:
            return []
        scores = np.asarray(self.retriever.get_scores(query_tokens))
        order = np.argsort(-scores)
        out: list[tuple[str, float]] = []
        for i in order:
            if scores[i] <= 0:
                break
            cid = self.ids[int(i)]
            if allowed is not None and cid not in allowed:
                continue
            out.append((cid, float(scores[i])))
            if len(out) >= k:
                break
        return out
