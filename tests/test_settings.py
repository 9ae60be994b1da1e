"""One typed settings object: every field documented, environment overrides, bad values refused."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from core.settings import Settings, get_settings


def _fields(model: type[BaseModel], prefix: str = "") -> list[tuple[str, str | None]]:
    out = []
    for name, info in model.model_fields.items():
        out.append((prefix + name, info.description))
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out.extend(_fields(ann, f"{prefix}{name}."))
    return out


def test_every_setting_is_described() -> None:
    missing = [name for name, desc in _fields(Settings) if not desc]
    assert missing == []


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVIEWS_RETRIEVAL__TOP_K", "7")
    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("CHROMA_PORT", "8123")
    monkeypatch.setenv("LLM_BASE_URL", "http://127.0.0.1:9/v1")
    s = get_settings()
    assert (s.retrieval.top_k, s.store.chroma_host, s.store.chroma_port) == (7, "127.0.0.1", 8123)
    assert s.llm.base_url == "http://127.0.0.1:9/v1"


def test_bad_values_fail_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVIEWS_CHUNKING__MAX_TOKENS", "5")
    with pytest.raises(ValidationError, match="max_tokens"):
        get_settings()


def test_readme_documents_the_well_known_variables() -> None:
    from core.settings import _WELL_KNOWN_ENV, REPO_ROOT

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    head = readme.splitlines()[:6]
    assert any(line.startswith("make run") for line in head) and any(line.startswith("make test") for line in head)
    for name in _WELL_KNOWN_ENV:
        assert name in readme, name
