"""The directory is a tree: units never merge across issuers, names carrying a parent go under
it, compound and collective names stay whole; admins rename, move and merge; a migration repairs
databases written by older imports."""

from __future__ import annotations

import asyncio
import json
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.core.domain import AgencyRecord, Kind, ParsedPlan, ParsedTask
from bot.core.importing.leads import place_names, split_agencies
from bot.core.importing.options import ImportOptions
from bot.core.lang.agencies import Directory
from bot.core.reminders.planner import PlannerConfig, Recipient, plan_reminders
from bot.settings import Settings
from handlers.context import AppContext
from handlers.importing import save_parsed
from storage import Storage
from tests.cli import nhacviec

TODAY = date(2026, 10, 14)


def _task(title: str, lead: str, partners: str = "", due: date = date(2026, 12, 31)) -> ParsedTask:
    return ParsedTask(title=title, lead=lead, partners=partners, deadline="", kind=Kind.ONCE, dates=[due])


def _plan(issuer: str, number: str, *tasks: ParsedTask) -> ParsedPlan:
    return ParsedPlan(tasks=list(tasks), issuer=issuer, number=number, year=2026)


SYT = _plan(
    "Sở Y tế",
    "1/KH-SYT",
    _task("Văn thư Y tế", "Văn phòng Sở"),
    _task("Thanh tra Y tế", "Thanh tra Sở", "Văn phòng Sở"),
    _task("Dự toán Y tế", "Phòng Kế hoạch - Tài chính"),
)
STP = _plan(
    "Sở Tư pháp",
    "2/KH-STP",
    _task("Văn thư Tư pháp", "Văn phòng Sở"),
    _task("Thanh tra Tư pháp", "Thanh tra Sở"),
    _task("Dự toán Tư pháp", "Phòng Kế hoạch - Tài chính"),
)
PROVINCE = _plan(
    "UBND tỉnh",
    "3/KH-UBND",
    _task("Tổng hợp Y tế", "Văn phòng Sở Y tế"),
    _task("Kiểm tra Tư pháp", "Thanh tra Sở Tư pháp"),
    _task("Nội vụ Bình Sơn", "Phòng Nội vụ huyện Bình Sơn"),
    _task("Tư pháp Tư Nghĩa", "Phòng Tư pháp huyện Tư Nghĩa"),
    _task("Lịch công tác", "Văn phòng HĐND và UBND huyện Bình Sơn"),
    _task("Chỉ tiêu", "Các sở, ban, ngành"),
    _task("Dân cư", "UBND các xã, phường", "Công an tỉnh"),
    _task("Du lịch", "Sở Văn hóa, Thể thao và Du lịch", "UBND huyện Bình Sơn"),
)
BINH_SON = _plan(
    "UBND huyện Bình Sơn",
    "4/KH-UBND",
    _task("Cán bộ xã", "Phòng Nội vụ"),
    _task("Lịch lãnh đạo", "Văn phòng HĐND và UBND huyện"),
)


async def _import(url: str, *plans: ParsedPlan) -> tuple[AppContext, Directory]:
    storage = await Storage.open(url)
    ctx = AppContext(storage=storage, settings=Settings(), clock=lambda: datetime(2026, 10, 14, tzinfo=UTC))
    for plan in plans:
        await save_parsed(ctx, plan, ImportOptions(today=ctx.today()))
    return ctx, await ctx.directory()


def _paths(directory: Directory) -> set[tuple[str, ...]]:
    return {tuple(directory.path(i)) for i in range(1, 10_000) if i in directory}


def _lead_path(directory: Directory, tasks, title: str) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    task = next(t for t in tasks if t.title == title)
    return tuple(directory.path(task.lead_ids[0]))


@pytest.mark.parametrize("order", ["sở-first", "province-first"])
def test_units_of_two_issuers_never_merge_in_either_order(db_url: str, order: str) -> None:
    async def run() -> None:
        plans = (SYT, STP, BINH_SON, PROVINCE) if order == "sở-first" else (PROVINCE, BINH_SON, STP, SYT)
        ctx, directory = await _import(db_url, *plans)
        try:
            tasks = await ctx.storage.all_tasks()
            assert _lead_path(directory, tasks, "Văn thư Y tế") == ("Sở Y tế", "Văn phòng Sở")
            assert _lead_path(directory, tasks, "Văn thư Tư pháp") == ("Sở Tư pháp", "Văn phòng Sở")
            assert _lead_path(directory, tasks, "Tổng hợp Y tế") == ("Sở Y tế", "Văn phòng Sở")
            assert _lead_path(directory, tasks, "Thanh tra Tư pháp") == ("Sở Tư pháp", "Thanh tra Sở")
            assert _lead_path(directory, tasks, "Kiểm tra Tư pháp") == ("Sở Tư pháp", "Thanh tra Sở")
            assert _lead_path(directory, tasks, "Dự toán Y tế") == ("Sở Y tế", "Phòng Kế hoạch - Tài chính")
            assert _lead_path(directory, tasks, "Dự toán Tư pháp") == (
                "Sở Tư pháp",
                "Phòng Kế hoạch - Tài chính",
            )
            assert _lead_path(directory, tasks, "Nội vụ Bình Sơn") == ("UBND huyện Bình Sơn", "Phòng Nội vụ")
            assert _lead_path(directory, tasks, "Cán bộ xã") == ("UBND huyện Bình Sơn", "Phòng Nội vụ")
            assert _lead_path(directory, tasks, "Tư pháp Tư Nghĩa") == (
                "UBND huyện Tư Nghĩa",
                "Phòng Tư pháp",
            )
            office = ("UBND huyện Bình Sơn", "Văn phòng HĐND và UBND huyện")
            assert _lead_path(directory, tasks, "Lịch công tác") == office
            assert _lead_path(directory, tasks, "Lịch lãnh đạo") == office
            assert _lead_path(directory, tasks, "Chỉ tiêu") == ("UBND tỉnh", "Các sở, ban, ngành")
            assert _lead_path(directory, tasks, "Dân cư") == ("UBND tỉnh", "UBND các xã, phường")
            assert _lead_path(directory, tasks, "Du lịch") == ("Sở Văn hóa, Thể thao và Du lịch",)
            paths = _paths(directory)
            assert ("UBND huyện",) not in paths and ("Văn phòng HĐND",) not in paths
            assert not any(p[-1] == "Văn phòng Sở" and len(p) == 1 for p in paths)
            # Partners are stored too, as agencies of their own.
            task = next(t for t in tasks if t.title == "Thanh tra Y tế")
            assert [directory.path(p) for p in task.partner_ids] == [["Sở Y tế", "Văn phòng Sở"]]
            du_lich = next(t for t in tasks if t.title == "Du lịch")
            assert [directory.path(p) for p in du_lich.partner_ids] == [["UBND huyện Bình Sơn"]]
        finally:
            await ctx.storage.close()

    asyncio.run(run())


def test_split_keeps_compound_and_collective_names_whole() -> None:
    assert split_agencies("Văn phòng HĐND và UBND huyện") == ["Văn phòng HĐND và UBND huyện"]
    assert split_agencies("Sở Văn hóa, Thể thao và Du lịch") == ["Sở Văn hóa, Thể thao và Du lịch"]
    assert split_agencies("Các sở, ban, ngành; UBND các huyện") == ["Các sở, ban, ngành", "UBND các huyện"]
    assert split_agencies("UBND các xã, phường") == ["UBND các xã, phường"]
    assert split_agencies("Phòng Nội vụ huyện Bình Sơn, Văn phòng Sở Y tế và Thanh tra Sở") == [
        "Phòng Nội vụ huyện Bình Sơn",
        "Văn phòng Sở Y tế",
        "Thanh tra Sở",
    ]


def test_placement_is_relative_to_the_issuer_and_says_what_it_matched() -> None:
    directory = Directory(
        [
            AgencyRecord(1, "Sở Y tế"),
            AgencyRecord(2, "Văn phòng Sở", 1),
            AgencyRecord(3, "Sở Tư pháp"),
            AgencyRecord(4, "UBND huyện Bình Sơn"),
            AgencyRecord(5, "Phòng Tư pháp", 4),
        ]
    )
    [mine] = place_names("Văn phòng Sở", directory=directory, issuer_id=3)
    assert (mine.status, mine.name, mine.parent) == ("new", "Văn phòng Sở", 3)
    assert mine.label() == "Sở Tư pháp › Văn phòng Sở"
    [theirs] = place_names("Văn phòng Sở", directory=directory, issuer_id=1)
    assert (theirs.status, theirs.agency_id) == ("matched", 2)
    [carried] = place_names("Văn phòng Sở Y tế", directory=directory, issuer_id=3)
    assert (carried.status, carried.agency_id) == ("matched", 2)
    [other] = place_names("Phòng Tư pháp huyện Tư Nghĩa", directory=directory, issuer_id=None)
    assert (other.status, other.name, other.parent) == ("new", "Phòng Tư pháp", ("UBND huyện Tư Nghĩa",))
    [same] = place_names("phòng tư pháp huyện Bình Sơn", directory=directory, issuer_id=3)
    assert (same.status, same.agency_id) == ("matched", 5)


def test_questions_resolve_relative_names_inside_the_asker_only() -> None:
    directory = Directory(
        [
            AgencyRecord(1, "Sở Y tế"),
            AgencyRecord(2, "Văn phòng Sở", 1),
            AgencyRecord(3, "Sở Tư pháp"),
            AgencyRecord(4, "Văn phòng Sở", 3),
            AgencyRecord(5, "Thanh tra Sở", 3),
            AgencyRecord(6, "UBND huyện Bình Sơn"),
            AgencyRecord(7, "Phòng Tư pháp", 6),
        ]
    )
    assert directory.resolve("Văn phòng Sở", asker_id=1).agency_id == 2
    assert directory.resolve("Văn phòng Sở", asker_id=3).agency_id == 4
    assert directory.resolve("Văn phòng Sở", asker_id=5).agency_id == 4  # a sibling of the asker
    assert directory.resolve("Văn phòng Sở").agency_id is None  # whose? not bent onto one
    assert directory.resolve("Thanh tra Sở", asker_id=1).agency_id is None  # Sở Y tế has none
    assert directory.resolve("Văn phòng Sở Tư pháp").agency_id == 4
    assert directory.resolve("Phòng Tư pháp huyện Bình Sơn").agency_id == 7
    found = directory.find_in_text("phòng tư pháp huyện Tư Nghĩa có việc gì", asker_id=6)
    assert found is not None and found[0].agency_id is None  # not Bình Sơn's
    assert directory.find_in_text("huyện Bình Sơn tháng này")[0].agency_id == 6  # type: ignore[index]


def test_admins_rename_move_merge(db_url: str) -> None:
    async def run() -> None:
        ctx, directory = await _import(db_url, SYT, STP)
        st = ctx.storage
        try:
            vp_yt = directory.resolve("Văn phòng Sở Y tế").agency_id
            vp_tp = directory.resolve("Văn phòng Sở Tư pháp").agency_id
            syt = directory.resolve("Sở Y tế").agency_id
            assert vp_yt and vp_tp and syt and vp_yt != vp_tp
            await st.upsert_user("telegram:1", agency_id=vp_tp, role="officer", approved=True)
            await st.rename_agency(syt, "Sở Y tế tỉnh")
            directory = await ctx.directory()
            assert directory.path(vp_yt) == ["Sở Y tế tỉnh", "Văn phòng Sở"]
            assert directory.resolve("Sở Y tế").agency_id == syt  # the old name stays an alias
            with pytest.raises(ValueError):
                await st.move_agency(syt, vp_yt)  # never under itself
            await st.merge_agencies(vp_tp, vp_yt)
            directory = await ctx.directory()
            assert vp_tp not in directory
            tasks = {t.title: t for t in await st.all_tasks()}
            assert tasks["Văn thư Tư pháp"].lead_ids == (vp_yt,)
            assert (await st.user("telegram:1")).agency_id == vp_yt  # type: ignore[union-attr]
            await st.move_agency(vp_yt, None)
            directory = await ctx.directory()
            assert directory.path(vp_yt) == ["Văn phòng Sở"]
        finally:
            await st.close()

    asyncio.run(run())


def test_migration_repairs_units_merged_by_an_older_import(db_url: str) -> None:
    async def run() -> None:
        st = await Storage.open(db_url)
        try:
            # What the old import did: Sở Tư pháp's "Văn phòng Sở" attached to Sở Y tế's, and a
            # top-level "Phòng Nội vụ huyện Bình Sơn".
            old = {"Văn phòng Sở": [("Văn phòng Sở", "Sở Y tế")]}
            await st.save_plan(_plan("Sở Y tế", "1/KH", _task("A", "Văn phòng Sở")), old)
            await st.save_plan(_plan("Sở Tư pháp", "2/KH", _task("B", "Văn phòng Sở")), old)
            await st.add_agency("UBND huyện Bình Sơn")
            await st.save_plan(
                _plan("UBND tỉnh", "3/KH", _task("C", "Phòng Nội vụ huyện Bình Sơn")),
                {"Phòng Nội vụ huyện Bình Sơn": [("Phòng Nội vụ huyện Bình Sơn", None)]},
            )
            await st.save_plan(
                _plan("UBND huyện Bình Sơn", "5/KH", _task("D", "Văn phòng HĐND và UBND huyện")),
                {
                    "Văn phòng HĐND và UBND huyện": [
                        ("Văn phòng HĐND", "UBND huyện Bình Sơn"),
                        ("UBND huyện", None),
                    ]
                },
            )
            async with st.db.engine.begin() as conn:
                await conn.run_sync(_migration().repair)  # the migration's own code
            st._agencies_rev = -1
            directory = Directory(await st.agencies())
            tasks = {t.title: t for t in await st.all_tasks()}
            assert directory.path(tasks["A"].lead_ids[0]) == ["Sở Y tế", "Văn phòng Sở"]
            assert directory.path(tasks["B"].lead_ids[0]) == ["Sở Tư pháp", "Văn phòng Sở"]
            assert directory.path(tasks["C"].lead_ids[0]) == ["UBND huyện Bình Sơn", "Phòng Nội vụ"]
            assert [directory.path(i) for i in tasks["D"].lead_ids] == [
                ["UBND huyện Bình Sơn", "Văn phòng HĐND và UBND huyện"]
            ]
            assert directory.resolve("UBND huyện").agency_id is None  # the bare one is gone
        finally:
            await st.close()

    asyncio.run(run())


def _migration():  # type: ignore[no-untyped-def]
    import importlib.util

    import storage

    path = Path(storage.__file__).parent / "migrations" / "versions" / "0002_agency_tree.py"
    spec = importlib.util.spec_from_file_location("migration_0002", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_partners_are_reminded_only_when_asked() -> None:
    from bot.core.domain import OccurrenceView, TaskView

    task = TaskView(
        id=1,
        title="T",
        lead_id=1,
        lead="A",
        kind=Kind.ONCE,
        occurrences=(OccurrenceView(1, date(2026, 10, 15)),),
        lead_ids=(1,),
        partner_ids=(2,),
    )
    people = [Recipient("telegram:1", frozenset({1})), Recipient("telegram:2", frozenset({2}))]
    now = datetime(2026, 10, 14, 8, 30)
    off = plan_reminders([task], people, now=now, config=PlannerConfig(quiet_hours=None))
    on = plan_reminders([task], people, now=now, config=PlannerConfig(quiet_hours=None, remind_partners=True))
    assert {r.recipient for r in off} == {"telegram:1"}
    assert {r.recipient for r in on} == {"telegram:1", "telegram:2"}
    assert Settings(nhacviec_remind_partners="on").remind_partners is True
    assert Settings().remind_partners is False


def _nv(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    return nhacviec(*args, env={"NHACVIEC_DB": f"sqlite+aiosqlite:///{db}", "NHACVIEC_LANGUAGE": "vi"})


def test_cli_tree_preview_corrections_and_unknown_agency(tmp_path: Path) -> None:
    db = tmp_path / "nv.db"
    syt = tmp_path / "syt.csv"
    syt.write_text(
        "TT,Nhiệm vụ,Cơ quan chủ trì,Cơ quan phối hợp,Thời gian hoàn thành\n"
        "1,Văn thư Y tế,Văn phòng Sở,,Quý IV/2026\n2,Thanh tra Y tế,Thanh tra Sở,Văn phòng Sở,Tháng 11/2026\n",
        encoding="utf-8",
    )
    stp = tmp_path / "stp.csv"
    stp.write_text(
        "TT,Nhiệm vụ,Cơ quan chủ trì,Cơ quan phối hợp,Thời gian hoàn thành\n"
        "1,Văn thư Tư pháp,Văn phòng Sở,Văn phòng Sở Y tế,Quý IV/2026\n",
        encoding="utf-8",
    )
    assert _nv("import", str(syt), "--issuer", "Sở Y tế", "--plan", "1/KH", db=db).returncode == 0
    out = _nv("import", str(stp), "--issuer", "Sở Tư pháp", "--plan", "2/KH", "--dry-run", "--json", db=db)
    assert out.returncode == 0, out.stderr
    names = {(n["written"], n["role"]): n for n in json.loads(out.stdout)["names"]}
    assert names[("Văn phòng Sở", "lead")]["status"] == "new"
    assert names[("Văn phòng Sở", "lead")]["new_under"] == "Sở Tư pháp"
    assert names[("Văn phòng Sở Y tế", "partner")]["match"] == "Sở Y tế › Văn phòng Sở"
    # The admin says this plan's "Văn phòng Sở" is Sở Y tế's after all.
    out = _nv(
        "import", str(stp), "--issuer", "Sở Tư pháp", "--plan", "2/KH", "--json",
        "--match", "Văn phòng Sở=Văn phòng Sở Y tế", db=db,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["names"][0]["match"] == "Sở Y tế › Văn phòng Sở"
    tree = _nv("agency", "list", "--tree", db=db)
    assert tree.returncode == 0 and "Sở Y tế  #" in tree.stdout and "\n    Văn phòng Sở  #" in tree.stdout
    bad = _nv("ask", "việc quá hạn", "--agency", "Sở Ngoai giao", db=db)
    assert bad.returncode == 1 and "Không tìm thấy" in bad.stderr
    renamed = _nv("agency", "rename", "Sở Y tế", "Sở Y tế tỉnh Quảng Ngãi", db=db)
    assert renamed.returncode == 0, renamed.stderr
    moved = _nv("agency", "move", "Thanh tra Sở (Sở Y tế tỉnh Quảng Ngãi)", "--top", db=db)
    assert moved.returncode == 0, moved.stderr
    merged = _nv("agency", "merge", "Thanh tra Sở", "Sở Tư pháp", db=db)
    assert merged.returncode == 0, merged.stderr
    ask = json.loads(_nv("ask", "có việc gì", "--json", "--today", "2026-10-14", db=db).stdout)
    assert len(ask["tasks"]) == 3  # no agency: every agency's tasks


def test_places_let_typos_land_only_on_real_wards() -> None:
    from bot.core.lang.places import Places

    places = Places.from_names("Quảng Ngãi", ["Xã Tịnh Khê", "Phường Cẩm Thành", "Xã Bình Sơn"])
    records = [
        AgencyRecord(1, "UBND tỉnh"),
        AgencyRecord(2, "UBND xã Tịnh Khê", 1),
        AgencyRecord(3, "UBND xã Bình Hải"),
    ]
    directory = Directory(records, places=places)
    assert directory.resolve("xã Tịnh Khe").agency_id == 2  # a typo of a real ward
    assert directory.resolve("UBND xã Tịnh Khê").agency_id == 2
    # "Bình Hải" is an agency from a plan (kept, though the package does not know it) …
    assert directory.resolve("xã Bình Hải").agency_id == 3
    # … but "Bình Sơn" is another real ward: never bent onto "Bình Hải"-like names, and an
    # unknown commune is not invented.
    assert directory.resolve("UBND xã Bình Hả").agency_id is None
    found = directory.find_in_text("xã Bình Thạnh quá hạn")
    assert found is not None and found[0].agency_id is None


def test_load_places_and_seed_from_the_package(tmp_path: Path) -> None:
    pytest.importorskip("vietnam_provinces")
    from handlers.places import load_places

    places = load_places("tỉnh Quảng Ngãi")
    assert places.province == "Quảng Ngãi" and len(places.wards) > 50 and places.knows("Tịnh Khê")
    db = tmp_path / "nv.db"
    out = _nv("agency", "seed", "--province", "Quảng Ngãi", db=db)
    assert out.returncode == 0, out.stderr
    tree = _nv("agency", "list", "--tree", db=db).stdout
    assert tree.startswith("UBND tỉnh Quảng Ngãi") and "\n    UBND xã Tịnh Khê  #" in tree
    again = _nv("agency", "seed", "--province", "Quảng Ngãi", db=db)
    assert again.returncode == 0 and "Đã thêm 0 " in again.stdout
    bad = _nv("agency", "seed", "--province", "Atlantis", db=db)
    assert bad.returncode == 1 and "Quảng Ngãi" in bad.stderr


def test_question_names_a_parent_the_unit_does_not_have() -> None:
    from bot.core.lang.questions import parse_question

    directory = Directory(
        [
            AgencyRecord(1, "Sở Y tế"),
            AgencyRecord(2, "Thanh tra Sở", 1),
            AgencyRecord(3, "Các sở, ban, ngành", 4),
            AgencyRecord(4, "UBND tỉnh"),
        ]
    )
    question = parse_question("thanh tra sở ngoại vụ", today=TODAY, directory=directory, asker_id=1)
    assert question.agency_id is None and question.agency_name_asked  # not Sở Y tế's Thanh tra
    question = parse_question("thanh tra sở tháng này", today=TODAY, directory=directory, asker_id=1)
    assert question.agency_id == 2
    question = parse_question("các sở ban ngành", today=TODAY, directory=directory, asker_id=1)
    assert question.agency_id == 3  # a collective only one issuer has
    question = parse_question("UBND H. Bình Sơn", today=TODAY, directory=directory, asker_id=1)
    assert question.agency_name_asked and "huyện" in question.agency_name_asked


@pytest.mark.parametrize(
    "written,expected",
    [
        ("Văn phòng Sở (chủ trì)", ("matched", "Sở Y tế › Văn phòng Sở")),
        ("Thanh tra Sở (Sở Tư pháp)", ("matched", "Sở Tư pháp › Thanh tra Sở")),
        ("Văn phòng Sở (Sở Công Thương)", ("new", "Sở Công Thương › Văn phòng Sở")),
        ("Sở, ban, ngành", ("new", "Sở Y tế › Sở, ban, ngành")),
        (
            "Trung tâm Y tế huyện, thị xã, thành phố",
            ("new", "Sở Y tế › Trung tâm Y tế huyện, thị xã, thành phố"),
        ),
        ("Phòng Y tế huyện Bình Sơn", ("matched", "UBND huyện Bình Sơn › Phòng Y tế")),
        (
            "Phòng Lao động - Thương binh và Xã hội",
            ("new", "Sở Y tế › Phòng Lao động - Thương binh và Xã hội"),
        ),
        ("Văn phòng UBND tỉnh", ("matched", "Văn phòng UBND tỉnh")),
        ("Thanh tra tỉnh", ("new", "Thanh tra tỉnh")),
        ("SỞ TƯ PHÁP", ("matched", "Sở Tư pháp")),
    ],
)
def test_names_as_plans_write_them(written: str, expected: tuple[str, str]) -> None:
    directory = Directory(
        [
            AgencyRecord(1, "Sở Y tế"),
            AgencyRecord(2, "Văn phòng Sở", 1),
            AgencyRecord(4, "Văn phòng UBND tỉnh"),
            AgencyRecord(5, "Sở Tư pháp"),
            AgencyRecord(6, "Thanh tra Sở", 5),
            AgencyRecord(7, "UBND huyện Bình Sơn"),
            AgencyRecord(8, "Phòng Y tế", 7),
        ]
    )
    [placement] = place_names(written, directory=directory, issuer_id=1)
    assert (placement.status, placement.label()) == expected
