"""The channel: how likely an OCR token is as the writing of a syllable, and the syllables
that could have been written as a token.

The confusion table (`data/confusions.json`, learned by `benchmarks/tools/learn_confusions.py`) counts,
for each clean letter, what OCR wrote for it: itself, a letter without its marks ("ế"→"e"),
another shape ("ư"→"ir", "ơ"→"d", "đ"→"d", "ộ"→""). The cost of a syllable for a token is the
cheapest way to write the token letter by letter, −log P(written | letter); unseen writings
back off to pooled rates (same base letter, another letter, dropped, a stray mark). Candidates
come from a best-first search over a trie of the closed syllable set.
"""

from __future__ import annotations

import heapq
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from bot.core.repair.lm import language_model
from bot.core.repair.syllables import syllable_set
from bot.core.text import fold

TONE_SHIFT = 2.0  # a writing learned for a sibling letter (same base, another tone): this much dearer
NARROW_WORDS = 8  # spellings the narrow search adds for an unmarked token spelled like a syllable
MAX_WRITTEN = 3  # a letter is written as 0 to 3 characters
NARROW = 7.5  # a token spelled like a syllable: other syllables are searched only this much dearer
_LOOKALIKE = {frozenset(p) for p in ("il", "1l", "1i", "0o", "rn", "ce", "ec", "ao", "ou", "uv", "vy")}


def _static_cost(letter: str, written: str) -> float:
    """The alignment cost used to learn the table (before any counts exist)."""
    if written == letter:
        return 0.0
    if not written:
        return 0.8
    if len(written) == 1:
        if fold(written) == fold(letter):
            return 0.2
        if frozenset((fold(letter), written)) in _LOOKALIKE:
            return 0.6
        return 1.0
    bonus = 0.3 if fold(letter) in written else 0.0
    return 0.9 + 0.3 * (len(written) - 2) - bonus


def align_letters(clean: str, ocr: str) -> list[tuple[str, str]]:
    """The cheapest letter-by-letter writing of `clean` as `ocr`: (letter, written) pairs."""
    n, m = len(clean), len(ocr)
    inf = float("inf")
    best = [[inf] * (m + 1) for _ in range(n + 1)]
    back: list[list[int]] = [[0] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    for i in range(n):
        for j in range(m + 1):
            if best[i][j] == inf:
                continue
            for k in range(min(MAX_WRITTEN, m - j) + 1):
                cost = best[i][j] + _static_cost(clean[i], ocr[j : j + k])
                if cost < best[i + 1][j + k]:
                    best[i + 1][j + k] = cost
                    back[i + 1][j + k] = k
    if best[n][m] == inf:
        return []
    out = []
    j = m
    for i in range(n, 0, -1):
        k = back[i][j]
        out.append((clean[i - 1], ocr[j - k : j]))
        j -= k
    return out[::-1]


@dataclass(eq=False)
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    word: str | None = None
    index: int = 0  # the node's number in its trie (states of the search are keyed by it)
    # the search's moves from here, made on first visit: by the token's next character,
    # [(written, cost, child)]; and the children whose letter OCR may drop, [(cost, child)]
    moves: dict[str, list[tuple[str, int, float, _Node]]] | None = None
    drops: list[tuple[float, _Node]] = field(default_factory=list)


@dataclass(frozen=True)
class Channel:
    """Costs of writings per letter, and the trie of syllables to search."""

    costs: dict[str, dict[str, float]]
    same_base: float  # a letter written as another letter with the same base ("ế" as "é")
    other: float  # a letter written as an unrelated character
    dropped: float
    extra: float  # a stray character written for no letter
    root: _Node
    by_fold: dict[str, list[str]]  # syllables by their folded spelling ("tinh" → tinh, tính, tỉnh…)
    letters: dict[str, list[str]]  # the marked letters of each base letter ("a" → a, á, ă, ặ…)
    # per base letter: its writings by first character, [(written, cheapest cost)]; and the
    # cost of dropping it, for the letters OCR was seen to drop
    writings: dict[str, dict[str, list[tuple[str, float]]]] = field(default_factory=dict)
    drops: dict[str, float] = field(default_factory=dict)
    _base: dict[tuple[str, str], float] = field(default_factory=dict, compare=False, hash=False)
    _memo: dict[tuple[str, str], float] = field(default_factory=dict, compare=False, hash=False)

    def base_cost(self, base: str, written: str) -> float:
        """The cheapest writing of any letter on this base as `written` (the search's bound)."""
        key = (base, written)
        found = self._base.get(key)
        if found is None:
            found = min(self.cost(letter, written) for letter in self.letters[base])
            self._base[key] = found
        return found

    def cost(self, letter: str, written: str) -> float:
        """−log P(written | letter): learned, else the pooled rate of its kind."""
        key = (letter, written)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._cost(letter, written)
        return found

    def _cost(self, letter: str, written: str) -> float:
        known = self.costs.get(letter, {}).get(written)
        if known is not None:
            return known
        if written == letter:
            return 0.0
        # OCR misreads a letter's shape, mostly whatever its tone: a writing learned for a
        # letter of the same base ("ũ" as "ii") is likely for the others ("ụ"), a little less
        sibling = min(
            (self.costs[other][written] for other in self.letters.get(fold(letter), ()) if written in self.costs.get(other, {})),
            default=math.inf,
        )
        if not written:
            return min(self.dropped, sibling + TONE_SHIFT)
        if len(written) == 1:
            return min(self.same_base if fold(written) == fold(letter) else self.other, sibling + TONE_SHIFT)
        return min(self.other * len(written), sibling + TONE_SHIFT)

    def candidates(
        self, token: str, limit: int = 8, margin: float = 6.0, cap: float = 16.0, keep: int = 0
    ) -> list[tuple[str, float]]:
        """The syllables most likely written as `token` (lowercase), cheapest first.

        A token spelled like syllables but for its marks ("tinh", "quãng") is weighed against
        those syllables letter by letter; any other is searched for in the trie, up to `cap`.
        `limit` bounds the spellings searched for, `keep` (else `limit`) the syllables returned."""
        folded = fold(token)
        same = self.by_fold.get(folded)
        if same is not None and len(folded) == len(token):
            scored = sorted(
                ((word, sum(map(self.cost, word, token))) for word in same),  # as long as the token
                key=lambda item: item[1],
            )
            best = scored[0][1]
            keep = keep or limit
            near = [item for item in scored if item[1] <= best + margin][:keep]
            # an unmarked token may also have lost a letter ("nhim" for "nhiệm", "thu" for
            # "thực"): a narrower search adds those, with no stray letter ("truong" is not
            # "trong"; a token with its marks was read by an OCR that knows them)
            if token.isascii():
                seen = {word for word, _cost in near}
                lost = _search(self, token, NARROW_WORDS, NARROW, best + NARROW, strays=False)
                near += [item for item in lost[:keep] if item[0] not in seen]
            return sorted(near, key=lambda item: item[1])[:keep]
        return _search(self, token, limit, margin, cap)[: keep or limit]

    def nearby(self, token: str, limit: int = 3, cap: float = 9.0) -> list[tuple[str, float]]:
        """Syllables spelled otherwise than the token ("độc" for "déc"), up to `cap`."""
        folded = fold(token)
        found = _search(self, token, limit + 2, 6.0, cap)
        # every syllable of the spellings found: most of the closed set is never written
        # ("dỗng", "dớng"), so cutting by cost here would drop the one that is ("động")
        return [item for item in found if fold(item[0]) != folded]


def _search(
    channel: Channel, token: str, limit: int, margin: float, cap: float, *, strays: bool = True
) -> list[tuple[str, float]]:
    """Best-first search over the trie of folded syllables ("thuong"): from each node only the
    writings that fit the token's next characters (learned ones, the letter itself or with
    other marks) and the drops seen in training are followed. Each folded word found is then
    priced exactly for every syllable spelled so, along the same letter-to-writing path."""
    m = len(token)
    width = m + 1
    # a state: (cost, tie, position in the token, trie node, the writings so far as a linked
    # list (written, rest) — made in constant time, unrolled only for a word found)
    heap: list[tuple[float, int, int, _Node, _Path]] = [(0.0, 0, 0, channel.root, None)]
    # the cheapest cost a (node, position) state was pushed at: a dearer push is never made
    # (it would only be popped after the cheaper one, and skipped)
    best: dict[int, float] = {0: 0.0}
    found: dict[str, float] = {}
    tie = 1
    bound = cap
    folded_found = 0
    writings, drops, extra_cost = channel.writings, channel.drops, channel.extra if strays else math.inf
    inf = math.inf
    pop, push = heapq.heappop, heapq.heappush
    while heap:
        cost, _tie, j, node, linked = pop(heap)
        if cost > bound:
            break
        if cost > best[node.index * width + j]:
            continue  # a cheaper push of this state came later
        if j == m and node.word is not None:
            folded_found += 1
            path = _unrolled(linked)
            # (the folded word and each of its syllables are as long as the path: one writing
            # a letter; `map` over the pairs, not a generator: this runs ~500k times a plan)
            extra = cost - sum(map(channel.base_cost, node.word, path))
            for word in channel.by_fold[node.word]:
                exact = extra + sum(map(channel.cost, word, path))
                if exact < found.get(word, inf):
                    found[word] = exact
            if folded_found == 1:
                bound = min(cap, cost + margin)
            if folded_found >= limit:
                break
        if j < m:
            nxt = token[j]
            step_cost = cost + extra_cost  # a stray character of the token
            key = node.index * width + j + 1
            if step_cost <= bound and step_cost < best.get(key, inf):
                best[key] = step_cost
                push(heap, (step_cost, tie, j + 1, node, linked))
                tie += 1
        else:
            nxt = ""
        moves = node.moves if node.moves is not None else _moves(node, writings, drops)
        for dropped, child in node.drops:  # cheapest first
            step_cost = cost + dropped
            if step_cost > bound:
                break
            key = child.index * width + j
            if step_cost < best.get(key, inf):
                best[key] = step_cost
                push(heap, (step_cost, tie, j, child, ("", linked)))
                tie += 1
        for written, size, step, child in moves.get(nxt, ()):  # cheapest first
            step_cost = cost + step
            if step_cost > bound:
                break
            if size == 1 or token.startswith(written, j):
                key = child.index * width + j + size
                if step_cost < best.get(key, inf):
                    best[key] = step_cost
                    push(heap, (step_cost, tie, j + size, child, (written, linked)))
                    tie += 1
    return sorted(found.items(), key=lambda item: item[1])  # every syllable of the folded words found


_Path = tuple[str, "_Path"] | None


def _unrolled(linked: _Path) -> tuple[str, ...]:
    out: list[str] = []
    while linked is not None:
        out.append(linked[0])
        linked = linked[1]
    return tuple(reversed(out))


def _moves(
    node: _Node, writings: dict[str, dict[str, list[tuple[str, float]]]], drops: dict[str, float]
) -> dict[str, list[tuple[str, int, float, _Node]]]:
    """A node's moves by the token's next character, and its drops, each cheapest first (the
    search stops at the first beyond its bound)."""
    moves: dict[str, list[tuple[str, int, float, _Node]]] = {}
    for base, child in node.children.items():
        if base in drops:
            node.drops.append((drops[base], child))
        for first, options in writings[base].items():
            moves.setdefault(first, []).extend((written, len(written), step, child) for written, step in options)
    for listed in moves.values():
        listed.sort(key=lambda move: move[2])
    node.drops.sort(key=lambda drop: drop[0])
    node.moves = moves
    return moves


def _trie(words: Iterable[str]) -> _Node:
    root = _Node()
    count = 1
    for word in words:
        node = root
        for letter in word:
            child = node.children.get(letter)
            if child is None:
                child = node.children[letter] = _Node(index=count)
                count += 1
            node = child
        node.word = word
    return root


# The prior of a writing before counts (a Dirichlet of weight PRIOR_WEIGHT): a letter is most
# often written as itself, then without or with other marks, sometimes dropped, rarely as
# anything else.
PRIOR_WEIGHT = 5.0
# Another OCR engine errs in its own ways: a share of every letter's writings follows the prior
# alone, so a confusion never seen in training is unlikely, not impossible.
UNSEEN_SHARE = 0.05
_PRIOR_SELF, _PRIOR_SAME, _PRIOR_DROPPED, _PRIOR_OTHER, _PRIOR_LONGER = 0.8, 0.1, 0.02, 0.001, 0.0002


def build_channel(counts: dict[str, dict[str, int]], words: list[str], written: Iterable[str] = ()) -> Channel:
    """Costs −log P(written | letter) from the counts, smoothed towards the prior.

    `written`: the syllables seen in the language model's training text. Of the syllables a
    spelling may be read as, only those are offered when there are any — three in four of the
    closed set ("dỗng", "dớng") are never written, and pricing them was a quarter of the search;
    a spelling with no written syllable still offers them all."""
    costs: dict[str, dict[str, float]] = {}
    totals = {letter: sum(writings.values()) for letter, writings in counts.items()}
    for word in words:
        for letter in word:
            totals.setdefault(letter, 0)
    for letter, total in totals.items():
        writings = counts.get(letter, {})
        denominator = total + PRIOR_WEIGHT
        table = {w: _mixed(c, letter, w, denominator) for w, c in writings.items()}
        table.setdefault(letter, _mixed(0, letter, letter, denominator))
        costs[letter] = table
    typical = sorted(totals.values())[len(totals) // 2] + PRIOR_WEIGHT
    seen = frozenset(written)
    by_fold = _by_fold(words, seen)
    # the search looks only among spellings somebody writes (half of the closed set's folded
    # spellings have no syllable in the training text); a token spelled exactly like one of
    # the others is still weighed against it through `by_fold`
    searched = [key for key, spelled in by_fold.items() if not seen or any(w in seen for w in spelled)]
    made = Channel(
        costs,
        same_base=-math.log(_share(0, _PRIOR_SAME, typical)),
        other=-math.log(_share(0, _PRIOR_OTHER, typical)),
        dropped=-math.log(_share(0, _PRIOR_DROPPED, typical)),
        extra=-math.log(_share(0, _PRIOR_DROPPED, typical)),
        root=_trie(sorted(searched)),
        by_fold=by_fold,
        letters=_letters(totals),
    )
    _index_writings(made, counts)
    return made


def _index_writings(made: Channel, counts: dict[str, dict[str, int]]) -> None:
    """Fill the search's index: for each base letter, every learned writing of its letters, each
    of its letters written as itself or with other marks; drops seen at least twice."""
    for base, letters in made.letters.items():
        options: set[str] = set(letters)
        dropped = 0
        for letter in letters:
            options.update(w for w in counts.get(letter, {}) if w)
            dropped += counts.get(letter, {}).get("", 0)
        by_first: dict[str, list[tuple[str, float]]] = {}
        for written in options:
            by_first.setdefault(written[0], []).append((written, made.base_cost(base, written)))
        made.writings[base] = by_first
        if dropped >= 5:
            made.drops[base] = made.base_cost(base, "")


def _letters(letters: Iterable[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for letter in letters:
        out.setdefault(fold(letter), []).append(letter)
    return out


def _share(count: int, prior: float, denominator: float) -> float:
    return (1 - UNSEEN_SHARE) * (count + PRIOR_WEIGHT * prior) / denominator + UNSEEN_SHARE * prior


def _mixed(count: int, letter: str, written: str, denominator: float) -> float:
    return -math.log(_share(count, _prior(letter, written), denominator))


def _prior(letter: str, written: str) -> float:
    if written == letter:
        return _PRIOR_SELF
    if not written:
        return _PRIOR_DROPPED
    if len(written) == 1:
        return _PRIOR_SAME if fold(written) == fold(letter) else _PRIOR_OTHER
    return _PRIOR_LONGER


def _by_fold(words: Iterable[str], written: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for word in words:
        out.setdefault(fold(word), []).append(word)
    for key, spelled in out.items():
        seen = [word for word in spelled if word in written]
        if seen:
            out[key] = seen
    return out


@lru_cache(maxsize=1)
def channel() -> Channel:
    """The shipped channel over the closed syllable set (the syllables offered: those the shipped
    language model has seen, where a spelling has any)."""
    text = resources.files("bot.core.repair").joinpath("data/confusions.json").read_text(encoding="utf-8")
    return build_channel(json.loads(text), sorted(syllable_set()), written=language_model().ids)
