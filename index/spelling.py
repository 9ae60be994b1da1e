"""Query spelling correction against the library's own words, without a dictionary download.

Practitioners type fast: "helth visitor", "neglact", "domestc abuse". A misspelt word matches nothing in
the keyword index and pulls the query's embedding off course. Each query word that is neither in the
library nor an English word is replaced by the library word one edit away (two for long words) that starts
with the same letter, the most frequent one if several are. English words the library doesn't use are left
alone ("muddle" is not a misspelt "middle", nor "convulsions" a misspelt "conclusions"), as are words formed
from a library word ("prosecuting" from "prosecuted"), so questions about something the reviews don't cover
still look like it and are abstained on. English is pyspellchecker's word list (its American spellings read
British ones too: "rigour", "criticise") and the words the embedding model knows whole.

Candidates are found with a symmetric delete index (as SymSpell does): every library word is stored under
itself and its one-letter deletions (two-letter ones too for long words), so a query word meets the words
an edit or two away through its own deletions, and the distance is then checked exactly.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import cache

from spellchecker import SpellChecker

_WORD = re.compile(r"[A-Za-z]+")
MIN_LENGTH = 5  # shorter words have too many neighbours one edit away ("form"/"from", "care"/"core")
LONG_WORD = 9  # from this length two edits are allowed
_SUFFIXES = ("s", "es", "ed", "ing")
PREFIXES = ("re", "un", "non", "pre", "mis", "over", "under", "co")  # on words formed from others
_MEMO_SIZE = 10_000  # corrections remembered between queries


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


# British spellings as the American word list has them: behaviour/behavior, criticise/criticize,
# analyse/analyze, centre/center, paediatric/pediatric, catalogue/catalog.
_BRITISH = (
    (re.compile(r"our(?=s?$|ed$|ing$|able$|ite|ful)"), "or"),
    (re.compile(r"is(?=e$|es$|ed$|ing$|ation)"), "iz"),
    (re.compile(r"ys(?=e$|es$|ed$|ing$)"), "yz"),
    (re.compile(r"tre(?=s?$)"), "ter"),
    (re.compile(r"ae"), "e"),
    (re.compile(r"ogue(?=s?$)"), "og"),
)


@cache
def english_words() -> frozenset[str]:
    """The English word list shipped with pyspellchecker (about 160,000 words), read once."""
    return frozenset(SpellChecker(language="en", distance=1).word_frequency.keys())


def american(word: str) -> str:
    """The word as an American word list spells it ("rigour" -> "rigor"); most words are unchanged."""
    for pattern, replacement in _BRITISH:
        word = pattern.sub(replacement, word)
    return word


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class Speller:
    """Corrects misspelt query words to the library's words; built from the library's text."""

    def __init__(self, frequency: Counter[str], known: set[str]) -> None:
        self.frequency = frequency
        self.known = known | set(frequency)
        self._index: dict[str, set[str]] = {}
        for word in frequency:
            if len(word) >= MIN_LENGTH - 1:
                keys = _deletes(word) | {word}
                if len(word) >= LONG_WORD:  # two edits allowed: two deletions on either side meet
                    keys |= {d2 for d in _deletes(word) for d2 in _deletes(d)}
                for key in keys:
                    self._index.setdefault(key, set()).add(word)
        self._memo: dict[str, str] = {}

    @classmethod
    def build(cls, texts: Iterable[str], known: Iterable[str] = ()) -> Speller:
        """``texts``: the library's paragraphs; ``known``: other correctly spelt words to leave alone (English
        words are always left alone)."""
        frequency: Counter[str] = Counter()
        for text in texts:
            frequency.update(w.lower() for w in _WORD.findall(text))
        return cls(frequency, {w.lower() for w in known} | english_words())

    def correct_word(self, word: str) -> str:
        """The library word this one is a misspelling of, or the word itself."""
        low = word.lower()
        if len(low) < MIN_LENGTH or word.isupper() or self._knows(low):
            return word  # short words have close neighbours; an acronym the library lacks is not a typo
        head = re.split(r"['’]", low, maxsplit=1)[0]
        if head != low:
            # A possessive, a contraction or a closing quote: the word before the apostrophe is what may be
            # misspelt ("vistor's" -> "visitor's"; "council's" and "we're" stay as they are).
            return self.correct_word(word[: len(head)]) + word[len(head) :] if head else word
        best = self._memo.get(low)  # shared by the service's threads: read once, never index after a check
        if best is None:
            best = self._best(low)
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            self._memo[low] = best
        if best == low:
            return word
        return best.capitalize() if word[0].isupper() else best

    def _knows(self, low: str) -> bool:
        """A known word, or one formed from a known word: an inflection ("drags": drag; "diagnoses": diagnose),
        another inflection of a known word's stem ("prosecuting": prosecuted), the base of a known inflection
        ("criticise": criticised), an adverb or noun made from it ("medically", "prematurity") or a prefix
        on it ("resubmitting", "reassessment"). These are English words, not typos, and "correcting" one
        changes what the question asks ("prosecuting" is not "protecting")."""
        known, library = self.known, self.frequency
        if low in known or american(low) in known or any(low + ending in library for ending in ("s", "d", "ed")):
            return True
        for suffix in _SUFFIXES:
            stem = low[: -len(suffix)]
            if low.endswith(suffix) and len(stem) >= 3 and (stem in known or stem + "e" in known):
                return True
            if suffix in ("ed", "ing") and low.endswith(suffix) and len(stem) >= 4:
                if any(stem + ending in library for ending in ("ed", "ing", "es", "ion", "ions")):
                    return True
        # The derived forms from library words only, and long ones: "Emilly" is not "Emil" + "ly".
        if len(low) >= 8 and (
            low.endswith("ly") and low[:-2] in library or low.endswith("ity") and low[:-3] + "e" in library
        ):
            return True
        return any(
            low.startswith(prefix) and len(low) - len(prefix) >= MIN_LENGTH and low[len(prefix) :] in library
            for prefix in PREFIXES
        )

    def _best(self, low: str) -> str:
        limit = 2 if len(low) >= LONG_WORD else 1
        probes = {low} | _deletes(low)
        if limit == 2:
            probes |= {d2 for d in _deletes(low) for d2 in _deletes(d)}
        candidates = {w for key in probes for w in self._index.get(key, ())}
        # A typo seldom changes a word's first letter, and a real word that differs there from a library word
        # is another word ("gestation" is not "cessation").
        scored = [(edit_distance(low, w), -self.frequency[w], w) for w in candidates if w[0] == low[0]]
        scored = [s for s in scored if s[0] <= limit]
        return min(scored)[2] if scored else low

    def correct(self, text: str) -> str:
        """The text with each misspelt word replaced; everything else (case, punctuation) kept."""
        return _WORD.sub(lambda m: self.correct_word(m.group(0)), text)
