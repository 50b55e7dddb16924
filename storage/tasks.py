"""Tasks as the questions, reminders and digests read them: `TaskView`s with their occurrences.

This is the hot path of every question and tick, so it reads plain rows on a Core connection
(no ORM identity map) in five queries whatever the number of tasks. Archived tasks (gone from
their plan's last import) are not among them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.domain import AgencyRecord, Kind, OccurrenceStatus, OccurrenceView, TaskView
from storage.agencies import load_agencies
from storage.database import Repository
from storage.models import Occurrence, Plan, Task, TaskLead, TaskPartner
from storage.rows import aware

_KINDS = {k.value: k for k in Kind}


class TaskStore(Repository):
    """Live tasks by agency, all of them, or the one an occurrence belongs to."""

    async def tasks_for_agencies(
        self, agency_ids: Iterable[int], *, partners: bool = False
    ) -> list[TaskView]:
        """Tasks led (alone or jointly) by any of these agencies — and with `partners`, also those
        they coordinate — with their occurrences."""
        ids = list(set(agency_ids))
        if not ids:
            return []
        led = Task.id.in_(select(TaskLead.task_id).where(TaskLead.agency_id.in_(ids)))
        if not partners:
            return await self._task_views(led)
        coordinated = Task.id.in_(select(TaskPartner.task_id).where(TaskPartner.agency_id.in_(ids)))
        return await self._task_views(led | coordinated)

    async def all_tasks(self) -> list[TaskView]:
        return await self._task_views(None)

    async def occurrence(self, occurrence_id: int) -> tuple[TaskView, OccurrenceView] | None:
        async with self.db.read() as s:
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
        async with self.db.read() as s:
            return set(
                (await s.execute(select(TaskLead.agency_id).where(TaskLead.task_id == task_id))).scalars()
            )

    async def _task_views(self, where: ColumnElement[bool] | None) -> list[TaskView]:
        live = Task.archived_at.is_(None)
        async with self.db.connect() as conn:
            rows = await _TaskRows.load(conn, live if where is None else live & where)
            if rows is None:
                return []
            agencies = await load_agencies(conn)
        return rows.views({a.id: a for a in agencies})


@dataclass
class _TaskRows:
    """The rows of some tasks: the tasks, their occurrences, plans, leads and partners."""

    tasks: Sequence[Row[Any]]
    occurrences: dict[int, list[OccurrenceView]]
    plans: dict[int, str]  # plan id → its number (else title)
    archived_plans: set[int]
    leads: dict[int, list[int]]
    partners: dict[int, list[int]]

    @classmethod
    async def load(cls, conn: AsyncConnection, where: ColumnElement[bool]) -> _TaskRows | None:
        """The rows of the tasks `where` selects (None when there are none)."""
        task_ids = select(Task.id).where(where)
        tasks = (await conn.execute(_task_columns().where(where))).all()
        if not tasks:
            return None
        occurrences = await conn.execute(_occurrence_columns().where(Occurrence.task_id.in_(task_ids)))
        plans: dict[int, str] = {}
        archived: set[int] = set()
        plan_rows = select(Plan.id, Plan.number, Plan.title, Plan.archived_at).where(
            Plan.id.in_(select(Task.plan_id).where(where))
        )
        for plan_id, number, title, archived_at in await conn.execute(plan_rows):
            plans[plan_id] = number or title or ""
            if archived_at is not None:
                archived.add(plan_id)
        links = []
        for table in (TaskLead, TaskPartner):
            found: dict[int, list[int]] = {}
            query = select(table.task_id, table.agency_id).where(table.task_id.in_(task_ids))
            for task_id, agency_id in await conn.execute(query):
                found.setdefault(task_id, []).append(agency_id)
            links.append(found)
        return cls(tasks, _occurrence_views(occurrences), plans, archived, *links)

    def views(self, agencies: dict[int, AgencyRecord]) -> list[TaskView]:
        full: dict[int, str] = {}
        views = []
        for tid, title, lead_id, lead_text, kind, deadline, number, partners, plan_id in self.tasks:
            if lead_id in agencies:
                if lead_id not in full:
                    full[lead_id] = _full_name(agencies, lead_id)
                lead = full[lead_id]
            else:
                lead = lead_text
            views.append(
                TaskView(
                    id=tid,
                    title=title,
                    lead_id=lead_id,
                    lead=lead,
                    kind=_KINDS.get(kind, Kind.UNSPECIFIED),
                    deadline=deadline,
                    number=number,
                    partners=partners,
                    plan=self.plans.get(plan_id, ""),
                    occurrences=tuple(self.occurrences.get(tid, ())),
                    lead_ids=tuple(self.leads.get(tid, ())),
                    plan_id=plan_id,
                    plan_archived=plan_id in self.archived_plans,
                    partner_ids=tuple(self.partners.get(tid, ())),
                )
            )
        return views


def _task_columns() -> Select[Any]:
    return select(
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


def _occurrence_columns() -> Select[Any]:
    return select(
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


def _occurrence_views(rows: Iterable[Row[Any]]) -> dict[int, list[OccurrenceView]]:
    """Task id → its occurrences, by due date; a result's details only on a done one."""
    by_task: dict[int, list[OccurrenceView]] = {}
    open_, done = OccurrenceStatus.OPEN, OccurrenceStatus.DONE
    for oid, tid, due, status, done_at, done_by, note, file_name, p_at, p_note, original in rows:
        is_done = status == "done"
        by_task.setdefault(tid, []).append(
            OccurrenceView(
                oid,
                due,
                done if is_done else open_,
                aware(done_at).date() if done_at else None,
                done_by=(done_by or "") if is_done else "",
                note=(note or "") if is_done else "",
                file_name=(file_name or "") if is_done else "",
                in_progress=p_at is not None and not is_done,
                progress_note=p_note or "",
                original_due=original,
            )
        )
    return by_task


def _full_name(agencies: dict[int, AgencyRecord], agency_id: int) -> str:
    agency = agencies[agency_id]
    if agency.parent_id and agency.parent_id in agencies:
        return f"{agency.name} ({agencies[agency.parent_id].name})"
    return agency.name
