"""The dashboard in a real browser (issue 29): Debian's Chromium, driven by Playwright's Python
package pointed at /usr/bin/chromium — nothing is downloaded (`playwright install` is never run).

A manager opens the /web link on a phone-sized screen, sees their units, goes to a unit's
overdue task and downloads the report. Screenshots go to the test's tmp path (printed with -s).
The real server (uvicorn on port 0) serves the app, as `nhacviec run` does.
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.delivery.digests import digest_report
from bot.web.server import WebServer
from tests.web_site import MANAGER, open_site

CHROMIUM = os.environ.get("NHACVIEC_CHROMIUM", "/usr/bin/chromium")
# What this machine's closed network needs (no background fetches, no QUIC, no first-run chores);
# root needs --no-sandbox.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}


def _browser_or_skip() -> None:
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"no Chromium at {CHROMIUM}: .ci/run installs Debian's package 'chromium' (apt-get) where it can")
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        pytest.skip("Playwright's Python package is not installed (pip install -c constraints.txt '.[test]')")


async def test_a_manager_on_a_phone_sees_their_units_opens_an_overdue_task_and_downloads_the_report(
    sqlite_url: str, tmp_path: Path
) -> None:
    _browser_or_skip()
    from playwright.async_api import async_playwright

    shots = tmp_path / "screenshots"
    shots.mkdir()
    async for site in open_site(sqlite_url):
        server = WebServer(site.app, host="127.0.0.1", port=0)  # type: ignore[arg-type]
        await server.start()
        try:
            link = server.url + await site.link(MANAGER)
            async with async_playwright() as p:
                browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    phone = await browser.new_context(
                        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, accept_downloads=True
                    )
                    page = await phone.new_page()
                    await page.goto(link)
                    await page.get_by_role("button", name="Mở trang tổng hợp").click()
                    await page.wait_for_url(server.url + "/")
                    assert "Tổng hợp nhiệm vụ — Sở Tư pháp" in await page.inner_text("h1")
                    units = await page.locator("table.units tbody th").all_inner_texts()
                    assert units == ["Sở Tư pháp", "Thanh tra Sở (Sở Tư pháp)", "Văn phòng Sở (Sở Tư pháp)"]
                    assert await page.locator("svg.chart").count() == 1
                    # nothing wider than the phone but the table, which scrolls in its own box
                    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
                    await page.screenshot(path=shots / "1-overview.png", full_page=True)

                    await page.get_by_role("link", name="Văn phòng Sở (Sở Tư pháp)").click()
                    await page.wait_for_url("**/unit/*")
                    overdue = page.locator("li.row.open_late a.title")
                    assert await overdue.count() == 1
                    await page.screenshot(path=shots / "2-unit.png", full_page=True)
                    await overdue.click()
                    await page.wait_for_url("**/task/*")
                    assert "Đang thực hiện quá hạn" in await page.inner_text("dd.state")
                    assert '<script>alert("x")</script>' in await page.inner_text("h1")  # shown as text
                    assert "bị từ chối" in await page.inner_text("ol.history")
                    await page.screenshot(path=shots / "3-task.png", full_page=True)

                    await page.get_by_role("link", name="Tổng quan").first.click()
                    async with page.expect_download() as waiting:
                        await page.get_by_role("link", name="Tải báo cáo Excel").click()
                    download = await waiting.value
                    assert download.suggested_filename == "bao-cao-so-tu-phap-20220710.xlsx"
                    saved = tmp_path / download.suggested_filename
                    await download.save_as(saved)
                finally:
                    await browser.close()
        finally:
            await server.stop()
        digest = (await digest_report(site.ctx.cache, agency="Sở Tư pháp", today=site.now.date())).to_json()
    summary = list(load_workbook(io.BytesIO(saved.read_bytes()))["Tổng hợp"].iter_rows(values_only=True))
    total = next(r for r in summary if r[1] == "Tổng cộng")
    assert list(total[2:7]) == [digest["total"][k] for k in ("total", "done_on_time", "done_late", "open_on_time", "open_late")]
    for shot in sorted(shots.iterdir()):
        assert shot.stat().st_size > 10_000
        print(f"screenshot: {shot}")
    if os.environ.get("SCREENSHOTS_DIR"):  # the README's pictures: copied where asked
        for shot in shots.iterdir():
            shutil.copy(shot, Path(os.environ["SCREENSHOTS_DIR"]) / shot.name)
