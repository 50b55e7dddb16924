"""Importing a plan file: read it, place its agencies, save it (or only preview it)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.core.domain import ParsedPlan
from bot.core.importing.leads import place_leads
from bot.core.importing.reader import read_plan
from handlers.context import AppContext
from storage.db import SaveResult


@dataclass
class ImportReport:
    parsed: ParsedPlan
    result: SaveResult
    dry_run: bool

    def as_json(self) -> dict[str, Any]:
        """DESIGN.md `import` shape (identical with and without --dry-run, plus counts)."""
        p = self.parsed
        return {
            "plan": p.number,
            "issuer": p.issuer,
            "year": p.year,
            "date": p.date.isoformat() if p.date else None,
            "title": p.title,
            "tasks": [
                {
                    "title": t.title,
                    "lead": t.lead,
                    "partners": t.partners,
                    "deadline": t.deadline,
                    "kind": str(t.kind),
                    "dates": [d.isoformat() for d in t.dates],
                    "source": t.source,
                }
                for t in p.tasks
            ],
            "agencies": self.result.new_agencies,
            "warnings": p.warnings,
            "errors": p.errors,
            "dry_run": self.dry_run,
            "created": self.result.created,
            "added": self.result.tasks_added,
            "updated": self.result.tasks_updated,
            "removed": self.result.tasks_removed,
        }


async def parse_file(
    ctx: AppContext,
    data: bytes,
    filename: str,
    *,
    issuer: str | None = None,
    plan: str | None = None,
    year: int | None = None,
    today: date | None = None,
) -> ParsedPlan:
    """Read a file into a plan (raises ImportRefused); no database write.

    The reading runs in a worker thread, so the other chats are answered meanwhile (a
    190,000-row spreadsheet takes seconds to read).
    """
    known = [a.name for a in await ctx.storage.agencies()]
    return await asyncio.to_thread(
        read_plan,
        data,
        filename,
        today=today or ctx.today(),
        issuer=issuer,
        plan=plan,
        year=year,
        max_bytes=ctx.settings.max_file_bytes,
        quarter_day=ctx.settings.quarter_report_day,
        known_agencies=known,
    )


async def save_parsed(ctx: AppContext, parsed: ParsedPlan, *, dry_run: bool) -> ImportReport:
    """Place every lead on an agency (known, or new) and save; a dry run rolls everything back."""
    directory = await ctx.directory()
    by_id = {a.id: a for a in await ctx.storage.agencies()}
    issuer_id = directory.resolve(parsed.issuer).agency_id if parsed.issuer else None
    if issuer_id is not None:
        parsed.issuer = by_id[issuer_id].name

    def known(name: str) -> tuple[str, str | None] | None:
        agency_id = directory.resolve(name, asker_id=issuer_id).agency_id
        if agency_id is None:
            return None
        agency = by_id[agency_id]
        parent = by_id.get(agency.parent_id) if agency.parent_id else None
        return agency.name, parent.name if parent else None

    leads = {}
    for task in parsed.tasks:
        if task.lead not in leads:
            leads[task.lead] = place_leads(task.lead, issuer=parsed.issuer, known=known)
    result = await ctx.storage.save_plan(parsed, leads, dry_run=dry_run)
    return ImportReport(parsed=parsed, result=result, dry_run=dry_run)
