"""What officers record about an occurrence: done (with a note and a report file), undone, in
progress; requests to move its due date and the manager's decision; a manager's digest rhythm."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.address import Address
from bot.core.domain import OccurrenceStatus
from bot.core.text import nfc
from storage.database import Repository
from storage.models import Extension, Occurrence, User
from storage.rows import TASKS_REV, aware, bump, changed_rows
from storage.users import split_account

_DONE = OccurrenceStatus.DONE.value


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
    requested_by: Address
    requested_at: datetime
    old_due: date
    new_due: date
    reason: str
    status: str  # pending | approved | rejected
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None


class ResultStore(Repository):
    """Results, progress and extensions of occurrences; each change bumps the tasks' counter."""

    async def mark_done(self, occurrence_id: int, *, by: str, at: datetime) -> bool:
        """Mark one occurrence done; False when it was already done (nothing changes then)."""
        return await self._change(
            occurrence_id, Occurrence.status != _DONE, {"status": _DONE, "done_by": by, "done_at": at}
        )

    async def result(self, occurrence_id: int) -> ResultRecord | None:
        async with self.db.read() as s:
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
                done_at=aware(o.done_at),
                note=o.note,
                file_id=o.file_id,
                file_name=o.file_name,
                file_size=o.file_size,
                progress_note=o.progress_note,
                progress_by=o.progress_by,
                progress_at=aware(o.progress_at),
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
        values: dict[str, object] = {"status": _DONE, "done_by": by, "done_at": at}
        values.update(note=nfc(note)[:4000] if note else None)
        values.update(
            file_id=file_id, file_name=nfc(file_name)[:300] if file_name else None, file_size=file_size
        )
        return await self._change(occurrence_id, Occurrence.status != _DONE, values)

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
        return await self._change(occurrence_id, Occurrence.status == _DONE, values)

    async def undo_result(self, occurrence_id: int) -> bool:
        """Back to open (the note and file of the result go with it); False when it was not done."""
        cleared = dict.fromkeys(("done_by", "done_at", "note", "file_id", "file_name", "file_size"))
        return await self._change(
            occurrence_id, Occurrence.status == _DONE, {"status": OccurrenceStatus.OPEN.value, **cleared}
        )

    async def record_progress(self, occurrence_id: int, *, by: str, at: datetime, note: str | None) -> bool:
        """ "Đang thực hiện": work under way on an open occurrence; False when it is done or gone."""
        values = {"progress_by": by, "progress_at": at, "progress_note": nfc(note)[:4000] if note else None}
        return await self._change(occurrence_id, Occurrence.status != _DONE, values)

    async def _change(self, occurrence_id: int, when: ColumnElement[bool], values: dict[str, object]) -> bool:
        """Update one occurrence if `when` holds; True (and the tasks' counter moves) when it did."""
        async with self.db.write() as s:
            statement = update(Occurrence).where(Occurrence.id == occurrence_id, when).values(**values)
            changed = await changed_rows(s, statement) == 1
            if changed:
                await bump(s, TASKS_REV)
            return changed

    async def request_extension(
        self, occurrence_id: int, *, by: str, at: datetime, new_due: date, reason: str
    ) -> ExtensionRecord:
        async with self.db.write() as s:
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
        async with self.db.read() as s:
            ext = await s.get(Extension, extension_id)
            return _extension_record(ext) if ext else None

    async def extensions(self, occurrence_id: int) -> list[ExtensionRecord]:
        async with self.db.read() as s:
            rows = await s.execute(
                select(Extension).where(Extension.occurrence_id == occurrence_id).order_by(Extension.id)
            )
            return [_extension_record(e) for e in rows.scalars()]

    async def pending_extensions(self) -> list[ExtensionRecord]:
        """Every request still waiting for a decision, oldest first (a manager's list, the digest)."""
        async with self.db.read() as s:
            rows = await s.execute(
                select(Extension).where(Extension.status == "pending").order_by(Extension.requested_at, Extension.id)
            )
            return [_extension_record(e) for e in rows.scalars()]

    async def decide_extension(
        self, extension_id: int, *, approve: bool, by: str, at: datetime, note: str | None = None
    ) -> ExtensionRecord | None:
        """Approve (the occurrence's due date moves; the first due date is kept) or reject a
        pending request. None when it is not pending any more. Raises ValueError when the task
        already has an occurrence on the new date."""
        async with self.db.write() as s:
            ext = await s.get(Extension, extension_id)
            if ext is None or ext.status != "pending":
                return None
            if approve and not await _move_due_date(s, ext):
                return None
            ext.status = "approved" if approve else "rejected"
            ext.decided_by, ext.decided_at = by, at
            ext.decision_note = nfc(note)[:2000] if note else None
            await s.flush()
            return _extension_record(ext)

    async def set_digest_rhythm(self, address: Address, rhythm: str | None) -> None:
        """A manager's digest: "daily", "weekly" (Monday), "off"; None back to the default (daily)."""
        channel, account = split_account(address)
        async with self.db.write() as s:
            await s.execute(
                update(User).where(User.channel == channel, User.account_id == account).values(digest=rhythm)
            )


async def _move_due_date(s: AsyncSession, ext: Extension) -> bool:
    """An approved extension moves its occurrence (False when the occurrence is gone)."""
    occ = await s.get(Occurrence, ext.occurrence_id)
    if occ is None:
        return False
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
    await bump(s, TASKS_REV)
    return True


def _extension_record(e: Extension) -> ExtensionRecord:
    return ExtensionRecord(
        id=e.id,
        occurrence_id=e.occurrence_id,
        requested_by=Address(e.requested_by),
        requested_at=aware(e.requested_at),
        old_due=e.old_due,
        new_due=e.new_due,
        reason=e.reason or "",
        status=e.status,
        decided_by=e.decided_by,
        decided_at=aware(e.decided_at),
        decision_note=e.decision_note,
    )
