"""The one door to the database: `Storage` opens it, migrates it, and answers in plain values.

Callers get `AgencyRecord`, `TaskView`, `UserRecord` … never ORM objects, so handlers and the
pure planners cannot trigger lazy loads or hold sessions across awaits.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import String, and_, any_, bindparam, case, delete, event, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.core.domain import AgencyRecord, Kind, OccurrenceStatus, OccurrenceView, ParsedPlan, TaskView
from bot.core.i18n import _
from bot.core.importing.identity import StoredTask, TaskMatcher, pair_moved_dates
from bot.core.text import fold, nfc
from storage.errors import DatabaseBusy, DatabaseFileLost, StorageError, explain
from storage.inbox import Inbox
from storage.models import (
    Agency,
    ChatLink,
    Conversation,
    Extension,
    Meta,
    Occurrence,
    Plan,
    ReminderLog,
    SharedValue,
    Task,
    TaskLead,
    TaskPartner,
    User,
    Worker,
)
from storage.onboarding import OnboardingStore
from storage.web_logins import WebLogins

# Where an agency goes: None (the top), an agency id, a name at the top, or a chain of names to
# create from the top (or from an agency id first): (12, "Văn phòng Sở").
ParentRef = int | str | tuple[int | str, ...] | None
Place = tuple[str, ParentRef]

MIGRATIONS = Path(__file__).parent / "migrations"


log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; every stored datetime is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class UserRecord:
    id: int
    channel: str
    account_id: str
    name: str
    agency_id: int | None
    role: str
    language: str
    approved: bool
    active: bool
    remind_days: str | None = None
    remind_at: str | None = None
    muted: tuple[int, ...] = ()
    digest: str | None = None  # daily | weekly | off (None: daily)

    @property
    def address(self) -> str:
        return f"{self.channel}:{self.account_id}"


@dataclass(frozen=True)
class PlanRecord:
    """A plan as `plan list` and /kehoach show it."""

    id: int
    number: str | None
    title: str | None
    year: int | None
    period: tuple[int, int] | None
    issuer: str | None
    archived: bool
    tasks: int
    occurrences: int
    open_occurrences: int

    @property
    def label(self) -> str:
        return self.number or self.title or f"#{self.id}"

    @property
    def years(self) -> str:
        """ "2026–2030", "2022", or "" when neither the period nor the year is known."""
        if self.period and self.period[0] != self.period[1]:
            return f"{self.period[0]}–{self.period[1]}"
        first = self.period[0] if self.period else self.year
        return str(first) if first else ""


@dataclass(frozen=True)
class ResultRecord:
    """What is recorded about one occurrence's result and progress."""

    occurrence_id: int
    task_id: int
    due: date
    original_due: date | None
    status: str
    done_by: str | None
    done_at: datetime | None
    note: str | None
    file_id: str | None
    file_name: str | None
    file_size: int | None
    progress_note: str | None
    progress_by: str | None
    progress_at: datetime | None


@dataclass(frozen=True)
class ExtensionRecord:
    id: int
    occurrence_id: int
    requested_by: str
    requested_at: datetime
    old_due: date
    new_due: date
    reason: str
    status: str  # pending | approved | rejected
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None


@dataclass(frozen=True)
class ChatLinkRecord:
    channel: str
    chat_id: str
    agency_id: int

    @property
    def address(self) -> str:
        return f"{self.channel}:{self.chat_id}"


@dataclass
class SaveResult:
    """What an import did (or would do, in a dry run)."""

    plan_id: int | None
    created: bool
    tasks_added: int = 0
    tasks_updated: int = 0
    tasks_removed: int = 0
    new_agencies: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RetryInfo:
    status: str  # claimed (its worker died) | failed | released | unknown
    first_at: datetime  # when the key was first claimed
    attempts: int = 1  # sends tried so far (a takeover after a crash does not count)
    recipient: str = ""


def _utc(value: datetime) -> datetime:
    """Lease and retry times are stored in UTC: SQLite keeps wall-clock values without their
    zone, so mixing zones would make comparisons (and "is it still the same day") wrong."""
    return value.astimezone(UTC) if value.tzinfo is not None else value


def _retake_condition(now: datetime):  # type: ignore[no-untyped-def]
    """SQL for "another worker may take this claim now" (see `Storage.retryable`)."""
    now = _utc(now)
    live = select(Worker.id).where(Worker.lease_until >= now)
    due = or_(ReminderLog.next_at.is_(None), ReminderLog.next_at <= now)
    return or_(
        (ReminderLog.status == "claimed") & ReminderLog.worker.not_in(live),
        ReminderLog.status.in_(["failed", "released"]) & due,
        (ReminderLog.status == "unknown") & (ReminderLog.doubts < 2) & due,
    )


def split_account(address: str) -> tuple[str, str]:
    """ "telegram:123" → ("telegram", "123"); a bare id means Telegram."""
    channel, sep, account = address.strip().partition(":")
    if not sep:
        return "telegram", channel
    return channel.lower(), account


class Storage(OnboardingStore):
    """Async access to every table. Create with `await Storage.open(url)`; `await close()` at the end."""

    def __init__(self, engine: AsyncEngine, *, redact: Callable[[str], str] | None = None) -> None:
        self.engine = engine
        # Every error text stored (a failed send's reason) goes through this: no secret in the database.
        self.redact: Callable[[str], str] = redact or (lambda text: text)
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        # SQLite has one writer at a time; queueing this process's writes here (instead of letting
        # several pooled connections race for the file lock) avoids "database is locked" under
        # load. Other processes are waited for by SQLite's busy timeout. PostgreSQL needs no queue.
        self._write_lock: asyncio.Lock | contextlib.nullcontext[None] = (
            asyncio.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()
        )
        self._file: tuple[str, tuple[int, int] | None] | None = None  # SQLite: (path, (device, inode))
        self.file_lost = asyncio.Event()  # set when the SQLite file is found deleted or replaced
        # Leases of this process's workers, renewed inside every write transaction on SQLite
        # (see `hold_lease`); `lease_valid` is what the last committed renewal granted.
        self._leases: dict[str, tuple[timedelta, Callable[[], datetime]]] = {}
        self.lease_valid: dict[str, datetime] = {}
        # The dashboard's links and sessions (issue 29): a repository of its own on this engine.
        self.web = WebLogins(self.sessions, self.write)
        # Pushed updates kept before they are acknowledged, claimed per chat (issue 30).
        self.inbox = Inbox(self.sessions, self.write, engine.dialect.name)

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction that commits at the end: every write goes through here."""
        self.check_file()
        async with self._write_lock:
            async with self.sessions.begin() as s:
                yield s
                renewed = await self._renew_leases(s)
            self.lease_valid.update(renewed)

    def hold_lease(self, worker: str, lease: timedelta, clock: Callable[[], datetime]) -> None:
        """SQLite has one writer at a time: a long write (an import) would hold back the
        heartbeat and let the lease lapse while the worker lives. So on SQLite every write
        transaction of this process also renews its leases — they commit together, and no other
        process can take the claims over while the write holds the lock."""
        if self.engine.dialect.name == "sqlite":
            self._leases[worker] = (lease, clock)

    def let_go_lease(self, worker: str) -> None:
        self._leases.pop(worker, None)
        self.lease_valid.pop(worker, None)

    async def _renew_leases(self, s: AsyncSession) -> dict[str, datetime]:
        renewed: dict[str, datetime] = {}
        for worker, (lease, clock) in list(self._leases.items()):
            until = _utc(clock()) + lease
            await s.execute(update(Worker).where(Worker.id == worker).values(lease_until=until))
            renewed[worker] = until
        return renewed

    def check_file(self) -> None:
        """A SQLite file deleted or replaced while we run must not get our writes (they would go into
        the deleted inode and be lost): the file's identity is compared with the one we opened."""
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
                _("Tệp cơ sở dữ liệu {path} đã bị xoá hoặc thay thế; không ghi gì thêm. Hãy khởi động lại bot.").format(
                    path=path
                )
            )

    # -- lifecycle -------------------------------------------------------------------------

    @classmethod
    async def open(
        cls, url: str, *, migrate: bool = True, redact: Callable[[str], str] | None = None
    ) -> Storage:
        path = _sqlite_path(url)
        if path is not None and not os.path.isdir(os.path.dirname(path)):
            raise StorageError(
                _("Không có thư mục {folder} để chứa tệp cơ sở dữ liệu.").format(folder=os.path.dirname(path))
            )
        engine = create_async_engine(url, **_engine_options(url))
        if url.startswith("sqlite"):
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "handle_error", _explain_error)
        storage = cls(engine, redact=redact)
        if migrate:
            await storage.migrate()
        if path is not None and os.path.exists(path):
            stat = os.stat(path)
            storage._file = (path, (stat.st_dev, stat.st_ino))
        return storage

    async def migrate(self) -> None:
        """Apply Alembic migrations up to head (run on every start; a no-op when current)."""

        def upgrade(sync_conn) -> None:  # type: ignore[no-untyped-def]
            cfg = Config()
            cfg.set_main_option("script_location", str(MIGRATIONS))
            cfg.attributes["connection"] = sync_conn
            command.upgrade(cfg, "head")

        async with self.engine.begin() as conn:
            if self.engine.dialect.name == "postgresql":
                # Two processes starting together must not both create the tables.
                await conn.exec_driver_sql("SELECT pg_advisory_xact_lock(4242)")
            await conn.run_sync(upgrade)

    async def schema_revisions(self) -> tuple[str | None, str | None]:
        """(the database's migration revision, the newest this code has): a worker is ready
        only when they are equal (/readyz). Reads one row; raises when the database is down."""
        head = _head_revision()
        async with self.engine.connect() as conn:
            try:
                current = await conn.scalar(text("SELECT version_num FROM alembic_version"))
            except Exception:
                current = None
        return (str(current) if current is not None else None), head

    async def close(self) -> None:
        await self.engine.dispose()

    # -- shared values ---------------------------------------------------------------------

    async def shared_value(self, key: str, make: Callable[[], str]) -> str:
        """The value stored under `key`, made with `make()` and stored by whichever process asks
        first (INSERT … ON CONFLICT DO NOTHING): every process of a deployment gets the same one."""
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        async with self.write() as s:
            await s.execute(
                insert(SharedValue).values(key=key, value=make()).on_conflict_do_nothing(index_elements=["key"])
            )
            return str(await s.scalar(select(SharedValue.value).where(SharedValue.key == key)))

    # -- agencies --------------------------------------------------------------------------

    async def agencies(self) -> list[AgencyRecord]:
        """All agencies. (The one cache of them is the handlers' `AppContext`, refreshed when the
        agencies' change counter moves.)"""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(Agency.id, Agency.name, Agency.parent_id, Agency.aliases).order_by(Agency.id)
            )
            return [AgencyRecord(id=i, name=n, parent_id=p, aliases=tuple(a or ())) for i, n, p, a in rows]

    async def revisions(self) -> dict[str, int]:
        """All change counters in one query (a long-running bot checks them before each answer)."""
        async with self.engine.connect() as conn:
            return dict((await conn.execute(select(Meta.key, Meta.value))).all())

    async def add_agency(
        self, name: str, *, parent_id: int | None = None, aliases: Sequence[str] = ()
    ) -> int:
        async with self.write() as s:
            agency = await self._get_or_create_agency(s, name, parent_id)
            for alias in aliases:
                if nfc(alias) and nfc(alias) not in agency.aliases:
                    agency.aliases = [*agency.aliases, nfc(alias)]
            await _bump(s, "agencies_rev")
            return agency.id

    async def add_alias(self, agency_id: int, alias: str) -> None:
        async with self.write() as s:
            agency = await s.get(Agency, agency_id)
            if agency is None:
                raise KeyError(agency_id)
            alias = nfc(alias)
            if alias and alias not in agency.aliases:
                agency.aliases = [*agency.aliases, alias]
            await _bump(s, "agencies_rev")

    async def rename_agency(self, agency_id: int, name: str) -> None:
        """A new name (the old one stays an alias, so plans and people who use it still find it)."""
        name = nfc(name).strip()
        async with self.write() as s:
            agency = await s.get(Agency, agency_id)
            if agency is None:
                raise KeyError(agency_id)
            clash = await s.scalar(
                select(Agency.id).where(
                    Agency.folded == fold(name),
                    Agency.parent_key == agency.parent_key,
                    Agency.id != agency_id,
                )
            )
            if clash is not None:
                raise ValueError(name)
            if fold(agency.name) != fold(name) and agency.name not in agency.aliases:
                agency.aliases = [*agency.aliases, agency.name]
            agency.name, agency.folded = name, fold(name)
            await _bump(s, "agencies_rev")
            await _bump(s, "tasks_rev")  # lead names are part of the task views

    async def move_agency(self, agency_id: int, parent_id: int | None) -> None:
        """Put an agency (and the units under it) under another parent, or at the top (None)."""
        async with self.write() as s:
            agency = await s.get(Agency, agency_id)
            if agency is None:
                raise KeyError(agency_id)
            current = parent_id
            while current is not None:  # never under itself
                if current == agency_id:
                    raise ValueError("cycle")
                current = await s.scalar(select(Agency.parent_id).where(Agency.id == current))
            clash = await s.scalar(
                select(Agency.id).where(
                    Agency.folded == agency.folded,
                    Agency.parent_key == (parent_id or 0),
                    Agency.id != agency_id,
                )
            )
            if clash is not None:
                raise ValueError(agency.name)
            agency.parent_id, agency.parent_key = parent_id, parent_id or 0
            await _bump(s, "agencies_rev")
            await _bump(s, "tasks_rev")

    async def merge_agencies(self, source_id: int, target_id: int) -> None:
        """`source` becomes `target`: its tasks (led and coordinated), users, group links, plans,
        units and names follow; the source's names stay as aliases of the target (its history)."""
        if source_id == target_id:
            return
        async with self.write() as s:
            await self._merge(s, source_id, target_id)
            await _bump(s, "agencies_rev")
            await _bump(s, "tasks_rev")

    async def _merge(self, s: AsyncSession, source_id: int, target_id: int) -> None:
        source, target = await s.get(Agency, source_id), await s.get(Agency, target_id)
        if source is None or target is None:
            raise KeyError(source_id if source is None else target_id)
        current: int | None = target.parent_id
        while current is not None:
            if current == source_id:
                raise ValueError("cycle")
            current = await s.scalar(select(Agency.parent_id).where(Agency.id == current))
        for table in (TaskLead, TaskPartner):
            both = select(table.task_id).where(table.agency_id == target_id)
            await s.execute(delete(table).where(table.agency_id == source_id, table.task_id.in_(both)))
            await s.execute(update(table).where(table.agency_id == source_id).values(agency_id=target_id))
        await s.execute(update(Task).where(Task.lead_id == source_id).values(lead_id=target_id))
        await s.execute(update(User).where(User.agency_id == source_id).values(agency_id=target_id))
        await s.execute(update(ChatLink).where(ChatLink.agency_id == source_id).values(agency_id=target_id))
        await s.execute(update(Plan).where(Plan.issuer_id == source_id).values(issuer_id=target_id))
        for child in (await s.execute(select(Agency).where(Agency.parent_id == source_id))).scalars().all():
            twin = await s.scalar(
                select(Agency.id).where(Agency.folded == child.folded, Agency.parent_key == target_id)
            )
            if twin is not None:
                await self._merge(s, child.id, twin)
            else:
                child.parent_id, child.parent_key = target_id, target_id
        names = [n for n in (source.name, *source.aliases) if n and fold(n) != target.folded]
        target.aliases = list(dict.fromkeys([*target.aliases, *names]))
        await s.flush()
        await s.delete(source)
        await s.flush()

    async def _get_or_create_agency(self, s: AsyncSession, name: str, parent_id: int | None) -> Agency:
        name = nfc(name)
        found = await s.scalar(
            select(Agency).where(Agency.folded == fold(name), Agency.parent_key == (parent_id or 0))
        )
        if found:
            return found
        agency = Agency(
            name=name,
            folded=fold(name),
            parent_id=parent_id,
            parent_key=parent_id or 0,
            aliases=[],
            created_at=utcnow(),
        )
        s.add(agency)
        await s.flush()
        return agency

    # -- plans and tasks -------------------------------------------------------------------

    async def save_plan(
        self,
        parsed: ParsedPlan,
        lead_names: dict[str, list[Place]],
        *,
        dry_run: bool = False,
        partner_names: dict[str, list[Place]] | None = None,
        issuer_id: int | None = None,
    ) -> SaveResult:
        """Insert or update a plan, its tasks and occurrences, keeping done status.

        `lead_names` (and `partner_names`) map each task's lead (partners) text to the agencies it
        names, as (name, parent) pairs — the caller (the import handler) placed them in the
        directory; a parent is an agency id, a top-level name, or a chain (see `ParentRef`).
        `issuer_id` is the issuer when the directory knows it (else `parsed.issuer` is found or
        created at the top). A dry run does everything inside a transaction and rolls it back, so what
        it reports is exactly what a real import would do.
        """
        for attempt in range(3):
            self.check_file()
            async with self._write_lock, self.sessions() as s:
                await s.begin()
                try:
                    if self.engine.dialect.name == "postgresql":
                        # Imports from several processes at once (three admins confirming one new
                        # plan) take turns, so the second finds what the first created.
                        await s.execute(text("SELECT pg_advisory_xact_lock(4243)"))
                    result = await self._save_plan(s, parsed, lead_names, partner_names or {}, issuer_id)
                    if dry_run:
                        await s.rollback()
                        result.plan_id = None
                        if self._leases:  # the preview's writes are gone: renew at once, still first in line
                            async with self.sessions.begin() as renewal:
                                renewed = await self._renew_leases(renewal)
                            self.lease_valid.update(renewed)
                    else:
                        renewed = await self._renew_leases(s)
                        await s.commit()
                        self.lease_valid.update(renewed)
                    return result
                except (IntegrityError, DatabaseBusy):
                    # A lost race with another process (an agency or plan it created first, or the
                    # SQLite file held past the busy timeout): the next attempt sees its rows.
                    await s.rollback()
                    if attempt == 2:
                        raise
                    await asyncio.sleep(0.2 * (attempt + 1))
                except BaseException:
                    await s.rollback()
                    raise
        raise AssertionError("unreachable")

    async def _save_plan(
        self,
        s: AsyncSession,
        parsed: ParsedPlan,
        lead_names: dict[str, list[Place]],
        partner_names: dict[str, list[Place]],
        known_issuer: int | None,
    ) -> SaveResult:
        new_agencies: list[str] = []
        agency_ids: dict[tuple[str, int | None], int] = {}
        names: dict[int, str] = {}

        async def parent_of(parent: ParentRef) -> int | None:
            if parent is None:
                return None
            if isinstance(parent, int):
                return parent
            if isinstance(parent, str):
                return await agency_id(parent, None)
            current: int | None = None
            for step in parent:
                current = step if isinstance(step, int) else await agency_id(step, current)
            return current

        async def agency_id(name: str, parent: ParentRef) -> int:
            parent_id = await parent_of(parent)
            key = (fold(name), parent_id)
            if key in agency_ids:
                return agency_ids[key]
            before = await s.scalar(
                select(Agency.id).where(Agency.folded == fold(name), Agency.parent_key == (parent_id or 0))
            )
            agency = await self._get_or_create_agency(s, name, parent_id)
            names[agency.id] = agency.name
            if before is None:
                if parent_id is not None and parent_id not in names:
                    names[parent_id] = (await s.get(Agency, parent_id)).name  # type: ignore[union-attr]
                new_agencies.append(f"{agency.name} ({names[parent_id]})" if parent_id else agency.name)
            agency_ids[key] = agency.id
            return agency.id

        if known_issuer is not None:
            issuer_id: int | None = known_issuer
        else:
            issuer_id = await agency_id(parsed.issuer, None) if parsed.issuer else None
        identity = plan_identity(parsed, issuer_id)
        plan = await s.scalar(select(Plan).where(Plan.identity == identity))
        created = plan is None
        if plan is None:
            plan = Plan(identity=identity, imported_at=utcnow())
            s.add(plan)
        plan.number = parsed.number
        plan.issuer_id = issuer_id
        plan.issued_on = parsed.date
        plan.year = parsed.year
        plan.title = parsed.title
        plan.source_file = parsed.source_file
        plan.source_hash = parsed.source_hash
        plan.imported_at = utcnow()
        plan.period_start, plan.period_end = parsed.period or (None, None)
        await s.flush()

        # Bulk Core statements from here on: 20,000 ORM objects would dominate the import.
        existing: dict[str, int] = {}  # stored key → id, archived tasks included (they may come back)
        stored: list[StoredTask] = []
        was_archived: set[int] = set()
        if not created:
            for task_id, key, title, lead_text, archived_at in await s.execute(
                select(Task.id, Task.key, Task.title, Task.lead_text, Task.archived_at)
                .where(Task.plan_id == plan.id)
                .order_by(Task.archived_at.is_not(None), Task.position)
            ):
                existing[key] = task_id
                stored.append(StoredTask(task_id, title, lead_text))
                if archived_at is not None:
                    was_archived.add(task_id)
        matcher = TaskMatcher(stored)
        key_of = {task_id: key for key, task_id in existing.items()}
        old_occurrences: dict[int, dict[date, int]] = {}
        if existing:
            occ_rows = await s.execute(
                select(Occurrence.task_id, Occurrence.due, Occurrence.id, Occurrence.original_due).where(
                    Occurrence.task_id.in_(select(Task.id).where(Task.plan_id == plan.id))
                )
            )
            for task_id, due, occ_id, original_due in occ_rows:
                # an extended occurrence is the plan's date it was moved from (issue 17)
                old_occurrences.setdefault(task_id, {})[original_due or due] = occ_id

        result = SaveResult(plan_id=None, created=created)
        seen: set[str] = set(existing)  # a new task's key must not be a stored one's
        inserts: list[dict[str, object]] = []
        updates: list[dict[str, object]] = []
        plan_leads: dict[str, tuple[list[int], list[date]]] = {}
        plan_partners: dict[str, list[int]] = {}
        for position, pt in enumerate(parsed.tasks):
            same = matcher.take(pt.title, pt.lead)
            key = key_of[same] if same is not None else task_key(pt.title, pt.lead, seen)
            seen.add(key)
            leads = [await agency_id(n, p) for n, p in lead_names.get(pt.lead, [])]
            partners = (
                [await agency_id(n, p) for n, p in partner_names.get(pt.partners, [])] if pt.partners else []
            )
            plan_partners[key] = [a for a in dict.fromkeys(partners) if a not in leads]
            row = {
                "plan_id": plan.id,
                "key": key,
                "position": position,
                "number": nfc(pt.number)[:50],
                "title": nfc(pt.title),
                "activity": nfc(pt.activity),
                "output": nfc(pt.output),
                "note": nfc(pt.note),
                "lead_text": nfc(pt.lead),
                "lead_id": leads[0] if leads else None,
                "partners": nfc(pt.partners),
                "deadline": nfc(pt.deadline),
                "kind": str(pt.kind),
                "source": pt.source[:200],
            }
            plan_leads[key] = (leads, sorted(set(pt.dates)))
            if same is not None:
                updates.append({**row, "tid": same, "archived_at": None})
            else:
                inserts.append({**row, "archived_at": None})
        result.tasks_added = len(inserts) + len(matcher.taken & was_archived)
        result.tasks_updated = len(updates) - len(matcher.taken & was_archived)
        ids: dict[str, int] = {key_of[t]: t for t in matcher.taken}
        task_table = Task.__table__
        for chunk in _chunks(inserts, 2000):
            returned = await s.execute(
                task_table.insert().returning(task_table.c.key, task_table.c.id), chunk
            )
            ids.update(dict(returned.all()))
        if updates:
            from sqlalchemy import bindparam

            values = {c: bindparam(c) for c in updates[0] if c not in ("tid", "plan_id", "key")}
            await s.execute(
                task_table.update().where(task_table.c.id == bindparam("tid")).values(values),
                updates,
                execution_options={"synchronize_session": False},
            )
        # Tasks the plan no longer has are archived with their history (and come back with it).
        removed = [tid for tid in existing.values() if tid not in matcher.taken and tid not in was_archived]
        result.tasks_removed = len(removed)
        archived_now = utcnow()
        for chunk in _chunks(removed, 2000):
            await s.execute(update(Task).where(Task.id.in_(chunk)).values(archived_at=archived_now))
        kept = sorted(matcher.taken)
        for chunk in _chunks(kept, 2000):
            await s.execute(delete(TaskLead).where(TaskLead.task_id.in_(chunk)))
            await s.execute(delete(TaskPartner).where(TaskPartner.task_id.in_(chunk)))
        lead_rows: list[dict[str, object]] = []
        partner_rows: list[dict[str, object]] = []
        occ_new: list[dict[str, object]] = []
        occ_gone: list[int] = []
        occ_moved: list[dict[str, object]] = []
        for key, (leads, dates) in plan_leads.items():
            task_id = ids[key]
            lead_rows.extend({"task_id": task_id, "agency_id": agency} for agency in dict.fromkeys(leads))
            moved, came, gone = pair_moved_dates(old_occurrences.get(task_id, {}), dates)
            occ_moved.extend({"oid": occ_id, "new_due": due} for occ_id, due in moved.items())
            occ_new.extend({"task_id": task_id, "due": due, "status": OccurrenceStatus.OPEN.value} for due in came)
            occ_gone.extend(gone)
            partner_rows.extend({"task_id": task_id, "agency_id": agency} for agency in plan_partners[key])
        for chunk in _chunks(occ_gone, 2000):
            await s.execute(delete(Occurrence).where(Occurrence.id.in_(chunk)))
        if occ_moved:
            from sqlalchemy import bindparam

            await s.execute(
                Occurrence.__table__.update()
                .where(Occurrence.__table__.c.id == bindparam("oid"))
                .values(due=bindparam("new_due")),
                occ_moved,
            )
        for chunk in _chunks(lead_rows, 5000):
            await s.execute(TaskLead.__table__.insert(), chunk)
        for chunk in _chunks(partner_rows, 5000):
            await s.execute(TaskPartner.__table__.insert(), chunk)
        for chunk in _chunks(occ_new, 5000):
            await s.execute(Occurrence.__table__.insert(), chunk)
        if new_agencies:
            await _bump(s, "agencies_rev")
        await _bump(s, "tasks_rev")
        result.new_agencies = new_agencies
        result.plan_id = plan.id
        await s.flush()
        return result

    async def tasks_for_agencies(
        self, agency_ids: Iterable[int], *, partners: bool = False
    ) -> list[TaskView]:
        """Tasks led (alone or jointly) by any of these agencies — and with `partners`, also those
        they coordinate — with their occurrences."""
        ids = list(set(agency_ids))
        if not ids:
            return []
        task_ids = select(TaskLead.task_id).where(TaskLead.agency_id.in_(ids))
        if not partners:
            return await self._task_views(Task.id.in_(task_ids))
        partner_ids = select(TaskPartner.task_id).where(TaskPartner.agency_id.in_(ids))
        return await self._task_views(Task.id.in_(task_ids) | Task.id.in_(partner_ids))

    async def all_tasks(self) -> list[TaskView]:
        return await self._task_views(None)

    async def _task_views(self, where) -> list[TaskView]:  # type: ignore[no-untyped-def]
        """Plain rows (no ORM identity map: this is the hot path of every question and tick).
        Archived tasks (gone from their plan's last import) are not among them."""
        live = Task.archived_at.is_(None)
        where = live if where is None else and_(live, where)
        task_cols = select(
            Task.id,
            Task.title,
            Task.lead_id,
            Task.lead_text,
            Task.kind,
            Task.deadline,
            Task.number,
            Task.partners,
            Task.plan_id,
        ).order_by(Task.plan_id, Task.position)
        occ_cols = select(
            Occurrence.id,
            Occurrence.task_id,
            Occurrence.due,
            Occurrence.status,
            Occurrence.done_at,
            Occurrence.done_by,
            Occurrence.note,
            Occurrence.file_name,
            Occurrence.progress_at,
            Occurrence.progress_note,
            Occurrence.original_due,
        ).order_by(Occurrence.due)
        plan_cols = select(Plan.id, Plan.number, Plan.title, Plan.archived_at)
        if where is not None:
            task_cols = task_cols.where(where)
            occ_cols = occ_cols.where(Occurrence.task_id.in_(select(Task.id).where(where)))
            plan_cols = plan_cols.where(Plan.id.in_(select(Task.plan_id).where(where)))
        lead_cols = select(TaskLead.task_id, TaskLead.agency_id)
        partner_cols = select(TaskPartner.task_id, TaskPartner.agency_id)
        if where is not None:
            lead_cols = lead_cols.where(TaskLead.task_id.in_(select(Task.id).where(where)))
            partner_cols = partner_cols.where(TaskPartner.task_id.in_(select(Task.id).where(where)))
        async with self.engine.connect() as conn:  # Core connection: no ORM session overhead
            tasks = (await conn.execute(task_cols)).all()
            if not tasks:
                return []
            occurrences = (await conn.execute(occ_cols)).all()
            plans: dict[int, str] = {}
            archived: set[int] = set()
            for pid, number, title, archived_at in await conn.execute(plan_cols):
                plans[pid] = number or title or ""
                if archived_at is not None:
                    archived.add(pid)
            leads: dict[int, list[int]] = {}
            for task_id, agency_id in await conn.execute(lead_cols):
                leads.setdefault(task_id, []).append(agency_id)
            partner_map: dict[int, list[int]] = {}
            for task_id, agency_id in await conn.execute(partner_cols):
                partner_map.setdefault(task_id, []).append(agency_id)
        by_task: dict[int, list[OccurrenceView]] = {}
        open_, done = OccurrenceStatus.OPEN, OccurrenceStatus.DONE
        for oid, tid, due, status, done_at, done_by, note, file_name, p_at, p_note, original in occurrences:
            done_on = _aware(done_at).date() if done_at else None
            is_done = status == "done"
            by_task.setdefault(tid, []).append(
                OccurrenceView(
                    oid,
                    due,
                    done if is_done else open_,
                    done_on,
                    done_by=(done_by or "") if is_done else "",
                    note=(note or "") if is_done else "",
                    file_name=(file_name or "") if is_done else "",
                    in_progress=p_at is not None and not is_done,
                    progress_note=p_note or "",
                    original_due=original,
                )
            )
        names = {a.id: a for a in await self.agencies()}
        full: dict[int, str] = {}
        kinds = {k.value: k for k in Kind}
        views = []
        for tid, title, lead_id, lead_text, kind, deadline, number, partners, plan_id in tasks:
            if lead_id in names:
                if lead_id not in full:
                    full[lead_id] = _full_name(names, lead_id)
                lead = full[lead_id]
            else:
                lead = lead_text
            views.append(
                TaskView(
                    id=tid,
                    title=title,
                    lead_id=lead_id,
                    lead=lead,
                    kind=kinds.get(kind, Kind.UNSPECIFIED),
                    deadline=deadline,
                    number=number,
                    partners=partners,
                    plan=plans.get(plan_id, ""),
                    occurrences=tuple(by_task.get(tid, ())),
                    lead_ids=tuple(leads.get(tid, ())),
                    plan_id=plan_id,
                    plan_archived=plan_id in archived,
                    partner_ids=tuple(partner_map.get(tid, ())),
                )
            )
        return views

    async def counts(self) -> dict[str, int]:
        async with self.sessions() as s:
            return {
                "plans": await s.scalar(select(func.count(Plan.id))) or 0,
                "tasks": await s.scalar(select(func.count(Task.id))) or 0,
                "occurrences": await s.scalar(select(func.count(Occurrence.id))) or 0,
                "agencies": await s.scalar(select(func.count(Agency.id))) or 0,
            }

    async def occurrence(self, occurrence_id: int) -> tuple[TaskView, OccurrenceView] | None:
        async with self.sessions() as s:
            task_id = await s.scalar(select(Occurrence.task_id).where(Occurrence.id == occurrence_id))
        if task_id is None:
            return None
        views = await self._task_views(Task.id == task_id)
        if not views:  # the task was archived (its plan no longer has it)
            return None
        for occ in views[0].occurrences:
            if occ.id == occurrence_id:
                return views[0], occ
        return None

    async def task_lead_ids(self, task_id: int) -> set[int]:
        async with self.sessions() as s:
            return set(
                (await s.execute(select(TaskLead.agency_id).where(TaskLead.task_id == task_id))).scalars()
            )

    async def mark_done(self, occurrence_id: int, *, by: str, at: datetime) -> bool:
        """Mark one occurrence done; False when it was already done (nothing changes then)."""
        async with self.write() as s:
            res = await s.execute(
                update(Occurrence)
                .where(Occurrence.id == occurrence_id, Occurrence.status != OccurrenceStatus.DONE.value)
                .values(status=OccurrenceStatus.DONE.value, done_by=by, done_at=at)
            )
            if res.rowcount == 1:
                await _bump(s, "tasks_rev")
            return res.rowcount == 1

    # -- plans' life, results with evidence, extensions, digest rhythm (issue 17) -----------

    async def plans(self) -> list[PlanRecord]:
        """Every plan with its task and occurrence counts, newest import first."""
        async with self.sessions() as s:
            tasks = dict((await s.execute(select(Task.plan_id, func.count(Task.id)).group_by(Task.plan_id))).all())
            occ_rows = await s.execute(
                select(Task.plan_id, Occurrence.status, func.count(Occurrence.id))
                .join(Task, Task.id == Occurrence.task_id)
                .group_by(Task.plan_id, Occurrence.status)
            )
            occurrences: dict[int, int] = {}
            open_: dict[int, int] = {}
            for plan_id, status, count in occ_rows:
                occurrences[plan_id] = occurrences.get(plan_id, 0) + count
                if status != OccurrenceStatus.DONE.value:
                    open_[plan_id] = open_.get(plan_id, 0) + count
            names = dict((await s.execute(select(Agency.id, Agency.name))).all())
            rows = (await s.execute(select(Plan).order_by(Plan.imported_at.desc(), Plan.id.desc()))).scalars()
            return [
                PlanRecord(
                    id=p.id,
                    number=p.number,
                    title=p.title,
                    year=p.year,
                    period=(p.period_start, p.period_end)
                    if p.period_start is not None and p.period_end is not None
                    else None,
                    issuer=names.get(p.issuer_id) if p.issuer_id else None,
                    archived=p.archived_at is not None,
                    tasks=tasks.get(p.id, 0),
                    occurrences=occurrences.get(p.id, 0),
                    open_occurrences=open_.get(p.id, 0),
                )
                for p in rows
            ]

    async def find_plans(self, ref: str) -> list[PlanRecord]:
        """Plans named by `ref`: its id ("3", "#3") or its number ("444/KH-SCT", any case/spaces)."""
        ref = nfc(ref).strip()
        plans = await self.plans()
        bare = ref.lstrip("#")
        if bare.isdigit():
            by_id = [p for p in plans if p.id == int(bare)]
            if by_id:
                return by_id
        wanted = fold(ref).replace(" ", "")
        return [p for p in plans if p.number and fold(p.number).replace(" ", "") == wanted]

    async def set_plan_archived(self, plan_id: int, *, archived: bool, by: str, at: datetime) -> bool:
        """Archive (or restore) a plan; False when it already was in that state."""
        async with self.write() as s:
            plan = await s.get(Plan, plan_id)
            if plan is None:
                raise KeyError(plan_id)
            if (plan.archived_at is not None) == archived:
                return False
            plan.archived_at, plan.archived_by = (at, by) if archived else (None, None)
            await _bump(s, "tasks_rev")
            return True

    async def result(self, occurrence_id: int) -> ResultRecord | None:
        async with self.sessions() as s:
            o = await s.get(Occurrence, occurrence_id)
            if o is None:
                return None
            return ResultRecord(
                occurrence_id=o.id,
                task_id=o.task_id,
                due=o.due,
                original_due=o.original_due,
                status=o.status,
                done_by=o.done_by,
                done_at=_aware(o.done_at),
                note=o.note,
                file_id=o.file_id,
                file_name=o.file_name,
                file_size=o.file_size,
                progress_note=o.progress_note,
                progress_by=o.progress_by,
                progress_at=_aware(o.progress_at),
            )

    async def record_result(
        self,
        occurrence_id: int,
        *,
        by: str,
        at: datetime,
        note: str | None = None,
        file_id: str | None = None,
        file_name: str | None = None,
        file_size: int | None = None,
    ) -> bool:
        """Mark one occurrence done with an optional note and report file; False when already done."""
        values: dict[str, object] = {"status": OccurrenceStatus.DONE.value, "done_by": by, "done_at": at}
        values.update(note=nfc(note)[:4000] if note else None)
        values.update(file_id=file_id, file_name=nfc(file_name)[:300] if file_name else None, file_size=file_size)
        async with self.write() as s:
            res = await s.execute(
                update(Occurrence)
                .where(Occurrence.id == occurrence_id, Occurrence.status != OccurrenceStatus.DONE.value)
                .values(**values)
            )
            if res.rowcount == 1:
                await _bump(s, "tasks_rev")
            return res.rowcount == 1

    async def attach_result(
        self,
        occurrence_id: int,
        *,
        note: str | None = None,
        file_id: str | None = None,
        file_name: str | None = None,
        file_size: int | None = None,
    ) -> bool:
        """Add a note or a report file to a result already recorded; False when it is not done."""
        values: dict[str, object] = {}
        if note:
            values["note"] = nfc(note)[:4000]
        if file_id:
            values.update(file_id=file_id, file_name=nfc(file_name or "")[:300] or None, file_size=file_size)
        if not values:
            return False
        async with self.write() as s:
            res = await s.execute(
                update(Occurrence)
                .where(Occurrence.id == occurrence_id, Occurrence.status == OccurrenceStatus.DONE.value)
                .values(**values)
            )
            if res.rowcount == 1:
                await _bump(s, "tasks_rev")
            return res.rowcount == 1

    async def undo_result(self, occurrence_id: int) -> bool:
        """Back to open (the note and file of the result go with it); False when it was not done."""
        async with self.write() as s:
            res = await s.execute(
                update(Occurrence)
                .where(Occurrence.id == occurrence_id, Occurrence.status == OccurrenceStatus.DONE.value)
                .values(
                    status=OccurrenceStatus.OPEN.value,
                    done_by=None,
                    done_at=None,
                    note=None,
                    file_id=None,
                    file_name=None,
                    file_size=None,
                )
            )
            if res.rowcount == 1:
                await _bump(s, "tasks_rev")
            return res.rowcount == 1

    async def record_progress(self, occurrence_id: int, *, by: str, at: datetime, note: str | None) -> bool:
        """ "Đang thực hiện": work under way on an open occurrence; False when it is done or gone."""
        async with self.write() as s:
            res = await s.execute(
                update(Occurrence)
                .where(Occurrence.id == occurrence_id, Occurrence.status != OccurrenceStatus.DONE.value)
                .values(progress_by=by, progress_at=at, progress_note=nfc(note)[:4000] if note else None)
            )
            if res.rowcount == 1:
                await _bump(s, "tasks_rev")
            return res.rowcount == 1

    async def request_extension(
        self, occurrence_id: int, *, by: str, at: datetime, new_due: date, reason: str
    ) -> ExtensionRecord:
        async with self.write() as s:
            occ = await s.get(Occurrence, occurrence_id)
            if occ is None:
                raise KeyError(occurrence_id)
            ext = Extension(
                occurrence_id=occurrence_id,
                requested_by=by,
                requested_at=at,
                old_due=occ.due,
                new_due=new_due,
                reason=nfc(reason)[:2000],
                status="pending",
            )
            s.add(ext)
            await s.flush()
            return _extension_record(ext)

    async def extension(self, extension_id: int) -> ExtensionRecord | None:
        async with self.sessions() as s:
            ext = await s.get(Extension, extension_id)
            return _extension_record(ext) if ext else None

    async def extensions(self, occurrence_id: int) -> list[ExtensionRecord]:
        async with self.sessions() as s:
            rows = await s.execute(
                select(Extension).where(Extension.occurrence_id == occurrence_id).order_by(Extension.id)
            )
            return [_extension_record(e) for e in rows.scalars()]

    async def decide_extension(
        self, extension_id: int, *, approve: bool, by: str, at: datetime, note: str | None = None
    ) -> ExtensionRecord | None:
        """Approve (the occurrence's due date moves; the first due date is kept) or reject a
        pending request. None when it is not pending any more. Raises ValueError when the task
        already has an occurrence on the new date."""
        async with self.write() as s:
            ext = await s.get(Extension, extension_id)
            if ext is None or ext.status != "pending":
                return None
            if approve:
                occ = await s.get(Occurrence, ext.occurrence_id)
                if occ is None:
                    return None
                clash = await s.scalar(
                    select(Occurrence.id).where(
                        Occurrence.task_id == occ.task_id, Occurrence.due == ext.new_due, Occurrence.id != occ.id
                    )
                )
                if clash is not None:
                    raise ValueError("an occurrence of this task is already due on that date")
                if occ.original_due is None:
                    occ.original_due = occ.due
                occ.due = ext.new_due
                await _bump(s, "tasks_rev")
            ext.status = "approved" if approve else "rejected"
            ext.decided_by, ext.decided_at = by, at
            ext.decision_note = nfc(note)[:2000] if note else None
            await s.flush()
            return _extension_record(ext)

    async def set_digest_rhythm(self, address: str, rhythm: str | None) -> None:
        """A manager's digest: "daily", "weekly" (Monday), "off"; None back to the default (daily)."""
        channel, account = split_account(address)
        async with self.write() as s:
            await s.execute(
                update(User).where(User.channel == channel, User.account_id == account).values(digest=rhythm)
            )

    # -- users and groups ------------------------------------------------------------------

    async def upsert_user(
        self,
        address: str,
        *,
        agency_id: int | None = None,
        role: str | None = None,
        approved: bool | None = None,
        name: str | None = None,
        language: str | None = None,
        active: bool | None = None,
    ) -> UserRecord:
        channel, account = split_account(address)
        async with self.write() as s:
            user = await s.scalar(select(User).where(User.channel == channel, User.account_id == account))
            if user is None:
                user = User(channel=channel, account_id=account, created_at=utcnow(), muted=[])
                user.role, user.language, user.approved, user.active, user.name = (
                    "officer",
                    "vi",
                    False,
                    True,
                    "",
                )
                s.add(user)
            if agency_id is not None:
                user.agency_id = agency_id
            for attr, value in (
                ("role", role),
                ("approved", approved),
                ("name", name),
                ("language", language),
                ("active", active),
            ):
                if value is not None:
                    setattr(user, attr, value)
            await s.flush()
            return _user_record(user)

    async def user(self, address: str) -> UserRecord | None:
        channel, account = split_account(address)
        async with self.sessions() as s:
            user = await s.scalar(select(User).where(User.channel == channel, User.account_id == account))
            return _user_record(user) if user else None

    async def users(self) -> list[UserRecord]:
        async with self.sessions() as s:
            return [_user_record(u) for u in (await s.execute(select(User).order_by(User.id))).scalars()]

    async def remove_user(self, address: str) -> bool:
        channel, account = split_account(address)
        async with self.write() as s:
            res = await s.execute(delete(User).where(User.channel == channel, User.account_id == account))
            return res.rowcount > 0

    async def set_reminder_prefs(
        self,
        address: str,
        *,
        remind_days: str | None = None,
        remind_at: str | None = None,
        muted: Sequence[int] | None = None,
        reset: bool = False,
    ) -> None:
        channel, account = split_account(address)
        async with self.write() as s:
            user = await s.scalar(select(User).where(User.channel == channel, User.account_id == account))
            if user is None:
                return
            if reset:
                user.remind_days, user.remind_at, user.muted = None, None, []
            if remind_days is not None:
                user.remind_days = remind_days
            if remind_at is not None:
                user.remind_at = remind_at
            if muted is not None:
                user.muted = sorted(set(muted))

    async def link_chat(self, address: str, agency_id: int, *, by: str) -> None:
        channel, chat_id = split_account(address)
        async with self.write() as s:
            link = await s.scalar(
                select(ChatLink).where(ChatLink.channel == channel, ChatLink.chat_id == chat_id)
            )
            if link is None:
                link = ChatLink(channel=channel, chat_id=chat_id, created_at=utcnow())
                s.add(link)
            link.agency_id, link.linked_by, link.active = agency_id, by, True

    async def chat_links(self) -> list[ChatLinkRecord]:
        async with self.sessions() as s:
            rows = await s.execute(
                select(ChatLink.channel, ChatLink.chat_id, ChatLink.agency_id).where(
                    ChatLink.active.is_(True)
                )
            )
            return [ChatLinkRecord(*row) for row in rows]

    async def deactivate(self, address: str) -> None:
        """An account or group that blocked the bot (403): stop sending to it."""
        channel, account = split_account(address)
        async with self.write() as s:
            await s.execute(
                update(User).where(User.channel == channel, User.account_id == account).values(active=False)
            )
            await s.execute(
                update(ChatLink)
                .where(ChatLink.channel == channel, ChatLink.chat_id == account)
                .values(active=False)
            )

    # -- reminder claims -------------------------------------------------------------------

    async def claimed_keys(self, keys: Iterable[str]) -> set[str]:
        """Keys already in the log in a final state or claimed recently (not to be planned again).

        The keys travel as ONE parameter (a PostgreSQL array, a JSON list for SQLite's
        json_each): a full pass asks about tens of thousands, and an IN list of that many
        bound parameters took SQLAlchemy seconds to compile (issue 30's benchmark)."""
        keys = list(keys)
        found: set[str] = set()
        if self.engine.dialect.name == "postgresql":
            query = select(ReminderLog.key).where(ReminderLog.key == any_(bindparam("keys", type_=ARRAY(String))))
            chunks = [{"keys": chunk} for chunk in _chunks(keys, 50_000)]
        else:
            listed = select(text("value")).select_from(func.json_each(bindparam("keys")))
            query = select(ReminderLog.key).where(ReminderLog.key.in_(listed.scalar_subquery()))
            chunks = [{"keys": json.dumps(chunk)} for chunk in _chunks(keys, 50_000)]
        async with self.engine.connect() as conn:
            for params in chunks:
                found.update((await conn.execute(query, params)).scalars())
        return found

    async def retryable_keys(
        self, now: datetime, *, stale_after: timedelta | None = None, max_attempts: int | None = None
    ) -> set[str]:
        """Claims worth another try now (see `retryable`); the old arguments are ignored."""
        return set(await self.retryable(now))

    async def retryable(self, now: datetime) -> dict[str, RetryInfo]:
        """Claims another worker may take now, with what the tick needs to judge them:

        - `claimed` by a worker whose lease lapsed (it crashed): taken over, not a failed attempt;
        - `failed` / `released` once their backoff (`next_at`) has passed;
        - `unknown` (a timeout after the request left) once, after its backoff.
        """
        async with self.sessions() as s:
            rows = await s.execute(
                select(
                    ReminderLog.key,
                    ReminderLog.status,
                    ReminderLog.first_at,
                    ReminderLog.claimed_at,
                    ReminderLog.attempts,
                    ReminderLog.recipient,
                ).where(_retake_condition(now))
            )
            return {
                key: RetryInfo(status, _aware(first_at) or _aware(claimed_at), attempts, recipient)  # type: ignore[arg-type]
                for key, status, first_at, claimed_at, attempts, recipient in rows
            }

    async def retake(self, keys: Iterable[str], *, now: datetime, worker: str) -> set[str]:
        """Take over keys that `retryable` lists; a conditional UPDATE, so one worker wins each.
        Only a failed or doubtful send counts as another attempt; a crashed owner's claim does not."""
        keys = list(keys)
        won: set[str] = set()
        if not keys:
            return won
        async with self.write() as s:
            for chunk in _chunks(keys, 500):
                stmt = (
                    update(ReminderLog)
                    .where(ReminderLog.key.in_(chunk), _retake_condition(now))
                    .values(
                        status="claimed",
                        claimed_at=now,
                        worker=worker,
                        next_at=None,
                        attempts=ReminderLog.attempts
                        + case((ReminderLog.status.in_(["failed", "unknown"]), 1), else_=0),
                    )
                    .returning(ReminderLog.key)
                )
                won.update((await s.execute(stmt)).scalars())
        return won

    async def release_claims(self, keys: Sequence[str], *, worker: str, now: datetime) -> None:
        """Give back claims this worker will not send (it is stopping): anyone may take them at once."""
        async with self.write() as s:
            for chunk in _chunks(list(keys), 500):
                await s.execute(
                    update(ReminderLog)
                    .where(
                        ReminderLog.key.in_(chunk),
                        ReminderLog.worker == worker,
                        ReminderLog.status == "claimed",
                    )
                    .values(status="released", next_at=None, finished_at=now)
                )

    async def expire_claims(self, keys: Sequence[str], *, now: datetime) -> None:
        """Failed or left-over claims that no longer matter (superseded, their day over): never retried."""
        async with self.write() as s:
            for chunk in _chunks(list(keys), 500):
                await s.execute(
                    update(ReminderLog)
                    .where(ReminderLog.key.in_(chunk), _retake_condition(now))
                    .values(status="expired", finished_at=now)
                )

    async def drop_claims(self, keys: Sequence[str], *, worker: str) -> None:
        """Forget claims that must not be sent after all (work done, task or person gone, muted):
        if the reason goes away (the work is reopened), the planner finds the reminder again."""
        async with self.write() as s:
            for chunk in _chunks(list(keys), 500):
                await s.execute(
                    delete(ReminderLog).where(
                        ReminderLog.key.in_(chunk),
                        ReminderLog.worker == worker,
                        ReminderLog.status == "claimed",
                    )
                )

    # -- worker leases (heartbeats) --------------------------------------------------------

    async def heartbeat(self, worker: str, *, now: datetime, lease: timedelta) -> None:
        """Renew `worker`'s lease until now + lease (created on the first beat)."""
        now = _utc(now)
        async with self.write() as s:
            res = await s.execute(update(Worker).where(Worker.id == worker).values(lease_until=now + lease))
            if res.rowcount == 0:
                s.add(Worker(id=worker, started_at=now, lease_until=now + lease))

    async def lease_until(self, worker: str) -> datetime | None:
        async with self.sessions() as s:
            return _aware(await s.scalar(select(Worker.lease_until).where(Worker.id == worker)))

    async def drop_worker(self, worker: str, *, now: datetime | None = None) -> None:
        """A worker that stops cleanly ends its lease (and forgets workers long dead)."""
        async with self.write() as s:
            await s.execute(delete(Worker).where(Worker.id == worker))
            if now is not None:
                await s.execute(delete(Worker).where(Worker.lease_until < _utc(now) - timedelta(days=1)))

    # -- re-check before sending -----------------------------------------------------------

    async def deliverable(
        self, occurrence_ids: Iterable[int], addresses: Iterable[str]
    ) -> tuple[set[int], dict[str, frozenset[int]]]:
        """What may still be sent, read just before sending: the occurrences still open (task not
        removed or archived, plan not archived), and the addresses still approved and active with
        their muted task ids."""
        occ = list(set(occurrence_ids))
        wanted = set(addresses)
        open_ids: set[int] = set()
        people: dict[str, frozenset[int]] = {}
        async with self.sessions() as s:
            for chunk in _chunks(occ, 500):
                open_ids.update(
                    (
                        await s.execute(
                            select(Occurrence.id)
                            .join(Task, Task.id == Occurrence.task_id)
                            .join(Plan, Plan.id == Task.plan_id)
                            .where(
                                Occurrence.id.in_(chunk),
                                Occurrence.status == OccurrenceStatus.OPEN.value,
                                Task.archived_at.is_(None),  # the task left its plan
                                Plan.archived_at.is_(None),  # the plan was archived
                            )
                        )
                    ).scalars()
                )
            by_channel: dict[str, list[str]] = {}
            for address in wanted:
                channel, account = split_account(address)
                by_channel.setdefault(channel, []).append(account)
            for channel, accounts in by_channel.items():
                for chunk in _chunks(accounts, 500):
                    for account, muted in await s.execute(
                        select(User.account_id, User.muted).where(
                            User.channel == channel,
                            User.account_id.in_(chunk),
                            User.approved.is_(True),
                            User.active.is_(True),
                        )
                    ):
                        people[f"{channel}:{account}"] = frozenset(muted or ())
                    for (chat,) in await s.execute(
                        select(ChatLink.chat_id).where(
                            ChatLink.channel == channel,
                            ChatLink.chat_id.in_(chunk),
                            ChatLink.active.is_(True),
                        )
                    ):
                        people.setdefault(f"{channel}:{chat}", frozenset())
        return open_ids, people

    # -- conversation state ----------------------------------------------------------------

    async def conversation(self, key: str, *, now: datetime) -> dict | None:
        """The stored state of one conversation, or None (never set, cleared or expired)."""
        async with self.sessions() as s:
            row = await s.get(Conversation, key)
            if row is None or _aware(row.expires_at) <= _utc(now):  # type: ignore[operator]
                return None
            return dict(row.data)

    async def set_conversation(self, key: str, data: dict | None, *, expires_at: datetime) -> None:
        """Store (or with None, clear) one conversation's state."""
        expires_at = _utc(expires_at)
        async with self.write() as s:
            row = await s.get(Conversation, key)
            if data is None:
                if row is not None:
                    await s.delete(row)
                return
            if row is None:
                s.add(Conversation(key=key, data=data, expires_at=expires_at))
            else:
                row.data, row.expires_at = data, expires_at
            await s.execute(
                delete(Conversation).where(Conversation.expires_at < expires_at - timedelta(days=2))
            )

    async def claim(
        self,
        key: str,
        *,
        recipient: str,
        occurrence_id: int | None,
        lead: str,
        now: datetime,
        worker: str,
        stale_after: timedelta = timedelta(minutes=10),
        max_attempts: int = 5,
    ) -> bool:
        """Take the right to send `key`. Exactly one worker wins, on SQLite and PostgreSQL alike.

        A new key is inserted (the unique index decides between racing workers). An existing
        key is taken again only if its previous claim is stale (the sender died before
        recording a result) or it failed transiently — by a conditional UPDATE that only one
        worker can win.
        """
        try:
            async with self.write() as s:
                s.add(
                    ReminderLog(
                        key=key,
                        recipient=recipient,
                        occurrence_id=occurrence_id,
                        lead=lead,
                        status="claimed",
                        attempts=1,
                        worker=worker,
                        claimed_at=now,
                        first_at=_utc(now),
                    )
                )
            return True
        except IntegrityError:
            pass
        return key in await self.retake([key], now=now, worker=worker)

    async def claim_many(
        self, rows: Sequence[tuple[str, str, int | None, str]], *, now: datetime, worker: str
    ) -> set[str]:
        """Claim many new keys in one statement: (key, recipient, occurrence id, lead) → the keys won.

        INSERT … ON CONFLICT DO NOTHING RETURNING: a key some other worker (or an earlier run)
        already holds is simply not returned. Stale claims are retaken one by one with `claim`.
        """
        won: set[str] = set()
        if not rows:
            return won
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        async with self.write() as s:
            for chunk in _chunks(list(rows), 500):
                values = [
                    {
                        "key": key,
                        "recipient": recipient,
                        "occurrence_id": occurrence_id,
                        "lead": lead,
                        "status": "claimed",
                        "attempts": 1,
                        "worker": worker,
                        "claimed_at": now,
                        "first_at": _utc(now),
                    }
                    for key, recipient, occurrence_id, lead in chunk
                ]
                stmt = insert(ReminderLog).values(values).on_conflict_do_nothing(index_elements=["key"])
                won.update((await s.execute(stmt.returning(ReminderLog.key))).scalars())
        return won

    async def finish_claims(
        self,
        keys: Sequence[str],
        *,
        ok: bool,
        now: datetime,
        error: str | None = None,
        final: bool = False,
        worker: str | None = None,
        retry_at: datetime | None = None,
        unknown: bool = False,
    ) -> None:
        """Record a send's outcome: delivered; dead (403, never again); failed (retried from
        `retry_at`); or unknown (a timeout after the request left: resent at most once).

        With `worker`, only claims this worker still holds are touched: if its lease lapsed and
        another worker took a claim over, the newer owner's record wins.
        """
        if ok:
            values: dict[str, object] = {"status": "delivered"}
        elif final:
            values = {"status": "dead"}
        elif unknown:
            values = {
                "status": "unknown",
                "doubts": ReminderLog.doubts + 1,
                "next_at": retry_at and _utc(retry_at),
            }
        else:
            values = {"status": "failed", "next_at": retry_at and _utc(retry_at)}
        values.update(finished_at=now, error=(error or None) and self.redact(error)[:2000])
        async with self.write() as s:
            for chunk in _chunks(list(keys), 500):
                stmt = update(ReminderLog).where(ReminderLog.key.in_(chunk))
                if worker is not None:
                    stmt = stmt.where(ReminderLog.worker == worker, ReminderLog.status == "claimed")
                await s.execute(stmt.values(**values))

    async def finish_claim(
        self, key: str, *, ok: bool, now: datetime, error: str | None = None, final: bool = False
    ) -> None:
        """Record the outcome: delivered, failed (retried later), or dead (never retried)."""
        await self.finish_claims([key], ok=ok, now=now, error=error, final=final)

    async def reminder_log(self) -> list[dict[str, object]]:
        async with self.sessions() as s:
            rows = (await s.execute(select(ReminderLog).order_by(ReminderLog.id))).scalars().all()
            return [
                {
                    "key": r.key,
                    "recipient": r.recipient,
                    "status": r.status,
                    "attempts": r.attempts,
                    "doubts": r.doubts,
                    "worker": r.worker,
                    "error": r.error,
                }
                for r in rows
            ]


# -- helpers ---------------------------------------------------------------------------------


def plan_identity(parsed: ParsedPlan, issuer_id: int | None) -> str:
    """How a re-import finds its plan: issuer + number when known, else the file's hash, else its title."""
    if parsed.number:
        return f"n:{issuer_id or 0}:{fold(parsed.number).replace(' ', '')}"
    if parsed.title and parsed.year:
        return f"t:{issuer_id or 0}:{parsed.year}:{fold(parsed.title)[:400]}"
    return f"h:{parsed.source_hash or fold(parsed.source_file)}"


def task_key(title: str, lead: str, seen: set[str]) -> str:
    """A task's identity inside its plan: its folded title and lead (numbered when repeated)."""
    base = f"{fold(title)[:200]}|{fold(lead)[:80]}"
    key, n = base, 1
    while key in seen:
        n += 1
        key = f"{base}#{n}"
    return key


def _full_name(names: dict[int, AgencyRecord], agency_id: int | None) -> str:
    agency = names[agency_id]  # type: ignore[index]
    if agency.parent_id and agency.parent_id in names:
        return f"{agency.name} ({names[agency.parent_id].name})"
    return agency.name


def _user_record(u: User) -> UserRecord:
    return UserRecord(
        id=u.id,
        channel=u.channel,
        account_id=u.account_id,
        name=u.name or "",
        agency_id=u.agency_id,
        role=u.role,
        language=u.language or "vi",
        approved=bool(u.approved),
        active=bool(u.active),
        remind_days=u.remind_days,
        remind_at=u.remind_at,
        muted=tuple(u.muted or ()),
        digest=u.digest,
    )


def _extension_record(e: Extension) -> ExtensionRecord:
    return ExtensionRecord(
        id=e.id,
        occurrence_id=e.occurrence_id,
        requested_by=e.requested_by,
        requested_at=_aware(e.requested_at),  # type: ignore[arg-type]
        old_due=e.old_due,
        new_due=e.new_due,
        reason=e.reason or "",
        status=e.status,
        decided_by=e.decided_by,
        decided_at=_aware(e.decided_at),
        decision_note=e.decision_note,
    )


async def _bump(s: AsyncSession, key: str) -> None:
    meta = await s.get(Meta, key)
    if meta is None:
        s.add(Meta(key=key, value=1))
    else:
        meta.value += 1


def _chunks(items: Sequence, size: int):  # type: ignore[no-untyped-def]
    for i in range(0, len(items), size):
        yield items[i : i + size]


@functools.cache
def _head_revision() -> str | None:
    """The newest migration of this code (read from the scripts once)."""
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_current_head()


def _sqlite_path(url: str) -> str | None:
    """The file of a SQLite URL (None for memory databases and other servers)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    database = parsed.database or ""
    if not parsed.drivername.startswith("sqlite") or not database or ":memory:" in database:
        return None
    if database.startswith("file:"):  # a URI filename (…?mode=ro&uri=true)
        database = database[len("file:") :].split("?", 1)[0]
    return os.path.abspath(database)


def _explain_error(context) -> None:  # type: ignore[no-untyped-def]
    """SQLAlchemy's handle_error hook: a database failure we recognise becomes a StorageError with
    one sentence for the user; the driver's details go to the log (one line, redacted there)."""
    if getattr(context, "is_pre_ping", False):
        return  # the pool reconnects by itself
    explained = explain(context.original_exception)
    if explained is not None:
        log.warning("database error: %s", str(context.original_exception).splitlines()[0][:300])
        raise explained from context.sqlalchemy_exception


def _engine_options(url: str) -> dict[str, object]:
    """No "ping before every checkout" on PostgreSQL (issue 30): it doubled the round trips of
    every read (3.1 → 1.5 ms a query, measured). A connection PostgreSQL dropped (a restart)
    fails the one statement that meets it; SQLAlchemy then discards the whole pool, and the
    next statement reconnects (tests/test_storage_failures.py)."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}}
    return {}


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    """WAL and a busy timeout let a bot and a CLI (or two workers) share one SQLite file."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
