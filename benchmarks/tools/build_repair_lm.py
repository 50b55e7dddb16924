"""Build the repair model's syllable trigram LM from a corpus of clean Vietnamese text.

    python benchmarks/tools/build_repair_lm.py CORPUS.txt[.gz] [--out bot/core/repair/data/lm.bin]
        [--min-bigram 2] [--min-trigram 3]

The corpus is plain UTF-8 (gzip allowed); lines `<<<doc NAME>>>` separate documents and
Markdown emphasis is ignored. Words are cut exactly as the decoder cuts them
(`bot.core.repair.tokens.sentences`). N-grams seen fewer times than the thresholds are pruned;
the kept ones store log P(w | context) from the full counts (stupid backoff at decode time).
"""

from __future__ import annotations

import argparse
import gzip
import math
import sys
import unicodedata
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.core.repair.lm import encode  # noqa: E402
from bot.core.repair.syllables import syllable_set  # noqa: E402
from bot.core.repair.tokens import NUM, START, UNK, sentences  # noqa: E402


def documents(path: Path):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        lines: list[str] = []
        for line in handle:
            if line.startswith("<<<doc "):
                if lines:
                    yield "".join(lines)
                lines = []
                continue
            lines.append(line.replace("**", "").replace("__", ""))
        if lines:
            yield "".join(lines)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "bot/core/repair/data/lm.bin")
    parser.add_argument("--min-bigram", type=int, default=2)
    parser.add_argument("--min-trigram", type=int, default=3)
    parser.add_argument("--min-unigram", type=int, default=1)
    args = parser.parse_args(argv)

    words = Counter()
    all_sentences = []
    for doc in documents(args.corpus):
        for sentence in sentences(unicodedata.normalize("NFC", doc)):
            all_sentences.append(sentence)
            words.update(sentence)
    vocab = [START, UNK, NUM] + sorted(
        w for w, c in words.items() if w not in (START, UNK, NUM) and c >= args.min_unigram and w in syllable_set()
    )
    ids = {w: i for i, w in enumerate(vocab)}
    n = len(vocab)
    unk = ids[UNK]
    uni: Counter[int] = Counter()
    bi: Counter[int] = Counter()
    tri: Counter[int] = Counter()
    for sentence in all_sentences:
        seq = [0, 0] + [ids.get(w, unk) for w in sentence]
        for i in range(2, len(seq)):
            u, v, w = seq[i - 2], seq[i - 1], seq[i]
            uni[w] += 1
            bi[v * n + w] += 1
            tri[(u * n + v) * n + w] += 1
    total = sum(uni.values())
    context1 = Counter()  # count of v as a context
    for key, c in bi.items():
        context1[key // n] += c
    context2 = Counter()
    for key, c in tri.items():
        context2[key // n] += c
    unigrams = {w: math.log(c / total) for w, c in uni.items()}
    bigrams = {k: math.log(c / context1[k // n]) for k, c in bi.items() if c >= args.min_bigram}
    trigrams = {k: math.log(c / context2[k // n]) for k, c in tri.items() if c >= args.min_trigram}
    floor = math.log(0.5 / total)
    blob = encode(vocab, [unigrams, bigrams, trigrams], floor)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(blob)
    print(
        f"{len(all_sentences)} sentences, {total} words; vocabulary {n}; "
        f"kept {len(bigrams)} of {len(bi)} bigrams, {len(trigrams)} of {len(tri)} trigrams; "
        f"{len(blob) / 1e6:.1f} MB → {args.out}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
