"""Every database failure has a sentence; the database file is what it was (issue 16)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from bot.core.importing.options import ImportOptions
from handlers.context import AppContext
from handlers.importing import parse_file, save_parsed
from storage import Storage
from storage.errors import StorageError, explain
from tests.chat import Chat
from tests.conftest import BACKENDS, EXAMPLES

SAMPLE = EXAMPLES / "tables" / "ke-hoach-mau-2022.csv"


@pytest.mark.parametrize(
    ("driver_message", "words"),
    [
        ("database or disk is full", "đầy"),
        ("attempt to write a readonly database", "chỉ đọc"),
        ("database is locked", "bận"),
        ("unable to open database file", "Không kết nối"),
    ],
)
def test_driver_messages_become_one_sentence(driver_message: str, words: str) -> None:
    exc = OperationalError("INSERT …", {}, sqlite3.OperationalError(driver_message))
    explained = explain(exc)
    assert isinstance(explained, StorageError) and words in str(explained)
    assert "sqlite3" not in str(explained) and "INSERT" not in str(explained)


def test_a_bug_is_not_explained_away() -> None:
    assert explain(ValueError("bad")) is None


async def test_a_read_only_database_answers_in_one_sentence(tmp_path: Path, chat: Chat) -> None:
    db = tmp_path / "ro.db"
    st = await Storage.open(f"sqlite+aiosqlite:///{db}")
    await st.close()
    ro = await Storage.open(f"sqlite+aiosqlite:///file:{db}?mode=ro&uri=true", migrate=False)
    try:
        with pytest.raises(StorageError, match="chỉ đọc"):
            await ro.upsert_user("telegram:5", approved=True, active=True)
    finally:
        await ro.close()


async def test_a_full_disk_answers_in_one_sentence(sqlite_url: str) -> None:
    st = await Storage.open(sqlite_url)
    try:
        await st.db.engine.dispose()  # fresh connections get the limit below

        @event.listens_for(st.db.engine.sync_engine, "connect")
        def _tiny(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA page_count")
            count = cur.fetchone()[0]
            cur.execute(f"PRAGMA max_page_count = {count}")
            cur.close()

        from bot.settings import Settings

        ctx = AppContext(storage=st, settings=Settings())
        rows = "".join(f"{n},Nhiệm vụ số {n} về cải cách hành chính năm 2022,Sở Tư pháp,Quý {n % 4 + 1}/2022\n" for n in range(1, 3000))
        data = ("TT,Nhiệm vụ,Cơ quan chủ trì,Thời gian hoàn thành\n" + rows).encode()
        parsed = await parse_file(ctx, data, "big.csv")
        with pytest.raises(StorageError, match="đầy"):
            await save_parsed(ctx, parsed, ImportOptions(today=ctx.today()))
    finally:
        await st.close()


async def test_a_deleted_database_file_is_never_written(tmp_path: Path, chat: Chat) -> None:
    await chat.load(SAMPLE)
    db = Path(chat.ctx.storage.db._file[0])  # type: ignore[index]
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    answer = " ".join(await chat.say(callback="done:1"))
    assert "đã bị xoá hoặc thay thế" in answer
    assert chat.ctx.storage.db.file_lost.is_set()
    assert not db.exists()


async def test_a_replaced_database_file_is_never_written(tmp_path: Path, chat: Chat) -> None:
    await chat.load(SAMPLE)
    db = Path(chat.ctx.storage.db._file[0])  # type: ignore[index]
    other = tmp_path / "other.db"
    sqlite3.connect(other).close()
    os.replace(other, db)
    with pytest.raises(StorageError, match="thay thế"):
        await chat.ctx.storage.upsert_user("telegram:9", approved=True, active=True)


@pytest.mark.parametrize("db_url", BACKENDS, indirect=True)
async def test_simultaneous_imports_of_one_new_plan_all_succeed(db_url: str) -> None:
    """Three admins confirm the same new plan at once from three processes' worth of connections:
    no IntegrityError reaches anyone, and there is one plan."""
    from bot.settings import Settings

    stores = [await Storage.open(db_url) for _ in range(3)]
    try:
        contexts = [AppContext(storage=st, settings=Settings()) for st in stores]
        parsed = [await parse_file(ctx, SAMPLE.read_bytes(), SAMPLE.name) for ctx in contexts]
        results = await asyncio.gather(
            *(save_parsed(ctx, p, ImportOptions(today=ctx.today())) for ctx, p in zip(contexts, parsed, strict=True))
        )
        assert all(r is not None for r in results)
        counts = await stores[0].counts()
        assert counts.get("plans") == 1
    finally:
        for st in stores:
            await st.close()


def test_a_cli_command_whose_database_folder_is_missing_fails_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "NHACVIEC_DB": f"sqlite+aiosqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'nv.db'}"}
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "user", "list"], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 1
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert "sqlite3" not in out.stderr and "thư mục" in out.stderr


@pytest.mark.postgres
async def test_connections_postgresql_dropped_cost_one_statement_then_the_pool_reconnects(db_url: str) -> None:
    """No ping before each checkout (issue 30: it doubled every read's round trips): after
    PostgreSQL drops the connections (a restart), one statement fails and the next ones work."""
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    import asyncpg

    st = await Storage.open(db_url)
    try:
        await asyncio.gather(*(st.revisions() for _ in range(4)))  # a few pooled connections
        admin = await asyncpg.connect(db_url.replace("postgresql+asyncpg", "postgresql"))
        try:
            database = db_url.rsplit("/", 1)[1]
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                database,
            )
        finally:
            await admin.close()
        failed = 0
        for _ in range(4):
            try:
                await st.revisions()
            except Exception:
                failed += 1
        assert failed <= 1
        await st.upsert_user("telegram:5", approved=True)  # writes work again too
    finally:
        await st.close()
