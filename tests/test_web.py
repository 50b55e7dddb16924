"""The dashboard over HTTP (issue 29): httpx against the ASGI app, the clock injected.

Login links (single use, 10 minutes), sessions (12 hours, logout), cookie flags, scope by role,
security headers, escaping, rate limits, the digest's counts, /web in chat and on the command line.
"""

from __future__ import annotations

import asyncio
import io
import re
import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.core.reminders.digest import STATES
from bot.delivery.digests import digest_report
from bot.web.limits import RateLimit
from handlers import dashboard as service
from storage import Storage
from tests.chat import open_chat
from tests.cli import nhacviec
from tests.conftest import CHAT_NOW
from tests.web_site import ADMIN, MANAGER, OFFICER, OTHER_MANAGER, STRANGER, Site, open_site, seed

DATA_PAGES = ("/", "/overdue", "/soon", "/plans")


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site's database, written once for the module; each test gets its own copy."""
    path = tmp_path_factory.mktemp("web") / "seeded.db"
    asyncio.run(seed(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture
def seeded_url(seeded_file: Path, tmp_path: Path) -> str:
    copy = tmp_path / "nv.db"
    shutil.copyfile(seeded_file, copy)
    return f"sqlite+aiosqlite:///{copy}"


@pytest.fixture
async def site(seeded_url: str) -> AsyncIterator[Site]:
    async for opened in open_site(seeded_url, seeded=True):
        yield opened


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split()).replace(" :", ":")


def unit_rows(html: str) -> dict[str, list[int]]:
    """The overview's table: unit name → [total, the four states]."""
    rows = {}
    for name, cells in re.findall(r'<th scope="row"><a [^>]+>([^<]+)</a></th>(.*?)</tr>', html, re.S):
        numbers = [int(n) for n in re.findall(r"<td[^>]*>(\d+)</td>", cells)]
        rows[unescape(name)] = numbers
    return rows


# -- links and sessions ----------------------------------------------------------------------------


async def test_a_link_shows_a_button_and_is_used_once_by_its_post(site: Site) -> None:
    link = await site.link()
    async with site.client() as client:
        for _ in range(2):  # a link preview fetching the page does not spend it
            page = await client.get(link)
            assert page.status_code == 200 and 'method="post"' in page.text and "Mở trang tổng hợp" in page.text
        used = await client.post(link)
        assert used.status_code == 303 and used.headers["location"] == "/"
        cookie = used.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=43200" in cookie and "Path=/" in cookie
        assert "Secure" not in cookie  # plain http, no https public address
        assert (await client.get("/")).status_code == 200
    async with site.client() as other:  # a second browser with the same link
        again = await other.post(link)
        assert again.status_code == 410 and "đã được dùng" in again.text
        assert (await other.get(link)).status_code == 410
        assert (await other.get("/")).status_code == 401


async def test_two_browsers_racing_for_one_link_get_one_session(site: Site) -> None:
    link = await site.link()
    async with site.client() as a, site.client() as b:
        results = await asyncio.gather(a.post(link), b.post(link))
    assert sorted(r.status_code for r in results) == [303, 410]


async def test_a_link_lasts_ten_minutes_and_a_session_twelve_hours(site: Site) -> None:
    early, late = await site.link(), await site.link()
    start = site.now
    async with site.client() as client:
        site.now = start + timedelta(minutes=9, seconds=59)
        assert (await client.post(early)).status_code == 303
        site.now = start + timedelta(minutes=10)
        expired = await client.post(late)
        assert expired.status_code == 410 and "hết hạn" in expired.text
        site.now = start + timedelta(minutes=9, seconds=59) + timedelta(hours=11, minutes=59)
        assert (await client.get("/")).status_code == 200
        site.now = start + timedelta(minutes=9, seconds=59) + timedelta(hours=12)
        gone = await client.get("/")
        assert gone.status_code == 401 and "/web" in gone.text and "Văn phòng Sở" not in gone.text


async def test_logout_ends_the_session_for_good(site: Site) -> None:
    async with site.client() as client:
        await site.login(client)
        cookie = client.cookies["nhacviec_session"]
        out = await client.post("/logout")
        assert out.status_code == 200 and "Đã đăng xuất" in out.text
        assert 'nhacviec_session=""' in out.headers["set-cookie"] and "Max-Age=0" in out.headers["set-cookie"]
    async with site.client() as replay:
        replay.cookies.set("nhacviec_session", cookie)
        assert (await replay.get("/")).status_code == 401


async def test_without_a_session_no_page_shows_a_task(site: Site) -> None:
    unit = site.agencies["Văn phòng Sở"]
    occurrence = await site.occurrence("Rà soát")
    paths = (*DATA_PAGES, f"/unit/{unit}", f"/task/{occurrence}", f"/report/{site.agencies['Sở Tư pháp']}.xlsx")
    async with site.client() as client:
        for cookie in (None, "forged-value", "x" * 500):
            if cookie:
                client.cookies.set("nhacviec_session", cookie)
            for path in paths:
                page = await client.get(path)
                assert page.status_code == 401, path
                assert "Rà soát" not in page.text and "Văn phòng Sở" not in page.text
                assert "Gõ /web" in page.text


async def test_a_link_for_an_account_that_may_not_look_opens_nothing(site: Site) -> None:
    async with site.client() as client:
        stranger = await client.post(await site.link(STRANGER))
        assert stranger.status_code == 404 and "nhacviec_session" not in stranger.headers.get("set-cookie", "")
        assert (await client.get("/not-a-login/abc")).status_code == 404
        assert (await client.get("/login/" + "a" * 300)).status_code == 404
    # an account removed after logging in sees nothing more
    async with site.client() as client:
        await site.login(client, OFFICER)
        assert (await client.get("/")).status_code == 200
        await site.ctx.storage.upsert_user(OFFICER, approved=False)
        assert (await client.get("/")).status_code == 401


async def test_cookies_are_secure_behind_https(seeded_url: str) -> None:
    async for site in open_site(seeded_url, seeded=True, nhacviec_web_url="https://nhacviec.stp.gov.vn"):
        async with site.client() as client:
            assert "Secure" in (await site.login(client)).headers["set-cookie"]
    async for site in open_site(seeded_url, seeded=True, nhacviec_web_proxies="127.0.0.1"):
        https = {"x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.7"}
        async with site.client() as client:  # the trusted proxy says the browser came over HTTPS
            assert "Secure" in (await client.post(await site.link(), headers=https)).headers["set-cookie"]
        async with site.client(address="198.51.100.2") as client:  # anyone else saying so is not believed
            assert "Secure" not in (await client.post(await site.link(), headers=https)).headers["set-cookie"]


async def test_link_tries_are_rate_limited_per_client(seeded_url: str) -> None:
    moment = [0.0]
    async for site in open_site(seeded_url, seeded=True, limiter=RateLimit(3, 60, clock=lambda: moment[0])):
        async with site.client(address="10.0.0.5") as client:
            codes = [(await client.get("/login/guess-" + str(i))).status_code for i in range(4)]
            assert codes == [404, 404, 404, 429]
            refused = await client.post(await site.link())
            assert refused.status_code == 429 and refused.headers["retry-after"] == "60" and "quá nhiều lần" in refused.text
        async with site.client(address="10.0.0.6") as other:
            assert (await other.post(await site.link())).status_code == 303
        moment[0] = 61.0
        async with site.client(address="10.0.0.5") as client:
            assert (await client.post(await site.link())).status_code == 303


# -- what each role sees -----------------------------------------------------------------------------


async def test_a_manager_sees_their_agency_and_its_units_only(site: Site) -> None:
    other = site.agencies["Sở Tài nguyên và Môi trường"]
    other_task = await site.occurrence("Số hóa hồ sơ địa chính")
    async with site.client() as client:
        await site.login(client, MANAGER)
        overview = (await client.get("/")).text
        rows = unit_rows(overview)
        assert set(rows) == {"Sở Tư pháp", "Văn phòng Sở (Sở Tư pháp)", "Thanh tra Sở (Sở Tư pháp)"}
        assert "Số hóa hồ sơ địa chính" not in overview and "Tài nguyên" not in overview
        for path in (f"/unit/{other}", f"/task/{other_task}", f"/report/{other}.xlsx"):
            refused = await client.get(path)
            assert refused.status_code == 404 and "phạm vi" in refused.text and "Số hóa" not in refused.text
        overdue = text_of((await client.get("/overdue")).text)
        assert "Số hóa hồ sơ địa chính" not in overdue and "Báo cáo & <b>tổng kết</b>" in overdue


async def test_an_admin_sees_everything_and_an_officer_only_their_agency(site: Site) -> None:
    async with site.client() as client:
        await site.login(client, ADMIN)
        rows = unit_rows((await client.get("/")).text)
        assert "Sở Tài nguyên và Môi trường" in rows and "Văn phòng Sở (Sở Tư pháp)" in rows
        assert (await client.get(f"/report/{site.agencies['Sở Tài nguyên và Môi trường']}.xlsx")).status_code == 200
    async with site.client() as client:
        await site.login(client, OFFICER)
        overview = (await client.get("/")).text
        assert set(unit_rows(overview)) == {"Thanh tra Sở (Sở Tư pháp)"}
        assert "Tải báo cáo Excel" not in overview
        assert (await client.get(f"/report/{site.agencies['Thanh tra Sở']}.xlsx")).status_code == 404
        assert (await client.get(f"/unit/{site.agencies['Văn phòng Sở']}")).status_code == 404
        assert (await client.get(f"/unit/{site.agencies['Thanh tra Sở']}")).status_code == 200
    async with site.client() as client:
        await site.login(client, OTHER_MANAGER)
        assert set(unit_rows((await client.get("/")).text)) == {"Sở Tài nguyên và Môi trường"}


# -- the counts, the pages, the report ------------------------------------------------------------------


async def test_the_overview_counts_are_the_digest_s(site: Site) -> None:
    digest = (await digest_report(site.ctx.cache, agency="Sở Tư pháp", today=site.now.date())).to_json()
    async with site.client() as client:
        await site.login(client)
        overview = (await client.get("/")).text
        rows = unit_rows(overview)
        expected = {u["name"]: [u["total"], u["done_on_time"], u["done_late"], u["open_on_time"], u["open_late"]] for u in digest["units"]}
        assert rows == expected
        total = digest["total"]
        assert f"Tổng số: {total['total']} lượt nhiệm vụ có hạn" in overview
        assert "Tỷ lệ quá hạn: " + f"{total['late_rate'] * 100:.1f}".rstrip("0").rstrip(".").replace(".", ",") + "%" in overview
        assert f"Quá hạn ({len(digest['overdue'])})" in overview
        # a unit's page counts what its row in the overview counts
        unit = site.agencies["Văn phòng Sở"]
        page = (await client.get(f"/unit/{unit}")).text
        office = expected["Văn phòng Sở (Sở Tư pháp)"]
        assert f"Tổng số: {office[0]} lượt nhiệm vụ có hạn" in page
        # a period filter counts only what is due in it, as the digest's period does
        q3 = (await client.get("/?from=2022-07-01&to=2022-09-30")).text
        in_q3 = await service.overview(
            site.ctx, await service.viewer_of(site.ctx, MANAGER), service.parse_filters({"from": "2022-07-01", "to": "2022-09-30"})
        )
        assert unit_rows(q3) == {u.name: [u.counts.total, *(getattr(u.counts, s) for s in STATES)] for u in in_q3.digest.units}
        assert sum(r[0] for r in unit_rows(q3).values()) < sum(r[0] for r in rows.values())


async def test_unit_page_lists_due_lead_partners_state_and_facts_and_filters_by_state(site: Site) -> None:
    unit = site.agencies["Văn phòng Sở"]
    async with site.client() as client:
        await site.login(client)
        page = text_of((await client.get(f"/unit/{unit}")).text)
        assert "Rà soát văn bản quy phạm pháp luật" in page and "Hạn 30/06/2022" in page
        assert "Hoàn thành quá hạn" in page and "Kết quả: Đã gửi <báo cáo> số 12" in page
        assert "Phối hợp: Thanh tra Sở" in page and "Đang thực hiện quá hạn" in page and "đã trễ 2 ngày" in page
        late = text_of((await client.get(f"/unit/{unit}?state=open_late")).text)
        assert "Báo cáo & <b>tổng kết</b>" in late and "Rà soát văn bản" not in late
        task = text_of((await client.get(f"/task/{await site.occurrence('<script>')}")).text)
        assert "Anh Minh xin gia hạn từ 08/07/2022 đến 30/07/2022" in task and "bị từ chối" in task
        assert "chờ số liệu" in task and "Chị Lan" in task
        soon = text_of((await client.get("/soon")).text)
        assert "Kiểm tra công tác tiếp công dân" in soon and "Thanh tra chuyên đề" not in soon
        plans = text_of((await client.get("/plans")).text)
        assert "12/KH-STP" in plans and "Giai đoạn: 2022" in plans


async def test_plan_text_is_escaped_everywhere(site: Site) -> None:
    unit = site.agencies["Văn phòng Sở"]
    async with site.client() as client:
        await site.login(client)
        for path in (*DATA_PAGES, f"/unit/{unit}", f"/task/{await site.occurrence('<script>')}"):
            html = (await client.get(path)).text
            assert "<script" not in html and "<b>tổng kết" not in html, path
        assert "&lt;script&gt;" in (await client.get("/overdue")).text


async def test_the_report_downloads_with_the_overview_s_counts(site: Site) -> None:
    stp = site.agencies["Sở Tư pháp"]
    async with site.client() as client:
        await site.login(client)
        rows = unit_rows((await client.get("/")).text)
        report = await client.get(f"/report/{stp}.xlsx")
        assert report.status_code == 200 and report.headers["content-type"].startswith("application/vnd.openxml")
        assert 'attachment; filename="bao-cao-so-tu-phap-20220710.xlsx"' == report.headers["content-disposition"]
        assert report.headers["cache-control"] == "no-store"
        summary = list(load_workbook(io.BytesIO(report.content))["Tổng hợp"].iter_rows(values_only=True))
        assert {r[1]: list(r[2:7]) for r in summary[1:] if r[1] in rows} == rows
        assert (await client.get(f"/report/{stp}.pdf")).status_code == 404


async def test_headers_and_sentences_on_every_page(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    async with site.client() as client:
        await site.login(client)
        for path in (*DATA_PAGES, "/nope", "/static/style.css"):
            page = await client.get(path)
            assert page.headers["content-security-policy"].startswith("default-src 'self'")
            assert page.headers["x-frame-options"] == "DENY" and page.headers["x-content-type-options"] == "nosniff"
            assert page.headers["referrer-policy"] == "no-referrer"
            expected = "public, max-age=3600" if path.startswith("/static/") else "no-store"
            assert page.headers["cache-control"] == expected, path
        missing = await client.get("/nope")
        assert missing.status_code == 404 and "Không có trang này" in missing.text
        wrong = await client.post("/plans")
        assert wrong.status_code == 405 and "không nhận" in wrong.text

        async def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError("boom at line 42")

        monkeypatch.setattr(service, "overview", broken)
        failed = await client.get("/")
        assert failed.status_code == 500 and "Xin lỗi" in failed.text
        assert "Traceback" not in failed.text and "boom" not in failed.text
        assert failed.headers["cache-control"] == "no-store"


async def test_pages_speak_the_viewer_s_language(site: Site) -> None:
    await site.ctx.storage.upsert_user(MANAGER, language="en")
    async with site.client() as client:
        await site.login(client)
        page = (await client.get("/")).text
        assert '<html lang="en">' in page and "Overdue (3)" in page and "Completed on time" in page


# -- /web in chat, `nhacviec web link` -------------------------------------------------------------------


async def test_web_in_chat_gives_a_link_in_private_only(sqlite_url: str) -> None:
    async for chat in open_chat(
        sqlite_url, now=CHAT_NOW, nhacviec_admins="telegram:1", nhacviec_web_url="https://nv.example.gov.vn:8443"
    ):
        reply = "\n".join(await chat.say("/web"))
        match = re.search(r"https://nv\.example\.gov\.vn:8443/login/([\w-]+)", reply)
        assert match and "10 phút" in reply and "một lần" in reply
        state = await chat.ctx.storage.web.link_state(match.group(1), now=CHAT_NOW)
        assert state.known and not state.used and not state.expired
        group = "\n".join(await chat.say("/web", chat_type="group", chat_id="-100"))
        assert "tin nhắn riêng" in group and "/login/" not in group
        stranger = "\n".join(await chat.say("/web", account="telegram:77"))
        assert "/login/" not in stranger
    async for chat in open_chat(sqlite_url, now=CHAT_NOW, nhacviec_admins="telegram:1"):
        off = "\n".join(await chat.say("/web"))
        assert "chưa được bật" in off and "NHACVIEC_WEB_PORT" in off


def test_cli_web_link_prints_a_link_or_a_sentence(tmp_path: Path) -> None:
    db = tmp_path / "nv.db"
    env = {"NHACVIEC_DB": f"sqlite+aiosqlite:///{db}", "NHACVIEC_ADMINS": "telegram:5"}
    done = nhacviec("web", "link", "telegram:5", "--base", "https://nv.example.gov.vn/", env=env)
    assert done.returncode == 0 and re.fullmatch(r"https://nv\.example\.gov\.vn/login/[\w-]{43}\n", done.stdout)
    unknown = nhacviec("web", "link", "telegram:404", "--base", "https://nv.example.gov.vn", env=env)
    assert unknown.returncode == 1 and "chưa được duyệt" in unknown.stderr and "Traceback" not in unknown.stderr
    off = nhacviec("web", "link", "telegram:5", env=env)
    assert off.returncode == 1 and "NHACVIEC_WEB_URL" in off.stderr
    for bad_base in ("ftp://x", "https://nv.example.gov.vn/bang"):
        assert nhacviec("web", "link", "telegram:5", "--base", bad_base, env=env).returncode == 2
    wrong_setting = nhacviec("web", "link", "telegram:5", env={**env, "NHACVIEC_WEB_URL": "nv.example.gov.vn"})
    assert wrong_setting.returncode == 1 and "NHACVIEC_WEB_URL" in wrong_setting.stderr


# -- the repository, on both databases -------------------------------------------------------------------


async def test_links_and_sessions_are_stored_as_digests_and_used_once(db_url: str) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import text

    now = datetime(2022, 7, 10, 2, 0, tzinfo=UTC)
    storage = await Storage.open(db_url)
    try:
        token = await storage.web.create_link("telegram:10", now=now)
        async with storage.db.sessions() as s:
            stored = [row[0] for row in await s.execute(text("SELECT token_hash FROM web_links"))]
        assert token not in stored and len(stored[0]) == 64
        first, second = await asyncio.gather(storage.web.redeem(token, now=now), storage.web.redeem(token, now=now))
        won = [r for r in (first, second) if r is not None]
        assert len(won) == 1 and won[0].address == "telegram:10"
        session = await storage.web.session(won[0].session_token, now=now + timedelta(hours=11))
        assert session is not None and session.address == "telegram:10"
        assert await storage.web.session(won[0].session_token, now=now + timedelta(hours=12)) is None
        late = await storage.web.create_link("telegram:10", now=now)
        assert await storage.web.redeem(late, now=now + timedelta(minutes=10)) is None
        assert (await storage.web.link_state(late, now=now + timedelta(minutes=10))).expired
        assert await storage.web.end_session(won[0].session_token)
        assert await storage.web.session(won[0].session_token, now=now) is None
    finally:
        await storage.close()
