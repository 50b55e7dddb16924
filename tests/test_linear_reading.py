"""Reading is linear in a paragraph's length (issue 23 item 7): counted operations, not time."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.importing import extraction
from bot.core.importing.extraction import Item, Phrase, deadline_phrases, split_items, without_overlaps
from bot.core.importing.options import ImportOptions
from bot.core.text import fold, fold_words, nfc

COMPARISONS = [0]


class Pos(int):
    """A position that counts the comparisons made with it."""

    def _count(self) -> None:
        COMPARISONS[0] += 1

    def __lt__(self, other: object) -> bool:
        self._count()
        return int(self) < int(other)  # type: ignore[call-overload]

    def __le__(self, other: object) -> bool:
        self._count()
        return int(self) <= int(other)  # type: ignore[call-overload]

    def __gt__(self, other: object) -> bool:
        self._count()
        return int(self) > int(other)  # type: ignore[call-overload]

    def __ge__(self, other: object) -> bool:
        self._count()
        return int(self) >= int(other)  # type: ignore[call-overload]


def _phrases(count: int, offset: int) -> list[Phrase]:
    return [Phrase(Pos(10 * k + offset), Pos(10 * k + offset + 4), True) for k in range(count)]


def _comparisons(count: int) -> int:
    COMPARISONS[0] = 0
    kept = _phrases(count, 0)  # [0, 4), [10, 14), …
    candidates = _phrases(count, 2) + _phrases(count, 5)  # half overlap, half fit between
    candidates.sort(key=lambda p: int(p.start))
    # candidates must be disjoint among themselves: take every other one
    without_overlaps(kept, candidates[::2])
    return COMPARISONS[0]


def test_the_overlap_check_makes_a_linear_number_of_comparisons() -> None:
    small, large = _comparisons(1_000), _comparisons(8_000)
    assert large <= 8 * small + 16  # linear: 8× the phrases, 8× the comparisons (quadratic: 64×)
    assert large <= 4 * 2 * 8_000  # a bounded number per phrase


def test_the_overlap_check_keeps_what_the_pairwise_check_kept() -> None:
    kept = [Phrase(0, 5, True), Phrase(10, 20, True), Phrase(30, 31, False)]
    candidates = [Phrase(3, 8, True), Phrase(6, 10, True), Phrase(20, 30, True), Phrase(31, 40, True)]
    got = without_overlaps(kept, candidates)
    pairwise = list(kept)
    for c in candidates:
        if not any(p.start < c.end and c.start < p.end for p in pairwise):
            pairwise.append(c)
    assert got == sorted(pairwise, key=lambda p: p.start)
    assert got == [Phrase(0, 5, True), Phrase(6, 10, True), Phrase(10, 20, True)] + [
        Phrase(20, 30, True),
        Phrase(30, 31, False),
        Phrase(31, 40, True),
    ]


def test_every_date_phrase_of_a_long_paragraph_is_found_once() -> None:
    sentence = "Sở Tư pháp báo cáo kết quả về Văn phòng Sở trước ngày 15/11/2025, hằng quý báo cáo tiến độ. "
    one = deadline_phrases(sentence)
    many = deadline_phrases(sentence * 2_000)
    assert len(many) == 2_000 * len(one)
    assert all(a.end <= b.start for a, b in zip(many, many[1:], strict=False))


def test_an_item_is_joined_once_per_added_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """A paragraph of N wrapped lines: its text is normalised N times, not N² / 2 lines' worth."""
    joined: list[int] = []
    real = extraction.nfc

    def counting(text: str | None) -> str:
        joined.append(len(text or ""))
        return real(text)


    monkeypatch.setattr(extraction, "nfc", counting)
    lines = [("dòng 1", "1. Văn phòng Sở chủ trì rà soát quy trình")]
    lines += [(f"dòng {k}", "và cập nhật văn bản hướng dẫn (quy trình nội bộ) của các phòng") for k in range(2, 2_002)]
    items = split_items(lines)
    assert len(items) == 1 and len(items[0].lines) == 2_001
    assert sum(joined) < 40 * sum(len(t) for _l, t in lines)  # quadratic would be ≈ 1000×


def test_a_recurring_run_is_a_deadline_not_the_paragraph() -> None:
    from bot.core.importing.reader import read_plan

    sentence = "Sở Tư pháp báo cáo kết quả về Văn phòng Sở trước ngày 15/11/2025, hằng quý báo cáo tiến độ. "
    head = "**KẾ HOẠCH**\n\nTriển khai nhiệm vụ năm 2025\n\n**I. TỔ CHỨC THỰC HIỆN**\n\n"
    plan = read_plan((head + sentence * 200).encode(), "long.md", ImportOptions(today=date(2025, 1, 5)))
    assert plan.tasks and all(len(task.deadline) <= extraction.RUN_LONGEST for task in plan.tasks)


def test_the_fast_folds_agree_with_the_character_by_character_ones() -> None:
    import re
    import unicodedata

    def slow_fold(text: str) -> str:
        table = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"})
        text = unicodedata.normalize("NFD", text.translate(table))
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
        return re.sub(r"\s+", " ", text.lower().translate(table)).strip()

    samples = [
        "Sở Tư pháp ĐÃ báo cáo “Quý II” – trước ngày 15/11",
        "  Ủy  ban\u00a0nhân\tdân \n tỉnh  ",
        "ΣΑΣ İstanbul ǅ Ⅻ ① ² e\u0301\u0360x \u20dd \u1dc0 ð Ð",
        "",
        "a&b_c,d;e",
    ]
    for text in samples:
        assert fold(text) == slow_fold(text)
        assert fold_words(text) == re.sub(r"\s+", " ", re.sub(r"[^\w&]+", " ", slow_fold(text))).strip()
        assert nfc(text) == re.sub(r"\s+", " ", unicodedata.normalize("NFC", text).replace("\u00a0", " ")).strip()
    assert Item(9, [("a", "x ( y"), ("b", "z")]).text == "x ( y z"


def test_a_long_section_adds_its_deeper_items_to_the_task_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deeper items under a unit's task are joined to its activity once, not one by one (which
    normalised the growing activity again for every item: quadratic in the section's length)."""
    from bot.core.importing.extraction import tasks_from_lines

    normalised: list[int] = []
    real = extraction.nfc

    def counting(text: str | None) -> str:
        normalised.append(len(text or ""))
        return real(text)

    monkeypatch.setattr(extraction, "nfc", counting)
    lines = [("d1", "KẾ HOẠCH"), ("d2", "1. Văn phòng Sở:")]
    lines += [("d3", "- Rà soát, cập nhật quy trình nội bộ theo tiêu chuẩn ISO, hoàn thành trước ngày 15/11/2025.")]
    steps = [f"Bước {k}: rà soát hồ sơ của phòng" for k in range(3_000)]
    lines += [(f"d{k + 4}", f"+ {step}") for k, step in enumerate(steps)]
    [task], _warnings = tasks_from_lines(lines, ImportOptions(today=date(2025, 1, 5)).dating(2025))
    assert task.activity == " ".join(steps)
    assert sum(normalised) < 20 * sum(len(t) for _l, t in lines)  # one by one: ≈ 1,500×


def test_a_table_row_continued_on_many_lines_is_joined_once() -> None:
    from bot.core.importing.blocks import markdown_blocks

    rows = ["| TT | Nhiệm vụ | Cơ quan chủ trì | Thời gian hoàn thành |", "|---|---|---|---|"]
    rows += ["| 1 | Rà soát văn bản"] + [f"tiếp dòng {k}" for k in range(3)]
    [table] = [b for b in markdown_blocks("\n".join(rows)) if b.kind == "table"]
    assert "tiếp dòng 0 tiếp dòng 1 tiếp dòng 2" in " ".join(" ".join(row) for row in table.rows)


def test_long_texts_are_folded_once_and_let_go_when_the_plan_is_read() -> None:
    from bot.core import text
    from bot.core.importing.reader import read_plan

    calls: list[str] = []

    @text.remember_long
    def upper(value: str) -> str:
        calls.append(value)
        return value.upper()

    long = "a" * text.LONG_TEXT
    assert upper(long) == upper(long) == long.upper() and len(calls) == 1
    assert upper("ab") == upper("ab") == "AB" and len(calls) == 3  # short texts are not kept
    sentence = "Sở Tư pháp báo cáo kết quả về Văn phòng Sở trước ngày 15/11/2025. "
    head = "**KẾ HOẠCH**\n\nTriển khai nhiệm vụ năm 2025\n\n**I. TỔ CHỨC THỰC HIỆN**\n\n"
    read_plan((head + sentence * 200).encode(), "long.md", ImportOptions(today=date(2025, 1, 5)))
    assert all(not kept for kept in text._KEPT)
