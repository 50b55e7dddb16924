"""Extraction scored against the hand-labelled plans in examples/gold/ and gold-real/.

The scoring rule is the agreed one (tests/gold_scoring.py): titles match after folding case and
diacritics (difflib ratio ≥ 0.6, or ≥ 60 % of the shorter title's words when both have ≥ 4),
one extracted task per gold task, greedily by best match; a task counts when its lead names
the gold lead; due dates are right when equal. Plans listed in `gold_scoring.HELD_BACK` were
kept out of development and are reported on their own: that figure predicts real use. Plans in
`gold_scoring.HELD_BACK_CORPUS` were picked from the shared corpus and labelled before the
extractor ever ran on them: they are measured only (printed, no floor), so a figure that falls
there is a finding, not a failing suite — and no rule may be tuned on them.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from bot.core.importing.documents import plan_from_text
from bot.core.importing.options import ImportOptions
from bot.core.text import fold_words
from tests.gold_scoring import EXAMPLES, gold_files, overall, plan_path, score_file, table

GOLD = sorted((EXAMPLES / "gold").glob("*.gold.json"))
DEVELOPED = gold_files()
HELD = gold_files(held_back=True)
CORPUS = gold_files(corpus=True)
TODAY = date(2022, 1, 5)

F1_TARGET = 0.9
DATE_TARGET = 0.95
HELD_F1_FLOOR = 0.6  # the target is 0.85; below this floor something broke

def test_extraction_against_gold(capsys: pytest.CaptureFixture[str]) -> None:
    scores = [score_file(path) for path in DEVELOPED]
    total = overall(scores)
    with capsys.disabled():
        print("\n" + table(scores, "developed plan (text)"))
    assert total.f1 >= F1_TARGET
    assert total.dates >= DATE_TARGET
    assert all(s.f1 >= 0.9 for s in scores if s.name.startswith("ke-hoach-"))  # the OCR'd plans


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_word_and_pdf_copies_give_the_same_tasks(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The .docx/.pdf made from a plan's .md text read into the same tasks and facts."""
    from tests.gold_scoring import read_gold_plan

    checked = []
    for path in DEVELOPED + HELD:
        gold = json.loads(path.read_text(encoding="utf-8"))
        if not plan_path(gold, fmt).exists():
            continue
        _gold, text_plan = read_gold_plan(path, "md")
        _gold, other = read_gold_plan(path, fmt)
        assert [(t.title, t.lead, t.dates) for t in other.tasks] == [
            (t.title, t.lead, t.dates) for t in text_plan.tasks
        ], path.name
        assert (other.issuer, other.number, other.date, other.year) == (
            text_plan.issuer,
            text_plan.number,
            text_plan.date,
            text_plan.year,
        )
        checked.append(score_file(path, fmt))
    if not checked:
        pytest.skip(f"no .{fmt} copies")
    with capsys.disabled():
        print("\n" + table(checked, f"plan ({fmt})"))


def test_held_back_plans_are_reported_apart(capsys: pytest.CaptureFixture[str]) -> None:
    scores = [score_file(path) for path in HELD]
    with capsys.disabled():
        print("\n" + table(scores, "held-back plan (text)"))
    assert overall(scores).f1 >= HELD_F1_FLOOR


def test_corpus_held_back_plans_are_measured(capsys: pytest.CaptureFixture[str]) -> None:
    """Measured only: every corpus plan reads, and its score is printed on its own."""
    scores = [score_file(path) for path in CORPUS]
    assert len(scores) == 4
    with capsys.disabled():
        print("\n" + table(scores, "held-back corpus plan (text, measured only)"))


@pytest.mark.parametrize("gold_path", [p for p in DEVELOPED if "gold-real" in str(p)], ids=lambda p: p.name)
def test_real_plan_facts_against_gold(gold_path: Path) -> None:
    from tests.gold_scoring import read_gold_plan

    gold, plan = read_gold_plan(gold_path)
    assert plan.year == gold["year"]
    assert plan.number == gold["plan"]
    assert plan.date == date.fromisoformat(gold["signed"])


@pytest.mark.parametrize("gold_path", GOLD, ids=lambda p: p.name)
def test_plan_facts_against_gold(gold_path: Path) -> None:
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    plan = plan_from_text((EXAMPLES / gold["source"]).read_text(encoding="utf-8"), ImportOptions(today=TODAY))
    assert plan.year == gold["year"]
    assert plan.number == gold["plan"]
    issuer, expected = fold_words(plan.issuer), fold_words(gold["issuer"])
    assert issuer and (issuer in expected or expected in issuer)


def test_unlabelled_scanned_plan_gives_plausible_tasks() -> None:
    """The long Quảng Trị scan has no gold: it must read without crashing and find unit tasks."""
    path = EXAMPLES / "plans" / "ke-hoach-cchc-quang-tri-2022.ocr.txt"
    plan = plan_from_text(path.read_text(encoding="utf-8"), ImportOptions(today=TODAY))
    assert plan.year == 2022
    assert "quang tri" in fold_words(plan.issuer)
    assert len(plan.tasks) >= 10
    assert all(task.lead and len(task.title) > 10 and task.source.startswith("dòng ") for task in plan.tasks)
