"""Answering a question: parse it (pure), fetch the tasks it needs, select and word the answer (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from bot.core.domain import TaskView
from bot.core.i18n import _
from bot.core.lang.agencies import Directory
from bot.core.lang.answers import compose, overdue_elsewhere, search_topic, select, to_json
from bot.core.lang.questions import Question, parse_question, understood_pieces
from bot.core.markup import plain_text
from bot.core.plans import wants_archived
from handlers.context import AppContext
from handlers.tick import work_calendar


class UnknownAgency(ValueError):
    """`nhacviec ask --agency NAME` with a name the directory does not know."""

    def __init__(self, name: str, suggestions: list[str]) -> None:
        self.name, self.suggestions = name, suggestions
        message = _("Không tìm thấy cơ quan “{name}”.").format(name=name)
        if suggestions:
            message += " " + _("Có phải: {names}?").format(names="; ".join(suggestions[:3]))
        super().__init__(message)


async def tasks_for(ctx: AppContext, question: Question) -> list[TaskView]:
    """Only the tasks the question can be about: an agency and its units (led or coordinated),
    or all of them (topic search; an account with no agency asks about every agency); a place
    named beside the agency keeps that place's tasks."""
    if (question.agency_name_asked and question.agency_id is None) or question.intent not in ("tasks", "topic"):
        return []
    directory = await ctx.directory()
    if question.agency_id is None:
        tasks = await ctx.all_tasks()
    else:
        tasks = await ctx.tasks_for_agencies(directory.descendants(question.agency_id))
    if question.place_id is not None:
        tasks = await _in_place(ctx, directory, question.place_id, tasks)
    return tasks


async def _in_place(ctx: AppContext, directory: Directory, place_id: int, tasks: list[TaskView]) -> list[TaskView]:
    """Tasks of a place's tree: led there, or in a plan its government (or a unit of it) issued
    ("Sở Nội vụ" of two provinces is one agency; "sở nội vụ quảng trị" means Quảng Trị's plans)."""
    tree = directory.descendants(place_id)
    issued = set()
    for plan in await ctx.storage.plans():
        issuer = directory.resolve(plan.issuer).agency_id if plan.issuer else None
        if issuer is not None and issuer in tree:
            issued.add(plan.id)
    return [t for t in tasks if t.plan_id in issued or any(lead in tree for lead in t.lead_ids or (t.lead_id,))]


async def _as_topic(ctx: AppContext, question: Question, directory: Directory) -> Question:
    """Words read as an agency nobody is called ("phòng chống ma túy") that name tasks are a topic:
    a topic is never taken for an agency name."""
    if not (question.agency_name_asked and question.agency_id is None and question.fallback_topic):
        return question
    if not (await ctx.topic_index()).search(question.fallback_topic, limit=1):
        return question
    topic = replace(
        question,
        intent="topic",
        topic=question.fallback_topic,
        agency_name_asked=None,
        suggestions=[],
        own_agency=False,
        agency_ids=frozenset(),
    )
    topic.understood = understood_pieces(topic, directory)
    return topic


async def _topic_tasks(ctx: AppContext, question: Question, tasks: list[TaskView]) -> list[TaskView]:
    """The tasks about the question's topic among `tasks`: over every agency through the index
    kept with the tasks, so a topic question at 20,000 tasks reads only the titles with its words."""
    topic = question.topic or ""
    if question.agency_id is not None:
        return search_topic(topic, tasks)
    index = await ctx.topic_index()
    if len(tasks) == len(index.tasks):
        return index.search(topic)
    allowed = {t.id for t in tasks}
    return index.search(topic, keep=lambda t: t.id in allowed)


async def ask(
    ctx: AppContext, text: str, *, asker_id: int | None, today: date, status: str | None = None
) -> tuple[dict[str, Any], list[str]]:
    """The `ask` JSON (DESIGN.md "The command line") and the HTML blocks of the reply (`status`: a command's own)."""
    directory = await ctx.directory()
    text, with_archived = wants_archived(text)
    question = parse_question(text, today=today, directory=directory, asker_id=asker_id, status=status)
    question = await _as_topic(ctx, question, directory)
    tasks = await tasks_for(ctx, question)
    if not with_archived:  # archived plans leave answers unless asked ("kể cả kế hoạch đã lưu trữ")
        tasks = [t for t in tasks if not t.plan_archived]
    if question.intent == "topic" and question.topic:
        items = select(question, await _topic_tasks(ctx, question, tasks), today)
    else:
        items = select(question, tasks, today)
    label = directory.full_name(question.agency_id) if question.agency_id is not None else None
    overdue = overdue_elsewhere(question, tasks, today) if not items and question.intent == "tasks" else 0
    calendar = work_calendar(ctx.settings, ctx.now())
    blocks = compose(question, items, today=today, agency_label=label, overdue=overdue, calendar=calendar)
    result = to_json(question, items, blocks, directory, today, calendar)
    if result.get("status") == "due_soon" and result.get("from") is None:
        # "sắp đến hạn" with no period named is the window today … today + 7 (README "Questions").
        result["from"], result["to"] = today.isoformat(), (today + timedelta(days=7)).isoformat()
    result["reply_html"] = "\n".join(blocks)
    result["reply"] = plain_text("\n".join(blocks))
    return result, blocks


async def answer_question(ctx: AppContext, text: str, *, agency: str | None, today: date) -> dict[str, Any]:
    """`nhacviec ask`: the asker is whoever belongs to `agency` (resolved like any name).

    An unknown `agency` raises `UnknownAgency` (with the closest names), never "no agency".
    """
    asker_id = None
    if agency:
        directory = await ctx.directory()
        hit = directory.resolve(agency, qualified=True)
        if hit.agency_id is None:
            raise UnknownAgency(agency, hit.suggestions or directory.suggest(agency))
        asker_id = hit.agency_id
    result, _blocks = await ask(ctx, text, asker_id=asker_id, today=today)
    result["reply_text"] = result["reply"]
    return result
