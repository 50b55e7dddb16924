"""The directory of agencies: names, aliases, the tree (parent), renames, moves, mergers; and the
change counters a long-running bot checks before each answer."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.core.domain import AgencyRecord
from bot.core.text import fold, nfc
from storage.database import Repository
from storage.models import Agency, ChatLink, Meta, Plan, Task, TaskLead, TaskPartner, User
from storage.rows import AGENCIES_REV, TASKS_REV, bump, utcnow


class AgencyStore(Repository):
    """Agencies, as `AgencyRecord` values; every change bumps the agencies' counter."""

    async def agencies(self) -> list[AgencyRecord]:
        """All agencies. (The one cache of them is `storage.cache.ReadCache`, refreshed when the
        agencies' change counter moves.)"""
        async with self.db.connect() as conn:
            return await load_agencies(conn)

    async def revisions(self) -> dict[str, int]:
        """All change counters in one query (a long-running bot checks them before each answer)."""
        async with self.db.connect() as conn:
            return {key: value for key, value in await conn.execute(select(Meta.key, Meta.value))}

    async def add_agency(
        self, name: str, *, parent_id: int | None = None, aliases: Sequence[str] = ()
    ) -> int:
        async with self.db.write() as s:
            agency = await get_or_create_agency(s, name, parent_id)
            for alias in aliases:
                if nfc(alias) and nfc(alias) not in agency.aliases:
                    agency.aliases = [*agency.aliases, nfc(alias)]
            await bump(s, AGENCIES_REV)
            return agency.id

    async def add_alias(self, agency_id: int, alias: str) -> None:
        async with self.db.write() as s:
            agency = await _agency(s, agency_id)
            alias = nfc(alias)
            if alias and alias not in agency.aliases:
                agency.aliases = [*agency.aliases, alias]
            await bump(s, AGENCIES_REV)

    async def rename_agency(self, agency_id: int, name: str) -> None:
        """A new name (the old one stays an alias, so plans and people who use it still find it)."""
        name = nfc(name).strip()
        async with self.db.write() as s:
            agency = await _agency(s, agency_id)
            clash = await s.scalar(
                select(Agency.id).where(
                    Agency.folded == fold(name),
                    Agency.parent_key == agency.parent_key,
                    Agency.id != agency_id,
                )
            )
            if clash is not None:
                raise ValueError(name)
            if fold(agency.name) != fold(name) and agency.name not in agency.aliases:
                agency.aliases = [*agency.aliases, agency.name]
            agency.name, agency.folded = name, fold(name)
            await bump(s, AGENCIES_REV)
            await bump(s, TASKS_REV)  # lead names are part of the task views

    async def move_agency(self, agency_id: int, parent_id: int | None) -> None:
        """Put an agency (and the units under it) under another parent, or at the top (None)."""
        async with self.db.write() as s:
            agency = await _agency(s, agency_id)
            await _refuse_cycle(s, agency_id, parent_id)
            clash = await s.scalar(
                select(Agency.id).where(
                    Agency.folded == agency.folded,
                    Agency.parent_key == (parent_id or 0),
                    Agency.id != agency_id,
                )
            )
            if clash is not None:
                raise ValueError(agency.name)
            agency.parent_id, agency.parent_key = parent_id, parent_id or 0
            await bump(s, AGENCIES_REV)
            await bump(s, TASKS_REV)

    async def merge_agencies(self, source_id: int, target_id: int) -> None:
        """`source` becomes `target`: its tasks (led and coordinated), users, group links, plans,
        units and names follow; the source's names stay as aliases of the target (its history)."""
        if source_id == target_id:
            return
        async with self.db.write() as s:
            await _merge_agency(s, source_id, target_id)
            await bump(s, AGENCIES_REV)
            await bump(s, TASKS_REV)


async def load_agencies(conn: AsyncConnection) -> list[AgencyRecord]:
    rows = await conn.execute(
        select(Agency.id, Agency.name, Agency.parent_id, Agency.aliases).order_by(Agency.id)
    )
    return [AgencyRecord(id=i, name=n, parent_id=p, aliases=tuple(a or ())) for i, n, p, a in rows]


async def get_or_create_agency(s: AsyncSession, name: str, parent_id: int | None) -> Agency:
    """The agency called `name` under `parent_id` (None: at the top), created when there is none."""
    name = nfc(name)
    found = await s.scalar(
        select(Agency).where(Agency.folded == fold(name), Agency.parent_key == (parent_id or 0))
    )
    if found:
        return found
    agency = Agency(
        name=name,
        folded=fold(name),
        parent_id=parent_id,
        parent_key=parent_id or 0,
        aliases=[],
        created_at=utcnow(),
    )
    s.add(agency)
    await s.flush()
    return agency


async def _agency(s: AsyncSession, agency_id: int) -> Agency:
    agency = await s.get(Agency, agency_id)
    if agency is None:
        raise KeyError(agency_id)
    return agency


async def _refuse_cycle(s: AsyncSession, agency_id: int, parent_id: int | None) -> None:
    """An agency never goes under itself (nor under one of its own units)."""
    current = parent_id
    while current is not None:
        if current == agency_id:
            raise ValueError("cycle")
        current = await s.scalar(select(Agency.parent_id).where(Agency.id == current))


async def _merge_agency(s: AsyncSession, source_id: int, target_id: int) -> None:
    source, target = await s.get(Agency, source_id), await s.get(Agency, target_id)
    if source is None or target is None:
        raise KeyError(source_id if source is None else target_id)
    await _refuse_cycle(s, source_id, target.parent_id)
    for table in (TaskLead, TaskPartner):
        both = select(table.task_id).where(table.agency_id == target_id)
        await s.execute(delete(table).where(table.agency_id == source_id, table.task_id.in_(both)))
        await s.execute(update(table).where(table.agency_id == source_id).values(agency_id=target_id))
    await s.execute(update(Task).where(Task.lead_id == source_id).values(lead_id=target_id))
    await s.execute(update(User).where(User.agency_id == source_id).values(agency_id=target_id))
    await s.execute(update(ChatLink).where(ChatLink.agency_id == source_id).values(agency_id=target_id))
    await s.execute(update(Plan).where(Plan.issuer_id == source_id).values(issuer_id=target_id))
    for child in (await s.execute(select(Agency).where(Agency.parent_id == source_id))).scalars().all():
        twin = await s.scalar(
            select(Agency.id).where(Agency.folded == child.folded, Agency.parent_key == target_id)
        )
        if twin is not None:
            await _merge_agency(s, child.id, twin)
        else:
            child.parent_id, child.parent_key = target_id, target_id
    names = [n for n in (source.name, *source.aliases) if n and fold(n) != target.folded]
    target.aliases = list(dict.fromkeys([*target.aliases, *names]))
    await s.flush()
    await s.delete(source)
    await s.flush()
