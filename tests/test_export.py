"""Reports from chat and from the command line (issues 17 and 28): `/xuat [AGENCY] [PERIOD] [word]`
and `nhacviec export [--agency A] [--from D --to D] [--format xlsx|docx] --out FILE`, read back
with openpyxl and python-docx; the counts equal the digest's; people by name, never by id."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path

import docx
from openpyxl import load_workbook

from bot.core.reports.workbook import HEADER_ROW
from handlers.requests import Request
from tests.chat import Chat
from tests.test_cli import EXAMPLES, SAMPLE, nv

AGENCY = "Sở Tài nguyên và Môi trường"
CAN_THO = EXAMPLES / "plans-real" / "kh-153-2025-ubnd-can-tho-phong-chong-ma-tuy.md"


def _task_rows(wb) -> list[tuple]:  # type: ignore[no-untyped-def]
    return [r for r in wb["Nhiệm vụ"].iter_rows(min_row=HEADER_ROW + 1, values_only=True) if isinstance(r[0], int)]


def _texts(document) -> str:  # type: ignore[no-untyped-def]
    out = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            out.extend(c.text for c in row.cells)
    return "\n".join(out)


def test_cli_export_matches_the_cli_digest(tmp_path: Path) -> None:
    db = tmp_path / "nv.db"
    assert nv("import", str(SAMPLE), db=db).returncode == 0
    out = tmp_path / "bc.xlsx"
    done = nv("export", "--agency", AGENCY, "--today", "2022-07-05", "--out", str(out), db=db)
    assert done.returncode == 0, done.stderr
    digest = json.loads(nv("digest", "--agency", AGENCY, "--today", "2022-07-05", "--json", db=db).stdout)
    wb = load_workbook(out)
    total = next(r for r in wb["Tổng hợp"].iter_rows(values_only=True) if r[1] == "Tổng cộng")
    t = digest["total"]
    assert total[2:7] == (t["total"], t["done_on_time"], t["done_late"], t["open_on_time"], t["open_late"])
    states = [r[6] for r in _task_rows(wb)]
    assert len(states) == t["total"] > 0
    assert states.count("Đang thực hiện quá hạn") == t["open_late"]
    assert wb["Nhiệm vụ"]["A1"].value == AGENCY.upper()  # no body above it: on the first line
    bad = nv("export", "--agency", "Sở Không Có", "--out", str(tmp_path / "x.xlsx"), db=db)
    assert bad.returncode == 1 and not (tmp_path / "x.xlsx").exists()


def test_cli_export_word_the_form_follows_the_extension_and_mismatches_are_refused(tmp_path: Path) -> None:
    db = tmp_path / "nv.db"
    assert nv("import", str(SAMPLE), db=db).returncode == 0
    out = tmp_path / "bao-cao.docx"
    done = nv("export", "--agency", AGENCY, "--from", "2022-07-01", "--to", "2022-09-30", "--today", "2022-07-05",
              "--out", str(out), db=db)
    assert done.returncode == 0, done.stderr
    document = docx.Document(str(out))  # a Word document, not a workbook under a .docx name
    text = _texts(document)
    assert "BÁO CÁO" in text and "Kết quả thực hiện nhiệm vụ quý III năm 2022" in text
    assert "SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG" in text and "Số:      /BC-STNMT" in text
    assert "(Ký, ghi rõ họ tên)" in text and "GIÁM ĐỐC" in text
    assert nv("export", "--agency", AGENCY, "--format", "docx", "--out", str(tmp_path / "b.docx"), db=db).returncode == 0
    for argv, says in (
        (["--format", "xlsx", "--out", str(tmp_path / "x.docx")], "không khớp"),
        (["--format", "docx", "--out", str(tmp_path / "x.xlsx")], "không khớp"),
        (["--out", str(tmp_path / "x.pdf")], ".xlsx"),
        (["--out", str(tmp_path / "bao-cao")], ".docx"),
    ):
        refused = nv("export", "--agency", AGENCY, *argv, db=db)
        assert refused.returncode == 1 and says in refused.stderr, (argv, refused.stderr)
        assert "Traceback" not in refused.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".db") == ["b.docx", "bao-cao.docx"]


def test_cli_export_takes_the_name_the_directory_shows(tmp_path: Path) -> None:
    db = tmp_path / "nv.db"
    assert nv("import", str(CAN_THO), db=db).returncode == 0
    tree = nv("agency", "list", "--tree", db=db).stdout
    assert "    Công an thành phố" in tree
    for name in ("Công an thành phố", "cong an thanh pho", "Công an thành phố (Ủy ban nhân dân thành phố Cần Thơ)"):
        out = tmp_path / "ca.docx"
        done = nv("export", "--agency", name, "--today", "2025-12-15", "--out", str(out), db=db)
        assert done.returncode == 0, (name, done.stderr)
        text = _texts(docx.Document(str(out)))
        assert "UBND THÀNH PHỐ CẦN THƠ\nCÔNG AN THÀNH PHỐ" in text and "Cần Thơ, ngày 15 tháng 12 năm 2025" in text
        assert "Số:      /BC-CATP" in text


async def test_xuat_sends_the_file_on_telegram_and_the_summary_on_zalo(chat: Chat) -> None:
    await chat.load(SAMPLE)
    agency = next(a.id for a in await chat.ctx.storage.agencies() if a.name == AGENCY)
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


async def test_xuat_reads_the_period_and_the_form(chat: Chat) -> None:
    await chat.load(SAMPLE)
    agency = next(a.id for a in await chat.ctx.storage.agencies() if a.name == AGENCY)
    await chat.ctx.storage.upsert_user("telegram:8", agency_id=agency, role="manager", approved=True, active=True)

    async def xuat(text: str):  # type: ignore[no-untyped-def]
        [reply] = await chat.router.handle(Request("telegram", "8", "8", text=text))
        return reply

    word = await xuat("/xuat quý 2 word")
    assert word.document is not None and word.document[0].endswith(".docx")
    assert "Kết quả thực hiện nhiệm vụ quý II năm 2022" in _texts(docx.Document(io.BytesIO(word.document[1])))
    assert "quý II năm 2022" in word.text
    whole = _task_rows(load_workbook(io.BytesIO((await xuat("/xuat")).document[1])))
    for text in ("/xuat 01/04/2022-30/06/2022", "/xuat từ 1/4/2022 đến 30/6/2022", "/xuat Sở Tài nguyên và Môi trường quý 2",
                 "/xuat quy 2 excel"):
        reply = await xuat(text)
        wb = load_workbook(io.BytesIO(reply.document[1]))
        rows = _task_rows(wb)
        assert 0 < len(rows) < len(whole), text
        assert all(isinstance(r[5], datetime) and datetime(2022, 4, 1) <= r[5] <= datetime(2022, 6, 30) for r in rows), text
        assert wb["Nhiệm vụ"]["A6"].value.startswith("Kỳ báo cáo: quý II năm 2022")
    november = await xuat("/xuat tháng 11")
    assert "tháng 11 năm 2022" in november.text
    unknown = await xuat("/xuat Sở Ngoại vụ quý 2")
    assert unknown.document is None and "Không tìm thấy cơ quan" in unknown.text


async def test_reports_name_who_confirmed_never_their_account(chat: Chat) -> None:
    await chat.load(SAMPLE)
    storage = chat.ctx.storage
    agency = next(a.id for a in await storage.agencies() if a.name == AGENCY)
    await storage.upsert_user("telegram:8", agency_id=agency, role="manager", approved=True, active=True, name="Trần Văn Bình")
    await storage.upsert_user("console:console", agency_id=agency, role="manager", approved=True, active=True, name="console")
    tasks = await storage.tasks_for_agencies({agency})
    first, second = (t.occurrences[0].id for t in tasks[:2])
    at = datetime(2022, 6, 1, 3, 0)
    await storage.record_result(first, by="telegram:8", at=at, note="Đã trình UBND tỉnh")
    await storage.record_result(second, by="console:console", at=at, note=None)
    [reply] = await chat.router.handle(Request("telegram", "8", "8", text="/xuat"))
    rows = _task_rows(load_workbook(io.BytesIO(reply.document[1])))
    confirmed = {r[9] for r in rows if r[7] is not None}
    assert confirmed == {"Trần Văn Bình (Sở Tài nguyên và Môi trường)", "Sở Tài nguyên và Môi trường"}
    assert not any("telegram:" in str(v) or "console" in str(v) for r in rows for v in r)
