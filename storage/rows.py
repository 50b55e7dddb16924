"""Small helpers every repository uses on rows: stored times, chunks, changed rows, change counters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TypeVar, overload

from sqlalchemy import Executable
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Meta

T = TypeVar("T")

# The change counters a long-running bot checks before each answer (`AgencyStore.revisions`).
AGENCIES_REV = "agencies_rev"
TASKS_REV = "tasks_rev"


def utcnow() -> datetime:
    return datetime.now(UTC)


@overload
def aware(value: datetime) -> datetime: ...
@overload
def aware(value: None) -> None: ...
def aware(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; every stored datetime is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def utc(value: datetime) -> datetime:
    """Lease and retry times are stored in UTC: SQLite keeps wall-clock values without their
    zone, so mixing zones would make comparisons (and "is it still the same day") wrong."""
    return value.astimezone(UTC) if value.tzinfo is not None else value


def chunks(items: list[T], size: int) -> Iterator[list[T]]:
    """`items` in slices of `size`: an IN (…) list or a multi-row INSERT stays within the drivers' limits."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


async def changed_rows(s: AsyncSession, statement: Executable) -> int:
    """Run an UPDATE or DELETE and say how many rows it touched."""
    result = await s.execute(statement)
    assert isinstance(result, CursorResult)
    count: int = result.rowcount
    return count


async def bump(s: AsyncSession, key: str) -> None:
    """Move one change counter: every process's copy of the agencies or tasks reloads at its next question."""
    meta = await s.get(Meta, key)
    if meta is None:
        s.add(Meta(key=key, value=1))
    else:
        meta.value += 1
