"""What every handler needs: storage, settings and the clock (injected, so tests control time)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from bot.core.domain import TaskView
from bot.core.lang.agencies import Directory
from bot.core.lang.places import Places
from bot.core.lang.topics import TopicIndex
from bot.delivery.config import DeliveryConfig
from bot.delivery.context import DeliveryContext
from bot.settings import Settings
from handlers.places import UnknownProvince, load_places
from storage import Storage
from storage.cache import ReadCache


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class AppContext:
    """Storage, settings, the clock, and the in-memory copy of the directory and the tasks
    (`storage.cache.ReadCache`, refreshed by change counters) that the delivery engine shares."""

    storage: Storage
    settings: Settings
    clock: Callable[[], datetime] = system_clock
    cache: ReadCache = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.cache = ReadCache(self.storage, places=self.places)

    def now(self) -> datetime:
        """The current time in the deployment's timezone."""
        return self.clock().astimezone(self.settings.tz)

    def today(self) -> date:
        return self.now().date()

    def places(self) -> Places:
        """The communes and wards of NHACVIEC_PROVINCE (empty when not set or not known)."""
        try:
            return load_places(self.settings.nhacviec_province)
        except (UnknownProvince, ImportError):
            return Places()

    def delivery(self) -> DeliveryContext:
        """The delivery engine's context on the same storage, cache and clock (`clock` as it is now)."""
        return DeliveryContext(self.storage, DeliveryConfig.from_settings(self.settings), self.clock, self.cache)

    async def directory(self) -> Directory:
        """The agency directory, rebuilt only when storage says the agencies changed."""
        return await self.cache.directory()

    async def all_tasks(self) -> list[TaskView]:
        """Every task (topic search, reminders), reloaded only after a write changed them."""
        return await self.cache.all_tasks()

    async def topic_index(self) -> TopicIndex:
        """Every task's title by word (topic questions over every agency), kept with the tasks."""
        return await self.cache.topic_index()

    async def tasks_for_agencies(self, agency_ids: set[int]) -> list[TaskView]:
        """Tasks led or coordinated by any of these agencies, from the in-memory copy (checked fresh first).

        A long-running bot answers from memory; the database is asked only "did anything change?".
        """
        return await self.cache.tasks_for_agencies(agency_ids)
