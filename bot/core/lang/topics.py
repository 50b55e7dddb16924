"""A topic ("chữ ký số", "báo cáo CCHC") → the tasks whose titles speak of it, best first.

Pure. The topic is a phrase: every content word of it must be in the title (a one-letter typo
forgiven in long words), unless the title holds the phrase nearly as typed, so "chữ ký số" is
not a task about "số hóa". Words that only say what is done with a task ("nộp", "gửi", "làm",
"hoàn thành") are not required: "hạn nộp báo cáo CCHC" finds "Báo cáo tình hình cải cách hành
chính". Established abbreviations are read in full (`vocabulary.TOPIC_ABBREVIATIONS`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from bot.core.domain import TaskView
from bot.core.lang.vocabulary import TOPIC_ABBREVIATIONS
from bot.core.text import fold_words

_WORD = re.compile(r"\w+")
# Verbs of doing a task, folded: a title may or may not say them.
OPTIONAL_WORDS = frozenset("nop gui lam thuc hien trien khai hoan thanh xong can phai viec".split())


def _word_found(word: str, title_words: set[str]) -> bool:
    if word in title_words:
        return True
    if len(word) < 5:
        return False
    return any(
        abs(len(w) - len(word)) <= 1 and Levenshtein.distance(word, w, score_cutoff=1) <= 1
        for w in title_words
    )


def topic_query(topic: str) -> str:
    """The topic folded, its abbreviations written out ("bao cao cchc" → "bao cao cai cach hanh chinh")."""
    words = fold_words(topic)[:200].split()
    return " ".join(TOPIC_ABBREVIATIONS.get(w, w) for w in words)


def search_topic(topic: str, tasks: Iterable[TaskView], limit: int = 10) -> list[TaskView]:
    """Tasks whose titles speak of `topic`, best first (word overlap, then fuzzy similarity)."""
    query = topic_query(topic)
    words = _WORD.findall(query)
    if not words:
        return []
    unique = list(dict.fromkeys(words))
    required = [w for w in unique if w not in OPTIONAL_WORDS] or unique
    core = " ".join(w for w in words if w not in OPTIONAL_WORDS) or query
    pairs = [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    scored: list[tuple[float, int, TaskView]] = []
    for position, task in enumerate(tasks):
        title = fold_words(task.title)[:2000]
        title_words = set(_WORD.findall(title))
        overlap = sum(1 for w in required if _word_found(w, title_words)) / len(required)
        partial = fuzz.partial_ratio(core, title) if len(core) >= 4 else 0.0
        if overlap == 0 and partial < 90:
            continue
        # The topic is a phrase: every content word of it must be in the title, unless the title
        # holds the phrase nearly as typed.
        if len(required) > 1 and overlap < 1.0 and not (partial >= 95 and len(core) >= 6):
            continue
        padded = f" {title} "
        phrase = sum(1 for p in pairs if f" {p} " in padded) / len(pairs) if pairs else overlap
        score = 55 * overlap + 20 * phrase + 0.15 * fuzz.token_set_ratio(query, title) + 0.10 * partial
        scored.append((score, position, task))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [task for _, _, task in scored[:limit]]
