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


def _pairwise_split(text: str) -> list[str]:
    """`split_agencies` as it was before issue 23 item 7: every piece folds the whole name again."""
    import re

    from bot.core.importing import leads
    from bot.core.lang import vocabulary

    def keeps_together(before: str, separator: str, piece: str) -> bool:
        head = vocabulary.compact_words(fold(before))
        if (
            vocabulary.is_collective(fold(before))
            and not leads._STARTS_AGENCY.match(fold(piece))
            or (vocabulary.is_collective(fold(before)) and len(piece.split()) == 1)
        ):
            return True
        if "va" in fold(separator) and re.fullmatch(
            r"(?:van phong|vp)(?:\s+(?:hdnd|hoi dong nhan dan|doan dbqh|doan dai bieu quoc hoi))+", head
        ):
            return bool(re.match(r"(?:ubnd|uy ban nhan dan|hdnd|hoi dong nhan dan)\b", fold(piece)))
        return False

    text = leads._LEAD_NOISE.sub("", nfc(text)).strip(" .;:-")
    if not text:
        return []
    parts = leads._SEPARATORS.split(text)
    names = [parts[0].strip(" .;:-")]
    for separator, piece in zip(parts[1::2], parts[2::2], strict=False):
        piece = piece.strip(" .;:-")
        if not piece:
            continue
        if keeps_together(names[-1], separator, piece):
            names[-1] = f"{names[-1]}{separator}{piece}"
        elif (" " in piece and (leads._STARTS_AGENCY.match(fold(piece)) or leads.is_agency_name(piece))) or not names[
            -1
        ]:
            names.append(piece)
        else:
            names[-1] = f"{names[-1]}{separator}{piece}"
    return [n for n in names if n]


_CELL_WORDS = [
    "Sở", "Văn hóa", "Thể thao", "Du lịch", "các", "xã", "phường", "thị trấn", "UBND", "Ủy ban nhân dân", "cấp",
    "huyện", "Văn phòng", "VP", "HĐND", "Hội đồng nhân dân", "Đoàn ĐBQH", "Phòng", "Tư pháp", "Trung tâm",
    "đơn vị", "liên quan", "địa phương", "sở, ban, ngành", "ngành", "&", "A&", "Công an tỉnh", "những", "đoàn",
]
_CELL_SEPARATORS = [", ", "; ", " và ", "và ", " + ", "\n", ",", " "]


def test_split_agencies_cuts_as_the_pairwise_glueing_did() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from bot.core.importing.leads import split_agencies

    cell = st.lists(st.tuples(st.sampled_from(_CELL_WORDS), st.sampled_from(_CELL_SEPARATORS)), max_size=40).map(
        lambda pairs: "".join(word + sep for word, sep in pairs)
    )

    @settings(max_examples=600, deadline=None)
    @given(cell)
    def same(text: str) -> None:
        assert split_agencies(text) == _pairwise_split(text)

    same()
    for text in (
        "Sở Văn hóa, Thể thao và Du lịch; UBND các xã, phường, thị trấn",
        "Văn phòng HĐND và UBND huyện, Phòng Tư pháp",
        "Văn phòng Đoàn ĐBQH và HĐND và UBND tỉnh và Sở Tư pháp",
        "A&và Sở Tư pháp, Văn phòng Sở",
        "Sở Nội vụ, " + ", ".join(f"Thể thao {k}" for k in range(30)) + ", các xã, phường",
    ):
        assert split_agencies(text) == _pairwise_split(text)


def test_a_lead_cell_of_many_glued_pieces_folds_each_piece_a_bounded_number_of_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """1,000 pieces glued into one name ("Sở Văn hóa, Thể thao 1, Thể thao 2, …"): the text folded
    grows with the cell, not with the cell times its pieces (before: the whole name per piece)."""
    from bot.core.importing import leads

    folded: list[int] = []
    real = leads.fold

    def counting(text: str | None) -> str:
        folded.append(len(text or ""))
        return real(text)

    monkeypatch.setattr(leads, "fold", counting)

    def cost(pieces: int) -> tuple[int, list[str]]:
        folded.clear()
        cell = "Sở Văn hóa, " + ", ".join(f"Thể thao {k}" for k in range(pieces)) + ", UBND các xã, phường"
        names = leads.split_agencies(cell)
        return sum(folded), names

    small, _names = cost(100)
    large, names = cost(1_000)
    assert len(names) == 2 and names[0].count("Thể thao") == 1_000
    assert large <= 12 * small  # linear: 10× the pieces, 10× the folding (before: ≈ 100×)


def test_a_partner_note_is_compared_with_the_tasks_of_the_leads_it_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """Partner notes ("Phối hợp với Phòng Tư pháp …") look among the tasks of the lead they name,
    not at every task of the plan (notes × tasks before issue 23 item 7)."""
    ctx = extraction._Context(ImportOptions(today=date(2025, 1, 5)).dating(2025), known=[])
    for k in range(2_000):
        ctx.add(f"Rà soát, cập nhật quy trình nội bộ số {k} của văn phòng", "Văn phòng Sở", "d1")
    ctx.add("Thẩm định dự thảo văn bản quy phạm pháp luật của tỉnh", "Phòng Tư pháp", "d2")
    ctx.add("Kiểm tra công tác thi đua khen thưởng của các phòng", "Thanh tra Sở", "d3")
    assert len(ctx.tasks) == 2_002
    looked = [0]

    class Counting(list):  # type: ignore[type-arg]
        """The plan's tasks, counting how many are looked at."""

        def __iter__(self):  # type: ignore[no-untyped-def]
            for task in super().__iter__():
                looked[0] += 1
                yield task

        def __getitem__(self, index):  # type: ignore[no-untyped-def]
            looked[0] += 1
            return super().__getitem__(index)

    ctx.tasks = Counting(ctx.tasks)
    titles: list[str] = []
    real = extraction.fuzz.token_set_ratio

    def counting(a: str, b: str, **kwargs: object) -> float:
        titles.append(a)
        return float(real(a, b))

    monkeypatch.setattr(extraction.fuzz, "token_set_ratio", counting)
    for _k in range(100):
        extraction._attach_partner(
            ctx, "Sở Nội vụ", "Phối hợp với Phòng Tư pháp thẩm định dự thảo văn bản quy phạm pháp luật", "d9"
        )
    assert len(titles) == 100  # one task of Phòng Tư pháp per note
    assert looked[0] <= 100 * 3  # the tasks of the lead named, not all 2,002 per note
    assert ctx.tasks[2_000].partners == "Sở Nội vụ" and len(ctx.tasks) == 2_002
    # a note naming no lead of the plan is a task of its own, and later notes find it
    extraction._attach_partner(ctx, "Sở Nội vụ", "Phối hợp với Công an tỉnh tổ chức diễn tập phòng cháy", "d10")
    assert len(ctx.tasks) == 2_003 and ctx.by_lead["Sở Nội vụ"] == [2_002]


def test_a_bold_heading_wrapped_over_many_pdf_lines_is_joined_once() -> None:
    """A bold heading wrapped over N lines of a PDF page is one bold span, made once (joining it
    line by line copied the growing heading N times: quadratic in its length)."""
    from bot.core.importing.documents import _read_page

    writes = [0]

    class Counting(list):  # type: ignore[type-arg]
        """A page's prose lines, counting the entries rewritten."""

        def __setitem__(self, index, value):  # type: ignore[no-untyped-def]
            writes[0] += 1
            super().__setitem__(index, value)

    def line(no: int, text: str, top: float) -> tuple[float, str, tuple[int, str, float, float]]:
        return (top, "line", (no, text, top, top + 10))

    items = [line(1, "Sở Tư pháp báo cáo", 11)]
    items += [line(k, f"**KẾ HOẠCH TRIỂN KHAI NHIỆM VỤ PHẦN {k}**", 11 * k) for k in range(2, 2_002)]
    items += [line(2_002, "1. Văn phòng Sở rà soát", 11 * 2_002), line(2_003, "**II. TỔ CHỨC**", 11 * 2_003)]
    items += [line(2_004, "**THỰC HIỆN**", 11 * 2_004)]
    pending: list[tuple[str, str]] = Counting()
    _read_page(items, 1, [], pending)  # type: ignore[arg-type]
    heading = "**" + " ".join(f"KẾ HOẠCH TRIỂN KHAI NHIỆM VỤ PHẦN {k}" for k in range(2, 2_002)) + "**"
    assert [text for _source, text in pending] == [
        "Sở Tư pháp báo cáo",
        heading,
        "1. Văn phòng Sở rà soát",
        "**II. TỔ CHỨC THỰC HIỆN**",
    ]
    assert pending[1][0].endswith("2") and writes[0] == 2  # once per heading, not once per line
