"""Ingest into a real embedded Chroma: idempotent, replaces changed reviews, survives bad files."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from core.settings import Settings
from index.store import ReviewStore
from ingest.pipeline import run_ingest


def test_ingest_is_idempotent_and_complete(fast_settings: Settings) -> None:
    first = run_ingest(fast_settings)
    assert first.ok and first.reviews == 5 and first.embedded == first.chunks > 500
    store = ReviewStore(fast_settings)
    count = store.count()
    again = run_ingest(fast_settings, store=store)
    assert again.embedded == 0 and len(again.unchanged) == 5
    assert store.count() == count
    ids = {m.id for m in store.list_reviews()}
    assert ids == {"child-y", "child-p-h", "dudley-chronic-neglect-briefing", "child-o", "emily"}
    meta = store.get_review("child-y")
    assert (meta.area, meta.year, meta.type, meta.authors) == ("Dudley", 2022, "LCSPR", ("Nicki Pettitt",))


def test_changed_review_replaces_its_chunks(fast_settings: Settings) -> None:
    run_ingest(fast_settings)
    path = fast_settings.paths.corpus_dir / "dudley-chronic-neglect-practitioner-briefing.txt"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("The learning is shared across the partnership.", "The learning is shared widely."))
    report = run_ingest(fast_settings)
    assert report.updated == ["dudley-chronic-neglect-briefing"] and len(report.unchanged) == 4
    store = ReviewStore(fast_settings)
    para = store.get_paragraph("dudley-chronic-neglect-briefing", "Recommendation 6")[0]
    assert para.text == "The learning is shared widely."
    ids = store.all_chunks(where={"review_id": "dudley-chronic-neglect-briefing"})
    assert len(ids) == len({c.id for c in ids})  # no duplicates, no stale parts


def test_review_that_fails_to_embed_keeps_its_stored_version(fast_settings: Settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from index.embedder import LlamaEmbedding

    run_ingest(fast_settings)
    store = ReviewStore(fast_settings)
    before = {c.id: c.text for c in store.all_chunks(where={"review_id": "dudley-chronic-neglect-briefing"})}
    path = fast_settings.paths.corpus_dir / "dudley-chronic-neglect-practitioner-briefing.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("shared across the partnership", "shared widely"))

    def fail(self, texts):  # type: ignore[no-untyped-def]
        raise RuntimeError("out of memory")

    monkeypatch.setattr(LlamaEmbedding, "_get_text_embeddings", fail)
    report = run_ingest(fast_settings, store=store)
    assert [f.file for f in report.failed] == ["dudley-chronic-neglect-practitioner-briefing.txt"]
    assert "out of memory" in report.failed[0].message and "already stored is kept" in report.failed[0].message
    assert report.updated == [] and len(report.unchanged) == 4 and report.removed == []
    after = {c.id: c.text for c in store.all_chunks(where={"review_id": "dudley-chronic-neglect-briefing"})}
    assert after == before  # the stored version, whole

    monkeypatch.undo()
    retry = run_ingest(fast_settings, store=store)  # still "changed", so the next ingest stores it
    assert retry.ok and retry.updated == ["dudley-chronic-neglect-briefing"]
    assert store.get_paragraph("dudley-chronic-neglect-briefing", "Recommendation 6")[0].text.endswith("shared widely.")


def test_failed_chunk_write_puts_the_old_chunks_back(fast_settings: Settings) -> None:
    run_ingest(fast_settings)
    store = ReviewStore(fast_settings)
    before = sorted(c.id for c in store.all_chunks(where={"review_id": "emily"}))

    def broken_write(nodes):  # type: ignore[no-untyped-def]
        store.chunks.delete(ids=before[:1])  # a write that got part way, then failed
        raise OSError("disk full")

    try:
        store.replace_chunks("emily", [], broken_write)
    except OSError:
        pass
    else:
        raise AssertionError("the write error must reach the caller")
    assert sorted(c.id for c in store.all_chunks(where={"review_id": "emily"})) == before


def test_removed_review_is_deleted(fast_settings: Settings) -> None:
    run_ingest(fast_settings)
    (fast_settings.paths.corpus_dir / "bradford-emily-cspr-scrutineer-response.txt").unlink()
    report = run_ingest(fast_settings)
    assert report.removed == ["emily"]
    store = ReviewStore(fast_settings)
    assert "emily" not in {m.id for m in store.list_reviews()}
    assert not store.all_chunks(where={"review_id": "emily"})


def test_bad_files_fail_alone_and_stored_reviews_survive(fast_settings: Settings) -> None:
    run_ingest(fast_settings)
    corpus = fast_settings.paths.corpus_dir
    before = ReviewStore(fast_settings).count()
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (corpus / "empty.txt").write_text("")
    (corpus / "junk.txt").write_bytes(b"\x00\x01\x02binary")
    (corpus / "notes.xyz").write_text("hello")
    (corpus / "latin1.txt").write_bytes("Caf\xe9 review".encode("latin-1"))
    # A review that was ingested before and is now corrupt keeps its stored paragraphs.
    (corpus / "dudley-2022-child-y-lcspr.txt").write_bytes(b"\xff\xfe\x00\x00garbage")
    report = run_ingest(fast_settings)
    failed = {p.file: p.message for p in report.failed}
    assert set(failed) == {
        "broken.pdf",
        "empty.txt",
        "junk.txt",
        "notes.xyz",
        "latin1.txt",
        "dudley-2022-child-y-lcspr.txt",
    }
    assert "empty" in failed["empty.txt"] and "UTF-8" in failed["latin1.txt"]
    assert "unsupported file type" in failed["notes.xyz"]
    store = ReviewStore(fast_settings)
    assert store.count() == before
    assert "nearly seven years old" in store.get_paragraph("child-y", "3.4")[0].text


def test_unlisted_review_is_ingested_with_inferred_metadata(fast_settings: Settings) -> None:
    extra = fast_settings.paths.corpus_dir / "wigan-2023-child-z-briefing.md"
    extra.write_text("# Learning from Child Z\n\n1.1 Workers must see the child alone and record what they say.\n")
    report = run_ingest(fast_settings)
    assert any("wigan-2023-child-z-briefing.md" in w for w in report.warnings)
    meta = ReviewStore(fast_settings).get_review("wigan-2023-child-z-briefing")
    assert meta.inferred and meta.title == "Learning from Child Z" and meta.year == 2023


def test_rebuild_starts_clean(fast_settings: Settings) -> None:
    run_ingest(fast_settings)
    report = run_ingest(fast_settings, rebuild=True)
    assert report.embedded == report.chunks and report.reviews == 5


def test_cli_list_and_show(fast_settings: Settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    run_ingest(fast_settings)
    monkeypatch.setenv("REVIEWS_DATA_DIR", str(fast_settings.paths.data_dir))
    monkeypatch.setenv("REVIEWS_CORPUS_DIR", str(fast_settings.paths.corpus_dir))
    monkeypatch.setenv("EMBEDDING_MODEL", "hash-256")
    runner = CliRunner()
    listed = json.loads(runner.invoke(app, ["list", "--json"]).output)
    assert {r["id"]: r["paragraphs"] for r in listed}["child-y"] > 40
    shown = runner.invoke(app, ["show", "child-y", "3.4", "--json"])
    para = json.loads(shown.output)
    assert set(para) == {"review_id", "label", "section", "page", "text", "footnotes"}
    assert "nearly seven years old" in para["text"] and "Four groups" not in para["text"]
    missing = runner.invoke(app, ["show", "child-y", "99.9"])
    assert missing.exit_code == 2 and "no paragraph labelled '99.9'" in missing.output


def test_chunks_split_long_paragraphs_and_keep_the_label(fast_settings: Settings) -> None:
    run_ingest(fast_settings)
    chunks = ReviewStore(fast_settings).all_chunks(where={"review_id": "child-y"})
    parts = [c for c in chunks if c.label == "3.24"]
    assert len(parts) >= 2 and {c.metadata["part"] for c in parts} == set(range(len(parts)))
    assert Path  # noqa: B018 - keep import for type checkers


def test_pdf_and_docx_reviews_are_ingested_with_pages(fast_settings: Settings) -> None:
    from fixtures_build import child_y_document, make_docx, make_pdf

    corpus = fast_settings.paths.corpus_dir
    make_pdf(child_y_document(), corpus / "child-y-as-pdf.pdf")
    make_docx(child_y_document(), corpus / "child-y-as-word.docx")
    report = run_ingest(fast_settings)
    assert report.ok, report.failed
    store = ReviewStore(fast_settings)
    for review_id in ("child-y-as-pdf", "child-y-as-word"):
        para = store.get_paragraph(review_id, "3.4")[0]
        assert para.page == 2 and "section 436a of the Education Act 1996" in para.text, review_id
        assert para.section == "3 The Learning"
    # Two files that would share one review id: the second gets a clear error, the first is kept.
    make_pdf(child_y_document(), corpus / "child-y-as-word.pdf")
    again = run_ingest(fast_settings)
    assert [(p.file, p.message) for p in again.failed] == [
        ("child-y-as-word.pdf", "review id 'child-y-as-word' is already used by another file")
    ]
    assert store.get_paragraph("child-y-as-word", "3.4")[0].page == 2


def test_glossary_follows_the_library(fast_settings: Settings) -> None:
    from index.retrieval import Retriever

    run_ingest(fast_settings)
    assert "nova" not in Retriever(fast_settings).glossary.acronyms
    path = fast_settings.paths.corpus_dir / "dudley-2022-child-y-lcspr.txt"
    added = "\n\n9.99 The Neighbourhood Outreach Visiting Arrangement (NOVA) was offered to the family.\n"
    path.write_text(path.read_text(encoding="utf-8") + added, encoding="utf-8")
    run_ingest(fast_settings)
    assert "outreach" in Retriever(fast_settings).glossary.acronyms["nova"].lower()
