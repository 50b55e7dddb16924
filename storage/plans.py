"""Plans: saving a parsed plan (insert or re-import), listing plans, archiving them, the /demo sample.

A re-import keeps what was recorded: a task found again (`bot.core.importing.identity`) keeps
its id, its done occurrences and its extensions; a task the new version no longer has is
archived with its history (and comes back with it); when as many due dates went as came, the
occurrences take the new dates in order. `PlanWriter` does it in bulk Core statements: 20,000
ORM objects would dominate the import.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.domain import OccurrenceStatus, ParsedPlan, ParsedTask
from bot.core.importing.identity import StoredTask, TaskMatcher, pair_moved_dates
from bot.core.importing.leads import ParentRef, Place
from bot.core.text import fold, nfc
from storage.agencies import get_or_create_agency
from storage.database import Repository
from storage.models import Agency, Base, Occurrence, Plan, Task, TaskLead, TaskPartner
from storage.rows import AGENCIES_REV, TASKS_REV, bump, changed_rows, chunks, utcnow

# Core tables for the bulk statements (typed `Table`, unlike the models' `__table__`).
TASKS = Base.metadata.tables["tasks"]
OCCURRENCES = Base.metadata.tables["occurrences"]
TASK_LEADS = Base.metadata.tables["task_leads"]
TASK_PARTNERS = Base.metadata.tables["task_partners"]

IMPORT_LOCK = 4243  # PostgreSQL advisory lock: imports of every process take turns


@dataclass(frozen=True)
class PlanRecord:
    """A plan as `plan list` and /kehoach show it."""

    id: int
    number: str | None
    title: str | None
    year: int | None
    period: tuple[int, int] | None
    issuer: str | None
    archived: bool
    tasks: int
    occurrences: int
    open_occurrences: int
    issued_on: date | None = None  # the signing date (reports cite "Kế hoạch số … ngày …")

    @property
    def label(self) -> str:
        return self.number or self.title or f"#{self.id}"

    @property
    def years(self) -> str:
        """ "2026–2030", "2022", or "" when neither the period nor the year is known."""
        if self.period and self.period[0] != self.period[1]:
            return f"{self.period[0]}–{self.period[1]}"
        first = self.period[0] if self.period else self.year
        return str(first) if first else ""


@dataclass
class SaveResult:
    """What an import did (or would do, in a dry run)."""

    plan_id: int | None
    created: bool
    tasks_added: int = 0
    tasks_updated: int = 0
    tasks_removed: int = 0
    new_agencies: list[str] = field(default_factory=list)
    # how a stored plan was found again (`plan_identity`'s way): "number", "title", "date" (issuer
    # and signing date: no number, no title) or "file" (the same file); "" when created
    found_by: str = ""
    # created though the plan names no number and no title, beside a stored plan that looks
    # like it (same issuer, same year or same file name): that plan's label, else ""
    similar: str = ""


class PlanStore(Repository):
    """Plans and their life: saved from a parsed plan, listed, archived, the sample removed."""

    async def save_plan(
        self,
        parsed: ParsedPlan,
        lead_names: dict[str, list[Place]],
        *,
        dry_run: bool = False,
        partner_names: dict[str, list[Place]] | None = None,
        issuer_id: int | None = None,
        report_periods: Sequence[tuple[date, date]] = (),
    ) -> SaveResult:
        """Insert or update a plan, its tasks and occurrences, keeping done status.

        `lead_names` (and `partner_names`) map each task's lead (partners) text to the agencies it
        names — the caller (the import handler) placed them in the directory: an existing
        agency's id, or a (name, parent) pair to find or create, where a parent is an agency id,
        a top-level name, or a chain (see `ParentRef`). `issuer_id` is the issuer when the
        directory knows it (else `parsed.issuer` is found or created at the top). A dry run does
        everything inside a transaction and rolls it back, so what it reports is exactly what a
        real import would do. `report_periods` are the periods continuous work is reported on
        (`bot.core.plans.report_periods`): each task with no due date gets one reporting
        occurrence per period (`PlanWriter.write_reports`).
        """

        async def save(s: AsyncSession) -> SaveResult:
            writer = PlanWriter(s, lead_names, partner_names or {}, report_periods)
            return await writer.save(parsed, issuer_id)

        result = await self.db.retrying(save, roll_back=dry_run, serialize=IMPORT_LOCK)
        if dry_run:
            result.plan_id = None
        return result

    async def plans(self) -> list[PlanRecord]:
        """Every plan with its task and occurrence counts, newest import first."""
        async with self.db.read() as s:
            tasks = {
                plan_id: count
                for plan_id, count in await s.execute(
                    select(Task.plan_id, func.count(Task.id)).group_by(Task.plan_id)
                )
            }
            occ_rows = await s.execute(
                select(Task.plan_id, Occurrence.status, func.count(Occurrence.id))
                .join(Task, Task.id == Occurrence.task_id)
                .where(Occurrence.period_start.is_(None))  # due dates, not continuous work's reports
                .group_by(Task.plan_id, Occurrence.status)
            )
            occurrences: dict[int, int] = {}
            open_: dict[int, int] = {}
            for plan_id, status, count in occ_rows:
                occurrences[plan_id] = occurrences.get(plan_id, 0) + count
                if status != OccurrenceStatus.DONE.value:
                    open_[plan_id] = open_.get(plan_id, 0) + count
            names = {agency_id: name for agency_id, name in await s.execute(select(Agency.id, Agency.name))}
            rows = (await s.execute(select(Plan).order_by(Plan.imported_at.desc(), Plan.id.desc()))).scalars()
            return [
                PlanRecord(
                    id=p.id,
                    number=p.number,
                    title=p.title,
                    year=p.year,
                    period=(p.period_start, p.period_end)
                    if p.period_start is not None and p.period_end is not None
                    else None,
                    issuer=names.get(p.issuer_id) if p.issuer_id else None,
                    archived=p.archived_at is not None,
                    tasks=tasks.get(p.id, 0),
                    occurrences=occurrences.get(p.id, 0),
                    open_occurrences=open_.get(p.id, 0),
                    issued_on=p.issued_on,
                )
                for p in rows
            ]

    async def plan_texts(self, plan_id: int) -> tuple[str | None, str | None]:
        """(the OCR's text, the repaired text) of a scanned or OCR'd plan, for the record."""
        async with self.db.read() as s:
            row = (await s.execute(select(Plan.ocr_text, Plan.repaired_text).where(Plan.id == plan_id))).first()
            return (row[0], row[1]) if row else (None, None)

    async def find_plans(self, ref: str) -> list[PlanRecord]:
        """Plans named by `ref`: its id ("3", "#3") or its number ("444/KH-SCT", any case/spaces)."""
        ref = nfc(ref).strip()
        plans = await self.plans()
        bare = ref.lstrip("#")
        if bare.isdigit():
            by_id = [p for p in plans if p.id == int(bare)]
            if by_id:
                return by_id
        wanted = fold(ref).replace(" ", "")
        return [p for p in plans if p.number and fold(p.number).replace(" ", "") == wanted]

    async def set_plan_archived(self, plan_id: int, *, archived: bool, by: str, at: datetime) -> bool:
        """Archive (or restore) a plan; False when it already was in that state."""
        async with self.db.write() as s:
            plan = await s.get(Plan, plan_id)
            if plan is None:
                raise KeyError(plan_id)
            if (plan.archived_at is not None) == archived:
                return False
            plan.archived_at, plan.archived_by = (at, by) if archived else (None, None)
            await bump(s, TASKS_REV)
            return True

    async def counts(self) -> dict[str, int]:
        async with self.db.read() as s:
            return {
                "plans": await s.scalar(select(func.count(Plan.id))) or 0,
                "tasks": await s.scalar(select(func.count(Task.id))) or 0,
                "occurrences": await s.scalar(select(func.count(Occurrence.id))) or 0,
                "agencies": await s.scalar(select(func.count(Agency.id))) or 0,
            }

    async def sample_plans(self, number: str, source_file: str) -> int:
        """How many plans are the sample of /demo (its number and file name)."""
        async with self.db.read() as s:
            rows = await s.execute(
                select(Plan.id).where(Plan.number == number, Plan.source_file == source_file)
            )
            return len(rows.all())

    async def remove_sample_plans(self, number: str, source_file: str) -> int:
        """Delete the sample plan of /demo with its tasks (the database cascades); how many went."""
        async with self.db.write() as s:
            gone = await changed_rows(
                s, delete(Plan).where(Plan.number == number, Plan.source_file == source_file)
            )
            if gone:
                await bump(s, TASKS_REV)
            return gone


_FOUND_BY = {"n": "number", "t": "title", "d": "date", "h": "file"}  # `plan_identity`'s prefixes


def plan_identity(parsed: ParsedPlan, issuer_id: int | None) -> str:
    """How a re-import finds its plan: issuer + number when known, else issuer + year + title,
    else issuer + signing date, else the file's hash."""
    if parsed.number:
        return f"n:{issuer_id or 0}:{fold(parsed.number).replace(' ', '')}"
    if parsed.title and parsed.year:
        return f"t:{issuer_id or 0}:{parsed.year}:{fold(parsed.title)[:400]}"
    if parsed.date and (issuer_id or parsed.issuer):
        # no number, no title: the same issuer's document of the same day is the same plan,
        # whatever bytes the edited file has (issue 26)
        return f"d:{issuer_id or fold(parsed.issuer or '')}:{parsed.date.isoformat()}"
    return f"h:{parsed.source_hash or fold(parsed.source_file)}"


def task_key(title: str, lead: str, seen: set[str]) -> str:
    """A task's identity inside its plan: its folded title and lead (numbered when repeated)."""
    base = f"{fold(title)[:200]}|{fold(lead)[:80]}"
    key, n = base, 1
    while key in seen:
        n += 1
        key = f"{base}#{n}"
    return key


@dataclass
class _Stored:
    """What the database holds of a plan being re-imported."""

    ids: dict[str, int] = field(default_factory=dict)  # key → task id, archived tasks included
    tasks: list[StoredTask] = field(default_factory=list)
    archived: set[int] = field(default_factory=set)
    # task id → {the plan's date (before any extension) → occurrence id}
    occurrences: dict[int, dict[date, int]] = field(default_factory=dict)

    @property
    def key_of(self) -> dict[int, str]:
        return {task_id: key for key, task_id in self.ids.items()}


@dataclass
class _ParsedRows:
    """The new version's tasks as rows, and what each is linked to (by task key)."""

    inserts: list[dict[str, object]] = field(default_factory=list)
    updates: list[dict[str, object]] = field(default_factory=list)
    leads: dict[str, list[int]] = field(default_factory=dict)
    partners: dict[str, list[int]] = field(default_factory=dict)
    dates: dict[str, list[date]] = field(default_factory=dict)


class PlanWriter:
    """One import inside one transaction: agencies placed, the plan row, its tasks, their links
    (leads, partners) and occurrences — each step its own method."""

    def __init__(
        self,
        s: AsyncSession,
        lead_names: dict[str, list[Place]],
        partner_names: dict[str, list[Place]],
        report_periods: Sequence[tuple[date, date]] = (),
    ) -> None:
        self.s = s
        self.report_periods = report_periods
        self.lead_names, self.partner_names = lead_names, partner_names
        self.new_agencies: list[str] = []  # as the preview shows them: "Văn phòng Sở (Sở Y tế)"
        self._ids: dict[tuple[str, int | None], int] = {}
        self._names: dict[int, str] = {}

    async def save(self, parsed: ParsedPlan, known_issuer: int | None) -> SaveResult:
        if known_issuer is not None:
            issuer_id: int | None = known_issuer
        else:
            issuer_id = await self.agency_named(parsed.issuer, None) if parsed.issuer else None
        plan, created = await self.plan_row(parsed, issuer_id)
        stored = _Stored() if created else await self.stored(plan.id)
        matcher = TaskMatcher(stored.tasks)
        rows = await self.task_rows(parsed.tasks, plan.id, stored, matcher)
        reopened = len(matcher.taken & stored.archived)
        result = SaveResult(plan_id=plan.id, created=created)
        if not created:
            result.found_by = _FOUND_BY.get(plan.identity[:1], "file")
        elif not parsed.number and not parsed.title:
            result.similar = await self.similar_plan(parsed, plan.id, issuer_id)
        result.tasks_added = len(rows.inserts) + reopened
        result.tasks_updated = len(rows.updates) - reopened
        ids = await self.write_tasks(rows, {stored.key_of[t]: t for t in matcher.taken})
        result.tasks_removed = await self.archive_missing(stored, matcher.taken)
        await self.write_links(rows, ids, kept=sorted(matcher.taken))
        await self.write_occurrences(rows, ids, stored.occurrences, plan.id)
        if self.new_agencies:
            await bump(self.s, AGENCIES_REV)
        await bump(self.s, TASKS_REV)
        result.new_agencies = self.new_agencies
        await self.s.flush()
        return result

    # -- agencies ---------------------------------------------------------------------------

    async def agency(self, place: Place) -> int:
        """The agency a placed name is: an existing one's id as placed, else found or created."""
        if isinstance(place, int):
            return place
        name, parent = place
        return await self.agency_named(name, parent)

    async def agency_named(self, name: str, parent: ParentRef) -> int:
        parent_id = await self._parent(parent)
        key = (fold(name), parent_id)
        if key in self._ids:
            return self._ids[key]
        before = await self.s.scalar(
            select(Agency.id).where(Agency.folded == fold(name), Agency.parent_key == (parent_id or 0))
        )
        agency = await get_or_create_agency(self.s, name, parent_id)
        self._names[agency.id] = agency.name
        if before is None:
            if parent_id is not None and parent_id not in self._names:
                parent_row = await self.s.get(Agency, parent_id)
                self._names[parent_id] = parent_row.name if parent_row else ""
            self.new_agencies.append(
                f"{agency.name} ({self._names[parent_id]})" if parent_id else agency.name
            )
        self._ids[key] = agency.id
        return agency.id

    async def _parent(self, parent: ParentRef) -> int | None:
        if parent is None or isinstance(parent, int):
            return parent
        if isinstance(parent, str):
            return await self.agency_named(parent, None)
        current: int | None = None
        for step in parent:
            current = step if isinstance(step, int) else await self.agency_named(step, current)
        return current

    # -- the plan and what is stored of it --------------------------------------------------

    async def plan_row(self, parsed: ParsedPlan, issuer_id: int | None) -> tuple[Plan, bool]:
        """The plan found again by its identity, or a new one; its facts from this version."""
        identity = plan_identity(parsed, issuer_id)
        plan = await self.s.scalar(select(Plan).where(Plan.identity == identity))
        created = plan is None
        if plan is None:
            plan = Plan(identity=identity, imported_at=utcnow())
            self.s.add(plan)
        plan.number = parsed.number
        plan.issuer_id = issuer_id
        plan.issued_on = parsed.date
        plan.year = parsed.year
        plan.title = parsed.title
        plan.source_file = parsed.source_file
        plan.source_hash = parsed.source_hash
        plan.imported_at = utcnow()
        plan.period_start, plan.period_end = parsed.period or (None, None)
        plan.ocr_text, plan.repaired_text = parsed.ocr_text, parsed.repaired_text
        await self.s.flush()
        return plan, created

    async def similar_plan(self, parsed: ParsedPlan, plan_id: int, issuer_id: int | None) -> str:
        """A stored plan a plan without number and title may be the same as: the same issuer's
        plan without a number, of the same year or from a file of the same name (its label)."""
        query = select(Plan).where(Plan.id != plan_id, Plan.number.is_(None) | (Plan.number == ""))
        query = query.where(Plan.issuer_id == issuer_id if issuer_id is not None else Plan.issuer_id.is_(None))
        for other in await self.s.scalars(query.order_by(Plan.id)):
            same_year = parsed.year is not None and other.year == parsed.year
            if same_year or fold(other.source_file or "") == fold(parsed.source_file or ""):
                when = f" ({other.issued_on:%d/%m/%Y})" if other.issued_on else ""
                return f"{other.title or other.source_file}{when}"
        return ""

    async def stored(self, plan_id: int) -> _Stored:
        """The plan's stored tasks (live first, in order) and their occurrences."""
        stored = _Stored()
        for task_id, key, title, lead_text, archived_at in await self.s.execute(
            select(Task.id, Task.key, Task.title, Task.lead_text, Task.archived_at)
            .where(Task.plan_id == plan_id)
            .order_by(Task.archived_at.is_not(None), Task.position)
        ):
            stored.ids[key] = task_id
            stored.tasks.append(StoredTask(task_id, title, lead_text))
            if archived_at is not None:
                stored.archived.add(task_id)
        if stored.ids:
            for task_id, due, occ_id, original_due in await self.s.execute(
                select(Occurrence.task_id, Occurrence.due, Occurrence.id, Occurrence.original_due).where(
                    Occurrence.task_id.in_(select(Task.id).where(Task.plan_id == plan_id)),
                    Occurrence.period_start.is_(None),  # reporting occurrences: `write_reports`
                )
            ):
                # an extended occurrence is the plan's date it was moved from (issue 17)
                stored.occurrences.setdefault(task_id, {})[original_due or due] = occ_id
        return stored

    # -- tasks ------------------------------------------------------------------------------

    async def task_rows(
        self, tasks: Sequence[ParsedTask], plan_id: int, stored: _Stored, matcher: TaskMatcher
    ) -> _ParsedRows:
        """Each parsed task as a row: an update of the stored task it is, or an insert."""
        rows = _ParsedRows()
        key_of = stored.key_of
        seen: set[str] = set(stored.ids)  # a new task's key must not be a stored one's
        for position, pt in enumerate(tasks):
            same = matcher.take(pt.title, pt.lead)
            key = key_of[same] if same is not None else task_key(pt.title, pt.lead, seen)
            seen.add(key)
            leads = [await self.agency(place) for place in self.lead_names.get(pt.lead, [])]
            partners = (
                [await self.agency(p) for p in self.partner_names.get(pt.partners, [])] if pt.partners else []
            )
            rows.leads[key] = leads
            rows.partners[key] = [a for a in dict.fromkeys(partners) if a not in leads]
            rows.dates[key] = sorted(set(pt.dates))
            row = _task_row(
                pt, plan_id=plan_id, key=key, position=position, lead_id=leads[0] if leads else None
            )
            if same is not None:
                rows.updates.append({**row, "tid": same})
            else:
                rows.inserts.append(row)
        return rows

    async def write_tasks(self, rows: _ParsedRows, ids: dict[str, int]) -> dict[str, int]:
        """Insert the new tasks and update the found ones; every task key → its id."""
        for chunk in chunks(rows.inserts, 2000):
            returned = await self.s.execute(TASKS.insert().returning(TASKS.c.key, TASKS.c.id), chunk)
            ids.update({key: task_id for key, task_id in returned})
        if rows.updates:
            values: dict[str, Any] = {
                c: bindparam(c) for c in rows.updates[0] if c not in ("tid", "plan_id", "key")
            }
            await self.s.execute(
                TASKS.update().where(TASKS.c.id == bindparam("tid")).values(values),
                rows.updates,
                execution_options={"synchronize_session": False},
            )
        return ids

    async def archive_missing(self, stored: _Stored, taken: set[int]) -> int:
        """Tasks the plan no longer has are archived with their history (and come back with it)."""
        removed = [tid for tid in stored.ids.values() if tid not in taken and tid not in stored.archived]
        archived_now = utcnow()
        for chunk in chunks(removed, 2000):
            await self.s.execute(update(Task).where(Task.id.in_(chunk)).values(archived_at=archived_now))
        return len(removed)

    async def write_links(self, rows: _ParsedRows, ids: dict[str, int], *, kept: list[int]) -> None:
        """Every task's leads and partners as this version names them."""
        for ids_chunk in chunks(kept, 2000):
            await self.s.execute(delete(TaskLead).where(TaskLead.task_id.in_(ids_chunk)))
            await self.s.execute(delete(TaskPartner).where(TaskPartner.task_id.in_(ids_chunk)))
        lead_rows = [
            {"task_id": ids[key], "agency_id": agency}
            for key, leads in rows.leads.items()
            for agency in dict.fromkeys(leads)
        ]
        partner_rows = [
            {"task_id": ids[key], "agency_id": agency}
            for key, partners in rows.partners.items()
            for agency in partners
        ]
        for chunk in chunks(lead_rows, 5000):
            await self.s.execute(TASK_LEADS.insert(), chunk)
        for chunk in chunks(partner_rows, 5000):
            await self.s.execute(TASK_PARTNERS.insert(), chunk)

    async def write_occurrences(
        self, rows: _ParsedRows, ids: dict[str, int], old: dict[int, dict[date, int]], plan_id: int
    ) -> None:
        """Due dates kept stay; moved ones take the new date (status kept); new ones open; gone ones go."""
        new: list[dict[str, object]] = []
        gone: list[int] = []
        moved: list[dict[str, object]] = []
        for key, dates in rows.dates.items():
            task_id = ids[key]
            shifted, came, went = pair_moved_dates(old.get(task_id, {}), dates)
            moved.extend({"oid": occ_id, "new_due": due} for occ_id, due in shifted.items())
            new.extend(
                {"task_id": task_id, "due": due, "status": OccurrenceStatus.OPEN.value} for due in came
            )
            gone.extend(went)
        for ids_chunk in chunks(gone, 2000):
            await self.s.execute(delete(Occurrence).where(Occurrence.id.in_(ids_chunk)))
        if moved:
            await self.s.execute(
                OCCURRENCES.update()
                .where(OCCURRENCES.c.id == bindparam("oid"))
                .values(due=bindparam("new_due")),
                moved,
            )
        became = await self.write_reports(plan_id, {ids[key]: dates for key, dates in rows.dates.items()})
        new = [row for row in new if (row["task_id"], row["due"]) not in became]
        for chunk in chunks(new, 5000):
            await self.s.execute(OCCURRENCES.insert(), chunk)

    async def write_reports(self, plan_id: int, dates_of: dict[int, list[date]]) -> set[tuple[int, date]]:
        """Continuous work's reporting occurrences: one per period for each task of the plan with
        no due date, kept with their results across re-imports. Those no longer wanted (the task
        got due dates, the period changed) go — unless they hold a result, which is never thrown
        away: a done one whose task now has a due date on its day becomes that dated occurrence.
        Returns those (task id, due date), so the caller does not insert them again."""
        wanted = set(self.report_periods)
        rows = await self.s.execute(
            select(Occurrence.task_id, Occurrence.period_start, Occurrence.due, Occurrence.id, Occurrence.status)
            .join(Task, Task.id == Occurrence.task_id)
            .where(Task.plan_id == plan_id, Occurrence.period_start.is_not(None))
        )
        kept: dict[int, set[date]] = {}  # the due days of the reporting occurrences that stay
        gone: list[int] = []
        became: set[tuple[int, date]] = set()
        for task_id, start, due, occ_id, status in rows:
            dates = dates_of.get(task_id)
            if dates is None or (not dates and (start, due) in wanted):
                kept.setdefault(task_id, set()).add(due)  # an archived task's, or still wanted
            elif status != OccurrenceStatus.DONE.value:
                gone.append(occ_id)
            elif due in dates:
                became.add((task_id, due))
                await self.s.execute(update(Occurrence).where(Occurrence.id == occ_id).values(period_start=None))
            else:
                kept.setdefault(task_id, set()).add(due)
        for ids_chunk in chunks(gone, 2000):
            await self.s.execute(delete(Occurrence).where(Occurrence.id.in_(ids_chunk)))
        new = [
            {"task_id": task_id, "due": end, "period_start": start, "status": OccurrenceStatus.OPEN.value}
            for task_id, dates in dates_of.items()
            if not dates
            for start, end in sorted(wanted)
            if end not in kept.get(task_id, set())  # one occurrence a day per task
        ]
        for chunk in chunks(new, 5000):
            await self.s.execute(OCCURRENCES.insert(), chunk)
        return became


def _task_row(
    pt: ParsedTask, *, plan_id: int, key: str, position: int, lead_id: int | None
) -> dict[str, object]:
    return {
        "plan_id": plan_id,
        "key": key,
        "position": position,
        "number": nfc(pt.number)[:50],
        "title": nfc(pt.title),
        "activity": nfc(pt.activity),
        "output": nfc(pt.output),
        "note": nfc(pt.note),
        "lead_text": nfc(pt.lead),
        "lead_id": lead_id,
        "partners": nfc(pt.partners),
        "deadline": nfc(pt.deadline),
        "kind": str(pt.kind),
        "source": pt.source[:200],
        "archived_at": None,
    }
