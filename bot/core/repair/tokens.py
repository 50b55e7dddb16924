"""How text is cut into the tokens the repair model reads: one rule for training and decoding.

A token is a run of non-space characters; its *core* is what is left after leading quotes and
brackets and trailing punctuation are set aside. The language model sees a core as its
lowercase syllable when it is one, `<num>` for numbers and dates, else `<unk>` (names,
abbreviations, damage); `<s>` opens each sentence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from bot.core.repair.syllables import syllable_set

START = "<s>"
NUM = "<num>"
UNK = "<unk>"

_TOKEN = re.compile(r"\S+")
# Leading: quotes and brackets, a list marker ("1.", "a)", "-"); trailing: punctuation. A
# letter marker ("b)", "đ)") or a Roman numeral ("V.") is the item's label, never a word to
# repair ("b)" is not "ở)", "V." is not "Vũ.").
_LEAD = re.compile(r"^(?:[\"'“‘(\[\-–•*+]+|\d{1,2}[.)](?=\D)|[a-zA-ZđĐ]\)(?!\S*\))|[IVXL]{1,5}\.$)")
_TRAIL = re.compile(r"[\"'”’)\]\.,;:!?…*]+$")
_NUMBER = re.compile(r"^[\d.,/\-–%]+$")
# A Roman numeral as an OCR without Vietnamese may write it ("Iv", "v", "Vv", "Ill"): one shape
# for the repair (kept as written) and the reader (a section's number before its heading)
OCR_NUMERAL = r"(?=[IVXivx])[IVXivxl1|]{1,4}"
_OCR_NUMERAL = re.compile(rf"^{OCR_NUMERAL}[.)]$")
_ITEM_NUMBER = re.compile(r"^\d{1,2}(?:\.\d{1,2}){0,3}[.)]$")
_SENTENCE_END = re.compile(r"[.;:!?…)(\]]$")


def split_token(token: str) -> tuple[str, str, str]:
    """(lead, core, trail) of a whitespace-delimited token."""
    lead = _LEAD.match(token)
    start = lead.end() if lead else 0
    trail = _TRAIL.search(token, start)
    end = trail.start() if trail else len(token)
    return token[:start], token[start:end], token[end:]


def lm_word(core: str) -> str:
    """The language model's word for a core."""
    if not core:
        return UNK
    lower = unicodedata.normalize("NFC", core.lower())
    if lower in syllable_set():
        return lower
    if _NUMBER.match(core) and any(ch.isdigit() for ch in core):
        return NUM
    return UNK


def numbers_line(token: str, following: str) -> bool:
    """A line's first token that numbers an item: "1.", "2.3." (a marker alone, the item's words
    after a space), or a Roman numeral as an OCR may write it ("Iv.", "Vv.") before an
    upper-case word (the token after it: `following`)."""
    if _ITEM_NUMBER.match(token):
        return True
    return _OCR_NUMERAL.match(token) is not None and len(following) > 1 and following.isupper()


def opens_item(lead: str) -> bool:
    """A list marker ("b)", "2.") starts an item: the words before it are another sentence."""
    return bool(lead) and lead[-1] in ".)" and lead[0].isalnum()


def ends_sentence(trail: str) -> bool:
    return bool(trail) and bool(_SENTENCE_END.search(trail))


def sentences(text: str) -> Iterator[list[str]]:
    """The model's sentences of a clean text: lists of words, split at sentence punctuation and
    blank lines (training reads the corpus through this, so decoding sees the same words)."""
    for paragraph in re.split(r"\n\s*\n", text):
        words: list[str] = []
        for match in _TOKEN.finditer(paragraph):
            lead, core, trail = split_token(match[0])
            if (lead.startswith(("(", "[")) or opens_item(lead)) and words:
                yield words
                words = []
            if core:
                words.append(lm_word(core))
            if ends_sentence(trail) and words:
                yield words
                words = []
        if words:
            yield words
