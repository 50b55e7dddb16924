"""Vietnamese text helpers: every comparison in Nhắc Việc goes through `fold`.

Users type on phones without diacritics and scanners damage them, so names, headers and
phrases are compared after folding case and diacritics (and đ→d). Text that is stored or
shown is only NFC-normalised, never folded.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_FOLD_TABLE = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"})


def nfc(text: str | None) -> str:
    """NFC-normalise and trim, collapsing runs of whitespace (NFD keyboards, scanners)."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", str(text)).replace("\u00a0", " ").replace("\ufeff", "")
    return _SPACES.sub(" ", text).strip()


def fold(text: str | None) -> str:
    """Lowercase, strip diacritics, map đ→d and collapse whitespace: the comparison form."""
    if not text:
        return ""
    text = unicodedata.normalize("NFD", str(text).translate(_FOLD_TABLE))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _SPACES.sub(" ", text.lower().translate(_FOLD_TABLE)).strip()


def fold_words(text: str | None) -> str:
    """`fold` with punctuation turned into spaces: for matching words, not for display."""
    return _SPACES.sub(" ", re.sub(r"[^\w&]+", " ", fold(text))).strip()


def visible_text(text: str) -> str:
    """Text without control, format (zero-width, bidirectional) and other invisible characters,
    spaces collapsed: what a button label or a one-line name may show."""
    kept = "".join(
        " " if ch in "\t\n\r" else ch for ch in str(text) if ch in "\t\n\r" or unicodedata.category(ch)[0] != "C"
    )
    return _SPACES.sub(" ", kept).strip()
