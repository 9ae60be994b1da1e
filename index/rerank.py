"""Optional cross-encoder reranking of the top candidates (a local model path; none ships)."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from index.errors import StoreError

log = logging.getLogger(__name__)


class CrossEncoderReranker:
    """Re-scores (query, paragraph) pairs with a local sentence-transformers cross-encoder."""

    def __init__(self, model_path: str, device: str = "cpu") -> None:
        path = Path(model_path).expanduser()
        if not path.is_dir():
            raise StoreError(f"reranker model {model_path!r} is not a local folder (models are never downloaded)")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import CrossEncoder

        self._model: Any = CrossEncoder(str(path), device=device, local_files_only=True)

    def scores(self, query: str, texts: list[str]) -> list[float]:
        if not texts:
            return []
        return [float(s) for s in self._model.predict([(query, t) for t in texts], show_progress_bar=False)]
