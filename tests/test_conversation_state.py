"""Conversation state in the database (issue 15): shared by processes, gone after its expiry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.core.domain import Kind, ParsedPlan, ParsedTask
from bot.core.replies import Button
from handlers.conversation import ChatState, PendingImports
from storage import Storage

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


async def test_state_is_shared_between_processes_and_expires(db_url: str) -> None:
    one, two = await Storage.open(db_url), await Storage.open(db_url)
    now = {"t": T0}
    try:
        a, b = ChatState(one, lambda: now["t"]), ChatState(two, lambda: now["t"])
        await a.wait_for("telegram:7", "join_agency")
        await a.show_buttons("zalo:u1", [Button("Sở Tư pháp", "join:3"), Button("Gõ lại", "join:retype")])
        assert await b.waiting("telegram:7") == ("join_agency", None)
        assert [x.data for x in await b.buttons("zalo:u1") or []] == ["join:3", "join:retype"]
        await b.stop_waiting("telegram:7")
        assert await a.waiting("telegram:7") is None
        now["t"] = T0 + timedelta(days=3)
        assert await b.buttons("zalo:u1") is None  # expired

        plan = ParsedPlan(
            tasks=[ParsedTask("Báo cáo", lead="Sở Tư pháp", kind=Kind.ONCE, dates=[date(2027, 3, 15)])],
            number="444/KH-SCT",
            date=date(2027, 1, 5),
            year=2027,
            warnings=["dòng 3: thiếu hạn"],
        )
        pa, pb = PendingImports(one, lambda: now["t"]), PendingImports(two, lambda: now["t"])
        token = await pa.add("telegram:1", plan, b"\x00raw file")
        assert await pb.get(token, "telegram:1") == plan
        assert await pb.get(token, "telegram:2") is None  # someone else's preview
        assert await pb.data(token) == b"\x00raw file"
        now["t"] += timedelta(hours=2)
        assert await pb.get(token, "telegram:1") is None  # an hour old: expired
    finally:
        await one.close()
        await two.close()


async def test_two_processes_behind_one_webhook_share_a_conversation(db_url: str) -> None:
    """Each message of the conversation reaches the other process: preview on one, "1" (the
    numbered Xác nhận, as on Zalo) on the second, and the plan is imported."""
    from bot.settings import Settings
    from handlers.context import AppContext
    from handlers.requests import Request
    from handlers.router import Router
    from tests.conftest import EXAMPLES

    sample = (EXAMPLES / "tables" / "ke-hoach-mau-2022.csv").read_bytes()
    one, two = await Storage.open(db_url), await Storage.open(db_url)
    try:
        settings = Settings(_env_file=None, nhacviec_admins="zalo:admin")  # type: ignore[call-arg]
        first = Router(AppContext(storage=one, settings=settings))
        second = Router(AppContext(storage=two, settings=settings))

        async def load() -> bytes:
            return sample

        preview = await first.handle(
            Request("zalo", "admin", "admin", file_name="ke-hoach-mau-2022.csv", load_file=load)
        )
        assert "Xem trước" in preview[0].text
        done = await second.handle(Request("zalo", "admin", "admin", text="1"))
        assert "Đã nhập kế hoạch" in done[0].text
        assert (await two.counts())["tasks"] == 10
    finally:
        await one.close()
        await two.close()


def _real_plans() -> list[ParsedPlan]:
    """Plans as the readers give them: a table (TT numbers, partners) and a Word plan over years."""
    from bot.core.importing.options import ImportOptions
    from bot.core.importing.reader import read_plan
    from tests.conftest import EXAMPLES

    today = ImportOptions(today=date(2026, 1, 5), period=(2026, 2030))
    return [
        read_plan(path.read_bytes(), path.name, today)
        for path in (
            EXAMPLES / "tables" / "ke-hoach-mau-2022.csv",
            EXAMPLES / "plans-real" / "kh-153-2025-ubnd-can-tho-phong-chong-ma-tuy.docx",
        )
    ]


def test_a_parsed_plan_survives_its_json_shape() -> None:
    import json

    from bot.core.importing.plan_json import plan_from_json, plan_to_json

    for plan in _real_plans():
        assert plan.tasks and plan.period == (2026, 2030)
        assert plan_from_json(json.loads(json.dumps(plan_to_json(plan)))) == plan


async def test_a_preview_stored_by_the_previous_version_still_confirms(db_url: str) -> None:
    """Previews kept the plan's number under "number" before the one JSON shape ("plan"); one
    waiting across an upgrade is read as it was written."""
    storage = await Storage.open(db_url)
    try:
        stored = {
            "tasks": [
                {
                    "title": "Báo cáo",
                    "lead": "Sở Tư pháp",
                    "partners": "Sở Nội vụ",
                    "deadline": "Quý I/2027",
                    "kind": "once",
                    "dates": ["2027-03-31"],
                    "activity": "Tổng hợp",
                    "output": "Báo cáo",
                    "note": "",
                    "number": "1.2",
                    "source": "hàng 3",
                }
            ],
            "issuer": "Sở Tư pháp",
            "number": "444/KH-STP",
            "date": "2027-01-05",
            "year": 2027,
            "title": "Kế hoạch",
            "period": [2027, 2028],
            "source_file": "kh.csv",
            "source_hash": "abc",
            "warnings": ["dòng 3: thiếu hạn"],
            "errors": [],
        }
        await storage.set_conversation(
            "import:old1",
            {"account": "telegram:1", "plan": stored, "file": "", "matches": {}},
            expires_at=T0 + timedelta(hours=1),
        )
        plan = await PendingImports(storage, lambda: T0).get("old1", "telegram:1")
        assert plan == ParsedPlan(
            tasks=(
                ParsedTask(
                    "Báo cáo",
                    lead="Sở Tư pháp",
                    partners="Sở Nội vụ",
                    deadline="Quý I/2027",
                    kind=Kind.ONCE,
                    dates=(date(2027, 3, 31),),
                    activity="Tổng hợp",
                    output="Báo cáo",
                    number="1.2",
                    source="hàng 3",
                ),
            ),
            issuer="Sở Tư pháp",
            number="444/KH-STP",
            date=date(2027, 1, 5),
            year=2027,
            title="Kế hoạch",
            period=(2027, 2028),
            source_file="kh.csv",
            source_hash="abc",
            warnings=("dòng 3: thiếu hạn",),
        )
    finally:
        await storage.close()
