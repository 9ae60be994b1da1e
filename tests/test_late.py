"""Late interaction: token-level matching with the real model, its cache, and its place in search."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.settings import Settings
from index.embedder import HashEmbedder, get_embedder, model_text
from index.late import TokenIndex

TEXTS = [
    "The father was not invited to the core group and his role in the household was never assessed.",
    "The health visitor completed the developmental check at the family home in March.",
    "Housing officers visited the property and found it cold and cluttered.",
]
IDS = ["a", "b", "c"]


@pytest.fixture(scope="module")
def model(real_settings: Settings):  # type: ignore[no-untyped-def]
    return get_embedder(real_settings.embedding)


def test_everyday_words_find_the_reviews_wording(model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    index = TokenIndex.build(model, IDS, TEXTS)
    scores = index.scores(model.embed_tokens(["was dad ever included in the meetings?"])[0])
    assert int(np.argmax(scores)) == 0, scores
    scores = index.scores(model.embed_tokens(["the state of the house"])[0])
    assert int(np.argmax(scores)) == 2, scores
    assert ((scores >= 0) & (scores <= 1.0001)).all()


def test_tokens_leave_out_stopwords_and_punctuation(model) -> None:  # type: ignore[no-untyped-def]
    tv = model.embed_tokens(["What did the review say about the G.P.?"])[0]
    assert "the" not in tv.tokens and "?" not in tv.tokens and "." not in tv.tokens
    assert "review" in tv.tokens
    assert tv.vectors.shape == (len(tv.tokens), model.dim)
    assert np.allclose(np.linalg.norm(tv.vectors, axis=1), 1.0, atol=1e-4)


def test_an_acronyms_plural_with_an_apostrophe_reads_as_the_plural(model) -> None:  # type: ignore[no-untyped-def]
    # The neglect briefing writes "GP's must complete a MARF": the model is given "GPs", and the learning point
    # then reads as being about GPs sharing what they know.
    written, plural = model.embed_batch(
        [
            "Where there are concerns, GP's must complete a MARF, rather than rely on other agencies.",
            "Where there are concerns, GPs must complete a MARF, rather than rely on other agencies.",
        ]
    )
    assert np.allclose(written, plural, atol=1e-5)
    question = model.embed_batch(["what do the reviews say about GPs sharing information?"])[0]
    assert float(question @ written) > 0.45
    # Possessives of words and of a child's initial are left as written.
    assert model_text("Child Y's father and the mum's partner") == "Child Y's father and the mum's partner"
    assert model_text("between GP's and HV’s") == "between GPs and HVs"


def test_rare_words_weigh_more_than_common_ones() -> None:
    embedder = HashEmbedder()
    texts = ["child school report", "child school nappies", "child home visit", "child home report"]
    index = TokenIndex.build(embedder, ["1", "2", "3", "4"], texts)
    scores = index.scores(embedder.embed_tokens(["child nappies"])[0])
    # "nappies" occurs once, "child" everywhere: the chunk with the rare word wins by a wide margin.
    assert int(np.argmax(scores)) == 1
    assert scores[1] > 0.8 and max(scores[0], scores[2], scores[3]) < 0.3


def test_cache_round_trip_and_invalidation(tmp_path: Path) -> None:
    embedder = HashEmbedder()
    built = TokenIndex.load_or_build(embedder, IDS, TEXTS, tmp_path)
    assert len(list(tmp_path.glob("tokens-*.npz"))) == 1
    loaded = TokenIndex.load_or_build(embedder, IDS, TEXTS, tmp_path)
    assert loaded.ids == built.ids and loaded.idf == built.idf
    assert np.allclose(loaded.vectors, built.vectors)
    query = embedder.embed_tokens(["housing officers property"])[0]
    assert np.allclose(loaded.scores(query), built.scores(query), atol=1e-3)
    # Changed text: a new cache replaces the old one.
    TokenIndex.load_or_build(embedder, IDS, TEXTS[:2] + ["Something else entirely."], tmp_path)
    assert len(list(tmp_path.glob("tokens-*.npz"))) == 1
    # A corrupt cache is rebuilt, not fatal.
    only = next(tmp_path.glob("tokens-*.npz"))
    only.write_bytes(b"not an npz")
    again = TokenIndex.load_or_build(embedder, IDS, TEXTS[:2] + ["Something else entirely."], tmp_path)
    assert again.ids == IDS


def test_empty_query_or_index_scores_zero() -> None:
    embedder = HashEmbedder()
    empty = TokenIndex.build(embedder, [], [])
    assert empty.scores(embedder.embed_tokens(["father"])[0]).shape == (0,)
    index = TokenIndex.build(embedder, IDS, TEXTS)
    assert not index.scores(embedder.embed_tokens(["the and of"])[0]).any()


def test_search_uses_late_interaction(real_engine) -> None:  # type: ignore[no-untyped-def]
    retriever = real_engine.retriever
    assert retriever.tokens is not None and len(retriever.tokens.ids) == len(retriever.chunk_by_id)
    hits = retriever.search("did anyone talk to the dad?", top_k=5)
    assert all(0.0 < h.late <= 1.0001 for h in hits)
    assert hits == sorted(hits, key=lambda h: -h.score)


def test_late_weight_zero_skips_the_token_index(tmp_path: Path, real_settings: Settings) -> None:
    from index.retrieval import Retriever

    settings = real_settings.model_copy(
        update={"retrieval": real_settings.retrieval.model_copy(update={"late_weight": 0.0})}
    )
    retriever = Retriever(settings)
    assert retriever.tokens is None
    hits = retriever.search("fathers and male carers", top_k=3)
    assert hits and all(h.late == 0.0 for h in hits)
