"""The corpus manifest (``corpus/reviews.toml``): per-review facts read from the documents."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from core.records import ReviewMeta
from ingest.errors import IngestError

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:64] or "review"


def load_manifest(path: Path) -> dict[str, ReviewMeta]:
    """Manifest entries keyed by source file name. A missing manifest is an empty one."""
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise IngestError(f"{path.name}: is not valid TOML ({exc})") from exc
    entries = data.get("review", [])
    if not isinstance(entries, list):
        raise IngestError(f"{path.name}: expected [[review]] tables")
    out: dict[str, ReviewMeta] = {}
    ids: set[str] = set()
    for n, entry in enumerate(entries, 1):
        out_meta = _entry(path.name, n, entry)
        if out_meta.id in ids:
            raise IngestError(f"{path.name}: review #{n} repeats the id {out_meta.id!r}")
        ids.add(out_meta.id)
        out[out_meta.source] = out_meta
    return out


def _entry(manifest: str, n: int, entry: Any) -> ReviewMeta:
    if not isinstance(entry, dict):
        raise IngestError(f"{manifest}: review #{n} is not a table")
    missing = [k for k in ("id", "title", "source") if not entry.get(k)]
    if missing:
        raise IngestError(f"{manifest}: review #{n} lacks {', '.join(missing)}")
    if not _ID.match(str(entry["id"])):
        raise IngestError(f"{manifest}: review #{n} id {entry['id']!r} must be lowercase letters, digits and '-'")
    year = entry.get("year")
    if year is not None and not (isinstance(year, int) and 1900 < year < 2200):
        raise IngestError(f"{manifest}: review {entry['id']!r} has a bad year {year!r}")
    return ReviewMeta(
        id=str(entry["id"]),
        title=str(entry["title"]),
        source=str(entry["source"]),
        children=tuple(entry.get("children") or ()),
        partnership=entry.get("partnership"),
        area=entry.get("area"),
        year=year,
        published=str(entry["published"]) if entry.get("published") else None,
        type=entry.get("type"),
        authors=tuple(entry.get("authors") or ()),
    )


def infer_meta(path: Path, title: str | None) -> ReviewMeta:
    """Metadata for a file with no manifest entry: id from the file name, title from its first heading."""
    year = re.search(r"(19|20)\d\d", path.stem)
    return ReviewMeta(
        id=slugify(path.stem),
        title=title or path.stem,
        source=path.name,
        year=int(year.group(0)) if year else None,
        inferred=True,
    )
