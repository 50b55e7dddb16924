"""Tasks keep their identity across re-imports (issue 16): small edits keep done occurrences, a
moved deadline keeps a done deliverable, a task that disappears is archived and comes back."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.core.importing.identity import StoredTask, TaskMatcher, pair_moved_dates
from bot.core.importing.options import ImportOptions
from bot.settings import Settings
from handlers.context import AppContext
from handlers.importing import parse_file, same_plan_note, save_parsed
from storage import Storage

HEADER = "TT,Nhiệm vụ,Cơ quan chủ trì,Thời gian hoàn thành\n"
NOW = datetime(2022, 3, 1, 2, 0, tzinfo=UTC)


def _csv(*rows: tuple[str, str, str]) -> bytes:
    return (HEADER + "".join(f"{n},{t},{lead},{d}\n" for n, (t, lead, d) in enumerate(rows, 1))).encode()


async def _import(ctx: AppContext, data: bytes):  # type: ignore[no-untyped-def]
    parsed = await parse_file(
        ctx, data, "ke-hoach.csv", ImportOptions(today=ctx.today(), issuer="Sở Tư pháp", plan="12/KH-STP", year=2022)
    )
    return await save_parsed(ctx, parsed, ImportOptions(today=ctx.today()))


async def _done_titles(st: Storage) -> dict[str, list[date]]:
    return {
        t.title: [o.due for o in t.occurrences if o.status == "done"] for t in await st.all_tasks()
    }


def test_matcher_rules() -> None:
    matcher = TaskMatcher(
        [
            StoredTask(1, "Rà soát thủ tục hành chính", "Sở Tư pháp"),
            StoredTask(2, "Số hóa hồ sơ đăng ký đất đai", "Sở Tài nguyên và Môi trường"),
            StoredTask(3, "Báo cáo kết quả cải cách hành chính quý", "Sở Nội vụ"),
        ]
    )
    assert matcher.take("Rà soát thủ tục hành chính.", "Sở Tư pháp") == 1  # a final "."
    assert matcher.take("SO HOA HO SO DANG KY DAT DAI", "so tai nguyen va moi truong") == 2  # case, diacritics
    assert matcher.take("Báo cáo kết quả cải cách hành chính hằng quý", "Sở Nội vụ") == 3  # a word added
    assert matcher.take("Rà soát thủ tục hành chính", "Sở Tư pháp") is None  # each stored task once
    fresh = TaskMatcher([StoredTask(4, "Tuyên truyền pháp luật", "Sở Tư pháp")])
    assert fresh.take("Kiểm tra văn bản quy phạm pháp luật", "Sở Tư pháp") is None  # another task
    assert fresh.take("Tuyên truyền pháp luật", "Sở Nội vụ") is None  # another lead


def test_moved_dates_pair_in_order() -> None:
    old = {date(2022, 6, 30): 10, date(2022, 12, 31): 11}
    assert pair_moved_dates(old, [date(2022, 9, 30), date(2022, 12, 31)]) == ({10: date(2022, 9, 30)}, [], [])
    assert pair_moved_dates(old, [date(2022, 12, 31)]) == ({}, [], [10])
    assert pair_moved_dates({}, [date(2022, 3, 31)]) == ({}, [date(2022, 3, 31)], [])


async def test_reimport_keeps_done_across_small_edits_and_moves(db_url: str) -> None:
    st = await Storage.open(db_url)
    try:
        ctx = AppContext(storage=st, settings=Settings(), clock=lambda: NOW)
        await _import(
            ctx,
            _csv(
                ("Rà soát thủ tục hành chính", "Sở Tư pháp", "Quý II/2022"),
                ("Báo cáo công tác pháp chế", "Sở Tư pháp", "Quý III/2022"),
                ("Tuyên truyền phổ biến pháp luật", "Sở Tư pháp", "Năm 2022"),
            ),
        )
        for task in await st.all_tasks():
            await st.mark_done(task.occurrences[0].id, by="telegram:1", at=NOW)
        report = await _import(
            ctx,
            _csv(
                ("Rà soát thủ tục hành chính.", "Sở Tư pháp", "Quý II/2022"),  # gained a "."
                ("Báo cáo công tác pháp chế", "Sở Tư pháp", "Quý IV/2022"),  # deadline moved
            ),
        )
        assert (report.result.tasks_added, report.result.tasks_removed) == (0, 1)
        done = await _done_titles(st)
        assert done == {
            "Rà soát thủ tục hành chính.": [date(2022, 6, 30)],
            "Báo cáo công tác pháp chế": [date(2022, 12, 31)],
        }
        # The third task comes back with its history.
        await _import(
            ctx,
            _csv(
                ("Rà soát thủ tục hành chính.", "Sở Tư pháp", "Quý II/2022"),
                ("Báo cáo công tác pháp chế", "Sở Tư pháp", "Quý IV/2022"),
                ("Tuyên truyền phổ biến pháp luật", "Sở Tư pháp", "Năm 2022"),
            ),
        )
        assert (await _done_titles(st))["Tuyên truyền phổ biến pháp luật"] == [date(2022, 12, 31)]
        assert len(await st.all_tasks()) == 3
    finally:
        await st.close()


def test_same_title_with_its_lead_written_another_way_is_the_same_task() -> None:
    """A lead list punctuated differently ("A; - B" / "A, B") keeps the task (issue 26)."""
    matcher = TaskMatcher(
        [StoredTask(1, "Xây dựng các chuyên mục về chất lượng không khí", "- Đài Truyền hình Việt Nam; - Thông tấn xã Việt Nam.")]
    )
    assert matcher.take("Xây dựng các chuyên mục về chất lượng không khí", "Đài Truyền hình Việt Nam, Thông tấn xã Việt Nam") == 1


async def test_plan_without_number_or_title_is_found_again_by_issuer_and_date(db_url: str) -> None:
    from dataclasses import replace

    from bot.core.importing.documents import plan_from_text

    text = (
        "SỞ TƯ PHÁP\nNgày 10 tháng 1 năm 2022\n\n"
        "1. Văn phòng Sở có trách nhiệm rà soát thủ tục hành chính trước ngày 30/6/2022.\n"
    )
    st = await Storage.open(db_url)
    try:
        ctx = AppContext(storage=st, settings=Settings(), clock=lambda: NOW)
        options = ImportOptions(today=date(2022, 1, 10))
        first = replace(plan_from_text(text, options), number=None, title=None, source_hash="a")
        assert first.date == date(2022, 1, 10) and first.issuer
        created = await save_parsed(ctx, first, options)
        edited = replace(first, source_hash="b")
        again = await save_parsed(ctx, edited, options)
        assert created.result.created and not again.result.created
        assert (again.result.tasks_added, again.result.tasks_removed) == (0, 0)
        # the preview says how it was recognised, in one sentence
        assert (created.result.found_by, again.result.found_by) == ("", "date")
        assert same_plan_note(created.result, first) == ""
        assert "cùng cơ quan ban hành và ngày ký 10/01/2022" in same_plan_note(again.result, edited)
        # another signing date: a new plan, and the preview says it is created beside the other
        moved = replace(first, date=date(2022, 1, 12), source_hash="c")
        beside = await save_parsed(ctx, moved, replace(options, dry_run=True))
        assert beside.result.created and beside.result.similar
        note = same_plan_note(beside.result, moved)
        assert "sẽ tạo một kế hoạch mới bên cạnh" in note and "10/01/2022" in note
    finally:
        await st.close()


async def test_preview_says_a_numbered_plan_is_recognised_by_its_number(db_url: str) -> None:
    st = await Storage.open(db_url)
    try:
        ctx = AppContext(storage=st, settings=Settings(), clock=lambda: NOW)
        data = _csv(("Rà soát thủ tục hành chính", "Văn phòng Sở", "30/6/2022"))
        first = await _import(ctx, data)
        again = await _import(ctx, data)
        assert (first.result.found_by, again.result.found_by) == ("", "number")
        assert same_plan_note(again.result, again.parsed) == "Nhận ra là cùng kế hoạch đã nhập (cùng số 12/KH-STP)."
        assert not first.result.similar  # it has a number: nothing to warn about
    finally:
        await st.close()
