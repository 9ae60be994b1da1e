"""The Chroma store: paragraph chunks with citation metadata, and review metadata.

Embedded (``PersistentClient`` under ``data/chroma``) by default; a Chroma server
through ``HttpClient`` when ``CHROMA_HOST`` is set. Telemetry is off. Chroma's own
default embedding function is never used: we always pass our embeddings.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import chromadb
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import Settings as ChromaSettings

from core.records import Paragraph, ReviewMeta
from core.settings import Settings
from index.errors import EmptyIndexError, NotFoundError, StoreError

log = logging.getLogger(__name__)

NO_PAGE = -1


@dataclass(frozen=True)
class StoredChunk:
    id: str
    text: str
    metadata: dict[str, Any]

    @property
    def review_id(self) -> str:
        return str(self.metadata["review_id"])

    @property
    def label(self) -> str:
        return str(self.metadata["label"])

    @property
    def page(self) -> int | None:
        page = self.metadata.get("page", NO_PAGE)
        return None if page in (None, NO_PAGE) else int(page)


def chunk_metadata(chunk_meta: dict[str, Any]) -> dict[str, Any]:
    """Chroma metadata holds only scalars; None pages become NO_PAGE."""
    out: dict[str, Any] = {}
    for k, v in chunk_meta.items():
        if v is None:
            v = NO_PAGE if k == "page" else ""
        elif isinstance(v, (list, tuple)):
            v = json.dumps(list(v), ensure_ascii=False)
        out[k] = v
    return out


def make_client(settings: Settings) -> Any:
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    try:
        if settings.store.chroma_host:
            return chromadb.HttpClient(
                host=settings.store.chroma_host, port=settings.store.chroma_port, settings=chroma_settings
            )
        settings.paths.chroma_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.paths.chroma_dir), settings=chroma_settings)
    except Exception as exc:  # chromadb raises several unrelated types for an unreachable store
        where = (
            f"Chroma server {settings.store.chroma_host}:{settings.store.chroma_port}"
            if settings.store.chroma_host
            else f"Chroma store at {settings.paths.chroma_dir}"
        )
        raise StoreError(f"cannot open the {where}: {exc}") from exc


def read_generation(settings: Settings) -> str | None:
    """Which ingest last changed the store (None before any did)."""
    try:
        return settings.paths.generation_path.read_text(encoding="utf-8")
    except OSError:
        return None


def mark_generation(settings: Settings) -> None:
    """Record that the store changed, so a running service reloads it."""
    path = settings.paths.generation_path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"{time.time_ns()}-{os.getpid()}", encoding="utf-8")
    tmp.replace(path)


def open_fresh(settings: Settings) -> ReviewStore:
    """The store as another process left it. An embedded Chroma client caches its store in memory per path
    (a second client shares the first one's view), so the cache is dropped first; clients already open
    then reach the fresh view too."""
    if not settings.store.chroma_host:
        SharedSystemClient.clear_system_cache()
    return ReviewStore(settings)


class ReviewStore:
    """Paragraph chunks and review metadata in Chroma."""

    def __init__(self, settings: Settings, client: Any | None = None) -> None:
        self.settings = settings
        self.client = client if client is not None else make_client(settings)
        self._open()

    def _open(self) -> None:
        s = self.settings.store
        try:
            self.chunks = self.client.get_or_create_collection(
                s.collection, embedding_function=None, metadata={"hnsw:space": "cosine"}
            )
            self.reviews = self.client.get_or_create_collection(s.reviews_collection, embedding_function=None)
        except Exception as exc:
            raise StoreError(f"cannot open Chroma collections: {exc}") from exc
        self._set_search_breadth(s.ef_search)

    def _set_search_breadth(self, ef_search: int) -> None:
        """How widely HNSW searches (a query-time setting Chroma lets an existing collection change)."""
        try:
            hnsw = (self.chunks.configuration or {}).get("hnsw") or {}
            if hnsw.get("ef_search") != ef_search:
                self.chunks.modify(configuration={"hnsw": {"ef_search": ef_search}})
        except Exception as exc:  # an older server, say: dense search stays approximate, still works
            log.warning("cannot set the Chroma collection's ef_search to %d: %s", ef_search, exc)

    # -- writing ----------------------------------------------------------
    def reset(self) -> None:
        """Drop every chunk and review (``reviews ingest --rebuild``)."""
        for name in (self.settings.store.collection, self.settings.store.reviews_collection):
            try:
                self.client.delete_collection(name)
            except Exception:  # noqa: BLE001 - absent collections are fine to "delete"
                log.debug("collection %s did not exist", name)
        self._open()

    def upsert_review(self, meta: ReviewMeta) -> None:
        # The reviews collection is a metadata table; its 1-d vectors are placeholders.
        self.reviews.upsert(
            ids=[meta.id],
            documents=[meta.title],
            embeddings=[[1.0]],
            metadatas=[{"json": json.dumps(meta.to_dict(), ensure_ascii=False), "source": meta.source}],
        )

    def replace_chunks(self, review_id: str, nodes: Sequence[Any], add: Callable[[list[Any]], object]) -> None:
        """Swap a review's stored chunks for ``nodes`` (already embedded), written by ``add`` (the vector
        store's). If writing fails, the chunks stored before are put back and the error is raised."""
        old = self.chunks.get(where={"review_id": review_id}, include=["embeddings", "metadatas", "documents"])
        self.chunks.delete(where={"review_id": review_id})
        try:
            add(list(nodes))
        except Exception:
            self.chunks.delete(where={"review_id": review_id})
            if old["ids"]:
                self.chunks.add(
                    ids=old["ids"], embeddings=old["embeddings"], metadatas=old["metadatas"], documents=old["documents"]
                )
            raise

    def delete_review(self, review_id: str) -> None:
        self.chunks.delete(where={"review_id": review_id})
        self.reviews.delete(ids=[review_id])

    # -- reading ----------------------------------------------------------
    def count(self) -> int:
        return int(self.chunks.count())

    def require_nonempty(self) -> None:
        if self.count() == 0:
            raise EmptyIndexError()

    def list_reviews(self) -> list[ReviewMeta]:
        got = self.reviews.get(include=["metadatas"])
        metas = [ReviewMeta.from_dict(json.loads(m["json"])) for m in got["metadatas"] or []]
        return sorted(metas, key=lambda m: (m.area or "", -(m.year or 0), m.id))

    def get_review(self, review_id: str) -> ReviewMeta:
        got = self.reviews.get(ids=[review_id], include=["metadatas"])
        if not got["ids"]:
            known = ", ".join(m.id for m in self.list_reviews()) or "none ingested"
            raise NotFoundError(f"no review with id {review_id!r} (known: {known})")
        return ReviewMeta.from_dict(json.loads(got["metadatas"][0]["json"]))

    def all_chunks(self, where: dict[str, Any] | None = None) -> list[StoredChunk]:
        got = self.chunks.get(where=where, include=["documents", "metadatas"])
        return [
            StoredChunk(i, d or "", dict(m or {}))
            for i, d, m in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True)
        ]

    def get_chunks(self, ids: Sequence[str]) -> list[StoredChunk]:
        if not ids:
            return []
        got = self.chunks.get(ids=list(ids), include=["documents", "metadatas"])
        by_id = {
            i: StoredChunk(i, d or "", dict(m or {}))
            for i, d, m in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True)
        }
        return [by_id[i] for i in ids if i in by_id]

    def paragraphs(self, review_id: str) -> list[Paragraph]:
        """A review's paragraphs in document order, long ones reassembled from their parts."""
        self.get_review(review_id)
        chunks = self.all_chunks(where={"review_id": review_id})
        return paragraphs_from_chunks(chunks)

    def get_paragraph(self, review_id: str, label: str, neighbours: int = 0) -> list[Paragraph]:
        """The paragraph with this label, with ``neighbours`` paragraphs either side."""
        paras = self.paragraphs(review_id)
        for i, p in enumerate(paras):
            if p.label == label:
                return paras[max(0, i - neighbours) : i + neighbours + 1]
        close = [p.label for p in paras if p.label.lower().startswith(label.lower()[:2])][:8]
        hint = f"; labels like it: {', '.join(close)}" if close else ""
        raise NotFoundError(f"review {review_id!r} has no paragraph labelled {label!r}{hint}")


def paragraphs_from_chunks(chunks: Iterable[StoredChunk]) -> list[Paragraph]:
    groups: dict[tuple[str, int], list[StoredChunk]] = {}
    for c in chunks:
        groups.setdefault((c.review_id, int(c.metadata["ordinal"])), []).append(c)
    out: list[Paragraph] = []
    for (review_id, ordinal), parts in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        parts.sort(key=lambda c: int(c.metadata.get("part", 0)))
        first = parts[0]
        out.append(
            Paragraph(
                review_id=review_id,
                label=first.label,
                section=str(first.metadata.get("section", "")),
                text=" ".join(p.text for p in parts),
                ordinal=ordinal,
                page=first.page,
                footnotes=tuple(json.loads(first.metadata.get("footnotes") or "[]")),
            )
        )
    return out
