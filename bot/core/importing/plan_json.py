"""The one JSON shape of a parsed plan, and reading it back.

`nhacviec import --json` prints it (with the save's counts beside it, `handlers/importing.py`),
and a chat preview keeps it in the database between the upload and "Xác nhận"
(`handlers/conversation.py`). The keys the command line has always printed keep their names and
meaning ("plan" is the plan's number; each task's "dates" are ISO dates); the rest of a task
(its TT "number", "activity", "output", "note") and the file it came from ("source_file",
"source_hash") are there too, so that what is read back is the plan that was written.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.core.domain import Kind, ParsedPlan, ParsedTask


def plan_to_json(plan: ParsedPlan) -> dict[str, Any]:
    return {
        "plan": plan.number,
        "issuer": plan.issuer,
        "year": plan.year,
        "date": plan.date.isoformat() if plan.date else None,
        "period": list(plan.period) if plan.period else None,
        "title": plan.title,
        "tasks": [task_to_json(task) for task in plan.tasks],
        "warnings": list(plan.warnings),
        "errors": list(plan.errors),
        "source_file": plan.source_file,
        "source_hash": plan.source_hash,
        # a scan's or an OCR'd file's text as OCR gave it, and as repaired (issue 27); else None
        "ocr_text": plan.ocr_text,
        "repaired_text": plan.repaired_text,
    }


def task_to_json(task: ParsedTask) -> dict[str, Any]:
    return {
        "title": task.title,
        "lead": task.lead,
        "partners": task.partners,
        "deadline": task.deadline,
        "kind": task.kind.value,
        "dates": [d.isoformat() for d in task.dates],
        "source": task.source,
        "number": task.number,
        "activity": task.activity,
        "output": task.output,
        "note": task.note,
    }


def plan_from_json(value: dict[str, Any]) -> ParsedPlan:
    """A plan from `plan_to_json`'s shape, or from the shape previews were stored in before it
    (the plan's number under "number"), so a preview waiting across an upgrade still confirms."""
    period = value.get("period")
    return ParsedPlan(
        tasks=tuple(_task_from_json(task) for task in value.get("tasks", ())),
        issuer=value.get("issuer"),
        number=value["plan"] if "plan" in value else value.get("number"),
        date=_date(value.get("date")),
        year=value.get("year"),
        title=value.get("title"),
        period=(int(period[0]), int(period[1])) if period else None,
        source_file=value.get("source_file") or "",
        source_hash=value.get("source_hash") or "",
        warnings=tuple(value.get("warnings", ())),
        errors=tuple(value.get("errors", ())),
        ocr_text=value.get("ocr_text"),
        repaired_text=value.get("repaired_text"),
    )


def _task_from_json(value: dict[str, Any]) -> ParsedTask:
    return ParsedTask(
        title=value["title"],
        lead=value.get("lead", ""),
        partners=value.get("partners", ""),
        deadline=value.get("deadline", ""),
        kind=Kind(value.get("kind", Kind.UNSPECIFIED)),
        dates=tuple(date.fromisoformat(d) for d in value.get("dates", ())),
        activity=value.get("activity", ""),
        output=value.get("output", ""),
        note=value.get("note", ""),
        number=value.get("number", ""),
        source=value.get("source", ""),
    )


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None
