"""Shared fixtures: a database URL for every storage test, on SQLite and (when reachable) PostgreSQL.

Each PostgreSQL test gets a database of its own, created on the server at 127.0.0.1:5432
(`NHACVIEC_TEST_PG`, default `postgresql+asyncpg://postgres@127.0.0.1:5432/test`) and dropped
afterwards, so tests never see each other's rows.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

# Tests run the same on any machine: no developer's `.env` and none of their settings leak in
# (also into the `nhacviec` subprocesses the tests start, which inherit this environment).
for _name in [n for n in os.environ if n.startswith(("NHACVIEC_", "TELEGRAM_", "ZALO_"))]:
    if _name not in ("NHACVIEC_TEST_PG", "NHACVIEC_ALLOW_NO_PG"):
        del os.environ[_name]
os.environ["NHACVIEC_ENV_FILE"] = ""

import pytest  # noqa: E402

from storage import Storage  # noqa: E402
from tests.chat import Chat, open_chat  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
# The example plans, tables, phrases and questions the suite uses live in the repository.
EXAMPLES = REPO / "tests" / "data"
CHAT_NOW = datetime(2022, 6, 20, 9, 0, tzinfo=UTC)  # the sample plan is of 2022
PG_URL = os.environ.get("NHACVIEC_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def _pg_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return True
    except OSError:
        return False


PG_AVAILABLE = _pg_reachable()
if os.environ.get("CI") and not PG_AVAILABLE and not os.environ.get("NHACVIEC_ALLOW_NO_PG"):
    raise RuntimeError("PostgreSQL is not reachable on 127.0.0.1:5432; .ci/run should have started it")

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'nhacviec.db'}"
        return
    if not PG_AVAILABLE:
        pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432")
    name = f"nv_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    base = PG_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'nhacviec.db'}"


@pytest.fixture
async def storage(db_url: str) -> AsyncIterator[Storage]:
    st = await Storage.open(db_url)
    try:
        yield st
    finally:
        await st.close()


@pytest.fixture
async def chat(sqlite_url: str) -> AsyncIterator[Chat]:
    """The bot in process (tests/chat.py), on a fresh SQLite file; `telegram:1` is an admin."""
    async for opened in open_chat(sqlite_url, now=CHAT_NOW, nhacviec_admins="telegram:1"):
        yield opened


# Tests whose figures are wall-clock facts about real processes and leases (kill -9 mid-batch,
# two workers racing a 1 s lease, an import holding SQLite's lock): under pytest-xdist they run
# one after another on one worker (`--dist loadgroup` in .ci/run), never beside each other, so
# the other workers' in-process tests are all that shares the cores with them.
REAL_TIME_MODULES = frozenset(
    {
        "test_crash_resilience",
        "test_lease_starvation",
        "test_run_reminders",
        "test_reminder_resilience",
        "test_workers",
    }
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.module is not None and item.module.__name__.rsplit(".", 1)[-1] in REAL_TIME_MODULES:
            item.add_marker(pytest.mark.xdist_group("real_time"))
