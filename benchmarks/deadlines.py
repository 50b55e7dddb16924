"""How many deadline phrases per second the grammar reads on one core (target ≥ 20,000/s).

Run: `python benchmarks/deadlines.py [ROUNDS]`. It reports the uncached grammar (every phrase
parsed from scratch — the honest figure) and `parse_deadline` as importers call it, whose
LRU cache answers the phrases a plan repeats ("Thường xuyên", "Hằng quý"). Exits 1 when the
uncached figure is under the target.
"""

from __future__ import annotations

import sys
import time
from datetime import date

from bot.core.lang.deadlines import _parse_cached, _parse_uncached, parse_deadline

TARGET = 20_000
TODAY = date(2022, 3, 15)
PHRASES = [
    "Trước ngày 20/02/2022",
    "truoc ngay 05/4/2022",
    "Tháng 7/2022",
    "trong tháng 02/2023",
    "Quý II",
    "Quý 4/2023",
    "Quy III/2022",
    "Quý I, Quý II/2022",
    "Quý II - III/2022",
    "Năm 2023",
    "Thường xuyên",
    "thường xuyên, liên tục",
    "Theo quy định",
    "Hằng quý",
    "hang thang",
    "6 tháng, năm",
    "trước ngày 15/12 hằng năm",
    "Trước 20/10",
    "trước ngày 25 tháng 12 năm 2022",
    "Tháng 4 và tháng 10",
    "Thường xuyên trong năm",
    "Quý I - II/2022",
    "trong quý III/2022",
    "trước ngày 10/11/2022",
    "định kỳ hàng quý, sáu tháng và hàng năm",
    "Quý IV/2022",
    "TrUOC ngày 18/1 1/2022",
    "Qu II, Qu 111/2022",
    "Thuong xuyen",
    "Quy 1V/2022",
    "Nãm 2022",
    "6 tháng đầu năm 2022",
    "6 tháng cuối năm",
    "Từ tháng 3 đến tháng 6/2022",
    "Năm 2022-2023",
    "Đầu quý III",
    "15.01.2022",
    "Hoàn thành trước ngày 31/3/2022",
    "Quý I và Quý III năm 2022",
    "tháng 3 - tháng 5/2022",
    "chậm nhất ngày 5/7/2022",
    "đến hết ngày 20/6/2022",
    "Q3/2022",
    "ngày 25 hằng tháng",
    "2 lần/năm",
    "Theo Kế hoạch số 119/KH-UBND ngày 20/4/2022",
    "Trong năm 2022, báo cáo kết quả trước ngày 15/12/2022",
    "",
    "Khi có yêu cầu của cấp trên",
    "Thường xuyên; tổng kết trước 30/11/2022",
]


def rate(parse, rounds: int) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    for _ in range(rounds):
        for text in PHRASES:
            parse(text)
    return rounds * len(PHRASES) / (time.perf_counter() - start)


def main() -> int:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    repeats = 5  # the machine may be shared: report the best and the median of a few runs
    uncached = sorted(
        rate(lambda t: _parse_uncached(t, TODAY, None, None, None), rounds) for _ in range(repeats)
    )
    cached = []
    for _ in range(repeats):
        _parse_cached.cache_clear()
        cached.append(rate(lambda t: parse_deadline(t, today=TODAY), rounds))
    cached.sort()
    print(f"{len(PHRASES)} phrases × {rounds} rounds, one core, best / median of {repeats} runs")
    print(
        f"uncached grammar : {uncached[-1]:>10,.0f} / {uncached[repeats // 2]:>10,.0f} phrases/s (target {TARGET:,})"
    )
    print(
        f"parse_deadline   : {cached[-1]:>10,.0f} / {cached[repeats // 2]:>10,.0f} phrases/s (LRU cache, repeated phrases)"
    )
    return 0 if uncached[-1] >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
