"""Content-addressed cache files beside the store (``<prefix>-<hash>.<ext>``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)


def replace_cache(path: Path, save: Callable[[Path], None], what: str) -> None:
    """Write ``path`` with ``save``, removing older files of the same prefix; a failure only warns
    (the caller keeps what it computed, and the next start computes it again)."""
    prefix = path.name.split("-", 1)[0]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in path.parent.glob(f"{prefix}-*{path.suffix}"):
            old.unlink()
        save(path)
    except OSError as exc:
        log.warning("cannot cache %s at %s: %s", what, path, exc)
