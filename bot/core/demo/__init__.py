"""The sample plan behind the console's /demo: its due dates are placed around the day it is loaded.

`ke-hoach-mau.csv` (package data) writes each due date as a day offset, `{-5}` or `{+3}`;
`demo_plan(today)` turns them into "Trước ngày DD/MM/YYYY", so whatever today is, the sample
has overdue tasks, tasks due this week and later ones — the suggested questions always answer
with real tasks. Offsets stay small, so nearly every task falls in the current year.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from importlib import resources

DEMO_FILE = "ke-hoach-mau.csv"
DEMO_PLAN = "01/KH-MAU"
DEMO_ISSUER = "UBND tỉnh"
# Questions the sample answers (Vietnamese typed without accents, as officers often do).
DEMO_QUESTIONS = (
    "so tai nguyen moi truong nam nay",
    "Sở Tư pháp có việc gì quá hạn?",
    "việc sắp đến hạn của Sở Nội vụ",
    "ai chủ trì chữ ký số?",
)
_OFFSET = re.compile(r"\{([+-]?\d+)\}")


def template() -> str:
    return resources.files(__package__).joinpath(DEMO_FILE).read_text(encoding="utf-8")


def demo_plan(today: date) -> bytes:
    """The sample plan as CSV bytes, each `{±N}` replaced by the date `today + N days`."""

    def due(match: re.Match[str]) -> str:
        # Late in December a date to come stays in this year (31/12): "năm nay" keeps its answers.
        day = min(today + timedelta(days=int(match.group(1))), max(today, date(today.year, 12, 31)))
        return "Trước ngày " + day.strftime("%d/%m/%Y")

    return _OFFSET.sub(due, template()).encode("utf-8")
