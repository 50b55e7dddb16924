"""Question parsing: periods (injected today), statuses, agencies, topics, and robustness."""

from __future__ import annotations

import time
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.domain import AgencyRecord
from bot.core.lang.agencies import Directory
from bot.core.lang.periods import find_period
from bot.core.lang.questions import parse_question
from bot.core.text import fold

TODAY = date(2022, 5, 10)  # a Tuesday


@pytest.mark.parametrize(
    ("text", "today", "start", "end"),
    [
        ("hôm nay", TODAY, date(2022, 5, 10), date(2022, 5, 10)),
        ("ngay mai", TODAY, date(2022, 5, 11), date(2022, 5, 11)),
        ("hôm qua", date(2022, 1, 1), date(2021, 12, 31), date(2021, 12, 31)),
        ("tuần này", TODAY, date(2022, 5, 9), date(2022, 5, 15)),
        ("tuan nay", date(2022, 5, 15), date(2022, 5, 9), date(2022, 5, 15)),  # Sunday
        ("tuần này", date(2022, 5, 9), date(2022, 5, 9), date(2022, 5, 15)),  # Monday
        ("tuần sau", TODAY, date(2022, 5, 16), date(2022, 5, 22)),
        ("tuần tới", date(2022, 12, 29), date(2023, 1, 2), date(2023, 1, 8)),
        ("tuần trước", date(2022, 1, 4), date(2021, 12, 27), date(2022, 1, 2)),
        ("tháng này", TODAY, date(2022, 5, 1), date(2022, 5, 31)),
        ("thang sau", date(2022, 12, 15), date(2023, 1, 1), date(2023, 1, 31)),
        ("tháng tới", date(2024, 1, 31), date(2024, 2, 1), date(2024, 2, 29)),
        ("tháng trước", date(2022, 1, 10), date(2021, 12, 1), date(2021, 12, 31)),
        ("tháng 11", TODAY, date(2022, 11, 1), date(2022, 11, 30)),
        ("thang 2", date(2024, 6, 1), date(2024, 2, 1), date(2024, 2, 29)),
        ("tháng 3/2023", TODAY, date(2023, 3, 1), date(2023, 3, 31)),
        ("tháng 3 năm 2021", TODAY, date(2021, 3, 1), date(2021, 3, 31)),
        ("quý này", TODAY, date(2022, 4, 1), date(2022, 6, 30)),
        ("quý sau", date(2022, 11, 1), date(2023, 1, 1), date(2023, 3, 31)),
        ("quy toi", TODAY, date(2022, 7, 1), date(2022, 9, 30)),
        ("quý trước", date(2022, 2, 1), date(2021, 10, 1), date(2021, 12, 31)),
        ("quý 3", TODAY, date(2022, 7, 1), date(2022, 9, 30)),
        ("quý IV", TODAY, date(2022, 10, 1), date(2022, 12, 31)),
        ("quy iv/2021", TODAY, date(2021, 10, 1), date(2021, 12, 31)),
        ("Q2", TODAY, date(2022, 4, 1), date(2022, 6, 30)),
        ("năm nay", TODAY, date(2022, 1, 1), date(2022, 12, 31)),
        ("năm sau", TODAY, date(2023, 1, 1), date(2023, 12, 31)),
        ("năm 2021", TODAY, date(2021, 1, 1), date(2021, 12, 31)),
        ("15/3", TODAY, date(2022, 3, 15), date(2022, 3, 15)),
        ("15/3/2023", TODAY, date(2023, 3, 15), date(2023, 3, 15)),
        ("ngày 15 tháng 3", TODAY, date(2022, 3, 15), date(2022, 3, 15)),
        ("ngay 5 thang 7 nam 2021", TODAY, date(2021, 7, 5), date(2021, 7, 5)),
        ("từ 1/3 đến 15/3", TODAY, date(2022, 3, 1), date(2022, 3, 15)),
        ("tu ngay 20/12/2021 den ngay 10/1/2022", TODAY, date(2021, 12, 20), date(2022, 1, 10)),
        ("6 tháng đầu năm", TODAY, date(2022, 1, 1), date(2022, 6, 30)),
        ("7 ngày tới", TODAY, date(2022, 5, 10), date(2022, 5, 17)),
    ],
)
def test_periods(text: str, today: date, start: date, end: date) -> None:
    found = find_period(fold(text), today)
    assert found is not None, text
    assert (found[0], found[1]) == (start, end)
    assert found[2] in fold(text)


@pytest.mark.parametrize("text", ["tháng 13", "32/1", "quý 5", "việc của tôi", "ISO 9001", "Quảng Nam", ""])
def test_no_period(text: str) -> None:
    assert find_period(fold(text), TODAY) is None


AGENCIES = [
    AgencyRecord(1, "Sở Công Thương"),
    AgencyRecord(2, "Văn phòng Sở", 1),
    AgencyRecord(3, "Sở Thông tin và Truyền thông"),
    AgencyRecord(4, "Sở Kế hoạch và Đầu tư"),
    AgencyRecord(5, "Sở Lao động - Thương binh và Xã hội"),
    AgencyRecord(6, "Sở Văn hóa, Thể thao và Du lịch"),
    AgencyRecord(7, "Sở Nội vụ"),
    AgencyRecord(8, "Sở Tư pháp"),
    AgencyRecord(9, "Sở Khoa học và Công nghệ"),
    AgencyRecord(10, "Văn phòng Sở", 9),
]


@pytest.fixture(scope="module")
def directory() -> Directory:
    return Directory(AGENCIES)


def ask(directory: Directory, text: str, asker: int | None = 1, today: date = TODAY):
    return parse_question(text, today=today, directory=directory, asker_id=asker)


@pytest.mark.parametrize(
    ("text", "agency", "start", "end", "status"),
    [
        ("viec cua van phong so thang nay", 2, date(2022, 5, 1), date(2022, 5, 31), "open"),
        ("STTTT tháng 3", 3, date(2022, 3, 1), date(2022, 3, 31), "open"),
        ("Sở KH&ĐT có nhiệm vụ gì", 4, None, None, "open"),
        ("tuần sau tôi có việc gì", 1, date(2022, 5, 16), date(2022, 5, 22), "open"),
        ("Sở LĐ-TB&XH có việc gì quá hạn", 5, None, None, "overdue"),
        ("SVHTTDL tháng 8", 6, date(2022, 8, 1), date(2022, 8, 31), "open"),
        ("việc của tôi", 1, None, None, "open"),
        ("tôi có việc gì trễ hạn không", 1, None, None, "overdue"),
        ("viec qua han", 1, None, None, "overdue"),
        ("việc bị chậm", 1, None, None, "overdue"),
        ("sắp đến hạn", 1, None, None, "due_soon"),
        ("sap toi han quy nay", 1, date(2022, 4, 1), date(2022, 6, 30), "due_soon"),
        ("việc đã xong tháng trước", 1, date(2022, 4, 1), date(2022, 4, 30), "done"),
        ("những việc đã hoàn thành", 1, None, None, "done"),
        ("việc chưa hoàn thành", 1, None, None, "open"),
        ("tất cả việc của Sở Tư pháp năm nay", 8, date(2022, 1, 1), date(2022, 12, 31), "all"),
        ("Sở Nội vụ", 7, None, None, "open"),
        ("sở nội vụ có việc gì chậm nhất ngày 15/5", 7, None, date(2022, 5, 15), "open"),  # by 15/5
    ],
)
def test_task_questions(directory: Directory, text: str, agency: int, start, end, status: str) -> None:
    question = ask(directory, text)
    assert question.intent == "tasks", question
    assert question.agency_id == agency
    assert (question.start, question.end) == (start, end)
    assert question.status == status
    assert agency in question.agency_ids


def test_relative_name_depends_on_asker(directory: Directory) -> None:
    assert ask(directory, "văn phòng sở quá hạn", asker=9).agency_id == 10
    assert ask(directory, "văn phòng sở quá hạn", asker=1).agency_id == 2
    assert ask(directory, "việc của Sở Công Thương").agency_ids == frozenset({1, 2})


def test_unknown_agency_is_reported_not_bent(directory: Directory) -> None:
    question = ask(directory, "Sở Ngoại vụ")
    assert question.agency_id is None
    assert question.agency_name_asked == "Sở Ngoại vụ"
    assert "Sở Nội vụ" in question.suggestions
    question = ask(directory, "Sở Ngoại vụ có việc gì quá hạn tháng này")
    assert question.agency_name_asked == "Sở Ngoại vụ" and question.status == "overdue"


@pytest.mark.parametrize(
    ("text", "topic", "asks_lead"),
    [
        ("ai chủ trì chữ ký số?", "chữ ký số", True),
        ("các việc về ISO 9001", "ISO 9001", False),
        ("việc nào liên quan đến số hóa", "số hóa", False),
        ("tìm dịch vụ công trực tuyến", "dịch vụ công trực tuyến", False),
        ("ai chu tri so hoa ho so dat dai", "so hoa ho so dat dai", True),
        ("đơn vị nào phụ trách cải cách hành chính", "cải cách hành chính", True),
    ],
)
def test_topic_questions(directory: Directory, text: str, topic: str, asks_lead: bool) -> None:
    question = ask(directory, text)
    assert question.intent == "topic"
    assert question.topic == topic
    assert question.asks_lead is asks_lead
    assert question.agency_id is None  # a topic is searched in every agency


def test_topic_inside_an_agency(directory: Directory) -> None:
    question = ask(directory, "các việc về ISO 9001 của Sở Khoa học và Công nghệ")
    assert question.intent == "topic" and question.agency_id == 9 and question.topic == "ISO 9001"


@pytest.mark.parametrize("text", ["   ", "???"])
def test_not_understood(directory: Directory, text: str) -> None:
    assert ask(directory, text).intent == "unknown"


@pytest.mark.parametrize("text", ["xin chào", "hello", "ok", "Chào bạn!", "cảm ơn nhiều nhé", "thanks"])
def test_greetings_and_thanks(directory: Directory, text: str) -> None:
    assert ask(directory, text).intent == "greeting"


def test_understood_pieces(directory: Directory) -> None:
    question = ask(directory, "Sở Tư pháp quá hạn tháng 3")
    joined = " | ".join(question.understood)
    assert "Sở Tư pháp" in joined and "01/03/2022" in joined and "quá hạn" in joined


def test_long_input_is_fast_and_safe(directory: Directory) -> None:
    text = "Sở Tư pháp tháng này " + "<script>alert(1)</script> lorem ipsum " * 400
    started = time.perf_counter()
    question = ask(directory, text)
    assert time.perf_counter() - started < 0.5
    assert question.agency_id == 8
    assert len(question.text) <= 500


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_never_raises(text: str) -> None:
    directory = Directory(AGENCIES)
    question = parse_question(text, today=TODAY, directory=directory, asker_id=1)
    assert question.intent in ("tasks", "topic", "greeting", "unknown")
    assert question.status in ("open", "overdue", "due_soon", "done", "all")


def test_unknown_abbreviation_is_reported(directory: Directory) -> None:
    question = ask(directory, "SXD tháng 3")
    assert question.agency_id is None and question.agency_name_asked == "SXD"
    assert ask(directory, "STTTT tháng 3").agency_id == 3


@pytest.mark.parametrize(
    "typed,meant",
    [
        ("sở tư phaps có việc gì quas hanj", "sở tư phap có việc gì qua han"),
        ("sở nội vuj", "sở nội vu"),
        ("nooij vuj tuw phaps", "noi vu tu phap"),
        ("qua1 han5", "qua han"),
        ("stp co viec j qua han ko", "stp co viec gì qua han không"),
        ("dc k vs", "được không với"),
        ("STTTT quý 3 15/3 q3 thang12 skhcn", "STTTT quý 3 15/3 q3 thang12 skhcn"),
        ("ai chủ trì chữ ký số", "ai chủ trì chữ ký số"),
    ],
)
def test_typing_leftovers_are_read_as_meant(typed: str, meant: str) -> None:
    from bot.core.lang.chat_text import normalize_typing

    assert normalize_typing(typed) == meant
