"""What every handler needs: storage, settings and the clock (injected, so tests control time)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from bot.domain import TaskView
from bot.settings import Settings
from storage import Storage

if TYPE_CHECKING:
    from bot.lang.agencies import Directory


def system_clock() -> datetime:
    from datetime import UTC

    return datetime.now(UTC)


@dataclass
class AppContext:
    storage: Storage
    settings: Settings
    clock: Callable[[], datetime] = system_clock
    _directory: tuple[object, Directory] | None = field(default=None, repr=False)
    _tasks: tuple[int, list[TaskView]] | None = field(default=None, repr=False)

    def now(self) -> datetime:
        """The current time in the deployment's timezone."""
        return self.clock().astimezone(self.settings.tz)

    def today(self) -> date:
        return self.now().date()

    async def directory(self) -> Directory:
        """The agency directory, rebuilt only when storage says the agencies changed."""
        from bot.lang.agencies import Directory

        records = await self.storage.agencies()
        if self._directory is None or self._directory[0] is not records:
            self._directory = (records, Directory(records))
        return self._directory[1]

    async def all_tasks(self) -> list[TaskView]:
        """Every task (topic search, reminders), reloaded only after a write changed them."""
        rev = await self.storage.revision("tasks_rev")
        if self._tasks is None or self._tasks[0] != rev:
            self._tasks = (rev, await self.storage.all_tasks())
        return self._tasks[1]
