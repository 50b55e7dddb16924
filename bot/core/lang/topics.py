"""A topic ("chữ ký số", "báo cáo CCHC") → the tasks whose titles speak of it, best first.

Pure. The topic is a phrase: every content word of it must be in the title (a one-letter typo
forgiven in long words), so "chữ ký số" is not a task about "số hóa"; only when no title has
them all, one holding the phrase nearly as typed ("chữ kýsố", "ISO9001") will do. Words that only say what is done with a
task ("nộp", "gửi", "làm", "hoàn thành") are not required: "hạn nộp báo cáo CCHC" finds "Báo cáo
tình hình cải cách hành chính". Established abbreviations are read in full
(`vocabulary.TOPIC_ABBREVIATIONS`).

`TopicIndex` holds the titles by word, so a search over every task (20,000) looks only at the
titles that have the words; a running bot keeps one per revision of its tasks.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from bot.core.domain import TaskView
from bot.core.lang.vocabulary import TOPIC_ABBREVIATIONS
from bot.core.text import fold_words

_WORD = re.compile(r"\w+")
# Verbs of doing a task, folded: a title may or may not say them.
OPTIONAL_WORDS = frozenset("nop gui lam thuc hien trien khai hoan thanh xong can phai viec".split())
SCORED = 60  # candidates scored in full (fuzzy similarity); the rest are ranked by words alone
MAX_REMEMBERED = 20_000  # words whose other spellings an index remembers


@lru_cache(maxsize=262144)
def _title(title: str) -> tuple[str, frozenset[str], frozenset[str]]:
    """A title folded, its words and its pairs of words ("cai cach"), once per title (re-indexing
    after an import folds only the new titles)."""
    folded = fold_words(title)[:2000]
    words = _WORD.findall(folded)
    return folded, frozenset(words), frozenset(f"{a} {b}" for a, b in zip(words, words[1:], strict=False))


def topic_query(topic: str) -> str:
    """The topic folded, its abbreviations written out ("bao cao cchc" → "bao cao cai cach hanh chinh")."""
    words = fold_words(topic)[:200].split()
    return " ".join(TOPIC_ABBREVIATIONS.get(w, w) for w in words)


class TopicIndex:
    """The tasks' titles by word: which tasks have a word, and every word any title has."""

    def __init__(self, tasks: Sequence[TaskView]) -> None:
        self.tasks = list(tasks)
        self._folded = [_title(task.title)[0] for task in self.tasks]
        self._pairs = [_title(task.title)[2] for task in self.tasks]
        self._with: dict[str, set[int]] = {}
        for position, task in enumerate(self.tasks):
            for word in _title(task.title)[1]:
                self._with.setdefault(word, set()).add(position)
        # Words typos are corrected against: letters only (a number is never another number).
        self._vocabulary = [w for w in self._with if w.isalpha()]
        self._spellings: dict[str, list[str]] = {}

    def _near(self, word: str) -> list[str]:
        """Title words one edit away from a long word (≥ 5 letters, no digit), remembered."""
        if len(word) < 5 or not word.isalpha():
            return []
        found = self._spellings.get(word)
        if found is None:
            found = [
                other
                for other, _distance, _i in process.extract(
                    word, self._vocabulary, scorer=Levenshtein.distance, score_cutoff=1, limit=None
                )
                if other != word and abs(len(other) - len(word)) <= 1
            ]
            if len(self._spellings) < MAX_REMEMBERED:
                self._spellings[word] = found
        return found

    def _having(self, word: str) -> set[int]:
        """Tasks whose title has the word or a spelling one edit away (the index's own set when
        there is no other spelling: never changed by the caller)."""
        found = self._with.get(word, set())
        near = [self._with[other] for other in self._near(word)]
        return found.union(*near) if near else found

    def _candidates(self, required: list[str], core: str) -> dict[int, float]:
        """Positions with every required word (overlap 1.0); when no title has them all, those
        holding the phrase nearly as typed with at least half of its words (a one-word topic:
        inside a longer word, "iso" in "ISO9001")."""
        sets = sorted((self._having(w) for w in required), key=len)
        full = set(sets[0]).intersection(*sets[1:])
        found = dict.fromkeys(full, 1.0)
        if full:
            return found
        if len(required) == 1:
            for position, folded in enumerate(self._folded):
                if core in folded:
                    found[position] = 0.5
        elif len(core) >= 6:
            need = (len(required) + 1) // 2
            rarest = sets[: len(required) - need + 1]  # a title with half the words has one of these
            for position in set().union(*rarest):
                words = sum(1 for s in sets if position in s)
                if words >= need and fuzz.partial_ratio(core, self._folded[position]) >= 95:
                    found[position] = words / len(required)
        return found

    def search(
        self, topic: str, limit: int = 10, *, keep: Callable[[TaskView], bool] | None = None
    ) -> list[TaskView]:
        """The tasks speaking of `topic` (those `keep` accepts), best first: every word, then the
        words in the order typed, then how close the title reads to the topic."""
        query = topic_query(topic)
        words = _WORD.findall(query)
        if not words or not self.tasks:
            return []
        unique = list(dict.fromkeys(words))
        required = [w for w in unique if w not in OPTIONAL_WORDS] or unique
        core = " ".join(w for w in words if w not in OPTIONAL_WORDS) or query
        pairs = {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}
        ranked: list[tuple[float, int, int]] = []
        for position, overlap in self._candidates(required, core).items():
            if keep is not None and not keep(self.tasks[position]):
                continue
            phrase = len(pairs & self._pairs[position]) / len(pairs) if pairs else overlap
            ranked.append((-(55 * overlap + 20 * phrase), len(self._folded[position]), position))
        best = heapq.nsmallest(max(SCORED, limit), ranked)
        scored = [
            (-score + 0.25 * fuzz.token_set_ratio(query, self._folded[position]), position)
            for score, _length, position in best
        ]
        scored.sort(key=lambda s: (-s[0], s[1]))
        return [self.tasks[position] for _score, position in scored[:limit]]


def search_topic(topic: str, tasks: Iterable[TaskView], limit: int = 10) -> list[TaskView]:
    """Tasks whose titles speak of `topic`, best first (see `TopicIndex.search`)."""
    return TopicIndex(list(tasks)).search(topic, limit)
