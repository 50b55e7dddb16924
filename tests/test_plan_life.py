"""Plans have a life (issue 17): a period bounds the occurrences, archived plans go quiet."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

from bot.core.domain import Kind, ParsedPlan, ParsedTask
from bot.core.importing.options import ImportOptions
from bot.core.plans import bound_to_period, period_from_text, wants_archived
from bot.delivery.tick import run_tick
from bot.settings import Settings
from handlers.ask import ask
from handlers.context import AppContext
from handlers.importing import save_parsed
from storage import Storage
from tests.chat import Chat
from tests.test_cli import nv

TITLE = "Kế hoạch cải cách hành chính tỉnh giai đoạn 2026 - 2030"


def plan_2026_2030(*, signed: date | None = None) -> ParsedPlan:
    return ParsedPlan(
        tasks=[
            ParsedTask(
                title="Báo cáo kết quả cải cách hành chính",
                lead="Sở Nội vụ",
                deadline="hằng năm",
                kind=Kind.RECURRING,
                dates=[date(2026, 12, 31)],  # the reader expanded it over the plan's year only
            ),
            ParsedTask(
                title="Tổng kết giai đoạn",
                lead="Sở Nội vụ",
                deadline="Quý I/2031",
                kind=Kind.ONCE,
                dates=[date(2031, 3, 31)],
            ),
        ],
        issuer="UBND tỉnh",
        number="12/KH-UBND",
        year=2026,
        date=signed,
        title=TITLE,
    )


def test_the_period_is_read_from_the_title() -> None:
    assert period_from_text(TITLE) == (2026, 2030)
    assert period_from_text("Kế hoạch cải cách hành chính năm 2022") is None
    assert period_from_text("Kế hoạch 2021-2025") == (2021, 2025)
    # a one-year plan naming the programme it serves is a one-year plan
    quoted = "Hưởng ứng phong trào thi đua “Đẩy mạnh cải cách hành chính tỉnh giai đoạn 2021-2025”"
    assert period_from_text(quoted) is None
    assert period_from_text("Kế hoạch thực hiện Chương trình CCHC giai đoạn 2021-2030 năm 2022") is None


def test_the_sample_plans_of_2022_stay_one_year_plans() -> None:
    from bot.core.importing.reader import read_plan
    from bot.core.plans import plan_period
    from tests.conftest import EXAMPLES

    for path in sorted((EXAMPLES / "plans").iterdir()):
        parsed = read_plan(path.read_bytes(), path.name, ImportOptions(today=date(2022, 3, 1)))
        period = plan_period(parsed)
        assert period is not None and period[0] == period[1], (path.name, period)


def test_yearly_task_of_a_2026_2030_plan_gives_five_occurrences_and_nothing_after() -> None:
    parsed = bound_to_period(plan_2026_2030(), today=date(2026, 1, 5))
    assert parsed.period == (2026, 2030)
    assert parsed.tasks[0].dates == tuple(date(y, 12, 31) for y in range(2026, 2031))
    assert parsed.tasks[1].dates == ()  # past the period: never generated


def test_quarterly_rule_starts_at_the_signing_date() -> None:
    plan = plan_2026_2030(signed=date(2026, 5, 4))
    plan = replace(plan, tasks=(replace(plan.tasks[0], deadline="hằng quý"), *plan.tasks[1:]))
    parsed = bound_to_period(plan, today=date(2026, 5, 4))
    dates = parsed.tasks[0].dates
    assert dates[0] == date(2026, 6, 30) and dates[-1] == date(2030, 12, 31) and len(dates) == 19


def test_a_one_year_plan_without_a_signing_date_keeps_its_dates() -> None:
    parsed = ParsedPlan(
        tasks=[ParsedTask(
                "Báo cáo", "Sở Tư pháp", deadline="hằng quý", kind=Kind.RECURRING, dates=[date(2022, 3, 28)]
            )],
        year=2022,
    )
    parsed = bound_to_period(parsed, today=date(2022, 1, 5))
    assert parsed.period == (2022, 2022) and parsed.tasks[0].dates == (date(2022, 3, 28),)


def test_asking_for_archived_plans_is_understood() -> None:
    assert wants_archived("Sở Nội vụ năm 2027 kể cả kế hoạch đã lưu trữ") == ("Sở Nội vụ năm 2027", True)
    assert wants_archived("Sở Nội vụ năm 2027") == ("Sở Nội vụ năm 2027", False)


async def _ctx(db_url: str, now: datetime) -> AppContext:
    storage = await Storage.open(db_url)
    return AppContext(storage=storage, settings=Settings(), clock=lambda: now)


async def test_stored_period_five_occurrences_and_an_archived_plan_sends_nothing(db_url: str) -> None:
    now = datetime(2027, 12, 31, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội on the 2027 due date
    ctx = await _ctx(db_url, now)
    try:
        await save_parsed(ctx, plan_2026_2030(), ImportOptions(today=ctx.today()))
        [record] = await ctx.storage.plans()
        assert record.period == (2026, 2030) and record.occurrences == 5 and not record.archived
        task, closing = await ctx.storage.all_tasks()
        assert closing.occurrences == ()
        assert [o.due.year for o in task.occurrences] == [2026, 2027, 2028, 2029, 2030]
        agency = next(a.id for a in await ctx.storage.agencies() if a.name == "Sở Nội vụ")
        await ctx.storage.upsert_user("telegram:5", agency_id=agency, approved=True, active=True)

        before = await run_tick(ctx.delivery(), sender=None, dry_run=True)
        assert [r.items[0].lead_time for r in before.reminders] == ["d0"]
        _result, blocks = await ask(ctx, "Sở Nội vụ năm nay", asker_id=None, today=now.date())
        assert "Báo cáo kết quả" in " ".join(blocks)

        assert await ctx.storage.set_plan_archived(record.id, archived=True, by="test", at=now)
        assert not await ctx.storage.set_plan_archived(record.id, archived=True, by="test", at=now)
        after = await run_tick(ctx.delivery(), sender=None, dry_run=True)
        assert after.reminders == []
        _result, blocks = await ask(ctx, "Sở Nội vụ năm nay", asker_id=None, today=now.date())
        assert "Báo cáo kết quả" not in " ".join(blocks)
        _result, blocks = await ask(
            ctx, "Sở Nội vụ năm nay kể cả kế hoạch đã lưu trữ", asker_id=None, today=now.date()
        )
        assert "Báo cáo kết quả" in " ".join(blocks)

        assert await ctx.storage.set_plan_archived(record.id, archived=False, by="test", at=now)
        again = await run_tick(ctx.delivery(), sender=None, dry_run=True)
        assert len(again.reminders) == 1
    finally:
        await ctx.storage.close()


def test_cli_plan_list_archive_restore(tmp_path: Path) -> None:
    from tests.test_cli import SAMPLE

    db = tmp_path / "nv.db"
    assert nv("import", str(SAMPLE), db=db).returncode == 0
    [plan] = json.loads(nv("plan", "list", "--json", db=db).stdout)
    assert plan["archived"] is False and plan["tasks"] == 10
    out = nv("plan", "archive", str(plan["id"]), db=db)
    assert out.returncode == 0 and "lưu trữ" in out.stdout
    assert json.loads(nv("plan", "list", "--json", db=db).stdout)[0]["archived"] is True
    reminders = json.loads(nv("remind", "--now", "2022-06-30T08:00", "--dry-run", "--json", db=db).stdout)
    assert reminders["reminders"] == []
    if plan["number"]:
        assert nv("plan", "restore", plan["number"], db=db).returncode == 0
    else:
        assert nv("plan", "restore", str(plan["id"]), db=db).returncode == 0
    assert json.loads(nv("plan", "list", "--json", db=db).stdout)[0]["archived"] is False
    missing = nv("plan", "archive", "999/KH-XYZ", db=db)
    assert missing.returncode == 1 and "999/KH-XYZ" in missing.stderr


async def test_kehoach_lists_plans_and_archives_with_a_button(chat: Chat) -> None:
    from tests.test_conversations import SAMPLE

    await chat.load(SAMPLE)
    listing = " ".join(await chat.say("/kehoach"))
    assert "đang theo dõi" in listing and "10 nhiệm vụ" in listing
    asked = " ".join(await chat.press("Lưu trữ"))
    assert "hạn chưa xong sẽ không còn được nhắc" in asked
    done = " ".join(await chat.press("Có"))
    assert "Đã lưu trữ" in done
    assert (await chat.ctx.storage.plans())[0].archived
    assert "đã lưu trữ" in " ".join(await chat.say("/kehoach"))
    await chat.press("Khôi phục")
    assert "Đã khôi phục" in " ".join(await chat.press("Có"))
    refused = " ".join(await chat.say("/kehoach", account="telegram:9"))
    assert "Các kế hoạch" not in refused


def test_cli_import_with_a_period_expands_yearly_tasks(tmp_path: Path) -> None:
    table = tmp_path / "ke-hoach-2026-2030.csv"
    table.write_text(
        "STT,Nội dung,Cơ quan chủ trì,Cơ quan phối hợp,Thời gian hoàn thành,Sản phẩm\n"
        "1,Báo cáo kết quả cải cách hành chính,Sở Nội vụ,,Hằng năm,Báo cáo\n",
        encoding="utf-8",
    )
    out = nv("import", str(table), "--year", "2026", "--period", "2026-2030", "--json", db=tmp_path / "nv.db")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["period"] == [2026, 2030]
    assert data["tasks"][0]["dates"] == [f"{y}-12-31" for y in range(2026, 2031)]
    bad = nv("import", str(table), "--period", "2030-2026", db=tmp_path / "nv.db")
    assert bad.returncode != 0


async def test_overdue_nags_stop_after_four_weeks_through_the_tick(storage: Storage) -> None:
    from datetime import timedelta

    from tests.test_reminder_tick import FakeOutbox, at, ctx_at, seed

    await seed(storage, date(2022, 6, 1))
    box = FakeOutbox()
    day = date(2022, 6, 1)
    while day <= date(2022, 8, 31):  # one tick each morning for three months
        await run_tick(ctx_at(storage, at(day)).delivery(), sender=box)
        day += timedelta(days=1)
    leads = sorted({r["key"].rsplit(":", 1)[1] for r in await storage.reminder_log()})
    assert leads == ["d0", "nag1", "nag2", "nag3", "nag4"]
    officer = [text for address, text in box.sent if address == "telegram:1"]
    assert len(officer) == 5
    # still overdue in answers and digests
    ctx = ctx_at(storage, at(date(2022, 8, 31)))
    _result, blocks = await ask(ctx, "Sở Tư pháp quá hạn", asker_id=None, today=date(2022, 8, 31))
    assert "số 1" in " ".join(blocks)
