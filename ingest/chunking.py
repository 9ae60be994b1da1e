"""Paragraphs to chunks: one chunk per paragraph, long ones split at sentence boundaries."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.schema import BaseNode, Document, NodeRelationship, TextNode, TransformComponent
from llama_index.core.utils import get_tokenizer
from pydantic import PrivateAttr

from core.records import Chunk, Paragraph, ReviewMeta
from core.settings import ChunkSettings

# Metadata a chunk carries in the store; only title and section join the text when embedding.
EMBED_KEYS = ("review_title", "section")


def tokenizer() -> Callable[[str], list[int]]:
    """tiktoken cl100k, from the cache llama-index-core ships (no download)."""
    return get_tokenizer()  # type: ignore[no-any-return]


def chunk_id(review_id: str, label: str, part: int) -> str:
    return f"{review_id}:{label}:{part}"


def embed_text(title: str, section: str, text: str) -> str:
    head = f"{title}\n{section}" if section else title
    return f"{head}\n\n{text}"


def chunk_paragraphs(paragraphs: Sequence[Paragraph], title: str, settings: ChunkSettings) -> list[Chunk]:
    encode = tokenizer()
    splitter = SentenceSplitter(chunk_size=settings.max_tokens, chunk_overlap=0, tokenizer=encode)
    chunks: list[Chunk] = []
    for p in paragraphs:
        n_tokens = len(encode(p.text))
        # Unnumbered scraps (signatures, title-page lines) are not worth a chunk of their own.
        if "¶" in p.label and n_tokens < settings.min_tokens:
            continue
        if n_tokens <= settings.max_tokens:
            parts = [p.text]
        else:
            parts = splitter.split_text(p.text)
            if len(parts) > 1 and len(encode(parts[-1])) < settings.min_tokens:
                parts[-2] = parts[-2] + " " + parts[-1]
                parts.pop()
        for i, part in enumerate(parts):
            chunks.append(
                Chunk(
                    id=chunk_id(p.review_id, p.label, i),
                    review_id=p.review_id,
                    label=p.label,
                    part=i,
                    section=p.section,
                    ordinal=p.ordinal,
                    text=part,
                    embed_text=embed_text(title, p.section, part),
                    page=p.page,
                    footnotes=p.footnotes,
                )
            )
    return chunks


def chunk_to_node(chunk: Chunk, meta: ReviewMeta, source: Document) -> TextNode:
    metadata: dict[str, Any] = {
        "review_id": chunk.review_id,
        "review_title": meta.title,
        "label": chunk.label,
        "part": chunk.part,
        "section": chunk.section,
        "page": -1 if chunk.page is None else chunk.page,
        "ordinal": chunk.ordinal,
        "footnotes": json.dumps(list(chunk.footnotes), ensure_ascii=False),
        "area": meta.area or "",
        "year": meta.year or 0,
        "review_type": meta.type or "",
    }
    node = TextNode(
        id_=chunk.id,
        text=chunk.text,
        metadata=metadata,
        excluded_embed_metadata_keys=[k for k in metadata if k not in EMBED_KEYS],
        excluded_llm_metadata_keys=[k for k in metadata if k not in EMBED_KEYS],
        metadata_template="{value}",
        metadata_seperator="\n",
        text_template="{metadata_str}\n\n{content}",
    )
    node.relationships[NodeRelationship.SOURCE] = source.as_related_node_info()
    return node


class ReviewChunker(TransformComponent):
    """llama-index transform: a review Document becomes its paragraph chunks.

    The parse happens before the pipeline (so a bad file fails alone); this
    looks up each document's parsed paragraphs by its id.
    """

    _parsed: dict[str, tuple[ReviewMeta, list[Paragraph]]] = PrivateAttr()
    _settings: ChunkSettings = PrivateAttr()

    def __init__(self, parsed: dict[str, tuple[ReviewMeta, list[Paragraph]]], settings: ChunkSettings) -> None:
        super().__init__()
        self._parsed = parsed
        self._settings = settings

    def __call__(self, nodes: Sequence[BaseNode], **kwargs: Any) -> list[BaseNode]:
        out: list[BaseNode] = []
        for doc in nodes:
            if not isinstance(doc, Document):
                out.append(doc)
                continue
            meta, paragraphs = self._parsed[doc.id_]
            for chunk in chunk_paragraphs(paragraphs, meta.title, self._settings):
                out.append(chunk_to_node(chunk, meta, doc))
        return out
