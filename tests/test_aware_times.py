"""Times are aware everywhere (issue 23 item 4): the same invite expiry, lease and conversation
expiry on SQLite and PostgreSQL, with moments given in Asia/Ho_Chi_Minh (UTC+7). SQLite kept
the wall clock without its zone and read it back as UTC: an invite was accepted up to 7 h late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.domain import Role
from storage import Storage
from storage.types import UTCDateTime

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=HCM)


async def test_an_invite_expires_at_the_same_moment_on_both_databases(storage: Storage) -> None:
    agency_id = await storage.add_agency("Sở Tư pháp")
    invite = await storage.create_invite(agency_id, Role.OFFICER, auto_approve=False, by="telegram:1", now=NOW, days=1)
    read = await storage.invite(invite.code)
    assert read is not None
    assert read.expires_at.tzinfo is not None and read.expires_at.utcoffset() == timedelta(0)
    assert read.expires_at == NOW + timedelta(days=1)  # the same moment, not 7 h later
    just_after = NOW + timedelta(days=1, minutes=1)
    assert read.expires_at < just_after  # what /start CODE checks: expired a minute ago


async def test_a_conversation_expires_at_the_same_moment_on_both_databases(storage: Storage) -> None:
    await storage.set_conversation("wait:telegram:1", {"what": "x"}, expires_at=NOW + timedelta(hours=1))
    assert await storage.conversation("wait:telegram:1", now=NOW + timedelta(minutes=59)) is not None
    assert await storage.conversation("wait:telegram:1", now=NOW + timedelta(minutes=61)) is None


def test_the_type_stores_utc_and_reads_aware() -> None:
    from sqlalchemy.dialects import postgresql, sqlite

    kind = UTCDateTime()
    stored = kind.process_bind_param(NOW, sqlite.dialect())
    assert stored == datetime(2026, 12, 4, 2, 0)  # UTC wall clock on SQLite
    assert kind.process_result_value(stored, sqlite.dialect()) == NOW
    assert kind.process_bind_param(NOW, postgresql.dialect()) == datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
    assert kind.process_result_value(datetime(2026, 12, 4, 2, 0), postgresql.dialect()).tzinfo is UTC  # type: ignore[union-attr]


async def test_a_lease_runs_until_the_same_moment_on_both_databases(storage: Storage) -> None:
    await storage.heartbeat("host:1:ab", now=NOW, lease=timedelta(seconds=30))
    until = await storage.lease_until("host:1:ab")
    assert until == NOW + timedelta(seconds=30) and until.utcoffset() == timedelta(0)  # type: ignore[union-attr]


async def test_sqlite_keeps_the_utc_wall_clock(sqlite_url: str) -> None:
    """What is on disk: the UTC wall clock (02:00 for 09:00 in Hồ Chí Minh City), not the local one."""
    from sqlalchemy import text

    storage = await Storage.open(sqlite_url)
    try:
        await storage.set_conversation("wait:x", {"what": "x"}, expires_at=NOW)
        async with storage.db.connect() as conn:  # type: ignore[attr-defined]
            raw = await conn.scalar(text("SELECT expires_at FROM conversations WHERE key = 'wait:x'"))
        assert str(raw).startswith("2026-12-04 02:00")
    finally:
        await storage.close()
