"""Learn what OCR does to Vietnamese letters: the repair model's confusion table.

    python benchmarks/tools/learn_confusions.py CORPUS.txt[.gz] --pages 40 [--cache DIR]
        [--pair CLEAN.txt OCR.txt ...] [--out bot/core/repair/data/confusions.json]
        [--exclude benchmarks/tools/lm_exclude.txt]

Pages of clean text from the corpus are rendered as scans (`benchmarks/tools/scans.py`: several
resolutions, JPEG qualities, a little skew, a shadow) and read by Tesseract twice — with its
Vietnamese model and with its English one (an OCR that does not know Vietnamese). Each OCR
word is aligned to its clean syllable and then letter by letter; the table counts, for each
clean letter, the strings OCR wrote for it (0–3 characters). `--pair` adds a clean text and
its OCR'd copy made elsewhere. OCR output is cached in `--cache` so counting can be re-run.
`--exclude FILE` leaves out the corpus documents it names (the plans measured on; default
`benchmarks/tools/lm_exclude.txt`); they are dropped after the shuffle, so the other pages
picked stay the same.
"""

from __future__ import annotations

import argparse
import difflib
import json
import random
import re
import sys
import tempfile
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks" / "tools"))

from build_repair_lm import EXCLUDE, excluded, named_documents  # noqa: E402
from scans import Quality, degrade, plain_lines, render_pages  # noqa: E402

from bot.core.repair.channel import align_letters  # noqa: E402
from bot.core.repair.syllables import syllable_set  # noqa: E402
from bot.core.repair.tokens import split_token  # noqa: E402
from bot.core.text import fold  # noqa: E402

QUALITIES = [
    Quality(300),
    Quality(200),
    Quality(200, jpeg=60, seed=1),
    Quality(150, jpeg=75, seed=2),
    Quality(200, skew=0.8, seed=3),
    Quality(200, shadow=True, jpeg=70, seed=4),
]


def sample_pages(corpus: Path, pages: int, seed: int = 7, exclude: frozenset[str] = frozenset()) -> list[str]:
    """Texts of `pages` first pages of plans and decisions from the corpus, none of `exclude`."""
    rng = random.Random(seed)
    docs = [
        (name, d)
        for name, d in named_documents(corpus)
        if len(d) > 4000 and re.search(r"(?i)kế hoạch|quyết định", d[:3000])
    ]
    rng.shuffle(docs)
    return [d for name, d in docs if name not in exclude][:pages]


def ocr_pages(texts: list[str], cache: Path) -> list[dict]:
    import pytesseract

    cache.mkdir(parents=True, exist_ok=True)
    out = []
    for i, text in enumerate(texts):
        quality = QUALITIES[i % len(QUALITIES)]
        path = cache / f"page-{i:03d}-{quality.name}.json"
        if path.exists():
            out.append(json.loads(path.read_text(encoding="utf-8")))
            continue
        lines = plain_lines(text)
        page = render_pages(text, 300, max_pages=1)[0]
        image = degrade(page, quality)
        shown = "\n".join(line for line, _bold in lines)
        record = {"clean": shown, "quality": quality.name}
        for lang in ("vie", "eng"):
            record[lang] = pytesseract.image_to_string(image, lang=lang)
        path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        out.append(record)
        print(f"page {i + 1}/{len(texts)} {quality.name}", file=sys.stderr)
    return out


def cores(text: str) -> list[str]:
    return [core for token in text.split() if (core := split_token(token)[1])]


def word_pairs(clean: str, ocr: str) -> list[tuple[str, str]]:
    """(clean syllable, OCR core) pairs: equal-length stretches between matching words."""
    a, b = cores(clean), cores(ocr)
    fa, fb = [fold(w) for w in a], [fold(w) for w in b]
    pairs = []
    matcher = difflib.SequenceMatcher(None, fa, fb, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op in ("equal", "replace") and i2 - i1 == j2 - j1:
            pairs.extend(zip(a[i1:i2], b[j1:j2], strict=True))
    syllables = syllable_set()
    return [(c.lower(), o.lower()) for c, o in pairs if c.lower() in syllables and len(o) <= 12]


# Damage other OCR engines are known to do to Vietnamese (issue 27: "Sở"→"Sd"/"S&", "cách"→
# "each", ư→ir, ơ→d, "HỘI"→"HQI"), added as a few counts each, for every tone of the vowel.
KNOWN = {"ơ": ("d", "o"), "ư": ("ir", "u", "tr"), "ê": ("é", "e"), "đ": ("d",), "ô": ("6", "q", "é", "e"), "o": ("q",)}
KNOWN_LETTERS = {"c": ("e",), "ở": ("&", "d"), "ọ": ("q",), "ộ": ("q",)}
KNOWN_COUNT = 5


def known_pairs() -> list[tuple[str, str]]:
    out = [(letter, written) for letter, writings in KNOWN_LETTERS.items() for written in writings]
    for vowel, writings in KNOWN.items():
        for tone in ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"):
            letter = unicodedata.normalize("NFC", vowel + tone)
            out.extend((letter, written) for written in writings)
    return out


def gold_pairs(ocr: str, gold: dict) -> list[tuple[str, str]]:
    """Pairs from the clean fragments a label holds (titles, leads, deadlines), each aligned to
    the stretch of the OCR'd text it was read from (the best-matching window of words)."""
    words = cores(ocr)
    folded = [fold(w) for w in words]
    out: list[tuple[str, str]] = []
    for task in gold.get("tasks", []):
        for fragment in (task.get("title"), task.get("lead"), task.get("deadline_text")):
            if not fragment:
                continue
            target = [fold(w) for w in cores(fragment)]
            if len(target) < 3:
                continue
            best, at = 0.0, 0
            for start in range(0, max(1, len(words) - len(target) + 1)):
                ratio = difflib.SequenceMatcher(None, target, folded[start : start + len(target)], autojunk=False).ratio()
                if ratio > best:
                    best, at = ratio, start
            if best >= 0.5:
                out.extend(word_pairs(fragment, " ".join(words[at : at + len(target) + 2])))
    return out


def count(pairs: list[tuple[str, str]]) -> dict[str, dict[str, int]]:
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for letter, written in known_pairs():
        table[letter][written] += KNOWN_COUNT
    for clean, ocr in pairs:
        for letter, written in align_letters(clean, ocr):
            table[letter][written] += 1
    return {letter: dict(c.most_common()) for letter, c in sorted(table.items())}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "nhacviec-confusions")
    parser.add_argument("--pair", nargs=2, action="append", type=Path, default=[])
    parser.add_argument(
        "--gold", nargs=2, action="append", type=Path, default=[], metavar=("OCR.txt", "GOLD.json"),
        help="an OCR'd plan and its labels: the clean titles, leads and deadlines are aligned to it",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bot/core/repair/data/confusions.json")
    parser.add_argument("--exclude", type=Path, default=EXCLUDE, help="document names to leave out, one a line")
    args = parser.parse_args(argv)
    records = ocr_pages(sample_pages(args.corpus, args.pages, exclude=excluded(args.exclude)), args.cache)
    pairs: list[tuple[str, str]] = []
    for record in records:
        for lang in ("vie", "eng"):
            pairs.extend(word_pairs(unicodedata.normalize("NFC", record["clean"]), record[lang]))
    for clean_path, ocr_path in args.pair:
        pairs.extend(word_pairs(clean_path.read_text(encoding="utf-8"), ocr_path.read_text(encoding="utf-8")))
    for ocr_path, gold_path in args.gold:
        pairs.extend(gold_pairs(ocr_path.read_text(encoding="utf-8"), json.loads(gold_path.read_text(encoding="utf-8"))))
    table = count(pairs)
    args.out.write_text(json.dumps(table, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(records)} pages, {len(pairs)} aligned words, {sum(map(len, table.values()))} letter forms → {args.out}")


if __name__ == "__main__":
    main(sys.argv[1:])
