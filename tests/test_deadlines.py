"""The deadline grammar against the agreed examples and the phrasings of real plans."""

from __future__ import annotations

import json
from datetime import date

import pytest

from bot.core.domain import Deadline, Kind
from bot.core.lang.deadlines import deadline_json, expand, parse_deadline, plan_window
from tests.conftest import EXAMPLES as DATA

EXAMPLES = DATA / "deadlines.jsonl"
TODAY = date(2022, 1, 5)


def _cases() -> list[dict]:
    return [json.loads(line) for line in EXAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c["text"] or "<empty>")
def test_agreed_examples(case: dict) -> None:
    d = parse_deadline(case["text"], today=date.fromisoformat(case["today"]))
    assert [x.isoformat() for x in d.dates] == case["dates"]
    if case["kind"] is not None:
        assert d.kind == case["kind"]


def _iso(text: str, **kw: object) -> tuple[str, list[str]]:
    kw.setdefault("today", TODAY)
    d = parse_deadline(text, **kw)  # type: ignore[arg-type]
    return d.kind.value, [x.isoformat() for x in d.dates]


ONCE = {
    # days
    "trước ngày 15/01/2022": ["2022-01-15"],
    "trước 25/12": ["2022-12-25"],
    "chậm nhất ngày 5/7/2022": ["2022-07-05"],
    "đến hết ngày 20/6/2022": ["2022-06-20"],
    "ngày 18 tháng 5 năm 2022": ["2022-05-18"],
    "Trước 30/6/2022": ["2022-06-30"],
    "Hoàn thành trước ngày 31/3/2022": ["2022-03-31"],
    "15.01.2022": ["2022-01-15"],
    "15-01-2022": ["2022-01-15"],
    "15 / 01 / 2022": ["2022-01-15"],
    "2022-01-15": ["2022-01-15"],
    "trước 15/01/22": ["2022-01-15"],
    "Trước 30/6 và 31/12/2022": ["2022-06-30", "2022-12-31"],
    # months
    "Tháng 01/2022": ["2022-01-31"],
    "trong tháng 1/2022": ["2022-01-31"],
    "Tháng 6 năm 2022": ["2022-06-30"],
    "tháng 2": ["2022-02-28"],
    "6/2022": ["2022-06-30"],
    "T6/2022": ["2022-06-30"],
    "Tháng 3, tháng 9/2022": ["2022-03-31", "2022-09-30"],
    "Tháng 3, 9/2022": ["2022-03-31", "2022-09-30"],
    "tháng 5 và tháng 11": ["2022-05-31", "2022-11-30"],
    # quarters
    "Quý IV": ["2022-12-31"],
    "quý 4": ["2022-12-31"],
    "Q4/2022": ["2022-12-31"],
    "Q 3 / 2022": ["2022-09-30"],
    "Quý IV năm 2022": ["2022-12-31"],
    "Quý 2/2023": ["2023-06-30"],
    "trong quý III/2022": ["2022-09-30"],
    "Quý II, Quý III/2022": ["2022-06-30", "2022-09-30"],
    "Quý II, III/2022": ["2022-06-30", "2022-09-30"],
    "Quý I và Quý III năm 2022": ["2022-03-31", "2022-09-30"],
    "Quý II, 2022": ["2022-06-30"],
    "Quý tư": ["2022-12-31"],
    # ranges
    "Quý I - II/2022": ["2022-06-30"],
    "Quý I – II/2022": ["2022-06-30"],
    "Quý 1-2/2022": ["2022-06-30"],
    "tháng 3 - tháng 5/2022": ["2022-05-31"],
    "Tháng 3-5/2022": ["2022-05-31"],
    "Từ tháng 3 đến tháng 6/2022": ["2022-06-30"],
    "từ ngày 01/3 đến ngày 15/3/2022": ["2022-03-15"],
    "Năm 2022-2023": ["2023-12-31"],
    "Quý IV/2022 - Quý I": ["2023-03-31"],
    "Tháng 1 năm sau": ["2023-01-31"],
    "Quý I năm tới": ["2023-03-31"],
    "tháng 3 năm nay": ["2022-03-31"],
    "6 tháng đầu năm 2022": ["2022-06-30"],
    "6 tháng cuối năm": ["2022-12-31"],
    "9 tháng đầu năm": ["2022-09-30"],
    "nửa đầu năm 2022": ["2022-06-30"],
    # years
    "Năm 2022": ["2022-12-31"],
    "trong năm 2022": ["2022-12-31"],
    "2022": ["2022-12-31"],
    "cuối năm": ["2022-12-31"],
    "trong năm": ["2022-12-31"],
    # parts
    "Đầu quý III": ["2022-07-31"],
    "giữa quý III": ["2022-08-31"],
    "cuối quý III/2022": ["2022-09-30"],
    "đầu tháng 5": ["2022-05-10"],
    "giữa tháng 5": ["2022-05-20"],
    "cuối tháng 2/2024": ["2024-02-29"],
    "thượng tuần tháng 5": ["2022-05-10"],
    "giữa năm 2022": ["2022-06-30"],
    # a day inside a period refines it
    "Quý II/2022 (trước ngày 15/6/2022)": ["2022-06-15"],
    # a date wins over "thường xuyên"
    "Thường xuyên; báo cáo trước 15/12/2022": ["2022-12-15"],
    "Thường xuyên, Quý IV": ["2022-12-31"],
    "Thường xuyên, cuối năm tổng kết": ["2022-12-31"],
    "6 tháng đầu năm và cả năm 2022": ["2022-06-30", "2022-12-31"],
    "Quý I,II,III,IV": ["2022-03-31", "2022-06-30", "2022-09-30", "2022-12-31"],
    "trước 17h00 ngày 15/3/2022": ["2022-03-15"],
}


@pytest.mark.parametrize(("text", "dates"), ONCE.items())
def test_once(text: str, dates: list[str]) -> None:
    assert _iso(text) == ("once", dates)


OCR = {
    "Quy IV/2022": ["2022-12-31"],
    "truoc ngay 10/11/2022": ["2022-11-10"],
    "Qu IV": ["2022-12-31"],
    "Quí II": ["2022-06-30"],
    "QUÝ II/2022": ["2022-06-30"],
    "Nãm 2022": ["2022-12-31"],
    "Nàrn 2022": ["2022-12-31"],
    "TrUOC ngày 18/1 1/2022": ["2022-11-18"],
    "TruOc ngày\n15/01/2022": ["2022-01-15"],
    "Qu 111": ["2022-09-30"],
    "Quy 11/2022": ["2022-06-30"],
    "Quy 1V/2022": ["2022-12-31"],
    "Quý lV/2022": ["2022-12-31"],
    "quy Il": ["2022-06-30"],
    "quy IIl": ["2022-09-30"],
    "Quy I - 11/2022": ["2022-06-30"],
    "Qu II, Qu 111/2022": ["2022-06-30", "2022-09-30"],
    "truOc Qu - I": ["2022-03-31"],
    "Qu III,\nQu IV": ["2022-09-30", "2022-12-31"],
    "1O/l2/2022": ["2022-12-10"],
    "  trước   ngày  20/02/2022 ": ["2022-02-20"],
    "quý4/2022": ["2022-12-31"],
    "QuýII/2022": ["2022-06-30"],
    "Quý II-2022": ["2022-06-30"],
    "Tháng 6-2022": ["2022-06-30"],
    "Q.IV/2022": ["2022-12-31"],
    "30 /6 /2022": ["2022-06-30"],
    "nam2022": ["2022-12-31"],
}


@pytest.mark.parametrize(("text", "dates"), OCR.items())
def test_ocr_and_unaccented(text: str, dates: list[str]) -> None:
    assert _iso(text) == ("once", dates)


QUARTER_ENDS = ["2022-03-31", "2022-06-30", "2022-09-30", "2022-12-31"]
MONTH_ENDS = [
    "2022-01-31", "2022-02-28", "2022-03-31", "2022-04-30", "2022-05-31", "2022-06-30",
    "2022-07-31", "2022-08-31", "2022-09-30", "2022-10-31", "2022-11-30", "2022-12-31",
]  # fmt: skip
RECURRING = {
    "hàng tháng": MONTH_ENDS,
    "Hằng tháng": MONTH_ENDS,
    "mỗi tháng": MONTH_ENDS,
    "hàng quý": QUARTER_ENDS,
    "định kỳ hằng quý": QUARTER_ENDS,
    "Hang Qu": QUARTER_ENDS,
    "1 lần/quý": QUARTER_ENDS,
    "6 tháng": ["2022-06-30", "2022-12-31"],
    "sáu tháng": ["2022-06-30", "2022-12-31"],
    "định kỳ 6 tháng": ["2022-06-30", "2022-12-31"],
    "6 tháng/lần": ["2022-06-30", "2022-12-31"],
    "2 lần/năm": ["2022-06-30", "2022-12-31"],
    "hằng năm": ["2022-12-31"],
    "hàng năm": ["2022-12-31"],
    "hang nam": ["2022-12-31"],
    "định kỳ hàng quý, sáu tháng và hàng năm": QUARTER_ENDS,
    "6 tháng, năm": ["2022-06-30", "2022-12-31"],
    "Báo cáo 6 tháng và cả năm": ["2022-06-30", "2022-12-31"],
    "trước ngày 10/12 hằng năm": ["2022-12-10"],
    "trước ngày 10/12 hàng năm": ["2022-12-10"],
    "Tháng 4 và tháng 10 hằng năm": ["2022-04-30", "2022-10-31"],
    "Quý IV hằng năm": ["2022-12-31"],
    "Hằng năm, trước ngày 15/12": ["2022-12-15"],
    "ngày 25 hằng tháng": [d[:8] + "25" for d in MONTH_ENDS],
    "hàng tháng, trước ngày 25": [d[:8] + "25" for d in MONTH_ENDS],
    "Trước 10 hàng tháng": [d[:8] + "10" for d in MONTH_ENDS],
    "Báo cáo quý": QUARTER_ENDS,
    "Báo cáo quý trước ngày 15 tháng cuối quý": [d[:8] + "15" for d in QUARTER_ENDS],
    "Báo cáo năm": ["2022-12-31"],
    "Năm 2022 - 2025 (hằng năm)": ["2022-12-31", "2023-12-31", "2024-12-31", "2025-12-31"],
}


@pytest.mark.parametrize(("text", "dates"), RECURRING.items())
def test_recurring(text: str, dates: list[str]) -> None:
    assert _iso(text) == ("recurring", dates)


def test_weekly_is_every_friday_or_the_named_weekday() -> None:
    kind, dates = _iso("hàng tuần", window=(date(2022, 3, 1), date(2022, 3, 31)))
    assert (kind, dates) == ("recurring", ["2022-03-04", "2022-03-11", "2022-03-18", "2022-03-25"])
    _, dates = _iso("thứ 2 hàng tuần", window=(date(2022, 3, 1), date(2022, 3, 14)))
    assert dates == ["2022-03-07", "2022-03-14"]


@pytest.mark.parametrize("text", ["Thường xuyên", "thường xuyên, liên tục", "Thường xuyên trong năm",
                                  "Thuong xuyen", "ThuOng xuyên", "THƯỜNG XUYÊN", "Liên tục",
                                  "Hằng ngày", "Thường xuyên trong năm 2022", "ThirOng xuyen"])  # fmt: skip
def test_continuous(text: str) -> None:
    assert _iso(text) == ("continuous", [])


@pytest.mark.parametrize("text", ["Theo quy định", "", "   ", "asdkj qwe ###", "31/02/2022", "Quý V/2022",
                                  "Tháng 13/2022", "Định kỳ", "Theo Kế hoạch số 119/KH-UBND ngày 20/4/2022",
                                  "Khi có yêu cầu", "trong vòng 6 tháng", "Quý", "99/99/9999"])  # fmt: skip
def test_unspecified(text: str) -> None:
    assert _iso(text) == ("unspecified", [])


def test_missing_year_is_the_plan_year_and_default_window_follows_it() -> None:
    assert _iso("Quý II", year=2023) == ("once", ["2023-06-30"])
    assert _iso("trước 25/12", year=2021) == ("once", ["2021-12-25"])
    assert _iso("hằng năm", year=2024) == ("recurring", ["2024-12-31"])
    assert _iso("Quý II/2022", year=2030) == ("once", ["2022-06-30"])


def test_recurring_expands_inside_the_window() -> None:
    window = (date(2022, 5, 1), date(2023, 2, 28))
    assert _iso("hàng quý", window=window)[1] == ["2022-06-30", "2022-09-30", "2022-12-31"]
    assert _iso("trước ngày 10/12 hằng năm", window=(date(2021, 1, 1), date(2023, 12, 31)))[1] == [
        "2021-12-10",
        "2022-12-10",
        "2023-12-10",
    ]
    assert _iso("hàng tháng", window=(date(2022, 3, 1), date(2022, 4, 29)))[1] == ["2022-03-31"]
    assert _iso("Hằng quý năm 2023")[1] == ["2023-03-31", "2023-06-30", "2023-09-30", "2023-12-31"]


def test_a_year_and_the_years_after_it_recur_yearly_inside_the_plans_period() -> None:
    """"năm 2025 và các năm tiếp theo" is every year from 2025: inside the plan's period (the
    window), else the five years a plan's period would be (2025–2029)."""
    period = (date(2025, 3, 20), date(2027, 12, 31))
    assert _iso("Năm 2025 và các năm tiếp theo", window=period) == (
        "recurring",
        ["2025-12-31", "2026-12-31", "2027-12-31"],
    )
    assert _iso("năm 2025 và các năm tiếp theo", year=2025)[1] == [f"{y}-12-31" for y in range(2025, 2030)]
    assert _iso("Nam 2026 va nhung nam tiep theo", window=(date(2025, 1, 1), date(2027, 12, 31)))[1] == [
        "2026-12-31",
        "2027-12-31",
    ]  # not before the year it names
    assert _iso("Quý IV năm 2025 và các năm tiếp theo", window=period)[1] == [
        "2025-12-31",
        "2026-12-31",
        "2027-12-31",
    ]
    assert _iso("Năm 2025", window=period) == ("once", ["2025-12-31"])  # one year stays one date


def test_quarter_day_moves_quarterly_rules_only() -> None:
    assert _iso("hằng quý", quarter_day=15)[1] == ["2022-03-15", "2022-06-15", "2022-09-15", "2022-12-15"]
    assert _iso("hằng quý", quarter_day=31)[1] == QUARTER_ENDS
    assert _iso("Quý II/2022", quarter_day=15)[1] == ["2022-06-30"]
    assert _iso("hằng tháng", quarter_day=15)[1] == MONTH_ENDS
    assert _iso("định kỳ hàng quý, sáu tháng và hàng năm", quarter_day=20)[1] == [
        "2022-03-20",
        "2022-06-20",
        "2022-09-20",
        "2022-12-20",
    ]
    assert _iso("hằng quý, trước ngày 10", quarter_day=20)[1] == [
        "2022-03-10",
        "2022-06-10",
        "2022-09-10",
        "2022-12-10",
    ]


def test_result_shape_text_is_nfc_and_dates_sorted_unique() -> None:
    d = parse_deadline("  Quy\u0301 II,   Quý I/2022 và Quý II/2022 ", today=TODAY)
    assert d == Deadline(
        "Quý II, Quý I/2022 và Quý II/2022", Kind.ONCE, (date(2022, 3, 31), date(2022, 6, 30))
    )


def test_deadline_json_and_expand() -> None:
    d = parse_deadline("Quý I, Quý II/2022", today=TODAY)
    assert deadline_json(d) == {
        "text": "Quý I, Quý II/2022",
        "kind": "once",
        "dates": ["2022-03-31", "2022-06-30"],
    }
    assert deadline_json(parse_deadline("Thường xuyên", today=TODAY))["dates"] == []
    window = (date(2022, 4, 1), date(2022, 12, 31))
    assert expand("hằng quý", window=window, year=None, today=TODAY) == [
        date(2022, 6, 30),
        date(2022, 9, 30),
        date(2022, 12, 31),
    ]


def test_real_plan_phrases_from_gold_files() -> None:
    gold_dir = EXAMPLES.parent / "gold"
    for path in sorted(gold_dir.glob("*.json")):
        plan = json.loads(path.read_text(encoding="utf-8"))
        for task in plan["tasks"]:
            text = task.get("deadline_text", task.get("deadline", "")) or ""
            signed = date.fromisoformat(plan["signed"]) if plan.get("signed") else None
            window = plan_window(signed, plan["year"])
            d = parse_deadline(text, today=signed or date(plan["year"], 1, 5), year=plan["year"], window=window)
            assert [x.isoformat() for x in d.dates] == task["dates"], (path.name, text)
