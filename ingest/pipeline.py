"""The ingest job: corpus files to embedded, citable paragraph chunks in Chroma.

Safe to re-run. Each review is one llama-index ``Document`` whose hash covers the
file's text, its metadata, the parser version and the chunk settings; the
``IngestionPipeline``'s docstore skips unchanged reviews (nothing re-embedded),
replaces the chunks of a changed one, and reviews whose files are gone are
deleted. A file that fails to load is reported and left as it was in the store.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from llama_index.core.ingestion import run_transformations
from llama_index.core.schema import Document
from llama_index.core.storage.docstore import SimpleDocumentStore
from llama_index.vector_stores.chroma import ChromaVectorStore

from core.records import Paragraph, ReviewMeta
from core.settings import Settings
from index.embedder import TEXT_FORM, LlamaEmbedding, get_embedder
from index.keyword import KeywordIndex
from index.retrieval import Retriever
from index.store import ReviewStore, mark_generation
from ingest.chunking import ReviewChunker
from ingest.errors import IngestError
from ingest.loaders import SUPPORTED_SUFFIXES, load_pages
from ingest.manifest import infer_meta, load_manifest
from ingest.parser import first_heading, parse_review

log = logging.getLogger(__name__)

# Bump when the parser's output changes, so every review is re-parsed once.
PARSER_VERSION = "7"
_IGNORED = {"readme.md", "readme.txt", "license", "license.txt"}


@dataclass
class FileProblem:
    file: str
    message: str


@dataclass
class IngestReport:
    reviews: int = 0
    paragraphs: int = 0
    chunks: int = 0
    embedded: int = 0
    unchanged: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[FileProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        return (
            f"{self.reviews} reviews, {self.paragraphs} paragraphs, {self.chunks} chunks "
            f"({self.embedded} embedded, {len(self.unchanged)} reviews unchanged, {len(self.updated)} new or "
            f"changed, {len(self.removed)} removed), {len(self.failed)} failed, {self.seconds:.1f} s"
        )


def discover(corpus_dir: Path, manifest_name: str) -> tuple[list[Path], list[FileProblem]]:
    """Review files in the corpus folder, and the files that cannot be reviews."""
    if not corpus_dir.is_dir():
        raise IngestError(f"corpus folder {corpus_dir} does not exist")
    files: list[Path] = []
    problems: list[FileProblem] = []
    for path in sorted(corpus_dir.iterdir()):
        if path.name.startswith(".") or path.is_dir() or path.name == manifest_name:
            continue
        if path.name.lower() in _IGNORED:
            continue
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            problems.append(
                FileProblem(
                    path.name,
                    f"unsupported file type {path.suffix or '(none)'!r}; supported: {', '.join(SUPPORTED_SUFFIXES)}",
                )
            )
            continue
        files.append(path)
    return files, problems


def _document(meta: ReviewMeta, raw_text: str, settings: Settings) -> Document:
    fingerprint = {
        "parser_version": PARSER_VERSION,
        "chunking": f"{settings.chunking.max_tokens}/{settings.chunking.min_tokens}",
        "embedding": f"{settings.embedding.model}|{TEXT_FORM}",
        "meta": str(sorted(meta.to_dict().items())),
    }
    return Document(
        id_=meta.id,
        text=raw_text,
        metadata=fingerprint,
        excluded_embed_metadata_keys=list(fingerprint),
        excluded_llm_metadata_keys=list(fingerprint),
    )


def _load_docstore(settings: Settings) -> SimpleDocumentStore:
    path = settings.paths.docstore_path
    if path.exists():
        try:
            return SimpleDocumentStore.from_persist_path(str(path))
        except (ValueError, OSError) as exc:
            log.warning("docstore %s unreadable (%s); re-embedding everything", path, exc)
    return SimpleDocumentStore()


def run_ingest(
    settings: Settings, rebuild: bool = False, progress: bool = False, store: ReviewStore | None = None
) -> IngestReport:
    """Ingest ``settings.paths.corpus_dir`` into the store. Never raises for one bad file."""
    started = time.perf_counter()
    report = IngestReport()
    store = store or ReviewStore(settings)
    if rebuild:
        store.reset()
        settings.paths.docstore_path.unlink(missing_ok=True)

    corpus = settings.paths.corpus_dir
    manifest = load_manifest(corpus / settings.paths.manifest_name)
    files, problems = discover(corpus, settings.paths.manifest_name)
    report.failed.extend(problems)
    present = {p.name for p in files}
    for source in sorted(set(manifest) - present):
        report.warnings.append(f"manifest lists {source}, which is not in {corpus}")

    parsed: dict[str, tuple[ReviewMeta, list[Paragraph]]] = {}
    documents: list[Document] = []
    failed_ids: set[str] = set()
    for path in files:
        meta = manifest.get(path.name)
        try:
            pages = load_pages(path)
            if meta is None:
                meta = infer_meta(path, first_heading(pages))
                report.warnings.append(
                    f"{path.name}: no entry in {settings.paths.manifest_name}; ingested as {meta.id!r} "
                    f"titled {meta.title!r}"
                )
            if meta.id in parsed:
                raise IngestError(f"{path.name}: review id {meta.id!r} is already used by another file")
            paragraphs = parse_review(pages, meta.id)
            if not paragraphs:
                raise IngestError(f"{path.name}: no paragraphs of text were found")
        except IngestError as exc:
            msg = str(exc)
            report.failed.append(FileProblem(path.name, msg.split(": ", 1)[1] if msg.startswith(path.name) else msg))
            failed_ids.add(meta.id if meta is not None else infer_meta(path, None).id)
            continue
        meta = ReviewMeta(**{**meta.__dict__, "paragraphs": len(paragraphs)})
        parsed[meta.id] = (meta, paragraphs)
        documents.append(_document(meta, "\n\f".join(p.text for p in pages), settings))
        report.paragraphs += len(paragraphs)

    docstore = _load_docstore(settings)
    # A docstore entry whose chunks are missing from the store (store wiped by hand) must re-run.
    for doc in documents:
        if docstore.get_document_hash(doc.id_) and not store.chunks.get(where={"review_id": doc.id_}, limit=1)["ids"]:
            docstore.delete_ref_doc(doc.id_, raise_error=False)
            docstore.delete_document(doc.id_, raise_error=False)
    changed = [d for d in documents if docstore.get_document_hash(d.id_) != d.hash]
    report.unchanged = sorted(d.id_ for d in documents if d not in changed)
    report.updated = sorted(d.id_ for d in changed)

    if changed:
        embedder = get_embedder(settings.embedding)
        transformations = [
            ReviewChunker(parsed, settings.chunking),
            LlamaEmbedding(embedder, batch_size=settings.embedding.batch_size),
        ]
        vector_store = ChromaVectorStore(chroma_collection=store.chunks)
        for doc in changed:
            # Chunked and embedded before anything stored is touched; then swapped in whole. A review that
            # fails here keeps its stored version (and stays "changed", so the next ingest retries it).
            meta = parsed[doc.id_][0]
            try:
                nodes = run_transformations([doc], transformations, show_progress=progress)
                store.replace_chunks(doc.id_, nodes, vector_store.add)
            except Exception as exc:  # noqa: BLE001 - one review's failure must cost neither the others nor itself
                log.exception("could not store %s", meta.source)
                report.failed.append(
                    FileProblem(
                        meta.source,
                        f"could not be chunked and embedded ({type(exc).__name__}: {exc}); "
                        "the version already stored is kept",
                    )
                )
                report.updated.remove(doc.id_)
                report.paragraphs -= meta.paragraphs
                failed_ids.add(doc.id_)
                del parsed[doc.id_]
                continue
            docstore.set_document_hash(doc.id_, doc.hash)
            report.embedded += len(nodes)

    for meta, _ in parsed.values():
        store.upsert_review(meta)

    # Reviews whose files are gone are deleted; a review whose file failed to load is kept as it was.
    keep = set(parsed) | failed_ids
    stored_ids = {m.id for m in store.list_reviews()} | set(docstore.get_all_document_hashes().values())
    for gone in sorted(stored_ids - keep):
        store.delete_review(gone)
        docstore.delete_ref_doc(gone, raise_error=False)
        docstore.delete_document(gone, raise_error=False)
        report.removed.append(gone)

    settings.paths.data_dir.mkdir(parents=True, exist_ok=True)
    docstore.persist(str(settings.paths.docstore_path))
    KeywordIndex.load_or_build(store.all_chunks(), settings.paths.bm25_dir)
    if report.updated or report.removed:
        # Build the retriever's caches (sentence vectors, glossary) now, while the model is loaded,
        # so the service starts without embedding anything.
        Retriever(settings, store=store, embedder=get_embedder(settings.embedding))
        mark_generation(settings)  # a running service reloads on its next request

    report.reviews = len(store.list_reviews())
    report.chunks = store.count()
    report.seconds = time.perf_counter() - started
    return report
