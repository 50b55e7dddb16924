"""Answering a question: parse it (pure), fetch the tasks it needs, select and word the answer (pure)."""

from __future__ import annotations

from collections.abc import Callable
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
from bot.delivery.config import DeliveryConfig
from handlers.context import AppContext


class UnknownAgency(ValueError):
    """`nhacviec ask --agency NAME` with a name the directory does not know."""

    def __init__(self, name: str, suggestions: list[str]) -> None:
        self.name, self.suggestions = name, suggestions
        message = _("Không tìm thấy cơ quan “{name}”.").format(name=name)
        if suggestions:
            message += " " + _("Có phải: {names}?").format(names="; ".join(suggestions[:3]))
        super().__init__(message)


TaskFilter = Callable[[TaskView], bool]


async def tasks_for(ctx: AppContext, question: Question, keep: TaskFilter | None = None) -> list[TaskView]:
    """Only the tasks the question can be about: an agency and its units (led or coordinated),
    or all of them (an account with no agency asks about every agency), those `keep` accepts."""
    if (question.agency_name_asked and question.agency_id is None) or question.intent not in ("tasks", "topic"):
        return []
    if question.agency_id is None:
        tasks = await ctx.all_tasks()
    else:
        directory = await ctx.directory()
        tasks = await ctx.tasks_for_agencies(directory.descendants(question.agency_id))
    return tasks if keep is None else [t for t in tasks if keep(t)]


async def _task_filter(
    ctx: AppContext, directory: Directory, question: Question, with_archived: bool
) -> TaskFilter | None:
    """Which tasks may answer: archived plans leave answers unless asked ("kể cả kế hoạch đã lưu
    trữ"); a place named keeps that place's tree — tasks led there, or in a plan its government (or
    a unit of it) issued ("Sở Nội vụ" of two provinces is one agency; "sở nội vụ quảng trị" means
    Quảng Trị's plans). None: every task."""
    tree: set[int] | None = None
    issued: set[int] = set()
    if question.place_id is not None:
        tree = directory.descendants(question.place_id)
        for plan in await ctx.storage.plans():
            issuer = directory.resolve(plan.issuer).agency_id if plan.issuer else None
            if issuer is not None and issuer in tree:
                issued.add(plan.id)
    if tree is None:
        return None if with_archived else (lambda t: not t.plan_archived)
    place = tree

    def keep(task: TaskView) -> bool:
        if task.plan_archived and not with_archived:
            return False
        return task.plan_id in issued or any(lead in place for lead in task.lead_ids or (task.lead_id,))

    return keep


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


async def _topic_everywhere(ctx: AppContext, question: Question, keep: TaskFilter | None) -> list[TaskView]:
    """The tasks of every agency about the question's topic, through the index kept with the
    tasks: at 20,000 tasks only the titles with the topic's words are read."""
    index = await ctx.topic_index()
    return index.search(question.topic or "", keep=keep)


async def ask(
    ctx: AppContext, text: str, *, asker_id: int | None, today: date, status: str | None = None
) -> tuple[dict[str, Any], list[str]]:
    """The `ask` JSON (DESIGN.md "The command line") and the HTML blocks of the reply (`status`: a command's own)."""
    directory = await ctx.directory()
    text, with_archived = wants_archived(text)
    question = parse_question(text, today=today, directory=directory, asker_id=asker_id, status=status)
    question = await _as_topic(ctx, question, directory)
    keep = await _task_filter(ctx, directory, question, with_archived)
    if question.intent == "topic" and question.topic and question.agency_id is None:
        tasks = await _topic_everywhere(ctx, question, keep)
    else:
        tasks = await tasks_for(ctx, question, keep)
        if question.intent == "topic" and question.topic:
            tasks = search_topic(question.topic, tasks)
    items = select(question, tasks, today)
    label = directory.full_name(question.agency_id) if question.agency_id is not None else None
    overdue = overdue_elsewhere(question, tasks, today) if not items and question.intent == "tasks" else 0
    calendar = DeliveryConfig.from_settings(ctx.settings).calendar(ctx.now())  # None: working days off
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
