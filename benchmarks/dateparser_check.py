"""Does `dateparser` read absolute dates typed in questions better than the project's own period rules?

Issue 11 asked to give dateparser a job where it measurably beats our code, or drop it. This
script is the measurement behind the decision written in the README: 40 dates as officers type
them in a question (with and without diacritics, day-first, short years, "ngày … tháng …"),
each with the date it means. It prints how many each reader gets right and how fast.
dateparser is no longer a dependency: `pip install dateparser` to run the comparison.
"""

from __future__ import annotations

import time
from datetime import date

from bot.core.lang.periods import find_period_span
from bot.core.text import fold

TODAY = date(2025, 11, 20)
CASES: list[tuple[str, date]] = [
    ("việc đến hạn ngày 15/12/2025", date(2025, 12, 15)),
    ("viec den han ngay 15/12/2025", date(2025, 12, 15)),
    ("việc ngày 5/1", date(2025, 1, 5)),
    ("có việc gì ngày 3/12 không", date(2025, 12, 3)),
    ("việc hạn 20-11-2025", date(2025, 11, 20)),
    ("viec han 20.11.2025", date(2025, 11, 20)),
    ("ngày 18 tháng 5 năm 2025 có việc gì", date(2025, 5, 18)),
    ("ngay 18 thang 5 nam 2025 co viec gi", date(2025, 5, 18)),
    ("ngày 18 tháng 5", date(2025, 5, 18)),
    ("ngay 1 thang 12", date(2025, 12, 1)),
    ("việc của sở tư pháp ngày 10/12", date(2025, 12, 10)),
    ("so tu phap ngay 10/12/25", date(2025, 12, 10)),
    ("việc ngày 31/12/2025", date(2025, 12, 31)),
    ("viec ngay 31/12", date(2025, 12, 31)),
    ("ngày 2/9/2025 có gì", date(2025, 9, 2)),
    ("hạn ngày 30/6/2026", date(2026, 6, 30)),
    ("han ngay 30/6/2026", date(2026, 6, 30)),
    ("việc ngày 1/1/2026", date(2026, 1, 1)),
    ("ngày 15 tháng 1 năm 2026", date(2026, 1, 15)),
    ("viec cua van phong so ngay 25/11", date(2025, 11, 25)),
    ("ngày 07/11/2025", date(2025, 11, 7)),
    ("ngay 07/11/2025", date(2025, 11, 7)),
    ("ngày 7-11", date(2025, 11, 7)),
    ("việc ngày 12/1 của phòng tư pháp", date(2025, 1, 12)),
    ("ngày 29 tháng 2 năm 2024", date(2024, 2, 29)),
    ("có việc ngày 14/02/2026 không", date(2026, 2, 14)),
    ("ngày 9/10", date(2025, 10, 9)),
    ("ngay 9 thang 10 nam 2025", date(2025, 10, 9)),
    ("việc hạn chót ngày 20/1/2026", date(2026, 1, 20)),
    ("viec han chot ngay 20/1/2026", date(2026, 1, 20)),
    ("ngày 11/11", date(2025, 11, 11)),
    ("ngày 04/12/2025 sở nội vụ", date(2025, 12, 4)),
    ("so noi vu ngay 04/12/2025", date(2025, 12, 4)),
    ("việc ngày 6 tháng 12", date(2025, 12, 6)),
    ("ngày 16/12/2025 việc gì", date(2025, 12, 16)),
    ("ngay 16-12-2025", date(2025, 12, 16)),
    ("ngày 3 tháng 3", date(2025, 3, 3)),
    ("han ngay 8/3", date(2025, 3, 8)),
    ("ngày 2/12/2025", date(2025, 12, 2)),
    ("ngay 27/11/2025 co viec gi qua han", date(2025, 11, 27)),
]


def ours(text: str) -> date | None:
    span = find_period_span(fold(text), TODAY)
    return span[0] if span and span[0] == span[1] else None


def theirs(text: str) -> date | None:
    from dateparser.search import search_dates

    found = search_dates(
        text, languages=["vi"], settings={"DATE_ORDER": "DMY", "RELATIVE_BASE": TODAY_DT, "PREFER_DATES_FROM": "current_period"}
    )
    return found[0][1].date() if found else None


def score(reader) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    right = sum(reader(text) == expected for text, expected in CASES)
    return right, (time.perf_counter() - start) / len(CASES) * 1000


if __name__ == "__main__":
    from datetime import datetime

    TODAY_DT = datetime(TODAY.year, TODAY.month, TODAY.day)
    right, ms = score(ours)
    print(f"project periods: {right}/{len(CASES)} right, {ms:.3f} ms per question")
    try:
        import dateparser  # noqa: F401
    except ImportError:
        print("dateparser not installed (pip install dateparser to compare)")
    else:
        theirs(CASES[0][0])  # its first call loads its language data
        right, ms = score(theirs)
        print(f"dateparser.search_dates: {right}/{len(CASES)} right, {ms:.3f} ms per question")
