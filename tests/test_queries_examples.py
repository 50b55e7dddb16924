"""The agreed question examples (tests/data/queries.jsonl) pass in full."""

from __future__ import annotations

import csv
import json
from datetime import date

import pytest

from bot.core.domain import AgencyRecord, OccurrenceView, TaskView
from bot.core.lang.agencies import Directory
from bot.core.lang.answers import compose, select, to_json
from bot.core.lang.deadlines import parse_deadline
from bot.core.lang.questions import parse_question
from bot.core.text import fold
from tests.conftest import EXAMPLES

QUERIES = EXAMPLES / "queries.jsonl"
TABLE = EXAMPLES / "tables" / "ke-hoach-mau-2022.csv"

def _split_agencies(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()] if text else []


def _build() -> tuple[Directory, list[TaskView]]:
    with TABLE.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    names: list[str] = []
    for row in rows:
        for name in [row["Cơ quan chủ trì"], *_split_agencies(row["Cơ quan phối hợp"])]:
            if name and name not in names:
                names.append(name)
    extra = [
        "Sở Nội vụ",
        "Sở Tư pháp",
        "Sở Thông tin và Truyền thông",
        "Sở Kế hoạch và Đầu tư",
        "Sở Khoa học và Công nghệ",
        "Sở Công Thương",
    ]
    names += [n for n in extra if n not in names]
    ids = {name: index + 1 for index, name in enumerate(names)}
    records = []
    for name, agency_id in ids.items():
        parent = ids["UBND huyện Bình Sơn"] if name == "Phòng Nội vụ huyện" else None
        records.append(AgencyRecord(agency_id, name, parent))
    records.append(AgencyRecord(len(ids) + 1, "Văn phòng Sở", ids["Sở Công Thương"]))
    directory = Directory(records)

    tasks = []
    occurrence_id = 0
    for row in rows:
        deadline = parse_deadline(row["Thời gian hoàn thành"], today=date(2022, 1, 5), year=2022)
        occurrences = []
        for due in deadline.dates:
            occurrence_id += 1
            occurrences.append(OccurrenceView(occurrence_id, due))
        lead = row["Cơ quan chủ trì"]
        tasks.append(
            TaskView(
                id=int(row["TT"]),
                title=row["Nhiệm vụ"],
                lead_id=ids[lead],
                lead=directory.full_name(ids[lead]),
                kind=deadline.kind,
                deadline=row["Thời gian hoàn thành"],
                number=row["TT"],
                partners=row["Cơ quan phối hợp"],
                occurrences=tuple(occurrences),
            )
        )
    return directory, tasks


def _cases() -> list[dict]:
    if not QUERIES.exists():
        return []
    return [json.loads(line) for line in QUERIES.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c["id"])
def test_query_example(case: dict) -> None:
    directory, tasks = _build()
    asker = directory.resolve(case["asker"]).agency_id
    assert asker is not None
    today = date.fromisoformat(case["today"])
    question = parse_question(case["text"], today=today, directory=directory, asker_id=asker)
    items = select(question, tasks, today)
    label = directory.full_name(question.agency_id) if question.agency_id is not None else None
    blocks = compose(question, items, today=today, agency_label=label)
    result = to_json(question, items, blocks, directory)

    if case.get("agency") is None:
        assert result["agency"] is None
    else:
        assert fold(result["agency"]) in {fold(name) for name in case["agency"]}
    for key in ("from", "to", "status"):
        if key in case:
            assert result[key] == case[key], key
    numbers = [int(item.task.number) for item in items]
    if "tasks" in case:
        assert sorted(numbers) == sorted(case["tasks"])
    if "top_task" in case:
        assert numbers and numbers[0] == case["top_task"]
    assert result["reply"]
