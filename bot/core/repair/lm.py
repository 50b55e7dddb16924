"""The syllable trigram language model (stupid backoff), trained on administrative text.

The model ships as package data (`data/lm.bin`, built by `benchmarks/tools/build_repair_lm.py` from a
corpus given on its command line): the vocabulary and three sorted tables of
(n-gram key, log-probability × 1000). A trigram seen in training scores its own
log P(w | u v); otherwise the bigram's, and otherwise the word's, each backing off by
log 0.4 (Brants et al., 2007) — good enough to rank candidates, and cheap to look up.
"""

from __future__ import annotations

import json
import math
import struct
import zlib
from array import array
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from bot.core.repair.tokens import START, UNK

BACKOFF = math.log(0.4)
_MAGIC = b"NVLM1"


@dataclass(frozen=True, eq=False)
class LanguageModel:
    """Word ids and log-probability tables; `score` is log S(w | u v)."""

    ids: dict[str, int]
    unigrams: dict[int, float]
    bigrams: dict[int, float]
    trigrams: dict[int, float]
    floor: float
    size: int = 0  # the vocabulary's size (set from `ids`)

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", len(self.ids))

    def id(self, word: str) -> int:
        """The word's id; a syllable never seen in training gets one past the vocabulary (no
        n-gram has it, so it scores the floor), anything else is `<unk>`."""
        found = self.ids.get(word)
        if found is not None:
            return found
        return self.size if word not in (UNK, "") and not word.startswith("<") else self.ids[UNK]

    def score(self, u: int, v: int, w: int) -> float:
        n = self.size
        found = self.trigrams.get((u * n + v) * n + w)
        if found is not None:
            return found
        found = self.bigrams.get(v * n + w)
        if found is not None:
            return BACKOFF + found
        return 2 * BACKOFF + self.unigrams.get(w, self.floor)


def encode(vocab: list[str], tables: list[dict[int, float]], floor: float) -> bytes:
    """The file format: magic, header length, JSON header (vocabulary, floor, table sizes), then
    per table its keys (int64, delta-coded) and values (int16, log-prob × 1000), zlib'ed."""
    body = bytearray()
    sizes = []
    for table in tables:
        keys = sorted(table)
        deltas = array("q", (k - p for k, p in zip(keys, [0, *keys[:-1]], strict=True)))
        values = array("h", (max(-32768, round(table[k] * 1000)) for k in keys))
        body += deltas.tobytes() + values.tobytes()
        sizes.append(len(keys))
    header = json.dumps({"vocab": vocab, "floor": floor, "sizes": sizes}, ensure_ascii=False).encode()
    return _MAGIC + struct.pack("<I", len(header)) + header + zlib.compress(bytes(body), 9)


def decode(blob: bytes) -> LanguageModel:
    if not blob.startswith(_MAGIC):
        raise ValueError("not a repair language model")
    (length,) = struct.unpack_from("<I", blob, len(_MAGIC))
    start = len(_MAGIC) + 4
    header = json.loads(blob[start : start + length])
    body = zlib.decompress(blob[start + length :])
    tables: list[dict[int, float]] = []
    offset = 0
    for size in header["sizes"]:
        deltas = array("q")
        deltas.frombytes(body[offset : offset + 8 * size])
        offset += 8 * size
        values = array("h")
        values.frombytes(body[offset : offset + 2 * size])
        offset += 2 * size
        keys, total = [], 0
        for d in deltas:
            total += d
            keys.append(total)
        tables.append(dict(zip(keys, (v / 1000 for v in values), strict=True)))
    vocab = header["vocab"]
    unigrams, bigrams, trigrams = tables
    return LanguageModel({w: i for i, w in enumerate(vocab)}, unigrams, bigrams, trigrams, floor=header["floor"])


@lru_cache(maxsize=1)
def language_model() -> LanguageModel:
    """The shipped model, read once per process."""
    blob = resources.files("bot.core.repair").joinpath("data/lm.bin").read_bytes()
    return decode(blob)


def start_id(model: LanguageModel) -> int:
    return model.ids[START]
