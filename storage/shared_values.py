"""Values every process of one deployment must agree on and nobody configured (a generated
webhook secret): whichever process asks first makes and stores it."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from storage.database import Repository
from storage.models import SharedValue


class SharedValueStore(Repository):
    async def shared_value(self, key: str, make: Callable[[], str]) -> str:
        """The value stored under `key`, made with `make()` and stored by whichever process asks
        first (INSERT … ON CONFLICT DO NOTHING): every process of a deployment gets the same one."""
        async with self.db.write() as s:
            await s.execute(self.db.insert_new(SharedValue, [{"key": key, "value": make()}], key="key"))
            return str(await s.scalar(select(SharedValue.value).where(SharedValue.key == key)))
