"""Importing a plan file: read it, place its agencies, save it (or only preview it)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.core.domain import ParsedPlan
from bot.core.i18n import _
from bot.core.importing.leads import Placement, place_names
from bot.core.importing.reader import read_plan
from bot.core.plans import bound_to_period, report_periods
from bot.core.text import fold
from handlers.context import AppContext
from storage.db import SaveResult


@dataclass
class ImportReport:
    parsed: ParsedPlan
    result: SaveResult
    dry_run: bool
    placements: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """DESIGN.md `import` shape (identical with and without --dry-run, plus counts)."""
        p = self.parsed
        return {
            "plan": p.number,
            "issuer": p.issuer,
            "year": p.year,
            "date": p.date.isoformat() if p.date else None,
            "period": list(p.period) if p.period else None,
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
            "names": self.placements,
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


def _preview(placement: Placement, role: str) -> dict[str, Any]:
    """One name of the plan as the preview shows it: matched (full path), new under …, or ambiguous."""
    return {
        "written": placement.written,
        "role": role,
        "status": placement.status,
        "match": placement.label() if placement.status == "matched" else None,
        "new_under": " › ".join(placement.path[:-1]) or None if placement.status == "new" else None,
        "choices": list(placement.choices),
    }


def placement_line(name: dict[str, Any]) -> str:
    """One name of the preview in words: "[chủ trì] Văn phòng Sở → Sở Y tế › Văn phòng Sở"."""
    role = _("chủ trì") if name["role"] == "lead" else _("phối hợp")
    if name["status"] == "matched":
        where = name["match"]
    elif name["status"] == "ambiguous":
        where = _("chưa rõ: {choices}").format(choices="; ".join(name["choices"][:5]))
    elif name["new_under"]:
        where = _("mới, thuộc {parent}").format(parent=name["new_under"])
    else:
        where = _("mới, cấp trên cùng")
    return f"[{role}] {name['written']} → {where}"


async def save_parsed(
    ctx: AppContext, parsed: ParsedPlan, *, dry_run: bool, matches: dict[str, str] | None = None
) -> ImportReport:
    """Place every lead and partner on an agency (known, or new) and save; a dry run rolls back.

    `matches` lets an admin correct the preview: a name as written → the agency it means
    (any name the directory resolves, e.g. a full name "Văn phòng Sở (Sở Y tế)").
    """
    bound_to_period(parsed, today=ctx.today(), quarter_day=ctx.settings.quarter_report_day)
    directory = await ctx.directory()
    issuer_id = directory.resolve(parsed.issuer).agency_id if parsed.issuer else None
    if issuer_id is not None:
        record = directory.record(issuer_id)
        assert record is not None
        parsed.issuer = record.name
    corrections: dict[str, int] = {}
    for written, target in (matches or {}).items():
        hit = directory.resolve(target)
        if hit.agency_id is None:
            raise ValueError(
                _("Không tìm thấy cơ quan “{name}”.").format(name=target)
                + (
                    " " + _("Có phải: {names}?").format(names="; ".join(hit.suggestions[:3]))
                    if hit.suggestions
                    else ""
                )
            )
        corrections[fold(written)] = hit.agency_id

    def placed(text: str) -> list[Placement]:
        found = place_names(text, directory=directory, issuer_id=issuer_id, issuer=parsed.issuer)
        out = []
        for placement in found:
            target = corrections.get(fold(placement.written))
            if target is not None:
                record = directory.record(target)
                assert record is not None
                placement = Placement(
                    placement.written,
                    record.name,
                    record.parent_id,
                    target,
                    "matched",
                    directory.path(target),
                )
            out.append(placement)
        return out

    leads: dict[str, list[tuple[str, Any]]] = {}
    partners: dict[str, list[tuple[str, Any]]] = {}
    preview: dict[tuple[str, str], dict[str, Any]] = {}
    for task in parsed.tasks:
        for text, table, role in ((task.lead, leads, "lead"), (task.partners, partners, "partner")):
            if not text or text in table:
                continue
            placements = placed(text)
            table[text] = [p.place for p in placements]
            for placement in placements:
                preview.setdefault((fold(placement.written), role), _preview(placement, role))
    result = await ctx.storage.save_plan(
        parsed,
        leads,
        dry_run=dry_run,
        partner_names=partners,
        issuer_id=issuer_id,
        report_periods=report_periods(parsed, today=ctx.today()),
    )
    return ImportReport(parsed=parsed, result=result, dry_run=dry_run, placements=list(preview.values()))
