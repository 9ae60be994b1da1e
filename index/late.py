"""Late interaction: each query token matched to its most similar token in a chunk (ColBERT-style MaxSim).

The bundled model's contextual token vectors are kept for every chunk. A chunk's
score is the IDF-weighted mean, over the query's content tokens, of each token's
best cosine similarity in the chunk. It rewards a chunk that holds something close
to *every* important word of the question ("dad" near "father", "referrals" near
"referred"), which one pooled vector per chunk blurs. Measured on the eval set's
dev split before adoption (evals/DECISIONS.md).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.cache import replace_cache
from index.embedder import TEXT_FORM, Embedder, TokenVectors

log = logging.getLogger(__name__)

CACHE_VERSION = "1"


def chunk_text(section: str, text: str) -> str:
    return f"{section}. {text}" if section else text


@dataclass
class TokenIndex:
    """Token vectors of every chunk, concatenated; ``offsets[i]`` is where chunk ``ids[i]`` starts."""

    ids: list[str]
    offsets: np.ndarray  # int64, one per chunk, ascending
    vectors: np.ndarray  # float32, (tokens, dim), unit rows (float16 on disk)
    idf: dict[str, float]
    default_idf: float

    @classmethod
    def build(cls, embedder: Embedder, ids: list[str], texts: list[str]) -> TokenIndex:
        encoded = embedder.embed_tokens(texts) if texts else []
        offsets: list[int] = []
        blocks: list[np.ndarray] = []
        df: dict[str, int] = {}
        at = 0
        for tv in encoded:
            offsets.append(at)
            vecs = tv.vectors if len(tv.vectors) else np.zeros((1, embedder.dim), dtype=np.float32)
            blocks.append(vecs)
            at += len(vecs)
            for tok in set(tv.tokens):
                df[tok] = df.get(tok, 0) + 1
        n = len(ids)
        idf = {tok: float(np.log((n + 1) / (count + 0.5))) for tok, count in df.items()}
        vectors = np.concatenate(blocks).astype(np.float32) if blocks else np.zeros((0, embedder.dim), np.float32)
        return cls(list(ids), np.asarray(offsets, dtype=np.int64), vectors, idf, float(np.log((n + 1) / 0.5)))

    @classmethod
    def load_or_build(cls, embedder: Embedder, ids: Sequence[str], texts: Sequence[str], folder: Path) -> TokenIndex:
        """The cached index for exactly these chunk texts and this model, else a new one (cached if possible)."""
        h = hashlib.sha256(f"{CACHE_VERSION}|{embedder.name}|{TEXT_FORM}".encode())
        for cid, text in zip(ids, texts, strict=True):
            h.update(cid.encode())
            h.update(hashlib.sha256(text.encode()).digest())
        path = folder / f"tokens-{h.hexdigest()[:16]}.npz"
        if path.exists():
            try:
                with np.load(path, allow_pickle=False) as z:
                    toks, idfs = list(z["idf_tokens"]), z["idf_values"]
                    return cls(
                        [str(i) for i in z["ids"]],
                        z["offsets"],
                        z["vectors"].astype(np.float32),
                        {str(t): float(v) for t, v in zip(toks, idfs, strict=True)},
                        float(z["default_idf"]),
                    )
            except (OSError, ValueError, KeyError) as exc:
                log.info("token cache %s unusable (%s); rebuilding", path, exc)
        index = cls.build(embedder, list(ids), list(texts))
        replace_cache(path, index._save, "token vectors")
        return index

    def _save(self, path: Path) -> None:
        np.savez(
            path,
            ids=np.asarray(self.ids),
            offsets=self.offsets,
            vectors=self.vectors.astype(np.float16),
            idf_tokens=np.asarray(list(self.idf)),
            idf_values=np.asarray(list(self.idf.values()), dtype=np.float64),
            default_idf=np.asarray(self.default_idf),
        )

    def scores(self, query: TokenVectors) -> np.ndarray:
        """One score per chunk (in ``ids`` order), 0..1: IDF-weighted mean of each query token's best match."""
        if not len(self.ids) or not len(query.vectors):
            return np.zeros(len(self.ids), dtype=np.float32)
        weights = np.asarray([self.idf.get(t, self.default_idf) for t in query.tokens], dtype=np.float32)
        weights /= weights.sum()
        sims = self.vectors @ query.vectors.T  # (tokens, query tokens)
        best = np.maximum.reduceat(sims, self.offsets, axis=0)  # (chunks, query tokens)
        return np.asarray(best @ weights, dtype=np.float32)
