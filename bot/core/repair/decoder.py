"""Put the channel and the language model together: the most probable clean text of an OCR'd one.

Each token's core gets candidates — syllables from the channel, a split into two or three
syllables when the OCR ran words together ("S&Nivii" → "Sở Nội vụ"), and the token kept as
it is (names, abbreviations, numbers); a rarer syllable is added where a neighbour strongly
calls for it ("dõi" after "theo") — and a Viterbi search over a sentence picks the
sequence maximising  λ·log P_LM  −  channel cost. The case of each token is carried over
("ChInh" → "Chính", "HQI" → "HỘI"); spacing, punctuation and line breaks are kept as they were.

`needs_repair` decides whether to touch a text at all: the share of its words that are not
Vietnamese syllables, and the share of syllables that carry a diacritic (OCR without a
Vietnamese model drops them). Clean text is returned byte-identical.
"""

from __future__ import annotations

import heapq
import re
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache

from bot.core.repair.channel import channel
from bot.core.repair.lm import BACKOFF, LanguageModel, language_model
from bot.core.repair.syllables import ONSETS, folded_onset, folded_set, is_syllable
from bot.core.repair.tokens import (
    NUM,
    START,
    UNK,
    ends_sentence,
    lm_word,
    numbers_line,
    opens_item,
    split_token,
)
from bot.core.text import fold

KEEP_WORD = 4.0  # keeping a lowercase or capitalised token that is no syllable: mostly damage
KEEP_DAMAGED = 12.0  # keeping letters broken by a mark or a digit ("S&Nivii", "niro'c", "v11")
KEEP_ABBREVIATION = 2.0  # keeping an all-capitals token, a number or a code (UBND, 12/KH-SCT)
SPLIT_COST = 2.5  # the OCR lost a space
SEARCH_CAP = 16.0  # syllables dearer than this for a token are not looked for
PART_CAP = 10.0  # a piece of a split token dearer than this is not looked for
SPLIT_FROM = 6.0  # try splits only when no single syllable costs less than this
MAX_CANDIDATES = 5
RESERVE = 16  # syllables ranked after the likeliest, offered where a neighbour calls for them
CALLED_FOR = -5.0  # log P(w | v) from which a neighbour calls for a rarer syllable
CANDIDATE_POOL = 12  # syllables the channel offers before the re-ranking by frequency
HOPELESS = 8.0  # a reading dearer than the best one by this much is not weighed
RARE = -13.0  # log-probability under which a marked token is taken for misread marks
BEAM = 8
LOST_RIME = 5.0  # a token that is only an onset ("t"): the OCR lost its vowels whole
LOST_LETTER = 0.5
LOST_RIME_CANDIDATES = 12
BEAM_MARGIN = 8.0  # a state this far behind the best of its step is dropped
_TOKEN = re.compile(r"\S+")
_WORD = re.compile(r"[^\s,;|\t]+")  # what `measure` counts: words of prose, cells of a table
_LETTER = re.compile(r"[^\W\d_]")
_ASCII = re.compile(r"^[a-z]+$")
_VOWELISH = re.compile(r"[aeiouyàáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]")


@dataclass(frozen=True)
class Report:
    """What `needs_repair` measured."""

    words: int
    not_syllables: float  # share of words that are no Vietnamese syllable
    unmarked: float  # share of syllables without any diacritic
    vietnamese: float  # share of words spelled like a syllable but for the marks

    @property
    def damaged(self) -> bool:
        """Vietnamese (not English, not a data file) whose words are often no syllable (an OCR
        that misreads the marks) or almost never carry a mark (an OCR that drops them)."""
        if self.words < 20 or self.vietnamese < 0.65:
            return False
        return self.not_syllables > 0.25 or (self.unmarked > 0.6 and self.not_syllables > 0.02) or self.unmarked > 0.9


def measure(text: str) -> Report:
    words = syllables = unmarked = spelled = 0
    for match in _WORD.finditer(text):
        kind = _kind(match[0])  # a plan repeats its words: each is weighed once
        if kind is None:
            continue  # numbers, abbreviations (UBND, CCHC) say nothing either way
        words += 1
        spelled += kind[0]
        syllables += kind[1]
        unmarked += kind[2]
    if not words:
        return Report(0, 0.0, 0.0, 0.0)
    return Report(words, 1 - syllables / words, unmarked / syllables if syllables else 1.0, spelled / words)


@lru_cache(maxsize=50000)
def _kind(token: str) -> tuple[bool, bool, bool] | None:
    """(spelled like a syllable but for the marks, a syllable, a syllable without marks) of a
    word, or None for what says nothing either way."""
    core = split_token(token)[1]
    if not _LETTER.search(core) or (core.isupper() and len(core) > 1 and not is_syllable(core)):
        return None
    syllable = is_syllable(core)
    return fold(core) in folded_set(), syllable, syllable and bool(_ASCII.match(core.lower()))


def needs_repair(text: str) -> bool:
    return measure(text).damaged


def repair_text(text: str, *, force: bool = False) -> str:
    """The repaired text; `text` itself (the same string) when it needs no repair."""
    if not force and not needs_repair(text):
        return text
    model = language_model()
    out: list[str] = []
    pos = 0
    sentence: list[tuple[int, int, str, str, str]] = []  # (start, end, lead, core, trail)

    def flush() -> None:
        nonlocal pos
        cores = [item[3] for item in sentence]
        for (start, end, lead, _core, trail), fixed in zip(sentence, decode(cores, model), strict=True):
            out.append(text[pos:start])
            out.append(lead + fixed + trail)
            pos = end
        sentence.clear()

    previous_end = 0
    matches = list(_TOKEN.finditer(text))
    for index, match in enumerate(matches):
        if sentence and "\n\n" in text[previous_end : match.start()].replace(" ", ""):
            flush()
        lead, core, trail = split_token(match[0])
        if _line_marker(text, matches, index):
            lead, core, trail = match[0], "", ""  # "1.", "Iv. TO CHUC": an item's number, kept as written
        if trail.startswith("?") and core[-1:].isalpha() and _continues(matches, index):
            core, trail = core + "?", trail[1:]  # "git? vitng": the hook of "ữ" read as "?", not a question
        if sentence and (opens_item(lead) or (not core and ends_sentence(trail))):
            flush()
        previous_end = match.end()
        if not core:  # a marker or punctuation alone ("b)", "-"): kept as it is, as training skips it
            continue
        sentence.append((match.start(), match.end(), lead, core, trail))
        if ends_sentence(trail):
            flush()
    if sentence:
        flush()
    out.append(text[pos:])
    return "".join(out)


def _line_marker(text: str, matches: list[re.Match[str]], index: int) -> bool:
    """The token numbers its line's item (`tokens.numbers_line`) and is the line's first: it opens
    the item's sentence, is not a word of the line before ("… THỰC HIỆN 1."), and is kept as
    written ("Vv." is not "Vũ.")."""
    match = matches[index]
    following = matches[index + 1][0] if index + 1 < len(matches) else ""
    if not numbers_line(match[0], following):
        return False
    return not text[text.rfind("\n", 0, match.start()) + 1 : match.start()].strip()


def _continues(matches: list[re.Match[str]], index: int) -> bool:
    """The token after `index` goes on with the sentence (it starts with a lowercase letter)."""
    following = matches[index + 1][0] if index + 1 < len(matches) else ""
    return following[:1].isalpha() and following[:1].islower()


@dataclass(frozen=True)
class _Option:
    words: tuple[int, ...]  # LM ids
    text: str
    cost: float


def _with_case(word: str, core: str) -> str:
    letters = [ch for ch in core if ch.isalpha()]
    if len(letters) > 1 and all(ch.isupper() for ch in letters):
        return word.upper()
    if letters and letters[0].isupper():
        pieces = word.split(" ")
        # a split token's capitals inside ("S&Nivii") start its first pieces ("Sở Nội vụ")
        capitals = min(len(pieces), sum(ch.isupper() for ch in letters))
        return " ".join(p[:1].upper() + p[1:] if i < capitals else p for i, p in enumerate(pieces))
    return word


def _syllable_options(lower: str, cap: float = 0.0) -> tuple[tuple[str, float], ...]:
    """The likeliest syllables for a token: the channel's best (up to `cap`), re-ranked with how
    common each syllable is (so "văn" is weighed for "van" though "vản" is as close)."""
    return _ranked_syllables(lower, cap)[:MAX_CANDIDATES]


def _reserve_syllables(lower: str) -> tuple[tuple[str, float], ...]:
    """The syllables ranked after the likeliest for a token ("dõi" for "doi", after đối, đổi,
    đội…): weighed only where a neighbour calls for them (`_called_for`)."""
    return _ranked_syllables(lower, 0.0)[MAX_CANDIDATES:RESERVE]


@lru_cache(maxsize=50000)
def _ranked_syllables(lower: str, cap: float) -> tuple[tuple[str, float], ...]:
    if len(lower) > 10:
        return ()
    model = language_model()
    found = channel().candidates(lower, limit=CANDIDATE_POOL, cap=cap or SEARCH_CAP, keep=4 * CANDIDATE_POOL)
    if not lower.isascii() and model.unigrams.get(model.id(lower), model.floor) < RARE:
        # marks nobody writes ("déc"): the OCR misread them, look beyond the same spelling
        seen = {word for word, _cost in found}
        found += [item for item in channel().nearby(lower) if item[0] not in seen]
    ranked = sorted(found, key=lambda item: item[1] - model.unigrams.get(model.id(item[0]), model.floor))
    return tuple(ranked[:RESERVE])


def _lost_rime(onset: str) -> tuple[tuple[str, float], ...]:
    """The commonest syllables on an onset ("t" → tại, tư, tế…) for a token that is only the
    onset: the vowels and coda were lost, a letter at a time dearer; the sentence decides."""
    return _by_onset().get(fold(onset), ())


@lru_cache(maxsize=1)
def _by_onset() -> dict[str, tuple[tuple[str, float], ...]]:
    """Each folded onset's commonest syllables, priced as lost rimes: one pass over the model's
    vocabulary (its words are syllables, commonest first once sorted)."""
    model = language_model()
    floor = model.floor
    groups: dict[str, list[str]] = {}
    for word in sorted(model.ids, key=lambda w: -model.unigrams.get(model.ids[w], floor)):
        if word.startswith("<"):
            continue
        onset = folded_onset(fold(word))
        group = groups.setdefault(onset, [])
        if len(group) < LOST_RIME_CANDIDATES:
            group.append(word)
    return {
        onset: tuple((word, LOST_RIME + LOST_LETTER * (len(word) - len(onset))) for word in words)
        for onset, words in groups.items()
    }


@lru_cache(maxsize=50000)
def _split_options(lower: str, depth: int = 2) -> tuple[tuple[tuple[str, ...], float], ...]:
    """Readings of `lower` as 2..depth+1 syllables (each part at least one character)."""
    found: list[tuple[tuple[str, ...], float]] = []
    for cut in range(1, len(lower)):
        head, tail = lower[:cut], lower[cut:]
        if not (_VOWELISH.search(tail) and (_VOWELISH.search(head) or not head.isalpha())):
            continue  # each syllable has a vowel (or the mark OCR wrote for one: "s&")
        heads = _syllable_options(head, PART_CAP)[:3]
        if not heads:
            continue
        tails: list[tuple[tuple[str, ...], float]] = [((w,), c) for w, c in _syllable_options(tail, PART_CAP)[:3]]
        if depth > 1 and len(tail) >= 4 and not lower.isalpha():
            tails += list(_split_options(tail, depth - 1))
        for hw, hc in heads:
            for tw, tc in tails:
                found.append(((hw, *tw), hc + tc + SPLIT_COST))
    # kept by cost, and by cost less how likely the pieces are together ("sở nội vụ" before
    # "sở ni vũ"); the sentence's search then weighs them in context
    model = language_model()
    found.sort(key=lambda item: item[1])
    kept = found[:4]
    for parts in (2, 3):
        same = [item for item in found if len(item[0]) == parts]
        same.sort(key=lambda item: item[1] - _inside(item[0], model))
        kept += [item for item in same[:2] if item not in kept]
    return tuple(kept)


@lru_cache(maxsize=50000)
def _inside(words: tuple[str, ...], model: LanguageModel) -> float:
    """How likely a split token's pieces are together: the first's frequency, then each piece
    after the ones before it ("sở nội vụ" far above "sở ni vũ")."""
    ids = [model.id(w) for w in words]
    total = model.unigrams.get(ids[0], model.floor)
    for i in range(1, len(ids)):
        total += model.score(ids[i - 2] if i >= 2 else model.size, ids[i - 1], ids[i])
    return total


@lru_cache(maxsize=50000)
def options(core: str, model: LanguageModel) -> tuple[_Option, ...]:
    """Every reading of one token's core the search will weigh (the hopeless ones dropped)."""
    found = _options(core, model)
    best = min(option.cost for option in found)
    return tuple(option for option in found if option.cost <= best + HOPELESS)


@lru_cache(maxsize=50000)
def reserve(core: str, model: LanguageModel) -> tuple[_Option, ...]:
    """The readings of a token kept back from `options` (rarer syllables, in lowercase), for `_called_for`."""
    if not _LETTER.search(core) or len(core) < 2:
        return ()
    lower = unicodedata.normalize("NFC", core.lower())
    shown = options(core, model)
    seen = {option.words for option in shown}
    worst = min(option.cost for option in shown) + HOPELESS
    return tuple(_Option(ids, w, c) for w, c in _reserve_syllables(lower) if c <= worst and (ids := (model.id(w),)) not in seen)


def _called_for(
    cores: list[str], readings: list[tuple[_Option, ...]], model: LanguageModel
) -> list[tuple[_Option, ...]]:
    """Each token's readings with the rarer syllables its neighbours strongly call for: "dõi"
    after "theo", "túy" after "ma", "lồng" before "ghép" — the likeliest few by frequency alone
    miss them, and the sentence cannot choose what it is not offered."""
    out = list(readings)
    last = len(cores) - 1
    for i, core in enumerate(cores):
        if not reserve(core, model):
            continue
        called = (_called(cores[i - 1], core, model, False) if i else ()) + (
            _called(cores[i + 1], core, model, True) if i < last else ()
        )
        if called:
            out[i] = readings[i] + tuple(dict.fromkeys(called))  # (once, if both sides call for it)
    return out


@lru_cache(maxsize=50000)
def _called(neighbour: str, core: str, model: LanguageModel, after: bool) -> tuple[_Option, ...]:
    """The reserve readings of `core` that a reading of the token before it (or after it)
    strongly calls for."""
    ids = {o.words[0] if after else o.words[-1] for o in options(neighbour, model)}
    follows, precedes = _strong_pairs(model)
    calling = follows if after else precedes
    empty: frozenset[int] = frozenset()
    return tuple(
        replace(option, text=_with_case(option.text, core))  # (cased only when called for)
        for option in reserve(core, model)
        if not ids.isdisjoint(calling.get(option.words[0], empty))
    )


@lru_cache(maxsize=1)
def _strong_pairs(model: LanguageModel) -> tuple[dict[int, frozenset[int]], dict[int, frozenset[int]]]:
    """(the words each word strongly calls for after it, the words that call for it before
    them): bigrams with log P(w | v) ≥ CALLED_FOR, indexed both ways once."""
    n = model.size
    follows: dict[int, set[int]] = {}
    precedes: dict[int, set[int]] = {}
    for key, value in model.bigrams.items():
        if value >= CALLED_FOR:
            v, w = divmod(key, n)
            follows.setdefault(v, set()).add(w)
            precedes.setdefault(w, set()).add(v)
    return (
        {v: frozenset(ws) for v, ws in follows.items()},
        {w: frozenset(vs) for w, vs in precedes.items()},
    )


def _options(core: str, model: LanguageModel) -> list[_Option]:
    word = lm_word(core)
    if not _LETTER.search(core):
        return [_Option((model.id(word),), core, 0.0)]
    lower = unicodedata.normalize("NFC", core.lower())
    found = [_Option((model.id(w),), _with_case(w, core), c) for w, c in _syllable_options(lower)]
    if core.islower() and lower in ONSETS:  # only an onset ("Sở Y t"): the OCR lost the rest
        seen = {option.text for option in found}  # (a capital alone is an initial: "Văn T.")
        found += [_Option((model.id(w),), w, c) for w, c in _lost_rime(lower) if w not in seen]
    best = min((o.cost for o in found), default=99.0)
    if best > SPLIT_FROM and len(lower) >= 4:
        for words, c in _split_options(lower):
            text = " ".join(words)
            found.append(_Option(tuple(model.id(w) for w in words), _with_case(text, core), c))
    if word in (UNK, NUM):
        if _looks_like_code(core):
            found.append(_Option((model.id(word),), core, KEEP_ABBREVIATION))
        else:  # kept as a word nobody writes: the language model's floor, not <unk>'s share
            inside = core[1:-1]
            damaged = any(not ch.isalnum() for ch in inside) or any(ch.isdigit() for ch in core)
            found.append(_Option((model.size,), core, KEEP_DAMAGED if damaged else KEEP_WORD))
    return found


def _looks_like_code(core: str) -> bool:
    """An abbreviation, a number or a reference (UBND, 2022, 12/KH-SCT, TCVN), not a damaged word."""
    letters = [ch for ch in core if ch.isalpha()]
    digits = sum(ch.isdigit() for ch in core)
    if any(ch in "/-" for ch in core[1:-1]) or digits > len(letters):
        return True
    return len(letters) > 1 and len(letters) == len(core) and all(ch.isupper() for ch in letters)


def decode(cores: list[str], model: LanguageModel) -> list[str]:
    """The best reading of a sentence's cores (Viterbi with a beam over trigram states).

    Written for speed (it is most of a warm repair's time): a state is the pair of the last two
    word ids; the bigram-or-unigram part of a score depends only on (v, w) and is computed once
    a step; a token with one reading moves every state without weighing alternatives."""
    if not cores:
        return []
    start = model.ids[START]
    n = model.size
    tri_get = model.trigrams.get
    pairs = _pair_scores(model)  # v * n + w → (the score when no trigram (u, v, w) is kept, a bigram (v, w) is)
    if len(pairs) > 400_000:
        pairs.clear()  # (bounded: a few MB)
    pair_get = pairs.get

    def pair(key: int, w: int) -> tuple[float, bool]:
        bigram = model.bigrams.get(key)
        found = (BACKOFF + bigram, True) if bigram is not None else (2 * BACKOFF + model.unigrams.get(w, model.floor), False)
        pairs[key] = found
        return found

    # per step: state (u, v) → (score, previous state, chosen text)
    steps: list[dict[tuple[int, int], tuple[float, tuple[int, int], str]]] = []
    beam: dict[tuple[int, int], float] = {(start, start): 0.0}
    for readings in _called_for(cores, [options(core, model) for core in cores], model):
        nxt: dict[tuple[int, int], tuple[float, tuple[int, int], str]] = {}
        # each state with its keys' parts: (u·n + v)·n for a trigram, v·n for a pair
        states = [(state, total, state[1], (state[0] * n + state[1]) * n, state[1] * n) for state, total in beam.items()]
        for option in readings:
            words, text, cost = option.words, option.text, option.cost
            if len(words) == 1:
                w = words[0]
                for state, total, b, uv, v in states:
                    lower, bigram = pair_get(v + w) or pair(v + w, w)
                    if bigram:  # a trigram is kept only where its bigram is (the model is pruned so)
                        found = tri_get(uv + w)
                        if found is None:
                            found = lower
                    else:
                        found = lower
                    s = total - cost + found
                    key = (b, w)
                    held = nxt.get(key)
                    if held is None or held[0] < s:
                        nxt[key] = (s, state, text)
                continue
            for state, total in beam.items():
                s = total - cost
                a, b = state
                for w in words:
                    found = tri_get((a * n + b) * n + w)
                    s += found if found is not None else (pair_get(b * n + w) or pair(b * n + w, w))[0]
                    a, b = b, w
                key = (a, b)
                held = nxt.get(key)
                if held is None or held[0] < s:
                    nxt[key] = (s, state, text)
        if len(nxt) > BEAM:  # the beam: the BEAM best states, none far behind the best
            kept = heapq.nlargest(BEAM, nxt.items(), key=_first_of_value)
            worst = kept[0][1][0] - BEAM_MARGIN
            nxt = {key: value for key, value in kept if value[0] >= worst}
        elif len(nxt) > 1:
            worst = max(value[0] for value in nxt.values()) - BEAM_MARGIN
            nxt = {key: value for key, value in nxt.items() if value[0] >= worst}
        steps.append(nxt)
        beam = {key: value[0] for key, value in nxt.items()}
    state = max(beam, key=beam.__getitem__)
    out = []
    for step in reversed(steps):
        _score, previous, text = step[state]
        out.append(text)
        state = previous
    return out[::-1]


@lru_cache(maxsize=1)
def _pair_scores(model: LanguageModel) -> dict[int, tuple[float, bool]]:
    """The bigram-or-unigram scores computed so far, kept across sentences (a plan repeats its
    pairs), each with whether the bigram is kept."""
    return {}


def load() -> LanguageModel:
    """Load every table the repair reads — the language model, the channel, the folded
    syllables, the onsets' commonest syllables, the strong pairs: what a process pays once,
    before its first repair."""
    model = language_model()
    channel()
    folded_set()
    _by_onset()
    _strong_pairs(model)
    return model


def clear_caches() -> None:
    """Forget every reading and score computed so far (the models stay loaded): what a process
    starts with, for the benchmark's cold figure."""
    for cached in (options, reserve, _called, _ranked_syllables, _split_options, _inside, _kind, _glued):
        cached.cache_clear()
    _pair_scores(language_model()).clear()
    channel()._memo.clear()


def _first_of_value(item: tuple[tuple[int, int], tuple[float, tuple[int, int], str]]) -> float:
    return item[1][0]


def split_glued(text: str) -> str:
    """Words OCR ran together ("vănbản", "đổisố") cut into their syllables; nothing else changed.

    For OCR'd text that needs no repair otherwise: a marked token that is no syllable but is
    exactly two (or three) syllables is cut where the language model likes the pieces best
    (a capital inside must be a cut: "ỦybanĐối"). Digits, all capitals and unmarked words
    (English, names) are left alone."""
    out: list[str] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        lead, core, trail = split_token(match[0])
        cut = _glued(core)
        if cut is not None:
            out.append(text[pos : match.start()])
            out.append(lead + cut + trail)
            pos = match.end()
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


@lru_cache(maxsize=20000)
def _glued(core: str) -> str | None:
    if len(core) < 4 or not core.isalpha() or core.isascii() or is_syllable(core) or core.isupper():
        return None  # (an unmarked word is more likely English or a name than two syllables)
    capitals = {i for i, ch in enumerate(core) if i and ch.isupper()}  # "ỦybanĐối": a cut before each
    model = language_model()
    lower = unicodedata.normalize("NFC", core.lower())
    best: tuple[float, tuple[int, ...]] | None = None
    for cuts in _cuts(len(lower)):
        if not capitals <= set(cuts):
            continue
        parts = [lower[a:b] for a, b in zip((0, *cuts), (*cuts, len(lower)), strict=True)]
        if not all(len(part) >= 2 and is_syllable(part) for part in parts):
            continue
        ids = [model.id(part) for part in parts]
        score = sum(model.score(u, v, w) for u, v, w in zip([0, 0, *ids], [0, *ids], ids, strict=False))
        if best is None or score > best[0]:
            best = (score, cuts)
    if best is None:
        return None
    chosen = best[1]
    return " ".join(core[a:b] for a, b in zip((0, *chosen), (*chosen, len(core)), strict=True))


def _cuts(length: int) -> list[tuple[int, ...]]:
    """Ways to cut a word into two or three pieces of at least one letter."""
    cuts: list[tuple[int, ...]] = [(i,) for i in range(1, length)]
    if length >= 6:
        cuts += [(i, j) for i in range(1, length - 1) for j in range(i + 1, length)]
    return cuts
