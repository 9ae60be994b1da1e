"""Optional generative answers from an OpenAI-compatible server (``LLM_BASE_URL``).

The model sees the top paragraphs numbered [1]..[N] and must cite them. Only reply
sentences carrying a valid citation are kept; each cited paragraph's quote is the
paragraph's own sentence closest to what the model wrote, so quotes stay verbatim.
Whenever the model fails, times out or cites nothing usable, the extractive answer
is returned instead; when it says the paragraphs don't answer the question, the
answer abstains, offering those paragraphs as "may be related".
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass

import numpy as np
from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.llms.openai_like import OpenAILike

from core.records import Answer, Citation, label_display
from core.settings import Settings
from index.keyword import tokenize
from index.retrieval import Filters, Hit, Retriever, split_sentences
from service.answer import ExtractiveAnswerer, cite_label, short_name

log = logging.getLogger(__name__)

MAX_PARAGRAPHS = 6

SYSTEM_PROMPT = (
    "You answer questions about child safeguarding practice reviews using ONLY the numbered paragraphs "
    "you are given. Every sentence of your answer must end with one or more citations of the paragraphs "
    "it relies on, written like [2] or [1][3]. Do not use outside knowledge. If the paragraphs do not "
    "answer the question, say that you cannot answer it from these reviews."
)

# "[2]", "[1, 3]", "[1][3]"
_CITE = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
# Citations written after the full stop ("... fathers. [2]") move before it.
_CITE_AFTER_STOP = re.compile(r"([.!?])((?:\s*\[\d+(?:\s*,\s*\d+)*\])+)")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
# A reply saying the paragraphs don't answer: "I cannot answer that from these reviews", "they do not mention...".
_DECLINE = re.compile(
    r"\b(?:cannot|can't|can not|unable to|not able to)\s+(?:be\s+)?(?:answer|find|tell|determine|say|confirm)"
    r"|\b(?:don't|doesn't|do not|does not)\s+(?:answer|contain|mention|say|state|cover|include|give|provide|specify)"
    r"|\bno (?:information|mention|details?|evidence|record)\b"
    r"|\bnot (?:mentioned|stated|given|covered|specified|provided|recorded|addressed)\b",
    re.I,
)


@dataclass
class _Kept:
    text: str  # the sentence without its citation markers
    numbers: list[int]  # valid citation numbers, 1-based, in order of first mention


class LLMAnswerer:
    """Generative answers, cited to paragraphs, with the extractive answerer as the fallback."""

    def __init__(self, retriever: Retriever, settings: Settings, fallback: ExtractiveAnswerer) -> None:
        self.retriever = retriever
        self.settings = settings
        self.fallback = fallback
        self.llm = OpenAILike(
            model=settings.llm.model,
            api_base=settings.llm.base_url,
            api_key=settings.llm.api_key,
            timeout=settings.llm.timeout_s,
            is_chat_model=True,
            max_retries=0,  # a retry would double the wait before the fallback
        )

    def answer(self, question: str, query: str, filters: Filters) -> Answer:
        evidence = self.fallback.gather(question, query, filters)
        if isinstance(evidence, Answer):
            return evidence  # weak evidence: abstains, with "may be related" paragraphs, without asking the model
        top = evidence.hits[:MAX_PARAGRAPHS]
        messages = [
            ChatMessage(role=MessageRole.SYSTEM, content=SYSTEM_PROMPT),
            ChatMessage(role=MessageRole.USER, content=self.prompt(question, query, top)),
        ]
        try:
            reply = self.llm.chat(messages).message.content or ""
        # Any failure: the client's status, timeout and transport errors, and a reply that is no completion
        # (a server answering 200 with no choices raises IndexError inside the client).
        except Exception as exc:  # noqa: BLE001 - the extractive answer is always there to fall back on
            log.warning(
                "LLM at %s failed (%s: %s); using the extractive answer",
                self.settings.llm.base_url,
                type(exc).__name__,
                exc,
            )
            return self.fallback.compose(evidence)
        kept = keep_cited(reply, len(top))
        if not kept:
            if declines(reply):
                # The model read the paragraphs and found no answer: quoting them anyway would overrule it.
                log.info("LLM found no answer in the paragraphs; abstaining")
                return self.fallback.abstain(query, evidence.hits)
            log.warning("LLM reply had no sentence with a valid citation; using the extractive answer")
            return self.fallback.compose(evidence)
        return self._compose(kept, top, evidence.qvec, query)

    def prompt(self, question: str, query: str, hits: list[Hit]) -> str:
        """The user message: numbered paragraphs, then the question."""
        blocks = []
        for i, h in enumerate(hits, start=1):
            p = h.paragraph
            name = short_name(self.retriever, p.review_id)
            blocks.append(f"[{i}] {name}, {label_display(p.label)} ({p.section}):\n{p.text}")
        asked = question if query.strip() == question.strip() else f"{question}\n(Interpreted as: {query})"
        return "Paragraphs:\n\n" + "\n\n".join(blocks) + f"\n\nQuestion: {asked}"

    def _compose(self, kept: list[_Kept], hits: list[Hit], qvec: np.ndarray, query: str) -> Answer:
        lines: list[str] = []
        quotes: dict[int, list[str]] = {}
        for k in kept:
            labels = " ".join(
                cite_label(self.retriever, hits[n - 1].paragraph.review_id, hits[n - 1].paragraph.label)
                for n in k.numbers
            )
            lines.append(f"{k.text} {labels}")
            for n in k.numbers:
                quote = self._closest_sentence(hits[n - 1], k.text, qvec)
                if quote not in quotes.setdefault(n, []):
                    quotes[n].append(quote)
        citations: list[Citation] = [
            self.fallback.citation(hits[n - 1], " ".join(qs)) for n, qs in sorted(quotes.items())
        ]
        return Answer(answer="\n".join(lines), citations=citations, abstained=False, query_used=query)

    def _closest_sentence(self, hit: Hit, written: str, qvec: np.ndarray) -> str:
        """The paragraph's own sentence sharing most words with what the model wrote (query similarity
        breaks ties), so the quote is verbatim."""
        p = hit.paragraph
        words = set(tokenize(written))
        best, best_score = p.text, -math.inf
        for sentence, sim in self.retriever.sentence_scores(qvec, p.review_id, p.label):
            if sentence not in p.text:
                continue
            theirs = set(tokenize(sentence))
            overlap = len(words & theirs) / math.sqrt(len(words) * len(theirs)) if words and theirs else 0.0
            score = overlap + 0.1 * sim
            if score > best_score:
                best, best_score = sentence, score
        return best


def declines(reply: str) -> bool:
    """Whether a reply says the paragraphs don't answer the question (as the system prompt asks it to)."""
    return bool(_DECLINE.search(reply))


def keep_cited(reply: str, n_paragraphs: int) -> list[_Kept]:
    """Reply sentences citing at least one of paragraphs 1..n, with their valid citation numbers."""
    kept: list[_Kept] = []
    for line in reply.splitlines():
        line = _CITE_AFTER_STOP.sub(lambda m: f"{m.group(2)}{m.group(1)}", _BULLET.sub("", line)).strip()
        if not line:
            continue
        for sentence in split_sentences(line):
            numbers: list[int] = []
            for m in _CITE.finditer(sentence):
                for raw in m.group(1).split(","):
                    n = int(raw)
                    if 1 <= n <= n_paragraphs and n not in numbers:
                        numbers.append(n)
            text = re.sub(r"\s+([.!?,;:])", r"\1", _CITE.sub("", sentence))
            text = re.sub(r"\s{2,}", " ", text).strip()
            if numbers and re.search(r"\w", text):
                kept.append(_Kept(text, numbers))
    return kept
