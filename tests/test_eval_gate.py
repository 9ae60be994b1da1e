"""The eval gate on the test split: passes today, and fails on a deliberate regression."""

from __future__ import annotations

import pytest

from core.settings import Settings
from evals import harness

pytestmark = pytest.mark.slow


def test_gold_quotes_are_checked_against_the_corpus(real_engine) -> None:  # type: ignore[no-untyped-def]
    qs = harness.load_questions()
    assert len(qs) >= 80
    bad = [harness.Question(**{**qs[0].__dict__, "gold": [{"review_id": "child-y", "quote": "not in any review"}]})]
    sources = {m.id: m.source for m in real_engine.retriever.reviews.values()}
    problems = harness.check_gold(bad, harness.REPO_ROOT / "corpus", sources, {})
    assert problems and "gold quote not found" in problems[0]


def test_gate_passes_on_test_split(real_settings: Settings, real_engine) -> None:  # type: ignore[no-untyped-def]
    result = harness.run_eval(real_settings, split="test", baselines=False, engine=real_engine)
    failed = harness.check_gate(result, harness.load_thresholds())
    assert failed == [], failed


def test_gate_fails_on_a_deliberate_regression(real_settings: Settings, real_engine) -> None:  # type: ignore[no-untyped-def]
    from index.embedder import HashEmbedder
    from service.answer import ExtractiveAnswerer
    from service.app import Engine

    # A regression of the kind CI must catch: the query side embeds with the wrong model (vectors of the
    # right size that mean nothing), and the abstention threshold is set far too high.
    broken = real_settings.model_copy(deep=True)
    broken.answer.abstain_threshold = 5.0
    engine = Engine.__new__(Engine)
    engine.__dict__.update(real_engine.__dict__)
    engine.settings = broken
    engine.retriever = real_engine.retriever.__class__.__new__(real_engine.retriever.__class__)
    engine.retriever.__dict__.update(real_engine.retriever.__dict__)
    engine.retriever.settings = broken
    engine.retriever.embedder = HashEmbedder(real_engine.retriever.embedder.dim)
    engine.answerer = ExtractiveAnswerer(engine.retriever, broken)
    result = harness.run_eval(broken, split="test", baselines=False, engine=engine)
    failed = harness.check_gate(result, harness.load_thresholds())
    assert any("false_abstention" in f for f in failed)
    assert any("hit_rate@5" in f for f in failed)
