"""The ``reviews`` command: ingest, list, show, serve, ask, eval."""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Annotated, Any

import typer

from core.errors import ReviewsError
from core.settings import Settings, get_settings

app = typer.Typer(
    help="A conversational assistant over child safeguarding practice reviews, every answer cited.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _settings() -> Settings:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    level = os.environ.get("REVIEWS_LOG_LEVEL", "WARNING")
    logging.basicConfig(level=level, format="%(levelname)s %(message)s")
    for noisy in ("bm25s", "httpx", "chromadb", "llama_index"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    return get_settings()


def _fail(exc: ReviewsError) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(2)


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


@app.command()
def ingest(
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Drop the index and start clean.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Parse, chunk, embed and store every review in the corpus folder."""
    from ingest.pipeline import run_ingest

    settings = _settings()
    try:
        report = run_ingest(settings, rebuild=rebuild, progress=not quiet and sys.stderr.isatty())
    except ReviewsError as exc:
        raise _fail(exc) from exc
    for warning in report.warnings:
        typer.echo(f"warning: {warning}", err=True)
    for problem in report.failed:
        typer.echo(f"failed: {problem.file}: {problem.message}", err=True)
    typer.echo(f"ingested: {report.summary()}")
    if not report.ok:
        raise typer.Exit(1)


@app.command("list")
def list_reviews(json_out: Annotated[bool, typer.Option("--json", help="JSON output.")] = False) -> None:
    """One row per review: id, title, area, year, type, paragraphs."""
    from index.store import ReviewStore

    try:
        reviews = ReviewStore(_settings()).list_reviews()
    except ReviewsError as exc:
        raise _fail(exc) from exc
    if json_out:
        _echo_json([r.to_dict() for r in reviews])
        return
    if not reviews:
        typer.echo("no reviews ingested yet: run `reviews ingest`")
        return
    rows = [("ID", "TITLE", "AREA", "YEAR", "TYPE", "PARAS")] + [
        (r.id, r.title[:60], r.area or "-", str(r.year or "-"), r.type or "-", str(r.paragraphs)) for r in reviews
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


@app.command()
def show(
    review_id: Annotated[str, typer.Argument(help="Review id, as in `reviews list`.")],
    label: Annotated[str | None, typer.Argument(help="Paragraph label, e.g. 3.24 or 'Recommendation 2'.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """A review's metadata, or one paragraph of it."""
    from index.store import ReviewStore

    try:
        store = ReviewStore(_settings())
        if label is None:
            meta = store.get_review(review_id)
            if json_out:
                _echo_json(meta.to_dict())
            else:
                for key, value in meta.to_dict().items():
                    typer.echo(f"{key}: {', '.join(value) if isinstance(value, list) else value}")
            return
        para = store.get_paragraph(review_id, label)[0]
    except ReviewsError as exc:
        raise _fail(exc) from exc
    if json_out:
        _echo_json(para.to_dict())
        return
    page = f", page {para.page}" if para.page else ""
    typer.echo(f"{para.review_id} para {para.label} ({para.section}{page})\n\n{para.text}")
    for note in para.footnotes:
        typer.echo(f"\n  [{note}]")


def main() -> None:  # pragma: no cover - console entry
    app()


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default from settings).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings).")] = None,
) -> None:
    """Run the HTTP service (OpenAPI docs at /docs)."""
    import uvicorn

    from service.app import create_app

    settings = _settings()
    application = create_app(settings, preload=True)
    uvicorn.run(application, host=host or settings.api.host, port=port or settings.api.port, log_level="info")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="A question about the reviews.")],
    json_out: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """Answer one question from the reviews, with citations."""
    from index.retrieval import Filters
    from service.app import Engine, _answer_model

    if not question.strip():
        typer.echo("error: the question is empty", err=True)
        raise typer.Exit(2)
    try:
        answer = Engine(_settings()).ask(question, [], Filters())
    except ReviewsError as exc:
        raise _fail(exc) from exc
    if json_out:
        typer.echo(_answer_model(answer).model_dump_json(indent=2))
        return
    typer.echo(answer.answer)
    if answer.abstained and answer.related:
        typer.echo("\nMay be related:")
        for c in answer.related:
            typer.echo(f"  {c.review_id} para {c.label}: {c.text[:120]}…")


@app.command("eval")
def eval_cmd(
    split: Annotated[str, typer.Option(help="dev, test or all.")] = "test",
    json_path: Annotated[str | None, typer.Option("--json", help="Also write the JSON result here.")] = None,
    gate: Annotated[bool, typer.Option("--gate", help="Exit 1 when a figure crosses evals/thresholds.toml.")] = False,
    baselines: Annotated[bool, typer.Option(help="Run the three baselines beside the project.")] = True,
    calibrate: Annotated[bool, typer.Option("--calibrate", help="Calibrate the abstention threshold on dev.")] = False,
) -> None:
    """Score the project (and baselines) on the eval set; write a report under evals/reports/."""
    from pathlib import Path

    from evals import harness

    settings = _settings()
    try:
        if calibrate:
            best = harness.calibrate(settings)
            typer.echo(
                f"abstain_threshold = {best['threshold']} (dev: abstention recall {best['abstention_recall']}, "
                f"false abstention {best['false_abstention']})"
            )
            return
        result = harness.run_eval(settings, split=split, baselines=baselines)
    except ReviewsError as exc:
        raise _fail(exc) from exc
    paths = harness.write_outputs(result, harness.EVALS_DIR / "reports")
    if json_path:
        Path(json_path).write_text(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    typer.echo(harness.markdown_report(result))
    typer.echo("report: " + ", ".join(str(p) for p in paths.values()))
    if gate:
        failed = harness.check_gate(result, harness.load_thresholds())
        for line in failed:
            typer.echo(f"gate failed: {line}", err=True)
        if failed:
            raise typer.Exit(1)
        typer.echo("gate passed")
