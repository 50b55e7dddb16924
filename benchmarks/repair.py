"""The repair of OCR-damaged text: title syllables right with their diacritics, and speed.

    .venv/bin/python benchmarks/repair.py

For each OCR'd example plan with labels (tests/data/plans/*.ocr.txt, tests/data/gold/): the
plan read without the repair and with it, scored by the agreed rule (`tests/gold_scoring.py`):
task F1 and the share of gold title syllables found exactly, diacritics and all, in the
matched task's title. ke-hoach-564 was held back while the repair was built (only its totals
were ever printed). Speed: repair time per page (3,000 characters, about an A4 page of a plan)
on the four OCR'd plans, cold (first call of a process: the models load, nothing cached) and
warm; and the detection on clean text.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.importing.documents import plan_from_text  # noqa: E402
from bot.core.importing.options import ImportOptions  # noqa: E402
from bot.core.repair import decoder  # noqa: E402
from tests import gold_scoring  # noqa: E402

DATA = ROOT / "tests" / "data"
HELD_BACK = ("ke-hoach-564-ban-dan-toc-2022",)
PAGE = 3000


def score(name: str, text: str) -> tuple[gold_scoring.Score, int, int]:
    gold = json.loads((DATA / "gold" / f"{name}.gold.json").read_text(encoding="utf-8"))
    today = date.fromisoformat(gold["signed"]) if gold.get("signed") else date(gold["year"], 1, 5)
    plan = plan_from_text(text, ImportOptions(today=today))
    right, total = gold_scoring.title_syllables(gold["tasks"], plan.tasks)
    return gold_scoring.score_tasks(name, gold["tasks"], plan.tasks), right, total


def main() -> None:
    started = time.perf_counter()
    decoder.load()
    print(f"models loaded in {time.perf_counter() - started:.2f} s")
    print("| OCR'd plan | set | F1 raw | F1 repaired | title syllables raw | repaired |")
    print("|---|---|---|---|---|---|")
    sums: dict[str, list[int]] = {}
    for path in sorted((DATA / "plans").glob("*.ocr.txt")):
        name = path.name.removesuffix(".ocr.txt")
        if not (DATA / "gold" / f"{name}.gold.json").exists():
            continue
        raw = path.read_text(encoding="utf-8")
        fixed = decoder.repair_text(raw)
        before, r0, total = score(name, raw)
        after, r1, _total = score(name, fixed)
        group = "held back" if name in HELD_BACK else "developed"
        sums.setdefault(group, [0, 0, 0])
        sums[group][0] += r0
        sums[group][1] += r1
        sums[group][2] += total
        shown = name if group == "developed" else "(held back)"
        print(f"| {shown} | {group} | {before.f1:.2f} | {after.f1:.2f} | {r0 / total:.2f} | {r1 / total:.2f} |")
    for group, (r0, r1, total) in sums.items():
        print(f"| **{group}** | | | | {r0 / total:.2f} | {r1 / total:.2f} |")

    texts = [p.read_text(encoding="utf-8") for p in sorted((DATA / "plans").glob("*.ocr.txt"))]
    pages = sum(len(t) for t in texts) / PAGE
    for label in ("cold", "warm"):
        if label == "cold":  # every cache of the repair emptied (the models stay loaded)
            decoder.clear_caches()
        started, cpu = time.perf_counter(), time.process_time()
        for text in texts:
            decoder.repair_text(text)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"repair, {label}: {elapsed * 1000 / pages:.0f} ms/page, CPU {cpu * 1000 / pages:.0f} ms/page ({pages:.0f} pages)")
    clean = [p.read_text(encoding="utf-8") for p in sorted((DATA / "plans-real").glob("*.md"))]
    started = time.perf_counter()
    unchanged = all(decoder.repair_text(text) is text for text in clean)
    elapsed = time.perf_counter() - started
    clean_pages = sum(len(t) for t in clean) / PAGE
    print(f"clean text ({clean_pages:.0f} pages): left untouched {unchanged}, {elapsed * 1000 / clean_pages:.1f} ms/page")


if __name__ == "__main__":
    main()
