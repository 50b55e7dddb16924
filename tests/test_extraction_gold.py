"""Extraction scored against the hand-labelled plans in examples/gold/.

A task counts when its title (rapidfuzz token_set_ratio ≥ 80 on folded text) and its lead (the
folded gold lead contained in the extracted one, or fuzzy-equal) both match; dates are scored
on the matched tasks. Recall, precision and date accuracy are printed per plan and overall.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from rapidfuzz import fuzz

from bot.core.importing.documents import extract_from_text
from bot.core.text import fold_words
from tests.conftest import EXAMPLES

GOLD = sorted((EXAMPLES / "gold").glob("*.gold.json"))
TODAY = date(2022, 1, 5)

RECALL_TARGET = 0.8
PRECISION_TARGET = 0.8
DATE_TARGET = 0.9

pytestmark = pytest.mark.skipif(not GOLD, reason="examples/gold not available")


def _title_match(gold: str, got: str) -> bool:
    return fuzz.token_set_ratio(fold_words(gold), fold_words(got)) >= 80


def _lead_match(gold: str, got: str) -> bool:
    gold_f, got_f = fold_words(gold), fold_words(got)
    if not gold_f:
        return True
    return gold_f in got_f or fuzz.ratio(gold_f, got_f) >= 80 or fuzz.partial_ratio(gold_f, got_f) >= 90


def _score(gold_path: Path) -> dict[str, float]:
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    plan = extract_from_text((EXAMPLES / gold["source"]).read_text(encoding="utf-8"), today=TODAY)
    unmatched = list(plan.tasks)
    matched = 0
    dates_right = 0
    for expected in gold["tasks"]:
        for task in unmatched:
            if _title_match(expected["title"], task.title) and _lead_match(expected["lead"], task.lead):
                matched += 1
                unmatched.remove(task)
                if [d.isoformat() for d in task.dates] == expected["dates"]:
                    dates_right += 1
                break
    return {
        "gold": len(gold["tasks"]),
        "found": len(plan.tasks),
        "matched": matched,
        "dates_right": dates_right,
        "recall": matched / len(gold["tasks"]),
        "precision": matched / len(plan.tasks) if plan.tasks else 0.0,
        "dates": dates_right / matched if matched else 0.0,
    }


def test_extraction_against_gold(capsys: pytest.CaptureFixture[str]) -> None:
    totals = {"gold": 0, "found": 0, "matched": 0, "dates_right": 0}
    lines = []
    for path in GOLD:
        score = _score(path)
        for key in totals:
            totals[key] += score[key]
        lines.append(
            f"{path.name:45} recall {score['recall']:.2f} precision {score['precision']:.2f} dates {score['dates']:.2f}"
        )
    recall = totals["matched"] / totals["gold"]
    precision = totals["matched"] / totals["found"]
    dates = totals["dates_right"] / totals["matched"]
    lines.append(f"{'overall':45} recall {recall:.2f} precision {precision:.2f} dates {dates:.2f}")
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert recall >= RECALL_TARGET
    assert precision >= PRECISION_TARGET
    assert dates >= DATE_TARGET


@pytest.mark.parametrize("gold_path", GOLD, ids=lambda p: p.name)
def test_plan_facts_against_gold(gold_path: Path) -> None:
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    plan = extract_from_text((EXAMPLES / gold["source"]).read_text(encoding="utf-8"), today=TODAY)
    assert plan.year == gold["year"]
    assert plan.number == gold["plan"]
    issuer, expected = fold_words(plan.issuer), fold_words(gold["issuer"])
    assert issuer and (issuer in expected or expected in issuer)


def test_unlabelled_scanned_plan_gives_plausible_tasks() -> None:
    """The long Quảng Trị scan has no gold: it must read without crashing and find unit tasks."""
    path = EXAMPLES / "plans" / "ke-hoach-cchc-quang-tri-2022.ocr.txt"
    if not path.exists():
        pytest.skip("plan not available")
    plan = extract_from_text(path.read_text(encoding="utf-8"), today=TODAY)
    assert plan.year == 2022
    assert "quang tri" in fold_words(plan.issuer)
    assert len(plan.tasks) >= 10
    assert all(task.lead and len(task.title) > 10 and task.source.startswith("dòng ") for task in plan.tasks)
