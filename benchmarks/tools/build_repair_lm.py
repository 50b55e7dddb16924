"""Build the repair model's syllable trigram LM from a corpus of clean Vietnamese text.

    python benchmarks/tools/build_repair_lm.py CORPUS.txt[.gz] [--out bot/core/repair/data/lm.bin]
        [--min-bigram 2] [--min-trigram 3] [--exclude benchmarks/tools/lm_exclude.txt]

The corpus is plain UTF-8 (gzip allowed); lines `<<<doc NAME>>>` separate documents and
Markdown emphasis is ignored. `--exclude FILE` names documents to leave out, one a line (`#`
starts a comment): the plans the extractor and the repair are measured on, so the model has
never read them (default: `benchmarks/tools/lm_exclude.txt`; `--exclude ''` keeps every one). Words are cut exactly as the decoder cuts them
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

EXCLUDE = Path(__file__).resolve().parent / "lm_exclude.txt"


def excluded(path: Path | None) -> frozenset[str]:
    """The document names a list file holds (one a line; `#` starts a comment)."""
    if path is None or not str(path):
        return frozenset()
    names = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return frozenset(name for name in names if name)


def named_documents(path: Path):
    """(name, text) of each document of the corpus; text before the first `<<<doc>>>` line is
    named ""."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        name = ""
        lines: list[str] = []
        for line in handle:
            if line.startswith("<<<doc "):
                if lines:
                    yield name, "".join(lines)
                name = line.strip().removeprefix("<<<doc ").removesuffix(">>>").strip()
                lines = []
                continue
            lines.append(line.replace("**", "").replace("__", ""))
        if lines:
            yield name, "".join(lines)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "bot/core/repair/data/lm.bin")
    parser.add_argument("--min-bigram", type=int, default=2)
    parser.add_argument("--min-trigram", type=int, default=3)
    parser.add_argument("--min-unigram", type=int, default=1)
    parser.add_argument("--exclude", type=Path, default=EXCLUDE, help="document names to leave out, one a line")
    args = parser.parse_args(argv)
    exclude = excluded(args.exclude)

    words = Counter()
    all_sentences = []
    docs = 0
    for name, doc in named_documents(args.corpus):
        if name in exclude:
            continue
        docs += 1
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
    # a trigram is kept only with its bigram: the decoder looks a trigram up only where the
    # bigram is kept (so with --min-trigram below --min-bigram, the bigram's threshold rules)
    trigrams = {
        k: math.log(c / context2[k // n]) for k, c in tri.items() if c >= args.min_trigram and k % (n * n) in bigrams
    }
    floor = math.log(0.5 / total)
    blob = encode(vocab, [unigrams, bigrams, trigrams], floor)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(blob)
    print(
        f"{docs} documents ({len(exclude)} names excluded), {len(all_sentences)} sentences, {total} words; vocabulary {n}; "
        f"kept {len(bigrams)} of {len(bi)} bigrams, {len(trigrams)} of {len(tri)} trigrams; "
        f"{len(blob) / 1e6:.1f} MB → {args.out}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
