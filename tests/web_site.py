"""A small province for the dashboard's tests: a plan of Sở Tư pháp with two units, another Sở,
results, an extension and a title that tries to be HTML; accounts of each role.

`open_site` builds it on a real database through the real import path and gives the ASGI app
with an injected clock (`Site.now`, moved by the tests).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx

from bot.core.importing.options import ImportOptions
from bot.settings import Settings
from bot.web.dashboard import dashboard_app
from bot.web.limits import RateLimit
from handlers.context import AppContext
from handlers.importing import parse_file, save_parsed
from storage import Storage

NOW = datetime(2022, 7, 10, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội, a Sunday
EVIL = '<script>alert("x")</script> Báo cáo & <b>tổng kết</b>'
PLAN = f"""TT,Nhiệm vụ,Cơ quan chủ trì,Cơ quan phối hợp,Thời gian hoàn thành,Kết quả/Sản phẩm
1,Báo cáo quý về cải cách hành chính,Sở Tư pháp,Văn phòng UBND tỉnh,Hằng quý,Báo cáo
2,Rà soát văn bản quy phạm pháp luật,Văn phòng Sở,,30/6/2022,Báo cáo
3,"{EVIL.replace('"', '""')}",Văn phòng Sở,Thanh tra Sở,8/7/2022,Báo cáo
4,Kiểm tra công tác tiếp công dân,Thanh tra Sở,,15/7/2022,Kết luận
5,Thanh tra chuyên đề đất đai,Thanh tra Sở,,20/8/2022,Kết luận
6,Số hóa hồ sơ địa chính,Sở Tài nguyên và Môi trường,,1/7/2022,Cơ sở dữ liệu
7,Thường xuyên cập nhật cơ sở dữ liệu,Sở Tư pháp,,Thường xuyên,
"""

MANAGER = "telegram:10"
OFFICER = "telegram:11"
OTHER_MANAGER = "telegram:12"
ADMIN = "telegram:1"
STRANGER = "telegram:99"


@dataclass
class Site:
    ctx: AppContext
    app: object
    now: datetime = NOW
    agencies: dict[str, int] = field(default_factory=dict)

    def client(self, *, base: str = "http://testserver", address: str = "127.0.0.1") -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, client=(address, 50000))  # type: ignore[arg-type]
        return httpx.AsyncClient(transport=transport, base_url=base)

    async def link(self, address: str = MANAGER) -> str:
        """The path of a fresh login link ("/login/TOKEN")."""
        token = await self.ctx.storage.web.create_link(address, now=self.now)
        return f"/login/{token}"

    async def login(self, client: httpx.AsyncClient, address: str = MANAGER) -> httpx.Response:
        return await client.post(await self.link(address))

    async def occurrence(self, title_part: str) -> int:
        for task in await self.ctx.all_tasks():
            if title_part in task.title:
                return task.occurrences[0].id
        raise AssertionError(title_part)


async def seed(db_url: str) -> None:
    """Write the plan, the accounts, a result and an extension into a fresh database."""
    storage = await Storage.open(db_url)
    try:
        ctx = AppContext(storage=storage, settings=Settings(), clock=lambda: NOW)  # type: ignore[call-arg]
        options = ImportOptions(issuer="Sở Tư pháp", plan="12/KH-STP", year=2022, today=NOW.date())
        parsed = await parse_file(ctx, PLAN.encode(), "ke-hoach-stp.csv", options)
        await save_parsed(ctx, parsed, options)
        agencies = await _agencies(ctx)
        await storage.upsert_user(
            MANAGER, agency_id=agencies["Sở Tư pháp"], role="manager", approved=True, active=True, name="Chị Lan"
        )
        await storage.upsert_user(
            OFFICER, agency_id=agencies["Thanh tra Sở"], role="officer", approved=True, active=True, name="Anh Minh"
        )
        await storage.upsert_user(
            OTHER_MANAGER, agency_id=agencies["Sở Tài nguyên và Môi trường"], role="manager", approved=True, active=True
        )
        await storage.upsert_user(STRANGER, role="officer", approved=False, active=True)
        tasks = {t.title: t.occurrences[0].id for t in await ctx.all_tasks() if t.occurrences}
        review = next(i for title, i in tasks.items() if "Rà soát văn bản" in title)
        await storage.record_result(review, by=OFFICER, at=NOW - timedelta(days=5), note="Đã gửi <báo cáo> số 12")
        evil = next(i for title, i in tasks.items() if "<script>" in title)
        ext = await storage.request_extension(
            evil, by=OFFICER, at=NOW - timedelta(days=4), new_due=NOW.date() + timedelta(days=20), reason="chờ số liệu"
        )
        await storage.decide_extension(ext.id, approve=False, by=MANAGER, at=NOW - timedelta(days=3))
    finally:
        await storage.close()


async def _agencies(ctx: AppContext) -> dict[str, int]:
    directory = await ctx.directory()
    found: dict[str, int] = {}
    for name in ("Sở Tư pháp", "Văn phòng Sở", "Thanh tra Sở", "Sở Tài nguyên và Môi trường"):
        hit = directory.resolve(name, asker_id=found.get("Sở Tư pháp"))
        assert hit.agency_id is not None, name
        found[name] = hit.agency_id
    return found


async def open_site(
    db_url: str, *, limiter: RateLimit | None = None, seeded: bool = False, **settings: object
) -> AsyncIterator[Site]:
    """The app over a database `seed` wrote (`seeded`: it already did, e.g. a copied file)."""
    if not seeded:
        await seed(db_url)
    storage = await Storage.open(db_url)
    site: Site | None = None

    def clock() -> datetime:
        assert site is not None
        return site.now

    try:
        values: dict[str, object] = {"nhacviec_admins": ADMIN, **settings}
        ctx = AppContext(storage=storage, settings=Settings(**values), clock=clock)  # type: ignore[arg-type]
        site = Site(ctx, dashboard_app(ctx, limiter=limiter))
        site.agencies = await _agencies(ctx)
        yield site
    finally:
        await storage.close()
