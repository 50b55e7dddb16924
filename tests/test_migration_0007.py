"""Migration 0007 (issue 17) on a database with data: the new columns and table exist and the
rows already there read back (no result, no progress, no extension, digest daily)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from storage import Storage
from storage.database import MIGRATIONS


async def _upgrade(url: str, revision: str) -> None:
    engine = create_async_engine(url)

    def run(sync_conn) -> None:  # type: ignore[no-untyped-def]
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = sync_conn
        command.upgrade(cfg, revision)

    async with engine.begin() as conn:
        await conn.run_sync(run)
        if revision == "0001":
            await conn.execute(
                text(
                    "INSERT INTO plans (id, identity, source_file, source_hash, imported_at) "
                    "VALUES (1, 'p', '', '', '2022-06-01 00:00:00')"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO tasks (id, plan_id, key, position, number, title, activity, output, note, "
                    "lead_text, partners, deadline, kind, source) "
                    "VALUES (1, 1, 'k', 0, '', 'Báo cáo', '', '', '', '', '', '', 'once', '')"
                )
            )
            await conn.execute(
                text("INSERT INTO occurrences (id, task_id, due, status) VALUES (42, 1, '2022-06-30', 'open')")
            )
            await conn.execute(
                text(
                    "INSERT INTO reminder_log (key, recipient, occurrence_id, lead, status, attempts, worker, "
                    "claimed_at) VALUES ('42:telegram:1:d3', 'telegram:1', 42, 'd3', 'delivered', 1, 'w', "
                    "'2022-06-27 01:00:00'), ('digest:2022-06-27:zalo:z1', 'zalo:z1', NULL, 'digest', "
                    "'delivered', 1, 'w', '2022-06-27 01:00:00')"
                )
            )
    await engine.dispose()


async def test_existing_rows_read_back_after_the_upgrade(db_url: str) -> None:
    await _upgrade(db_url, "0001")
    storage = await Storage.open(db_url)  # migrates to head
    try:
        [plan] = await storage.plans()
        assert not plan.archived and plan.period is None and plan.occurrences == 1
        [task] = await storage.all_tasks()
        [occ] = task.occurrences
        assert (occ.id, occ.in_progress, occ.note, occ.original_due, task.plan_archived) == (42, False, "", None, False)
        assert await storage.extensions(42) == []
        assert len(await storage.reminder_log()) == 2
    finally:
        await storage.close()
