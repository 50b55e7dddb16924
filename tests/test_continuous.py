"""Continuous work is first-class (issue 26 item 7, DESIGN.md "The domain"): a task with no due date
gets one reporting occurrence per period (the year; the quarter when the plan asks for quarterly
reports) that can be marked done or in progress, is counted in the digest and exported, is never
reminded, and stays out of answers about a dated period unless asked for ("việc thường xuyên");
the import JSON keeps its `dates` empty."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

from openpyxl import load_workbook

from bot.core.domain import Kind, OccurrenceStatus, ParsedPlan, ParsedTask
from bot.core.importing.options import ImportOptions
from bot.core.plans import asks_quarterly_reports, report_periods
from bot.core.reports.workbook import HEADER_ROW
from bot.settings import Settings
from handlers.context import AppContext
from handlers.importing import save_parsed
from handlers.requests import Request
from storage import Storage
from tests.chat import Chat
from tests.test_cli import SAMPLE, nv
from tests.test_export import CAN_THO

ONGOING = "Triển khai dịch vụ công trực tuyến toàn trình"  # "Thường xuyên" in the sample plan
BINH_SON = "UBND huyện Bình Sơn"


def test_reporting_periods_a_year_each_or_a_quarter_each_from_the_signing_on() -> None:
    ongoing = ParsedTask("Tuyên truyền phòng, chống ma túy", deadline="Thường xuyên", kind=Kind.CONTINUOUS)
    plan = ParsedPlan(tasks=[ongoing], year=2025, date=date(2025, 8, 5), period=(2025, 2025))
    assert report_periods(plan, today=date(2026, 1, 1)) == [(date(2025, 1, 1), date(2025, 12, 31))]
    several = ParsedPlan(tasks=[ongoing], period=(2026, 2030), date=date(2025, 11, 20))
    assert [end.year for _start, end in report_periods(several, today=date(2026, 1, 1))] == [2026, 2027, 2028, 2029, 2030]
    assert report_periods(ParsedPlan(tasks=[ongoing]), today=date(2026, 3, 1)) == [(date(2026, 1, 1), date(2026, 12, 31))]
    for asks in (
        ParsedTask("Báo cáo kết quả thực hiện Kế hoạch", deadline="Định kỳ hằng quý", kind=Kind.RECURRING),
        ParsedTask("Cập nhật dữ liệu quy hoạch", deadline="Thường xuyên, định kỳ hằng quý báo cáo về Sở Tài chính"),
        ParsedTask("Tổng hợp, báo cáo UBND tỉnh kết quả thực hiện mỗi quý"),
    ):
        quarterly = ParsedPlan(tasks=[ongoing, asks], year=2025, date=date(2025, 8, 5), period=(2025, 2025))
        assert asks_quarterly_reports(quarterly), asks.title
        assert report_periods(quarterly, today=date(2026, 1, 1)) == [
            (date(2025, 7, 1), date(2025, 9, 30)), (date(2025, 10, 1), date(2025, 12, 31))]  # none before signing
    assert not asks_quarterly_reports(ParsedPlan(tasks=[ongoing, ParsedTask("Kiểm tra quý IV", deadline="Quý IV/2025")]))


async def _import(ctx: AppContext, plan: ParsedPlan) -> None:
    await save_parsed(ctx, plan, ImportOptions(today=ctx.today()))


def _plan(*tasks: ParsedTask, year: int = 2025) -> ParsedPlan:
    return ParsedPlan(tasks=list(tasks), issuer="Sở Tư pháp", number="12/KH-STP", year=year, date=date(year, 2, 1))


async def test_storage_keeps_reports_and_their_results_across_reimports(db_url: str) -> None:
    storage = await Storage.open(db_url)
    try:
        ctx = AppContext(storage=storage, settings=Settings(), clock=lambda: datetime(2025, 6, 1, 3, tzinfo=UTC))
        ongoing = ParsedTask("Tuyên truyền pháp luật", lead="Sở Tư pháp", deadline="Thường xuyên", kind=Kind.CONTINUOUS)
        dated = ParsedTask("Tổng kết năm", lead="Sở Tư pháp", deadline="Trước ngày 15/12/2025", kind=Kind.ONCE,
                           dates=[date(2025, 12, 15)])
        await _import(ctx, _plan(ongoing, dated))
        [task, other] = sorted(await storage.all_tasks(), key=lambda t: t.title)
        assert task.title == "Tuyên truyền pháp luật" and task.occurrences == ()
        [report] = task.reports
        assert (report.period_start, report.due, report.is_report) == (date(2025, 1, 1), date(2025, 12, 31), True)
        assert other.reports == () and [o.due for o in other.occurrences] == [date(2025, 12, 15)]
        assert (await storage.occurrence(report.id))[1] == report  # type: ignore[index]
        await storage.record_result(report.id, by="telegram:5", at=datetime(2025, 6, 1, 3, tzinfo=UTC), note="3 hội nghị")
        await _import(ctx, _plan(ongoing, dated))  # unchanged: the same report, still done
        [again] = [t for t in await storage.all_tasks() if t.title == "Tuyên truyền pháp luật"][0].reports
        assert again.id == report.id and again.status == OccurrenceStatus.DONE and again.note == "3 hội nghị"
        # the plan now says it is due at the year's end: the done report becomes that due date, result kept
        fixed = ParsedTask("Tuyên truyền pháp luật", lead="Sở Tư pháp", deadline="Năm 2025", kind=Kind.ONCE,
                           dates=[date(2025, 12, 31)])
        other_open = ParsedTask("Theo dõi thi hành pháp luật", lead="Sở Tư pháp", deadline="Thường xuyên",
                                kind=Kind.CONTINUOUS)
        await _import(ctx, _plan(fixed, other_open))
        await _import(ctx, _plan(fixed, ParsedTask("Theo dõi thi hành pháp luật", lead="Sở Tư pháp",
                                                   deadline="Trước ngày 30/11/2025", kind=Kind.ONCE,
                                                   dates=[date(2025, 11, 30)])))
        by_title = {t.title: t for t in await storage.all_tasks()}
        [as_dated] = by_title["Tuyên truyền pháp luật"].occurrences
        assert as_dated.id == report.id and as_dated.status == OccurrenceStatus.DONE and not as_dated.is_report
        assert by_title["Tuyên truyền pháp luật"].reports == ()
        # an open report of a task that got a due date is gone
        watched = by_title["Theo dõi thi hành pháp luật"]
        assert watched.reports == () and [o.due for o in watched.occurrences] == [date(2025, 11, 30)]
    finally:
        await storage.close()


def test_never_reminded_and_the_import_json_keeps_dates_empty(tmp_path: Path) -> None:
    db = tmp_path / "nv.db"
    done = nv("import", str(SAMPLE), "--json", db=db)
    assert done.returncode == 0, done.stderr
    [ongoing] = [t for t in json.loads(done.stdout)["tasks"] if t["title"] == ONGOING]
    assert ongoing["dates"] == [] and ongoing["deadline"] == "Thường xuyên"
    for now in ("2022-12-26T08:00", "2022-12-30T08:00", "2023-01-06T08:00"):  # D-3 … D+7 of the 31/12 report
        planned = json.loads(nv("remind", "--now", now, "--dry-run", "--json", db=db).stdout)
        assert not any(ONGOING in r["text"] for r in planned["reminders"]), now


async def _officer(chat: Chat, account: str = "telegram:5", role: str = "officer", name: str = "Lê Thị Hoa") -> int:
    await chat.load(SAMPLE)
    agency = next(a.id for a in await chat.ctx.storage.agencies() if a.name == BINH_SON)
    await chat.ctx.storage.upsert_user(account, agency_id=agency, role=role, approved=True, active=True, name=name)
    return agency


async def test_marked_from_the_menus_counted_in_the_digest_and_exported(chat: Chat) -> None:
    await _officer(chat)
    await chat.ctx.storage.upsert_user("telegram:8", agency_id=(await chat.ctx.storage.user("telegram:5")).agency_id,  # type: ignore[union-attr]
                                       role="manager", approved=True, active=True, name="Phạm Văn Nam")
    # the sample plan asks for quarterly reports ("Báo cáo … Hằng quý"): one a quarter, the
    # quarters begun so far are offered
    menu = "\n".join(await chat.say("/dangthuchien", account="telegram:5"))
    assert f"thường xuyên, quý 1/2022 — {ONGOING}" in menu and f"thường xuyên, quý 2/2022 — {ONGOING}" in menu
    assert "quý 3/2022" not in menu
    number = next(line.split(".")[0] for line in menu.splitlines() if ONGOING in line and "quý 2/" in line)
    assert "Đã ghi nhận đang thực hiện" in " ".join(await chat.press(f"{number}.", account="telegram:5"))
    await chat.say("Đã triển khai 120 thủ tục", account="telegram:5")
    menu = "\n".join(await chat.say("/xong", account="telegram:5"))
    number = next(line.split(".")[0] for line in menu.splitlines() if ONGOING in line and "quý 2/" in line)
    done = " ".join(await chat.press(f"{number}.", account="telegram:5"))
    assert "Đã ghi nhận hoàn thành" in done and "thường xuyên, quý 2/2022" in done
    await chat.say("Đạt 100% hồ sơ trực tuyến", account="telegram:5")
    assert ONGOING not in " ".join(await chat.say("/giahan", account="telegram:5"))  # no deadline to move

    digest = " ".join(r.text for r in await chat.router.handle(Request("telegram", "8", "8", text="/baocao")))
    assert "trong đó 4 lượt việc thường xuyên" in digest
    [reply] = await chat.router.handle(Request("telegram", "8", "8", text="/xuat quý 2"))
    rows = [r for r in load_workbook(io.BytesIO(reply.document[1]))["Nhiệm vụ"].iter_rows(  # type: ignore[index]
        min_row=HEADER_ROW + 1, values_only=True) if isinstance(r[0], int)]
    [row] = [r for r in rows if r[2] == ONGOING]
    assert row[5:8] == ("Thường xuyên (quý II/2022)", "Hoàn thành đúng hạn", datetime(2022, 6, 20))
    assert row[8] == "Đạt 100% hồ sơ trực tuyến" and row[9] == f"Lê Thị Hoa ({BINH_SON})"
    digest_json = json.loads(json.dumps(await _digest(chat)))
    assert digest_json["continuous"] == 4 and digest_json["total"]["done_on_time"] >= 1  # the year's quarters


async def _digest(chat: Chat) -> dict:
    from bot.delivery.digests import digest_report

    return (await digest_report(chat.ctx.cache, agency=BINH_SON, today=date(2022, 6, 20))).to_json()


async def test_answers_leave_it_out_of_a_dated_period_unless_asked(chat: Chat) -> None:
    await _officer(chat)
    december = " ".join(await chat.say("việc của UBND huyện Bình Sơn tháng 12", account="telegram:5"))
    assert "Tổng kết công tác CCHC năm 2022" in december and ONGOING not in december
    asked = " ".join(await chat.say("việc thường xuyên của UBND huyện Bình Sơn tháng 12", account="telegram:5"))
    assert ONGOING in asked and "Tổng kết công tác CCHC" not in asked
    assert ONGOING in " ".join(await chat.say("việc của UBND huyện Bình Sơn", account="telegram:5"))
    assert ONGOING in " ".join(await chat.say("viec thuong xuyen", account="telegram:5"))


def test_a_real_plan_of_undated_tasks_is_exported_whole(tmp_path: Path) -> None:
    """48 tasks of a Cần Thơ plan, 47 of them undated: every one in the annex (it was 1 row)."""
    db = tmp_path / "nv.db"
    assert nv("import", str(CAN_THO), db=db).returncode == 0
    out = tmp_path / "ct.xlsx"
    done = nv("export", "--today", "2025-12-15", "--out", str(out), db=db)
    assert done.returncode == 0 and "Đã xuất 48 dòng" in done.stdout, done.stdout + done.stderr
    rows = [r for r in load_workbook(out)["Nhiệm vụ"].iter_rows(min_row=HEADER_ROW + 1, values_only=True)
            if isinstance(r[0], int)]
    assert sum(1 for r in rows if r[5] == "Thường xuyên (năm 2025)") == 47


def test_only_a_plan_that_asks_for_quarterly_reports_gets_them(tmp_path: Path) -> None:
    """Of the real plans, the one that says "định kỳ hằng quý báo cáo về Sở Tài chính" reports
    each quarter; one that says "báo cáo theo quy định" (not "quý") reports each year."""
    for name, quarterly in (("qd-2820-2025-ubnd-tphcm-csdl-quy-hoach.md", True), (CAN_THO.name, False)):
        done = nv("import", str(CAN_THO.parent / name), "--dry-run", "--json", db=tmp_path / f"{name}.db")
        tasks = [ParsedTask(t["title"], deadline=t["deadline"]) for t in json.loads(done.stdout)["tasks"]]
        assert asks_quarterly_reports(ParsedPlan(tasks=tasks)) is quarterly, name
