"""Vietnamese text helpers: every comparison in Nhắc Việc goes through `fold`.

Users type on phones without diacritics and scanners damage them, so names, headers and
phrases are compared after folding case and diacritics (and đ→d). Text that is stored or
shown is only NFC-normalised, never folded.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable

_SPACES = re.compile(r"\s+")


def remember_long(func: Callable[[str], str]) -> Callable[[str], str]:
    """`func` (pure, on text) with its last few results on LONG texts kept: the steps of reading a
    plan fold the same long paragraph one after another, and each would pass over all of it
    again. Short texts are not kept (computing is cheaper than keeping them); `forget_long_texts`
    lets the kept ones go (the plan reader calls it when a plan is read)."""
    kept: dict[str, str] = {}
    _KEPT.append(kept)

    @functools.wraps(func)
    def remembered(text: str) -> str:
        if len(text) < LONG_TEXT:
            return func(text)
        found = kept.get(text)
        if found is None:
            found = func(text)
            if len(kept) >= 4:
                kept.clear()  # a plan is read paragraph by paragraph: the old ones are done
            kept[text] = found
        return found

    return remembered


LONG_TEXT = 4096
_KEPT: list[dict[str, str]] = []


def forget_long_texts() -> None:
    """Let go of the long texts `remember_long` keeps (a plan's paragraphs once it is read)."""
    for kept in _KEPT:
        kept.clear()


def nfc(text: str | None) -> str:
    """NFC-normalise and trim, collapsing runs of whitespace (NFD keyboards, scanners)."""
    if not text:
        return ""
    return _nfc(str(text))


@remember_long
def _nfc(text: str) -> str:
    text = unicodedata.normalize("NFC", str(text)).replace("\u00a0", " ").replace("\ufeff", "")
    return " ".join(text.split())  # = collapsing `\s+` and trimming, in one fast pass


def fold(text: str | None) -> str:
    """Lowercase, strip diacritics, map đ→d and collapse whitespace: the comparison form."""
    if not text:
        return ""
    return _fold(str(text))


@remember_long
def _fold(text: str) -> str:
    text = unicodedata.normalize("NFD", _d_to_d(text))
    text = _without_combining(text)
    return " ".join(_d_to_d(text.lower()).split())


def _d_to_d(text: str) -> str:
    for letter in _D_LETTERS:
        if letter in text:
            text = text.replace(letter, "d")
    return text


_D_LETTERS = ("đ", "Đ", "ð", "Ð")


def _without_combining(text: str) -> str:
    """`text` without its combining marks (the accents of NFD text) in a few fast passes: one
    `str.replace` for each of Vietnamese's marks that it holds, then the rest of its non-ASCII
    characters looked at once each."""
    for mark in _VIETNAMESE_MARKS:
        if mark in text:
            text = text.replace(mark, "")
    if text.isascii():
        return text
    marks = {ch for ch in _NON_ASCII.findall(text) if unicodedata.combining(ch)}
    return re.sub("[" + "".join(sorted(marks)) + "]", "", text) if marks else text


# grave, acute, circumflex, tilde, breve, hook above, horn, dot below
_VIETNAMESE_MARKS = ("\u0300", "\u0301", "\u0302", "\u0303", "\u0306", "\u0309", "\u031b", "\u0323")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def fold_words(text: str | None) -> str:
    """`fold` with punctuation turned into spaces: for matching words, not for display."""
    return _fold_words(fold(text))


@remember_long
def _fold_words(folded: str) -> str:
    if folded.isascii():  # the usual case, in one fast pass over bytes
        return " ".join(folded.encode("ascii").translate(_ASCII_NON_WORD).decode("ascii").split())
    return " ".join(_WORD.findall(folded))


_WORD = re.compile(r"[\w&]+")
_ASCII_NON_WORD = bytes(
    b if chr(b).isascii() and (chr(b).isalnum() or chr(b) in "_&") else 32 for b in range(256)
)


def visible_text(text: str) -> str:
    """Text without control, format (zero-width, bidirectional) and other invisible characters,
    spaces collapsed: what a button label or a one-line name may show."""
    kept = "".join(
        " " if ch in "\t\n\r" else ch for ch in str(text) if ch in "\t\n\r" or unicodedata.category(ch)[0] != "C"
    )
    return _SPACES.sub(" ", kept).strip()
