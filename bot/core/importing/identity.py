"""Which task of the stored plan a re-imported task is: identity by normalised title and lead.

Plans are re-issued with small edits: a final ".", a fixed typo, a word added. Such a task must
keep its done occurrences and must not be reminded again as new. A task is the same when its
title and lead are equal after folding case, diacritics, punctuation and spacing; failing that,
when the title is the same and the leads name the same units however punctuated
(`SIMILAR_LEAD`, token-set ratio); failing that, when the lead is the same and the titles are at
least `SIMILAR` alike (rapidfuzz ratio). Each
stored task is taken at most once, the most alike first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from rapidfuzz import fuzz

from bot.core.text import fold_words

SIMILAR = 90.0  # ratio (0-100) of folded titles above which a task with the same lead is the same
SIMILAR_LEAD = 85.0  # token-set ratio of folded leads above which a task with the same title is the same


def identity(title: str, lead: str) -> tuple[str, str]:
    """The comparison form of a task: folded words of its title and of its lead."""
    return fold_words(title), fold_words(lead)


@dataclass(frozen=True)
class StoredTask:
    id: int
    title: str
    lead: str


class TaskMatcher:
    """`take(title, lead)` → the id of the stored task it is, or None for a new task."""

    def __init__(self, stored: Iterable[StoredTask]) -> None:
        self._exact: dict[tuple[str, str], list[int]] = {}
        self._by_lead: dict[str, dict[int, str]] = {}
        self._title_leads: dict[str, dict[int, str]] = {}
        for task in stored:
            title, lead = identity(task.title, task.lead)
            self._exact.setdefault((title, lead), []).append(task.id)
            self._by_lead.setdefault(lead, {})[task.id] = title
            self._title_leads.setdefault(title, {})[task.id] = lead
        self.taken: set[int] = set()

    def take(self, title: str, lead: str) -> int | None:
        folded = identity(title, lead)
        for task_id in self._exact.get(folded, ()):
            if task_id not in self.taken:
                return self._mark(task_id)
        same_title = [
            (fuzz.token_set_ratio(folded[1], lead), task_id)
            for task_id, lead in self._title_leads.get(folded[0], {}).items()
            if task_id not in self.taken
        ]
        if same_title:
            # the same title, its lead written another way ("A; - B" / "A, B"; "Bộ … và các bộ")
            score, task_id = max(same_title)
            if score >= SIMILAR_LEAD:
                return self._mark(task_id)
        candidates = self._by_lead.get(folded[1], {})
        best: tuple[float, int] | None = None
        for task_id, stored_title in candidates.items():
            if task_id in self.taken:
                continue
            score = fuzz.ratio(folded[0], stored_title)
            if score >= SIMILAR and (best is None or score > best[0]):
                best = (score, task_id)
        return self._mark(best[1]) if best else None

    def _mark(self, task_id: int) -> int:
        self.taken.add(task_id)
        return task_id


def pair_moved_dates(old: dict[date, int], new: list[date]) -> tuple[dict[int, date], list[date], list[int]]:
    """Occurrences of one task across a re-import: (occurrence id → its new date, dates to add,
    occurrence ids to drop). Dates in both stay as they are. When as many dates went as came, the
    deadline moved: the old occurrences take the new dates in order, so a report already done
    stays done (the reminders follow the new date: the claim key names it)."""
    gone = sorted(d for d in old if d not in new)
    came = sorted(d for d in set(new) if d not in old)
    if gone and len(gone) == len(came):
        return {old[g]: c for g, c in zip(gone, came, strict=True)}, [], []
    return {}, came, [old[g] for g in gone]
