"""The closed set of Vietnamese syllables, built from its parts rather than listed.

A written syllable is an onset, a rime (medial + nucleus + coda) and one of six tones. The
parts are few and fixed; the rules that join them are the spelling rules every schoolchild
learns (k/gh/ngh before i, e, ê; c/g/ng elsewhere; a stop coda c, ch, p, t takes only the
sắc or nặng tone; the tone mark sits on the marked vowel of ươ, uô, iê…, else on the main
vowel, with both placements of hoà/hòa, thuỷ/thủy). What it over-generates costs nothing:
the language model gives a syllable nobody writes no weight.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from bot.core.text import fold

ONSETS = (
    "", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng", "ngh",
    "nh", "p", "ph", "qu", "r", "s", "t", "th", "tr", "v", "x",
)  # fmt: skip

# Vowel groups that end a syllable (no coda) and those that take a consonant coda.
_OPEN = (
    "a e ê i y o ô ơ u ư ai ao au ay âu ây eo êu ia iu oa oe oi ôi ơi ua uê ui uơ uy ưa ưi ưu "
    "oai oay oao oeo uây uôi ươi ươu yêu iêu uya uyu ưu"
).split()
_CLOSED = "a ă â e ê i y o ô ơ u ư iê yê oa oă oe uâ uê uô ươ uy uyê oo".split()
_CODAS = ("c", "ch", "m", "n", "ng", "nh", "p", "t")
# Place names of the Central Highlands keep a k coda ("Đắk Lắk", "Đắk Nông").
_K_CODA = ("ă", "ô", "ê", "a", "o")
# ch and nh follow only front or open-front vowels; c and ng never follow them.
_PALATAL_OK = {"a", "ê", "i", "y", "oa", "uê", "uy"}
_VELAR_BAD = {"ê", "i", "y", "uê", "uy"}

# Tone marks as combining characters: ngang, huyền, sắc, hỏi, ngã, nặng.
TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
_STOP_CODAS = ("c", "ch", "p", "t", "k")
_MARKED = "ăâêôơư"
_FRONT = ("i", "e", "ê", "y")


def rimes() -> list[tuple[str, str]]:
    """Every (vowel group, coda) pair the spelling allows."""
    out = [(v, "") for v in _OPEN]
    for vowels in _CLOSED:
        for coda in _CODAS:
            if coda in ("ch", "nh") and vowels not in _PALATAL_OK:
                continue
            if coda in ("c", "ng") and vowels in _VELAR_BAD:
                continue
            out.append((vowels, coda))
    out.extend((vowels, "k") for vowels in _K_CODA)
    return out


def _onset_fits(onset: str, vowels: str) -> bool:
    front = vowels.startswith(_FRONT)
    if onset in ("k", "gh", "ngh"):
        return front
    if onset in ("c", "g", "ng") and front and not (onset == "g" and vowels.startswith("i")):
        return False
    if onset == "qu":
        return not vowels.startswith(("u", "o", "ư"))
    if vowels.startswith("yê"):
        return onset == ""
    if vowels.startswith("iê") and onset == "":
        return False
    return not (onset == "gi" and vowels.startswith("i"))


def _tone_positions(vowels: str, coda: str) -> list[int]:
    """Where the tone mark may sit in the vowel group (both styles where they differ)."""
    if "ơ" in vowels:
        return [vowels.index("ơ")]
    marked = [i for i, ch in enumerate(vowels) if ch in _MARKED]
    if marked:
        return [marked[0]]
    if coda or len(vowels) == 1:
        return [len(vowels) - 1]
    if len(vowels) == 3:
        return [1]
    if vowels in ("oa", "oe", "uy"):
        return [0, 1]  # hòa (the older style, most common in the corpus) and hoà
    return [0]


def _with_tone(vowels: str, position: int, tone: str) -> str:
    ch = vowels[position]
    marked = unicodedata.normalize("NFC", ch + tone)
    return vowels[:position] + marked + vowels[position + 1 :]


@lru_cache(maxsize=1)
def syllable_set() -> frozenset[str]:
    """All lowercase syllables (NFC)."""
    out: set[str] = set()
    for vowels, coda in rimes():
        tones = (TONES[2], TONES[5]) if coda in _STOP_CODAS else TONES
        for onset in ONSETS:
            if not _onset_fits(onset, vowels):
                continue
            for tone in tones:
                for position in _tone_positions(vowels, coda):
                    out.add(onset + _with_tone(vowels, position, tone) + coda)
    return frozenset(out)


@lru_cache(maxsize=1)
def folded_set() -> frozenset[str]:
    """The syllables without their marks ("tinh" for tình, tính, tỉnh…; đ as d)."""
    return frozenset(fold(word) for word in syllable_set())


# the onsets folded, longest first (so "th" is found before "t"), "" last
_FOLDED_ONSETS = sorted({fold(onset) for onset in ONSETS}, key=len, reverse=True)


def folded_onset(folded: str) -> str:
    """The onset of a folded syllable ("thuong" → "th", "gia" → "gi", "an" → "")."""
    return next(onset for onset in _FOLDED_ONSETS if folded.startswith(onset) and len(folded) > len(onset))


def is_syllable(word: str) -> bool:
    """A Vietnamese syllable, any case ("Công", "CÔNG", "công")."""
    return unicodedata.normalize("NFC", word.lower()) in syllable_set()
