"""The one in-memory copy of the agency directory and the tasks, for a long-running process.

A question or a tick asks the database only "did anything change?" (one query of two change
counters); any write, from this process or another (a CLI import), bumps a counter and the next
read reloads. The handlers' `AppContext` and the delivery engine share one `ReadCache`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.core.domain import TaskView
from bot.core.lang.agencies import Directory
from bot.core.lang.places import Places
from bot.core.lang.topics import TopicIndex
from storage.facade import Storage
from storage.rows import AGENCIES_REV, TASKS_REV


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
    topics: TopicIndex | None = None  # every title by word, built on the first topic question


class ReadCache:
    """The directory and the tasks, reloaded only when storage says they changed.

    `places` gives the communes and wards the directory knows (NHACVIEC_PROVINCE), read when
    the directory is (re)built.
    """

    def __init__(self, storage: Storage, places: Callable[[], Places] = Places) -> None:
        self.storage, self.places = storage, places
        self._directory: _DirectoryCopy | None = None
        self._tasks: _TasksCopy | None = None
        # One reload at a time: sixteen turns arriving while the tasks load (a worker just
        # started, issue 30) wait for that one copy instead of each loading them all again.
        self._reloading = asyncio.Lock()

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

    async def topic_index(self) -> TopicIndex:
        """Every task's title by word (topic questions over every agency), built once per revision."""
        await self._refresh()
        assert self._tasks is not None
        if self._tasks.topics is None:
            self._tasks.topics = TopicIndex(self._tasks.tasks)
        return self._tasks.topics

    async def tasks_for_agencies(self, agency_ids: Iterable[int]) -> list[TaskView]:
        """Tasks led or coordinated by any of these agencies, from the in-memory copy (checked fresh
        first), in the plans' order."""
        await self._refresh()
        assert self._tasks is not None
        ids = list(agency_ids)
        by_agency = self._tasks.by_agency
        seen: set[int] = set()
        found = []
        for agency_id in ids:
            for task in by_agency.get(agency_id, ()):
                if task.id not in seen:
                    seen.add(task.id)
                    found.append(task)
        if len(ids) > 1:
            position = self._tasks.position
            found.sort(key=lambda t: position[t.id])  # the plans' order, as storage gives it
        return found

    async def _refresh(self) -> None:
        """One query tells whether agencies or tasks changed (in this process or another one)."""
        revs = await self.storage.revisions()
        if self._fresh(revs.get(AGENCIES_REV, 0), revs.get(TASKS_REV, 0)):
            return
        async with self._reloading:
            revs = await self.storage.revisions()  # what another turn may have loaded meanwhile
            await self._reload(revs.get(AGENCIES_REV, 0), revs.get(TASKS_REV, 0))

    def _fresh(self, agencies_rev: int, tasks_rev: int) -> bool:
        return (
            self._directory is not None
            and self._directory.revision == agencies_rev
            and self._tasks is not None
            and self._tasks.revision == tasks_rev
        )

    async def _reload(self, agencies_rev: int, tasks_rev: int) -> None:
        """Rebuild what changed (another turn may have done it while this one waited)."""
        if self._fresh(agencies_rev, tasks_rev):
            return
        if self._directory is None or self._directory.revision != agencies_rev:
            directory = Directory(await self.storage.agencies(), places=self.places())
            self._directory = _DirectoryCopy(agencies_rev, directory)
            self._tasks = None  # lead names are part of the task views
        if self._tasks is None or self._tasks.revision != tasks_rev:
            tasks = await self.storage.all_tasks()
            by_agency: dict[int, list[TaskView]] = {}
            for task in tasks:
                leads = task.lead_ids or ((task.lead_id,) if task.lead_id is not None else ())
                for agency_id in dict.fromkeys((*leads, *task.partner_ids)):
                    by_agency.setdefault(agency_id, []).append(task)
            self._tasks = _TasksCopy(tasks_rev, tasks, by_agency, {t.id: i for i, t in enumerate(tasks)})
