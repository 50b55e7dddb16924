"""Every real plan of the test data imported twice adds and removes nothing the second time
(issue 26 item 5), whatever else the database holds and in whichever order the plans came."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.core.importing.options import ImportOptions
from bot.settings import Settings
from handlers.context import AppContext
from handlers.importing import parse_file, save_parsed
from storage import Storage

DATA = Path(__file__).resolve().parent / "data"
ALL_PLANS = sorted(
    p
    for folder in ("plans-real", "plans")
    for p in (DATA / folder).iterdir()
    if p.suffix in (".md", ".docx", ".pdf", ".txt") and p.name != "README.md"
)
# An OCR'd copy whose typed twin is here is the same plan (same issuer, title and year): importing
# one after the other updates that plan, as it should (tested below), so it is left out here.
TWINS = {p for p in ALL_PLANS if p.name.endswith(".ocr.txt") and p.with_name(p.name.replace(".ocr.txt", ".txt")).exists()}
PLANS = [p for p in ALL_PLANS if p not in TWINS]
NOW = datetime(2025, 12, 1, 2, 0, tzinfo=UTC)


async def _import(ctx: AppContext, path: Path):  # type: ignore[no-untyped-def]
    options = ImportOptions(today=date(2025, 12, 1))
    parsed = await parse_file(ctx, path.read_bytes(), path.name, options)
    return await save_parsed(ctx, parsed, options)


@pytest.mark.parametrize("order", ["forward", "backward"])
async def test_every_real_plan_reimported_unchanged_changes_nothing(sqlite_url: str, order: str) -> None:
    st = await Storage.open(sqlite_url)
    try:
        ctx = AppContext(storage=st, settings=Settings(), clock=lambda: NOW)
        plans = PLANS if order == "forward" else PLANS[::-1]
        for path in plans:
            await _import(ctx, path)
        churn = {}
        for path in plans:
            report = await _import(ctx, path)
            if report.result.tasks_added or report.result.tasks_removed or report.result.created:
                churn[path.name] = (report.result.created, report.result.tasks_added, report.result.tasks_removed)
        assert churn == {}
    finally:
        await st.close()


async def test_an_ocr_copy_and_its_typed_twin_are_one_plan(sqlite_url: str) -> None:
    """The scan of a plan imported after its typed copy updates that plan (its shared tasks
    kept), never a second plan: the repaired header reads as the typed one (issuer, title with
    its quoted name whole, year)."""
    assert TWINS
    st = await Storage.open(sqlite_url)
    try:
        ctx = AppContext(storage=st, settings=Settings(), clock=lambda: NOW)
        for ocr in sorted(TWINS):
            typed = ocr.with_name(ocr.name.replace(".ocr.txt", ".txt"))
            first = await _import(ctx, typed)
            second = await _import(ctx, ocr)
            assert first.result.created and not second.result.created
            assert second.result.plan_id == first.result.plan_id
    finally:
        await st.close()
