"""Evaluation: the project beside three baselines on the same questions, with a CI gate.

Run with ``reviews eval`` (or ``make eval``). See evals/README.md for what each metric means.
"""

from __future__ import annotations

import json
import logging
import re
import statistics
import subprocess
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import ReviewsError
from core.settings import REPO_ROOT, Settings

log = logging.getLogger(__name__)

EVALS_DIR = Path(__file__).resolve().parent
QUESTIONS = EVALS_DIR / "questions.jsonl"
THRESHOLDS = EVALS_DIR / "thresholds.toml"
KS = (1, 3, 5, 10)


class EvalError(ReviewsError):
    status_code = 500


# -- data ------------------------------------------------------------------------------------------
@dataclass
class Question:
    id: str
    split: str
    type: str
    question: str
    history: list[dict[str, str]]
    gold: list[dict[str, str]]
    reviews: list[str]
    must_mention: list[str]
    reference_answer: str
    tags: list[str] = field(default_factory=list)

    @property
    def answerable(self) -> bool:
        return self.type != "unanswerable"


_QUOTES = str.maketrans("“”‘’", "\"\"''")
_SUPERSCRIPTS = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹]+")


def normalise(text: str) -> str:
    """The matching form of a text: markup and footnote markers gone, quotes straightened, spaces collapsed."""
    text = re.sub(r"<sup>.*?</sup>", "", text)
    text = re.sub(r"</?u>", "", text)
    text = text.replace("**", "").replace("*", "")
    text = _SUPERSCRIPTS.sub("", text)
    text = text.translate(_QUOTES)
    return re.sub(r"\s+", " ", text).strip().lower()


def load_questions(path: Path = QUESTIONS, split: str | None = None) -> list[Question]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            q = Question(**json.loads(line))
        except (ValueError, TypeError) as exc:
            raise EvalError(f"{path.name} line {n}: not a valid question ({exc})") from exc
        if split in (None, "all") or q.split == split:
            out.append(q)
    return out


def check_gold(
    questions: list[Question], corpus_dir: Path, sources: dict[str, str], paragraphs: dict[str, list[str]]
) -> list[str]:
    """Every gold quote must occur in its review: in the file, or (across a page break) in a parsed paragraph.

    Returns the problems; empty when every quote holds.
    """
    texts: dict[str, str] = {}
    problems = []
    for q in questions:
        for g in q.gold:
            rid = g["review_id"]
            if rid not in sources:
                problems.append(f"{q.id}: unknown review {rid!r}")
                continue
            if rid not in texts:
                texts[rid] = normalise((corpus_dir / sources[rid]).read_text(encoding="utf-8"))
            quote = normalise(g["quote"])
            if quote not in texts[rid] and not any(quote in normalise(p) for p in paragraphs.get(rid, [])):
                problems.append(f"{q.id}: gold quote not found in {sources[rid]}: {g['quote'][:70]!r}")
    return problems


def holds(text: str, quote: str) -> bool:
    return normalise(quote) in normalise(text)


# -- systems ---------------------------------------------------------------------------------------
# A system maps a question to ranked passages: (review_id or "", passage text).
Ranked = list[tuple[str, str]]


def project_system(engine: Any) -> Callable[[Question], Ranked]:
    """The service's own retrieval: follow-up resolution, then the answerer's candidate paragraphs."""
    from index.retrieval import Filters

    def run(q: Question) -> Ranked:
        question, query, filters = engine.prepare(q.question, q.history, Filters())
        _, _, _, hits = engine.answerer.retrieve(question, query, filters)
        return [(h.paragraph.review_id, h.paragraph.text) for h in hits[:10]]

    return run


def keyword_only_system(engine: Any) -> Callable[[Question], Ranked]:
    from index.keyword import tokenize

    r = engine.retriever

    def run(q: Question) -> Ranked:
        found = r.keyword.search(tokenize(q.question), 10)
        chunks = [r.chunk_by_id[cid] for cid, _ in found]
        return [(c.review_id, c.text) for c in chunks]

    return run


def dense_only_system(engine: Any) -> Callable[[Question], Ranked]:
    from index.retrieval import Filters

    r = engine.retriever

    def run(q: Question) -> Ranked:
        ranked = r.dense_search(r.embed_query(q.question), 10, Filters())
        return [(r.chunk_by_id[cid].review_id, r.chunk_by_id[cid].text) for cid, _ in ranked]

    return run


def quickstart_system(settings: Settings, embedder: Any) -> Callable[[Question], Ranked]:
    """The llama-index quickstart: SimpleDirectoryReader, default SentenceSplitter, VectorStoreIndex in Chroma."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from index.embedder import LlamaEmbedding

    docs = SimpleDirectoryReader(str(settings.paths.corpus_dir), required_exts=[".txt"]).load_data()
    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    collection = client.get_or_create_collection("quickstart", embedding_function=None)
    storage = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=collection))
    index = VectorStoreIndex.from_documents(
        docs, storage_context=storage, embed_model=LlamaEmbedding(embedder), transformations=[SentenceSplitter()]
    )
    retriever = index.as_retriever(similarity_top_k=10)

    def run(q: Question) -> Ranked:
        return [("", n.node.get_content()) for n in retriever.retrieve(q.question)]

    return run


# -- metrics ---------------------------------------------------------------------------------------
def retrieval_metrics(questions: list[Question], runs: dict[str, Ranked]) -> dict[str, float]:
    """recall@k, MRR@10 and nDCG@10 with ranx; each gold quote is one relevant item."""
    from ranx import Qrels, Run, evaluate

    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, dict[str, float]] = {}
    for q in questions:
        if not q.gold:
            continue
        qrels[q.id] = {f"g{i}": 1 for i in range(len(q.gold))}
        scores: dict[str, float] = {}
        for rank, (_, text) in enumerate(runs[q.id][:10]):
            # A result is relevant under the first gold quote it holds that no earlier result held.
            key = next(
                (f"g{i}" for i, g in enumerate(q.gold) if f"g{i}" not in scores and holds(text, g["quote"])),
                f"r{rank}",
            )
            scores[key] = 1.0 / (rank + 1)
        run[q.id] = scores or {"none": 0.0}
    if not qrels:
        return {}
    metrics = [f"hit_rate@{k}" for k in KS] + [f"recall@{k}" for k in KS] + ["mrr@10", "ndcg@10"]
    result = evaluate(Qrels(qrels), Run(run), metrics, make_comparable=True)
    return {m: round(float(result[m]), 4) for m in metrics}


def passage_words(runs: dict[str, Ranked], k: int = 5) -> float:
    lengths = [len(text.split()) for ranked in runs.values() for _, text in ranked[:k]]
    return float(statistics.median(lengths)) if lengths else 0.0


def answer_metrics(questions: list[Question], answers: dict[str, dict[str, Any]]) -> dict[str, float]:
    answerable = [q for q in questions if q.answerable]
    unanswerable = [q for q in questions if not q.answerable]
    evidence: list[float] = []
    precision: list[float] = []
    mention: list[float] = []
    coverage: list[float] = []
    lengths: list[int] = []
    for q in answerable:
        a = answers[q.id]
        cited = a["citations"]
        if q.gold:
            evidence.append(sum(any(holds(c["text"], g["quote"]) for c in cited) for g in q.gold) / len(q.gold))
        if cited:
            precision.append(sum(any(holds(c["text"], g["quote"]) for g in q.gold) for c in cited) / len(cited))
        if q.must_mention:
            text = normalise(a["answer"])
            mention.append(sum(normalise(t) in text for t in q.must_mention) / len(q.must_mention))
        if q.type == "theme" and q.reviews:
            got = {c["review_id"] for c in cited}
            coverage.append(float(set(q.reviews) <= got))
        lengths.extend(len(c["text"].split()) for c in cited)
    out = {
        "evidence_cited": _mean(evidence),
        "citation_precision": _mean(precision),
        "must_mention": _mean(mention),
        "theme_all_reviews_cited": _mean(coverage),
        "abstention_recall": _mean([float(answers[q.id]["abstained"]) for q in unanswerable]),
        "false_abstention": _mean([float(answers[q.id]["abstained"]) for q in answerable]),
        "median_cited_words": float(statistics.median(lengths)) if lengths else 0.0,
    }
    return out


def _mean(xs: list[float]) -> float:
    return round(sum(xs) / len(xs), 4) if xs else 0.0


def percentile(xs: list[float], p: float) -> float:
    if not xs:
        return 0.0
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))], 1)


# -- the run ---------------------------------------------------------------------------------------
@dataclass
class EvalResult:
    split: str
    n_questions: int
    systems: dict[str, dict[str, float]]
    by_type: dict[str, dict[str, float]]
    answers: dict[str, float]
    answers_by_type: dict[str, dict[str, float]]
    latency_ms: dict[str, float]
    commit: str
    settings: dict[str, Any]
    failures: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run_eval(settings: Settings, split: str = "test", baselines: bool = True, engine: Any = None) -> EvalResult:
    from service.app import Engine

    engine = engine or Engine(settings)
    questions = load_questions(split=split)
    if not questions:
        raise EvalError(f"no questions in split {split!r}")
    sources = {m.id: m.source for m in engine.retriever.reviews.values()}
    paragraphs: dict[str, list[str]] = {}
    for p in engine.retriever.paragraphs:
        paragraphs.setdefault(p.review_id, []).append(p.text)
    problems = check_gold(load_questions(), settings.paths.corpus_dir, sources, paragraphs)
    if problems:
        raise EvalError("gold quotes do not match the corpus:\n  " + "\n  ".join(problems))

    systems: dict[str, Callable[[Question], Ranked]] = {"project": project_system(engine)}
    if baselines:
        systems["bm25_only"] = keyword_only_system(engine)
        systems["dense_only"] = dense_only_system(engine)
        systems["llamaindex_quickstart"] = quickstart_system(settings, engine.retriever.embedder)

    answerable = [q for q in questions if q.gold]
    sys_metrics: dict[str, dict[str, float]] = {}
    by_type: dict[str, dict[str, float]] = {}
    search_ms: list[float] = []
    for name, system in systems.items():
        runs: dict[str, Ranked] = {}
        for q in answerable:
            t = time.perf_counter()
            runs[q.id] = system(q)
            if name == "project":
                search_ms.append((time.perf_counter() - t) * 1000)
        m = retrieval_metrics(answerable, runs)
        m["median_passage_words"] = passage_words(runs)
        sys_metrics[name] = m
        if name == "project":
            for qtype in sorted({q.type for q in answerable}):
                sub = [q for q in answerable if q.type == qtype]
                by_type[qtype] = retrieval_metrics(sub, {q.id: runs[q.id] for q in sub})

    answers: dict[str, dict[str, Any]] = {}
    ask_ms: list[float] = []
    from index.retrieval import Filters

    for q in questions:
        t = time.perf_counter()
        a = engine.ask(q.question, q.history, Filters())
        ask_ms.append((time.perf_counter() - t) * 1000)
        answers[q.id] = {
            "answer": a.answer,
            "abstained": a.abstained,
            "citations": [c.to_dict() for c in a.citations],
            "query_used": a.query_used,
        }
    ans = answer_metrics(questions, answers)
    ans_by_type = {
        t: answer_metrics([q for q in questions if q.type == t], answers) for t in sorted({q.type for q in questions})
    }
    failures = []
    for q in questions:
        a = answers[q.id]
        if q.answerable == a["abstained"] or (
            q.gold and not any(holds(c["text"], g["quote"]) for c in a["citations"] for g in q.gold)
        ):
            failures.append(
                {
                    "id": q.id,
                    "type": q.type,
                    "question": q.question,
                    "abstained": a["abstained"],
                    "cited": [f"{c['review_id']} {c['label']}" for c in a["citations"]],
                }
            )
    return EvalResult(
        split=split,
        n_questions=len(questions),
        systems=sys_metrics,
        by_type=by_type,
        answers=ans,
        answers_by_type=ans_by_type,
        latency_ms={
            "search_p50": percentile(search_ms, 50),
            "search_p95": percentile(search_ms, 95),
            "ask_p50": percentile(ask_ms, 50),
            "ask_p95": percentile(ask_ms, 95),
        },
        commit=_commit(),
        settings=json.loads(settings.model_dump_json()),
        failures=failures,
    )


# -- calibration -----------------------------------------------------------------------------------
def calibrate(settings: Settings, max_false_abstention: float = 0.05, engine: Any = None) -> dict[str, Any]:
    """Pick the abstention threshold on the dev split: most unanswerables caught within the false-abstention cap,
    and of the thresholds catching as many, the lowest (fewest answerable questions turned away)."""
    from index.retrieval import Filters
    from service.app import Engine

    engine = engine or Engine(settings)
    questions = load_questions(split="dev")
    scored: list[tuple[float, bool]] = []
    regardless: list[bool] = []  # abstains whatever the threshold: no sentence holds the value asked for
    for q in questions:
        question, query, filters = engine.prepare(q.question, q.history, Filters())
        strength, missing = engine.answerer.assess(question, query, filters)
        scored.append((strength, q.answerable))
        regardless.append(missing is not None)
    candidates = sorted({round(s, 3) for s, _ in scored})
    n_ans = sum(1 for _, a in scored if a) or 1
    n_un = sum(1 for _, a in scored if not a) or 1
    best = {"threshold": 0.0, "abstention_recall": 0.0, "false_abstention": 0.0}
    best_recall = 0.0
    for t in candidates:
        abstains = [s < t or r for (s, _), r in zip(scored, regardless, strict=True)]
        false_abst = sum(1 for (_, a), x in zip(scored, abstains, strict=True) if a and x) / n_ans
        recall = sum(1 for (_, a), x in zip(scored, abstains, strict=True) if not a and x) / n_un
        # Thresholds rise: the first to reach a recall has the fewest false abstentions for it.
        if false_abst <= max_false_abstention and recall > best_recall:
            best_recall = recall
            best = {"threshold": t, "abstention_recall": round(recall, 4), "false_abstention": round(false_abst, 4)}
    best["scores"] = sorted(scored)  # type: ignore[assignment]
    return best


# -- gate and report -------------------------------------------------------------------------------
def load_thresholds(path: Path = THRESHOLDS) -> dict[str, dict[str, float]]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def check_gate(result: EvalResult, thresholds: dict[str, dict[str, float]]) -> list[str]:
    """Figures below their minimum (or above their maximum). Empty means the gate passes."""
    figures = {
        **{f"retrieval.{k}": v for k, v in result.systems["project"].items()},
        **{f"answers.{k}": v for k, v in result.answers.items()},
    }
    failed = []
    for name, value in thresholds.get("min", {}).items():
        if figures.get(name, 0.0) < value:
            failed.append(f"{name} = {figures.get(name, 0.0):.3f} is below the gate {value}")
    for name, value in thresholds.get("max", {}).items():
        if figures.get(name, 0.0) > value:
            failed.append(f"{name} = {figures.get(name, 0.0):.3f} is above the gate {value}")
    return failed


def markdown_report(result: EvalResult) -> str:
    names = list(result.systems)
    metrics = (
        [f"hit_rate@{k}" for k in KS] + [f"recall@{k}" for k in KS] + ["mrr@10", "ndcg@10", "median_passage_words"]
    )
    lines = [
        f"# Evaluation report ({result.split} split, {result.n_questions} questions, commit {result.commit})",
        "",
        "## Retrieval: the project beside the baselines",
        "",
        "| metric | " + " | ".join(names) + " | project ÷ quickstart |",
        "|---|" + "---|" * (len(names) + 1),
    ]
    for m in metrics:
        vals = [result.systems[n].get(m, 0.0) for n in names]
        base = result.systems.get("llamaindex_quickstart", {}).get(m)
        ratio = f"{vals[0] / base:.2f}×" if base else "-"
        lines.append(f"| {m} | " + " | ".join(f"{v:.3f}" if v < 10 else f"{v:.0f}" for v in vals) + f" | {ratio} |")
    lines += [
        "",
        "## Retrieval by question type (project)",
        "",
        "| type | hit_rate@5 | recall@1 | recall@5 | recall@10 | mrr@10 |",
        "|---|---|---|---|---|---|",
    ]
    for t, tm in result.by_type.items():
        lines.append(
            f"| {t} | {tm['hit_rate@5']:.3f} | {tm['recall@1']:.3f} | {tm['recall@5']:.3f} "
            f"| {tm['recall@10']:.3f} | {tm['mrr@10']:.3f} |"
        )
    lines += [
        "",
        "## Answers",
        "",
        "| metric | all | " + " | ".join(result.answers_by_type) + " |",
        "|---|---|" + "---|" * len(result.answers_by_type),
    ]
    for m, v in result.answers.items():
        per = " | ".join(f"{result.answers_by_type[t].get(m, 0.0):.3f}" for t in result.answers_by_type)
        lines.append(f"| {m} | {v:.3f} | {per} |")
    lines += ["", "## Latency (in-process, warm)", ""]
    lines += [f"- {k}: {v} ms" for k, v in result.latency_ms.items()]
    lines += ["", f"## Questions the project got wrong ({len(result.failures)})", ""]
    lines += [
        f"- {f['id']} ({f['type']}): {f['question']} → abstained={f['abstained']}, cited {f['cited'][:4]}"
        for f in result.failures
    ]
    return "\n".join(lines) + "\n"


def write_outputs(result: EvalResult, folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"eval-{result.split}"
    paths = {"json": folder / f"{stem}.json", "markdown": folder / f"{stem}.md", "chart": folder / f"{stem}.png"}
    paths["json"].write_text(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    paths["markdown"].write_text(markdown_report(result))
    _chart(result, paths["chart"])
    return paths


def _chart(result: EvalResult, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, m in result.systems.items():
        left.plot(KS, [m.get(f"recall@{k}", 0.0) for k in KS], marker="o", label=name)
    left.set(title=f"Recall@k ({result.split} split)", xlabel="k", ylabel="recall", ylim=(0, 1.02), xticks=list(KS))
    left.legend(loc="lower right", fontsize=8)
    types = list(result.by_type)
    right.bar(types, [result.by_type[t]["recall@5"] for t in types], color="#4c72b0")
    right.set(title="Project recall@5 by question type", ylim=(0, 1.02))
    right.tick_params(axis="x", rotation=20)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
