"""Selecting tasks per occurrence and writing the reply."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.domain import AgencyRecord, Kind, OccurrenceStatus, OccurrenceView, TaskView
from bot.core.lang.agencies import Directory
from bot.core.lang.answers import compose, search_topic, select, to_json
from bot.core.lang.questions import Question, parse_question

TODAY = date(2022, 7, 5)
DONE = OccurrenceStatus.DONE
DIRECTORY = Directory(
    [
        AgencyRecord(1, "Sở Tư pháp"),
        AgencyRecord(2, "Văn phòng Sở", 1),
        AgencyRecord(3, "Sở Nội vụ"),
        AgencyRecord(4, "Sở Y tế"),
    ]
)


def occ(n: int, due: date, done: bool = False) -> OccurrenceView:
    return OccurrenceView(n, due, DONE if done else OccurrenceStatus.OPEN, due if done else None)


def task(
    tid: int, title: str, *occurrences: OccurrenceView, lead_id: int = 1, kind: Kind = Kind.ONCE
) -> TaskView:
    lead = DIRECTORY.full_name(lead_id)
    return TaskView(tid, title, lead_id, lead, kind, number=str(tid), occurrences=tuple(occurrences))


QUARTERLY = task(
    1,
    "Báo cáo quý",
    occ(1, date(2022, 3, 31), done=True),
    occ(2, date(2022, 6, 30)),
    occ(3, date(2022, 9, 30)),
    occ(4, date(2022, 12, 31)),
    kind=Kind.RECURRING,
)
SOON = task(2, "Nộp kế hoạch", occ(5, date(2022, 7, 8)))
TODAY_TASK = task(3, "Họp giao ban", occ(6, TODAY))
LATER = task(4, "Tổng kết năm", occ(7, date(2022, 12, 15)))
FINISHED = task(5, "Rà soát TTHC", occ(8, date(2022, 5, 1), done=True))
CONTINUOUS = task(6, "Cập nhật cổng thông tin", kind=Kind.CONTINUOUS)
UNIT = task(7, "Lưu trữ hồ sơ", occ(9, date(2022, 7, 1)), lead_id=2)
OTHER = task(8, "Kiểm tra y tế", occ(10, date(2022, 7, 1)), lead_id=4)
TASKS = [QUARTERLY, SOON, TODAY_TASK, LATER, FINISHED, CONTINUOUS, UNIT, OTHER]


def ask(text: str, asker: int = 1) -> Question:
    return parse_question(text, today=TODAY, directory=DIRECTORY, asker_id=asker)


def numbers(items) -> list[int]:
    return [item.task.id for item in items]


def test_open_without_period_lists_everything_not_done_most_pressing_first() -> None:
    items = select(ask("việc của tôi"), TASKS, TODAY)
    assert numbers(items) == [1, 7, 3, 2, 4, 6]
    states = {item.task.id: item.state for item in items}
    assert states == {7: "overdue", 1: "overdue", 3: "due_soon", 2: "due_soon", 4: "later", 6: "continuous"}
    quarterly = next(i for i in items if i.task.id == 1)
    assert quarterly.due == date(2022, 6, 30) and quarterly.others == 2


def test_overdue_is_per_occurrence_and_ignores_period_unless_asked() -> None:
    assert numbers(select(ask("việc quá hạn"), TASKS, TODAY)) == [1, 7]
    # Q1 of the quarterly report is done: in Q1 nothing is overdue
    assert numbers(select(ask("việc quá hạn quý 1"), TASKS, TODAY)) == []
    assert numbers(select(ask("việc quá hạn quý 2"), TASKS, TODAY)) == [1]


def test_due_soon_window_is_today_to_a_week() -> None:
    assert numbers(select(ask("sắp đến hạn"), TASKS, TODAY)) == [3, 2]


def test_done_and_all() -> None:
    assert set(numbers(select(ask("việc đã xong"), TASKS, TODAY))) == {1, 5}
    assert set(numbers(select(ask("tất cả việc"), TASKS, TODAY))) == {1, 2, 3, 4, 5, 6, 7}


def test_period_selects_by_any_occurrence_and_hides_continuous() -> None:
    assert numbers(select(ask("quý 3"), TASKS, TODAY)) == [7, 3, 2, 1]
    assert numbers(select(ask("tháng 12"), TASKS, TODAY)) == [4, 1]
    assert 6 not in numbers(select(ask("năm nay"), TASKS, TODAY))


def test_agency_covers_units_and_only_its_own_tasks() -> None:
    assert 7 in numbers(select(ask("việc của Sở Tư pháp"), TASKS, TODAY))
    assert numbers(select(ask("việc của Văn phòng Sở"), TASKS, TODAY)) == [7]
    assert numbers(select(ask("Sở Y tế"), TASKS, TODAY)) == [8]
    assert select(ask("Sở Ngoại vụ"), TASKS, TODAY) == []


def test_reply_groups_and_lines() -> None:
    question = ask("việc của tôi")
    items = select(question, TASKS, TODAY)
    blocks = compose(question, items, today=TODAY, agency_label="Sở Tư pháp")
    text = "\n".join(blocks)
    assert len(blocks) == len(items)  # one block per task: long answers split between tasks
    assert text.index("<b>Quá hạn</b>") < text.index("<b>Sắp đến hạn</b>") < text.index("<b>Sau đó</b>")
    assert "Thường xuyên" in text
    assert "<b>01/07/2022</b> — Lưu trữ hồ sơ" in text
    assert "(trễ 4 ngày)" in text and "(còn 3 ngày)" in text and "(hôm nay)" in text
    assert "Sở Tư pháp" in blocks[0]


def test_reply_escapes_plan_text_and_respects_the_limit() -> None:
    evil = [
        task(100 + n, f"<script>alert({n})</script> & việc", occ(100 + n, date(2022, 8, 1 + n)))
        for n in range(20)
    ]
    question = ask("việc của tôi tháng 8")
    items = select(question, evil, TODAY)
    blocks = compose(question, items, today=TODAY, agency_label="Sở <Tư> pháp", limit=5)
    text = "\n".join(blocks)
    assert "<script>" not in text and "&lt;script&gt;" in text and "&amp; việc" in text
    assert "Sở &lt;Tư&gt; pháp" in text
    assert blocks[-1] == "… và 15 việc khác."
    assert len(blocks) == 6


def test_very_long_title_is_shortened_in_the_list() -> None:
    long = task(200, "x" * 10_000, occ(200, date(2022, 8, 1)))
    question = ask("việc của tôi")
    blocks = compose(question, select(question, [long], TODAY), today=TODAY, agency_label="Sở Tư pháp")
    assert max(len(b) for b in blocks) < 600


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("việc quá hạn của Sở Nội vụ", "Không có việc nào quá hạn của Sở Nội vụ."),
        ("Sở Nội vụ tháng 3", "Không có việc nào chưa xong của Sở Nội vụ từ 01/03/2022 đến 31/03/2022."),
        (
            "Sở Nội vụ sắp đến hạn",
            "Không có việc nào sắp đến hạn của Sở Nội vụ từ 05/07/2022 đến 12/07/2022.",
        ),
        ("Sở Nội vụ ngày 15/3", "Không có việc nào chưa xong của Sở Nội vụ ngày 15/03/2022."),
    ],
)
def test_empty_answers_name_the_agency_and_period(text: str, expected: str) -> None:
    question = ask(text)
    blocks = compose(question, select(question, TASKS, TODAY), today=TODAY, agency_label="Sở Nội vụ")
    assert len(blocks) == 1
    understood, sentence = blocks[0].split("\n")
    assert understood.startswith("<i>Hiểu là: Sở Nội vụ · ") and sentence == expected


def test_not_found_agency_offers_suggestions() -> None:
    question = ask("Sở Ngoại vụ")
    blocks = compose(question, [], today=TODAY, agency_label=None)
    assert blocks[0] == "Không tìm thấy cơ quan “Sở Ngoại vụ”."
    assert blocks[1] == "Có phải: Sở Nội vụ?"


def test_not_understood_says_what_was_understood_and_gives_examples() -> None:
    question = ask("xin chào")  # a greeting gets a friendly reply with examples
    blocks = compose(question, [], today=TODAY, agency_label=None)
    assert "Xin chào" in blocks[0] and blocks[-1].count("•") == 3
    question = ask("???")
    blocks = compose(question, [], today=TODAY, agency_label=None)
    assert "chưa hiểu" in blocks[0]
    assert blocks[-1].count("•") == 3
    question = ask("asdkj qwe")  # a guessed topic with no match is not understood either
    assert "chưa hiểu" in compose(question, select(question, TASKS, TODAY), today=TODAY, agency_label=None)[0]


def test_topic_search_and_who_leads() -> None:
    tasks = [
        task(1, "Triển khai chữ ký số cho cán bộ", occ(1, date(2022, 9, 30)), lead_id=3),
        task(2, "Số hóa hồ sơ đăng ký đất đai", occ(2, date(2022, 12, 31)), lead_id=4),
        task(3, "Áp dụng ISO 9001:2015 tại cơ quan", occ(3, date(2022, 10, 31)), lead_id=1),
        task(4, "Báo cáo chữ ký", occ(4, date(2022, 8, 31))),
    ]
    # The topic is a phrase: "Báo cáo chữ ký" and "Số hóa…" share words with it, not the topic.
    assert [t.id for t in search_topic("chữ ký số", tasks)] == [1]
    assert [t.id for t in search_topic("chu ky so", tasks)][0] == 1
    assert [t.id for t in search_topic("ISO 9001", tasks)] == [3]
    assert search_topic("giao thông", tasks) == []
    question = ask("ai chủ trì chữ ký số?")
    items = select(question, tasks, TODAY)
    blocks = compose(question, items, today=TODAY, agency_label=None)
    assert blocks[0].startswith("<i>Hiểu là: mọi cơ quan · chưa xong · chủ đề “chữ ký số”</i>\n")
    assert blocks[0].endswith("\n<b>Sở Nội vụ</b> chủ trì: Triển khai chữ ký số cho cán bộ")
    assert "30/09/2022" in blocks[1]


def test_topic_without_match() -> None:
    question = ask("các việc về giao thông")
    blocks = compose(question, select(question, TASKS, TODAY), today=TODAY, agency_label=None)
    assert blocks[0].split("\n")[1:] == ["Không tìm thấy việc nào về “giao thông”."]


def test_json_shape() -> None:
    question = ask("Sở Tư pháp quý 3")
    items = select(question, TASKS, TODAY)
    blocks = compose(question, items, today=TODAY, agency_label=DIRECTORY.full_name(1))
    result = to_json(question, items, blocks, DIRECTORY)
    assert result["intent"] == "tasks" and result["agency"] == "Sở Tư pháp"
    assert (result["from"], result["to"], result["status"]) == ("2022-07-01", "2022-09-30", "open")
    shown = result["tasks"][1]
    assert {k: shown[k] for k in ("title", "lead", "due", "number", "plan", "state", "role", "occurrence")} == {
        "title": "Họp giao ban",
        "lead": "Sở Tư pháp",
        "due": "2022-07-05",
        "number": "3",
        "plan": "",
        "state": "due_soon",
        "role": "lead",
        "occurrence": result["tasks"][1]["occurrence"],
    }
    assert isinstance(shown["occurrence"], int) and shown["in_progress"] is False
    assert result["reply"] == "\n".join(blocks)
    assert isinstance(result["understood"], list) and result["suggestions"] == []
