"""What every handler needs: storage, settings and the clock (injected, so tests control time)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from bot.core.domain import TaskView
from bot.settings import Settings
from storage import Storage

if TYPE_CHECKING:
    from bot.core.lang.agencies import Directory


def system_clock() -> datetime:
    from datetime import UTC

    return datetime.now(UTC)


@dataclass
class _DirectoryCopy:
    revision: int
    directory: Directory


@dataclass
class _TasksCopy:
    """Every task, and an index of them by agency (lead or partner), as of one revision."""

    revision: int
    tasks: list[TaskView]
    by_agency: dict[int, list[TaskView]]
    position: dict[int, int]  # task id → its place in the plans' order


@dataclass
class AppContext:
    """The one cache of the directory and the tasks lives here (refreshed by change counters)."""

    storage: Storage
    settings: Settings
    clock: Callable[[], datetime] = system_clock
    _directory: _DirectoryCopy | None = field(default=None, repr=False)
    _tasks: _TasksCopy | None = field(default=None, repr=False)
    # One reload at a time: sixteen turns arriving while the tasks load (a worker just started,
    # issue 30) wait for that one copy instead of each loading 200,000 occurrences again.
    _reloading: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    def now(self) -> datetime:
        """The current time in the deployment's timezone."""
        return self.clock().astimezone(self.settings.tz)

    def today(self) -> date:
        return self.now().date()

    async def _refresh(self) -> None:
        """One query tells whether agencies or tasks changed (in this process or another one)."""
        revs = await self.storage.revisions()
        if self._fresh(revs.get("agencies_rev", 0), revs.get("tasks_rev", 0)):
            return
        async with self._reloading:
            revs = await self.storage.revisions()  # what another turn may have loaded meanwhile
            await self._reload(revs.get("agencies_rev", 0), revs.get("tasks_rev", 0))

    def _fresh(self, agencies_rev: int, tasks_rev: int) -> bool:
        return (
            self._directory is not None
            and self._directory.revision == agencies_rev
            and self._tasks is not None
            and self._tasks.revision == tasks_rev
        )

    async def _reload(self, agencies_rev: int, tasks_rev: int) -> None:
        """Rebuild what changed (another turn may have done it while this one waited)."""
        from bot.core.lang.agencies import Directory

        if self._fresh(agencies_rev, tasks_rev):
            return
        if self._directory is None or self._directory.revision != agencies_rev:
            self._directory = _DirectoryCopy(
                agencies_rev, Directory(await self.storage.agencies(), places=self.places())
            )
            self._tasks = None  # lead names are part of the task views
        if self._tasks is None or self._tasks.revision != tasks_rev:
            tasks = await self.storage.all_tasks()
            by_agency: dict[int, list[TaskView]] = {}
            for task in tasks:
                leads = task.lead_ids or ((task.lead_id,) if task.lead_id is not None else ())
                for agency_id in dict.fromkeys((*leads, *task.partner_ids)):
                    by_agency.setdefault(agency_id, []).append(task)
            self._tasks = _TasksCopy(tasks_rev, tasks, by_agency, {t.id: i for i, t in enumerate(tasks)})

    def places(self):  # type: ignore[no-untyped-def]
        """The communes and wards of NHACVIEC_PROVINCE (empty when not set or not known)."""
        from handlers.places import UnknownProvince, load_places

        try:
            return load_places(self.settings.nhacviec_province)
        except (UnknownProvince, ImportError):
            from bot.core.lang.places import Places

            return Places()

    async def directory(self) -> Directory:
        """The agency directory, rebuilt only when storage says the agencies changed."""
        await self._refresh()
        assert self._directory is not None
        return self._directory.directory

    async def all_tasks(self) -> list[TaskView]:
        """Every task (topic search, reminders), reloaded only after a write changed them."""
        await self._refresh()
        assert self._tasks is not None
        return self._tasks.tasks

    async def tasks_for_agencies(self, agency_ids: set[int]) -> list[TaskView]:
        """Tasks led or coordinated by any of these agencies, from the in-memory copy (checked fresh first).

        A long-running bot answers from memory; the database is asked only "did anything change?".
        """
        await self._refresh()
        assert self._tasks is not None
        by_agency = self._tasks.by_agency
        seen: set[int] = set()
        found = []
        for agency_id in agency_ids:
            for task in by_agency.get(agency_id, ()):
                if task.id not in seen:
                    seen.add(task.id)
                    found.append(task)
        if len(agency_ids) > 1:
            position = self._tasks.position
            found.sort(key=lambda t: position[t.id])  # the plans' order, as storage gives it
        return found
