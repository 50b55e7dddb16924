"""Repair of OCR-damaged Vietnamese: a syllable-level noisy-channel model (issue 27).

`syllables` builds the closed set of Vietnamese syllables from its parts, `channel` says how
likely an OCR token is for a syllable (learned confusions), `lm` is the syllable n-gram model
trained on administrative text, and `decoder` puts them together: `repair_text` returns the
most probable clean text, and leaves text that needs no repair byte-identical.
"""
