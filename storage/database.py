"""The engine and the one session policy every repository shares.

Every transaction of the program is opened here, so three rules hold everywhere at once:

- *One writer queue per process on SQLite.* SQLite has one writer at a time; queueing this
  process's writes behind one lock (instead of letting several pooled connections race for the
  file lock) avoids "database is locked" under load. Other processes are waited for by SQLite's
  busy timeout. PostgreSQL needs no queue.
- *Leases renewed inside writes (SQLite).* A long write (an import) holds the file lock and would
  hold back a worker's heartbeat; so every write transaction also renews the leases registered
  with `renew_in_writes` — they commit together (see `storage.leases.Lease`).
- *No write into a lost file.* A SQLite file deleted or replaced while we run must not get our
  writes (they would go into the deleted inode and be lost).

`write()` is the ordinary transaction; `retrying()` is the one that may run its work again (an
import racing another process, or the SQLite file held past the busy timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPIConnection, ExceptionContext
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from bot.core.i18n import _
from storage.errors import DatabaseBusy, DatabaseFileLost, StorageError, explain
from storage.models import Base

MIGRATIONS = Path(__file__).parent / "migrations"

T = TypeVar("T")

log = logging.getLogger(__name__)


class RenewedInWrites(Protocol):
    """Something every write transaction of this process renews (a worker's lease)."""

    async def renew(self, s: AsyncSession) -> datetime:
        """Renew it inside `s`; the time it is then valid until (once `s` commits)."""

    def renewed(self, until: datetime) -> None:
        """`s` committed: the renewal holds until `until`."""


class Database:
    """The engine, its sessions and the rules above. Open with `await Database.open(url)`."""

    def __init__(self, engine: AsyncEngine, *, redact: Callable[[str], str] | None = None) -> None:
        self.engine = engine
        # Every error text stored (a failed send's reason) goes through this: no secret in the database.
        self.redact: Callable[[str], str] = redact or (lambda value: value)
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._write_lock: asyncio.Lock | contextlib.nullcontext[None] = (
            asyncio.Lock() if self.dialect == "sqlite" else contextlib.nullcontext()
        )
        self._file: tuple[str, tuple[int, int] | None] | None = None  # SQLite: (path, (device, inode))
        self.file_lost = asyncio.Event()  # set when the SQLite file is found deleted or replaced
        self._renewals: list[RenewedInWrites] = []

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    # -- lifecycle -------------------------------------------------------------------------

    @classmethod
    async def open(
        cls, url: str, *, migrate: bool = True, redact: Callable[[str], str] | None = None
    ) -> Database:
        path = sqlite_path(url)
        if path is not None and not os.path.isdir(os.path.dirname(path)):
            raise StorageError(
                _("Không có thư mục {folder} để chứa tệp cơ sở dữ liệu.").format(folder=os.path.dirname(path))
            )
        engine = create_async_engine(url, **_engine_options(url))
        if url.startswith("sqlite"):
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "handle_error", _explain_error)
        db = cls(engine, redact=redact)
        if migrate:
            await db.migrate()
        if path is not None and os.path.exists(path):
            stat = os.stat(path)
            db._file = (path, (stat.st_dev, stat.st_ino))
        return db

    async def migrate(self) -> None:
        """Apply Alembic migrations up to head (run on every start; a no-op when current)."""

        def upgrade(sync_conn: Connection) -> None:
            cfg = Config()
            cfg.set_main_option("script_location", str(MIGRATIONS))
            cfg.attributes["connection"] = sync_conn
            command.upgrade(cfg, "head")

        async with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                # Two processes starting together must not both create the tables.
                await conn.exec_driver_sql("SELECT pg_advisory_xact_lock(4242)")
            await conn.run_sync(upgrade)

    async def schema_revisions(self) -> tuple[str | None, str | None]:
        """(the database's migration revision, the newest this code has): a worker is ready only
        when they are equal (/readyz). Reads one row; raises when the database is down."""
        async with self.engine.connect() as conn:
            try:
                current = await conn.scalar(text("SELECT version_num FROM alembic_version"))
            except Exception:  # no table yet: never migrated
                current = None
        return (str(current) if current is not None else None), head_revision()

    async def close(self) -> None:
        await self.engine.dispose()

    def check_file(self) -> None:
        """Refuse to write when the SQLite file we opened was deleted or replaced (see above)."""
        if self._file is None:
            return
        path, identity = self._file
        try:
            stat = os.stat(path)
            now = (stat.st_dev, stat.st_ino)
        except OSError:
            now = None
        if now != identity:
            self.file_lost.set()
            raise DatabaseFileLost(
                _(
                    "Tệp cơ sở dữ liệu {path} đã bị xoá hoặc thay thế; không ghi gì thêm. Hãy khởi động lại bot."
                ).format(path=path)
            )

    # -- sessions --------------------------------------------------------------------------

    def read(self) -> AsyncSession:
        """A session for reading (`async with db.read() as s`): ORM objects, no transaction to commit."""
        return self.sessions()

    def connect(self) -> contextlib.AbstractAsyncContextManager[AsyncConnection]:
        """A Core connection, for hot reads of plain rows (no ORM identity map)."""
        return self.engine.connect()

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction that commits at the end: every write goes through here."""
        self.check_file()
        async with self._write_lock:
            async with self.sessions.begin() as s:
                yield s
                renewed = await self._renew(s)
            self._granted(renewed)

    async def retrying(
        self,
        work: Callable[[AsyncSession], Awaitable[T]],
        *,
        roll_back: bool = False,
        serialize: int | None = None,
        attempts: int = 3,
    ) -> T:
        """Run `work` in one transaction; again (up to `attempts`) after a lost race with another
        process — a row it created first (IntegrityError) or the SQLite file held past the busy
        timeout (DatabaseBusy): the next attempt sees its rows.

        `roll_back` undoes everything at the end (a dry run reports exactly what a real run would
        do). `serialize` is a PostgreSQL advisory lock key: such transactions of every process
        take turns (three admins confirming one new plan: the second finds what the first made).
        """
        for attempt in range(attempts):
            self.check_file()
            async with self._write_lock, self.sessions() as s:
                await s.begin()
                try:
                    if serialize is not None and self.dialect == "postgresql":
                        await s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": serialize})
                    result = await work(s)
                    if roll_back:
                        await s.rollback()
                        if self._renewals:  # the work's writes are gone: renew at once, still first in line
                            async with self.sessions.begin() as renewal:
                                renewed = await self._renew(renewal)
                            self._granted(renewed)
                    else:
                        renewed = await self._renew(s)
                        await s.commit()
                        self._granted(renewed)
                    return result
                except (IntegrityError, DatabaseBusy):
                    await s.rollback()
                    if attempt == attempts - 1:
                        raise
                    await asyncio.sleep(0.2 * (attempt + 1))
                except BaseException:
                    await s.rollback()
                    raise
        raise AssertionError("unreachable")

    # -- renewals inside writes ------------------------------------------------------------

    def renew_in_writes(self, renewal: RenewedInWrites) -> None:
        """On SQLite, renew `renewal` inside every write transaction of this process (see above)."""
        if self.dialect == "sqlite" and renewal not in self._renewals:
            self._renewals.append(renewal)

    def stop_renewing(self, renewal: RenewedInWrites) -> None:
        if renewal in self._renewals:
            self._renewals.remove(renewal)

    async def _renew(self, s: AsyncSession) -> list[tuple[RenewedInWrites, datetime]]:
        return [(renewal, await renewal.renew(s)) for renewal in list(self._renewals)]

    @staticmethod
    def _granted(renewed: list[tuple[RenewedInWrites, datetime]]) -> None:
        for renewal, until in renewed:
            renewal.renewed(until)

    # -- dialect differences ---------------------------------------------------------------

    def insert_new(
        self, model: type[Base], rows: Sequence[dict[str, Any]], *, key: str | Sequence[str]
    ) -> postgresql.Insert | sqlite.Insert:
        """INSERT … ON CONFLICT (key) DO NOTHING: a row whose key (one column or several) exists
        is skipped, not an error."""
        insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        columns = [key] if isinstance(key, str) else list(key)
        return insert(model).values(list(rows)).on_conflict_do_nothing(index_elements=columns)


@functools.cache
def head_revision() -> str | None:
    """The newest migration of this code (read from the scripts once)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_current_head()


def sqlite_path(url: str) -> str | None:
    """The file of a SQLite URL (None for memory databases and other servers)."""
    parsed = make_url(url)
    database = parsed.database or ""
    if not parsed.drivername.startswith("sqlite") or not database or ":memory:" in database:
        return None
    if database.startswith("file:"):  # a URI filename (…?mode=ro&uri=true)
        database = database[len("file:") :].split("?", 1)[0]
    return os.path.abspath(database)


def _explain_error(context: ExceptionContext) -> None:
    """SQLAlchemy's handle_error hook: a database failure we recognise becomes a StorageError with
    one sentence for the user; the driver's details go to the log (one line, redacted there)."""
    if context.is_pre_ping:
        return  # the pool reconnects by itself
    explained = explain(context.original_exception)
    if explained is not None:
        log.warning("database error: %s", str(context.original_exception).splitlines()[0][:300])
        if not isinstance(explained, DatabaseBusy):
            # A connection opened while the file was read-only (or the disk full, or the server
            # gone) keeps that state: drop the pool, so a database that recovers is used again.
            context.is_disconnect = True
        raise explained from context.sqlalchemy_exception


def _engine_options(url: str) -> dict[str, Any]:
    """No "ping before every checkout" on PostgreSQL (issue 30): it doubled the round trips of
    every read (3.1 → 1.5 ms a query, measured). A connection PostgreSQL dropped (a restart)
    fails the one statement that meets it; SQLAlchemy then discards the whole pool, and the
    next statement reconnects (tests/test_storage_failures.py)."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}}
    return {}


def _sqlite_pragmas(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    """WAL and a busy timeout let a bot and a CLI (or two workers) share one SQLite file."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


class Repository:
    """A repository of one concern: it reaches the database only through the shared `Database`."""

    def __init__(self, db: Database) -> None:
        self.db = db
