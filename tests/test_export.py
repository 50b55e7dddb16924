"""Reports to take away (issue 17): the XLSX opened back with openpyxl, the same counts as the digest."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook

from bot.core.domain import Kind, OccurrenceStatus, OccurrenceView, TaskView
from bot.core.export import SUMMARY_HEADERS, TASK_HEADERS, build_xlsx, collect
from bot.core.reminders.digest import build_digest
from handlers.requests import Request
from tests.chat import Chat
from tests.test_cli import SAMPLE, nv

TODAY = date(2022, 7, 10)
NAMES = {1: "Sở Tư pháp", 2: "Văn phòng Sở (Sở Tư pháp)"}


def tasks() -> list[TaskView]:
    def tv(tid: int, lead: int, title: str, *occs: OccurrenceView) -> TaskView:
        return TaskView(tid, title, lead, NAMES.get(lead, "Sở khác"), Kind.ONCE, partners="Các phòng", occurrences=occs)

    return [
        tv(1, 1, "=HYPERLINK(\"http://x\",\"bấm\")", OccurrenceView(11, date(2022, 3, 31), OccurrenceStatus.DONE, date(2022, 3, 30), done_by="telegram:5", note="BC 12")),
        tv(2, 2, "+84 báo cáo", OccurrenceView(21, date(2022, 6, 30), OccurrenceStatus.DONE, date(2022, 7, 2))),
        tv(3, 2, "-Tổng kết", OccurrenceView(31, date(2022, 7, 1), in_progress=True, progress_note="chờ")),
        tv(4, 1, "@mention và kế hoạch", OccurrenceView(41, date(2022, 9, 30), original_due=date(2022, 9, 15))),
        tv(5, 9, "Việc của cơ quan khác", OccurrenceView(51, date(2022, 7, 1))),
    ]


def test_workbook_sheets_headers_dates_and_no_formula() -> None:
    data = collect(tasks(), agency_ids={1, 2}, unit_names=NAMES, today=TODAY, people={"telegram:5": "Chị Lan"}, agency="Sở Tư pháp")
    wb = load_workbook(io.BytesIO(build_xlsx(data)))
    assert wb.sheetnames == ["Nhiệm vụ", "Tổng hợp"]
    ws = wb["Nhiệm vụ"]
    assert ws.freeze_panes == "A2"
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == TASK_HEADERS
    assert ws.column_dimensions["B"].width == 60
    # grouped by unit: a heading row, then its rows numbered from 1
    assert rows[1][:2] == ("I", "Sở Tư pháp")
    assert rows[2][0] == 1 and rows[2][1] == "=HYPERLINK(\"http://x\",\"bấm\")"
    assert rows[2][4] == datetime(2022, 3, 31) and rows[2][5] == "Hoàn thành đúng hạn"
    assert rows[2][6] == datetime(2022, 3, 30) and rows[2][7] == "Chị Lan" and rows[2][8] == "BC 12"
    assert [r[4] for r in rows[5:7]] == [datetime(2022, 6, 30), datetime(2022, 7, 1)]
    assert rows[5][6] == datetime(2022, 7, 2) and rows[6][6] is None
    assert rows[3][4] == datetime(2022, 9, 30) and rows[3][6] is None
    assert rows[3][1] == "@mention và kế hoạch" and "Gia hạn từ 15/09/2022" in rows[3][8]
    assert rows[4][:2] == ("II", "Văn phòng Sở (Sở Tư pháp)")
    assert [r[5] for r in rows[5:7]] == ["Hoàn thành quá hạn", "Đang thực hiện quá hạn"]
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
    titles = [c for c in ws["B"] if isinstance(c.value, str) and c.value[:1] in "=+-@"]
    assert len(titles) == 4 and all(c.data_type == "s" for c in titles)
    assert ws["E3"].number_format == "DD/MM/YYYY" and ws["E3"].is_date

    summary = list(wb["Tổng hợp"].iter_rows(values_only=True))
    assert summary[0] == SUMMARY_HEADERS
    assert summary[1][1:7] == ("Sở Tư pháp", 2, 1, 0, 1, 0)
    assert summary[2][1:7] == ("Văn phòng Sở (Sở Tư pháp)", 2, 0, 1, 0, 1)
    assert summary[3][1:8] == ("Tổng cộng", 4, 1, 1, 1, 1, 0.5)


def test_counts_equal_the_digest_and_the_range_bounds_rows() -> None:
    digest = build_digest(tasks(), agency_ids={1, 2}, unit_names=NAMES, today=TODAY)
    data = collect(tasks(), agency_ids={1, 2}, unit_names=NAMES, today=TODAY)
    assert data.total.as_dict() == digest.total.as_dict()
    assert {u[1]: u[2].as_dict() for u in data.units} == {u.name: u.counts.as_dict() for u in digest.units}
    q3 = collect(tasks(), agency_ids={1, 2}, unit_names=NAMES, today=TODAY, start=date(2022, 7, 1), end=date(2022, 9, 30))
    assert [r.title for r in q3.rows] == ["@mention và kế hoạch", "-Tổng kết"]


def test_cli_export_matches_the_cli_digest(tmp_path: Path) -> None:
    db = tmp_path / "nv.db"
    assert nv("import", str(SAMPLE), db=db).returncode == 0
    agency = "Sở Tài nguyên và Môi trường"
    out = tmp_path / "bc.xlsx"
    done = nv("export", "--agency", agency, "--today", "2022-07-05", "--out", str(out), db=db)
    assert done.returncode == 0, done.stderr
    digest = json.loads(nv("digest", "--agency", agency, "--today", "2022-07-05", "--json", db=db).stdout)
    wb = load_workbook(out)
    total = next(r for r in wb["Tổng hợp"].iter_rows(values_only=True) if r[1] == "Tổng cộng")
    t = digest["total"]
    assert total[2:7] == (t["total"], t["done_on_time"], t["done_late"], t["open_on_time"], t["open_late"])
    states = [r[5] for r in wb["Nhiệm vụ"].iter_rows(min_row=2, values_only=True) if r[5]]
    assert len(states) == t["total"] > 0
    assert states.count("Đang thực hiện quá hạn") == t["open_late"]
    bad = nv("export", "--agency", "Sở Không Có", "--out", str(tmp_path / "x.xlsx"), db=db)
    assert bad.returncode == 1 and not (tmp_path / "x.xlsx").exists()


async def test_xuat_sends_the_file_on_telegram_and_the_summary_on_zalo(chat: Chat) -> None:
    await chat.load(SAMPLE)
    agency = next(a.id for a in await chat.ctx.storage.agencies() if a.name == "Sở Tài nguyên và Môi trường")
    await chat.ctx.storage.upsert_user("telegram:8", agency_id=agency, role="manager", approved=True, active=True)
    await chat.ctx.storage.upsert_user("zalo:8", agency_id=agency, role="manager", approved=True, active=True)
    [reply] = await chat.router.handle(Request("telegram", "8", "8", text="/xuat"))
    assert reply.document is not None and reply.document[0].endswith(".xlsx")
    assert load_workbook(io.BytesIO(reply.document[1])).sheetnames == ["Nhiệm vụ", "Tổng hợp"]
    assert "Tổng số" in reply.text
    [zalo] = await chat.router.handle(Request("zalo", "8", "8", text="/xuat"))
    assert zalo.document is None and "Tổng số" in zalo.text
    await chat.ctx.storage.upsert_user("telegram:9", agency_id=agency, role="officer", approved=True, active=True)
    refused = " ".join(await chat.say("/xuat", account="telegram:9"))
    assert "lãnh đạo" in refused
