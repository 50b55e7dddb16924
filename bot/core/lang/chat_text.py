"""Text as people type it in chat → text the parser reads: Telex/VNI leftovers and shorthand.

Pure. Officers type fast on phones and computers without a Vietnamese keyboard, or with one
that failed: "sở tư phaps có việc gì quas hanj" (Telex tone letters left in), "qua1 han5" (VNI
digits), "nooij vuj" (Telex doubled vowels), "k", "ko", "j", "dc", "vs" (chat shorthand). Only
lower-case words without diacritics are touched, and only when what remains is a Vietnamese
syllable (no Vietnamese syllable ends in s, f, r, x or j), so names, abbreviations ("STTTT",
"skhcn") and numbers ("quý 3", "15/3") pass through unchanged.
"""

from __future__ import annotations

import re

# A Vietnamese syllable without diacritics: an onset, one to three vowels, a final.
_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnpqrstvx])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?"
)
_WORD = re.compile(r"\w+")
_TELEX_TONE = "sfrxj"
_PERIOD_WORDS = frozenset({"thang", "quy", "nam", "ngay", "tuan", "q"})

SHORTHAND = {
    "k": "không",
    "ko": "không",
    "kg": "không",
    "khg": "không",
    "hok": "không",
    "hem": "không",
    "j": "gì",
    "gj": "gì",
    "dc": "được",
    "đc": "được",
    "vs": "với",
    "bn": "bao nhiêu",
    "ntn": "như thế nào",
    "cv": "công việc",
    "qh": "quá hạn",
    "qhan": "quá hạn",
    "nhiu": "nhiêu",
}


def _telex(word: str) -> str | None:
    """ "phaps" → "phap", "nooij" → "noi", "tuw" → "tu", "ddaay" → "day"; None when not Telex."""
    candidate = word[:-1] if len(word) >= 2 and word[-1] in _TELEX_TONE else word
    candidate = candidate.replace("dd", "d")
    candidate = re.sub(r"([aou])w", r"\1", candidate)
    candidate = re.sub(r"(aa|ee|oo)", lambda m: m.group()[0], candidate)
    if candidate == word or not _SYLLABLE.fullmatch(candidate):
        return None
    return candidate


def _vni(word: str) -> str | None:
    """ "qua1" → "qua", "pha1p" → "phap", "d9i" → "di"; None for "q3", "thang12", "2022"."""
    digits = sum(ch.isdigit() for ch in word)
    letters = len(word) - digits
    if not digits or digits > 2 or letters < 2 or re.match(r"q\d", word) or "0" in word:
        return None
    if not re.fullmatch(r"[a-z]+[1-9][a-z1-9]*", word):
        return None
    if word.rstrip("0123456789") in _PERIOD_WORDS:
        return None
    candidate = re.sub(r"[1-9]", "", word)
    return candidate if _SYLLABLE.fullmatch(candidate) else None


# Place abbreviations before a capitalised name: "H. Bình Sơn", "TP. Quảng Ngãi", "X. Tịnh Khê".
_PLACE_ABBREVIATION = re.compile(r"\b(H|X|P|TP|Tp|TX|Tx|TT)\.\s*(?=[^\W\d_])")
_PLACE_WORDS = {
    "H": "huyện",
    "X": "xã",
    "P": "phường",
    "TP": "thành phố",
    "Tp": "thành phố",
    "TX": "thị xã",
    "Tx": "thị xã",
    "TT": "thị trấn",
}


def _place_abbreviation(match: re.Match[str]) -> str:
    following = match.string[match.end() : match.end() + 1]
    return f"{_PLACE_WORDS[match.group(1)]} " if following.isupper() else match.group()


def normalize_typing(text: str) -> str:
    """The text with typing leftovers repaired (same words, same order, same punctuation)."""
    text = _PLACE_ABBREVIATION.sub(_place_abbreviation, text)

    def fix(match: re.Match[str]) -> str:
        word = match.group()
        if word in SHORTHAND:
            return SHORTHAND[word]
        if not word.isascii() or word != word.lower():
            return word  # "STTTT", "Sở": typed on purpose
        return _vni(word) or _telex(word) or word

    return _WORD.sub(fix, text)
