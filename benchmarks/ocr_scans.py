"""Scans made from the labelled plans, read back: OCR speed, extraction F1, title syllables.

    .venv/bin/python benchmarks/ocr_scans.py [--held-back | --corpus] [--lang vie|eng] [--quality NAME ...]
        [--plans NAME ...] [--pages N] [--cache DIR]

Each labelled plan (tests/data) is printed to pages (`benchmarks/tools/scans.py`: 13 pt Times-like type,
ruled tables) and scanned at office qualities; the image-only PDF is read as `/import` reads it
(`handlers.importing.ocr_words`: Tesseract, straightening, then the reader with its repair),
and scored with the agreed rule (`tests/gold_scoring.py`) against the same plan read as text.
`--lang eng` reads with Tesseract's English model — an OCR that does not know Vietnamese —
so the repair has to restore the diacritics. Needs the fonts-liberation2 package.
`--cache DIR` keeps each scan's OCR words (keyed by the scan, the model and the code that
makes and prepares the pages), so the reader and the repair can be measured again without OCR'ing anew.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import resource
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks" / "tools"))

from scans import Quality, degrade, render_pages, save_pdf  # noqa: E402

from bot.core.importing.options import ImportOptions  # noqa: E402
from bot.core.importing.reader import read_plan  # noqa: E402
from bot.ocr.tesseract import RENDER_DPI, OcrLimits  # noqa: E402
from handlers.importing import ocr_words  # noqa: E402
from tests import gold_scoring  # noqa: E402

QUALITIES = {
    q.name: q
    for q in (
        Quality(300),
        Quality(200, jpeg=75, seed=1),
        Quality(150, jpeg=60, seed=2),
        Quality(200, skew=1.5, jpeg=80, seed=3),
        Quality(200, shadow=True, jpeg=70, seed=4),
    )
}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--held-back", action="store_true")
    parser.add_argument("--corpus", action="store_true", help="the held-back plans labelled from the corpus")
    parser.add_argument("--lang", default="vie")
    parser.add_argument("--quality", nargs="*", default=list(QUALITIES))
    parser.add_argument("--plans", nargs="*", default=[])
    parser.add_argument("--pages", type=int, default=None, help="at most this many pages a plan")
    parser.add_argument("--cache", type=Path, default=None, help="keep OCR words here")
    parser.add_argument("-v", action="store_true", help="print the misses (never with --held-back)")
    args = parser.parse_args(argv)
    limits = OcrLimits(max_pages=200, max_seconds=3600, language=args.lang)
    rows = []
    totals: dict[str, list] = {}
    held_back = args.held_back or args.corpus  # both are measured, never looked into
    for gold_path in gold_scoring.gold_files(held_back=args.held_back, corpus=args.corpus):
        name = gold_path.name.removesuffix(".gold.json")
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        source = gold_scoring.plan_path(gold)
        if source.suffix != ".md" or (args.plans and not any(p in name for p in args.plans)):
            continue
        today = date.fromisoformat(gold["signed"]) if gold.get("signed") else date(gold["year"], 1, 5)
        text_plan = read_plan(source.read_bytes(), source.name, ImportOptions(today=today))
        text_score = gold_scoring.score_tasks(name, gold["tasks"], text_plan.tasks)
        pages = render_pages(source.read_text(encoding="utf-8"), 300, args.pages)
        for quality_name in args.quality:
            quality = QUALITIES[quality_name]
            pdf = save_pdf([degrade(p, quality) for p in pages], quality.dpi)
            started, cpu = time.perf_counter(), _cpu()
            cached = _cached(args.cache, f"{name}:{quality_name}:{args.pages}", args.lang)
            if cached is not None and cached.exists():
                words = pickle.loads(cached.read_bytes())
            else:
                words = ocr_words(pdf, f"{name}.pdf", limits)
                if cached is not None:
                    cached.parent.mkdir(parents=True, exist_ok=True)
                    cached.write_bytes(pickle.dumps(words))
            ocr_seconds, ocr_cpu = time.perf_counter() - started, _cpu() - cpu
            started = time.perf_counter()
            plan = read_plan(pdf, f"{name}.pdf", ImportOptions(today=today), words)
            read_seconds = time.perf_counter() - started
            score = gold_scoring.score_tasks(name, gold["tasks"], plan.tasks)
            right, total = gold_scoring.title_syllables(gold["tasks"], plan.tasks)
            rows.append((name, quality_name, len(pages), ocr_seconds / len(pages), read_seconds / len(pages),
                         text_score.f1, score.f1, right / total, plan.repaired_text is not None))
            totals.setdefault(quality_name, []).append((text_score, score, right, total, len(pages), ocr_seconds, ocr_cpu))
            if args.v and not held_back:
                for miss in score.misses:
                    print("   -", miss[2], "|", miss[1], "|", miss[0][:90])
            print(
                f"{name} {quality_name}: {len(pages)} pages, OCR {ocr_seconds / len(pages):.2f} s/page "
                f"(CPU {ocr_cpu / len(pages):.2f} s), "
                f"read {read_seconds / len(pages) * 1000:.0f} ms/page; F1 text {text_score.f1:.2f} scan {score.f1:.2f}; "
                f"title syllables {right / total:.2f}; repaired {plan.repaired_text is not None}",
                flush=True,
            )
    group = "held back (corpus)" if args.corpus else "held back" if args.held_back else "developed"
    print(f"\n{group}, OCR model {args.lang}:")
    print("| quality | plans | pages | OCR s/page (CPU) | F1 as text | F1 scanned | title syllables |")
    print("|---|---|---|---|---|---|---|")
    for quality_name, items in totals.items():
        text = gold_scoring.overall([i[0] for i in items])
        scan = gold_scoring.overall([i[1] for i in items])
        right, total = sum(i[2] for i in items), sum(i[3] for i in items)
        pages, seconds, cpu = sum(i[4] for i in items), sum(i[5] for i in items), sum(i[6] for i in items)
        print(
            f"| {quality_name} | {len(items)} | {pages} | {seconds / pages:.2f} ({cpu / pages:.2f}) | "
            f"{text.f1:.2f} | {scan.f1:.2f} | {right / total:.3f} ({right:,}/{total:,}) |"
        )


def _cached(folder: Path | None, scan: str, lang: str) -> Path | None:
    """Where the OCR words of a scan are kept: by the scan (plan, quality, pages; the scans are
    made deterministically — the PDF's bytes are not, they carry a date), the model and the
    code that makes and prepares the pages (not how many are read at once)."""
    if folder is None:
        return None
    digest = hashlib.sha256(f"{scan}:{lang}:{RENDER_DPI}".encode())
    for source in ("benchmarks/tools/scans.py", "bot/ocr/images.py"):  # what makes and prepares the pages
        digest.update((ROOT / source).read_bytes())
    return folder / f"{digest.hexdigest()[:24]}.pickle"


def _cpu() -> float:
    """CPU seconds of this process and its finished children (Tesseract runs as a child)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    main(sys.argv[1:])
