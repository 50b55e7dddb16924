"""Column types shared by every table.

`UTCDateTime`: every stored moment (invite expiries, leases, claims, results, sessions) is
written in UTC and read back aware, in UTC, on SQLite and PostgreSQL alike. SQLite's DATETIME
keeps no zone: a value given in Asia/Ho_Chi_Minh was stored as its wall clock and read back as
if it were UTC — seven hours late (an invite accepted up to 7 h after it expired, issue 23).
Comparisons in queries bind through the same type, so `expires_at < now` compares UTC with UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored in UTC (a naive value given is taken as UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"UTCDateTime takes a datetime, not {type(value).__name__}")
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # a raw SQLite text value
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
