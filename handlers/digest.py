"""Managers' digest: the four national-tracking states per unit, overdue and due-soon lists, a chart."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.core.domain import UserError
from bot.core.i18n import _
from bot.core.markup import esc, plain_text
from bot.core.reminders.chart import digest_chart_png
from bot.core.reminders.digest import Digest, build_digest, digest_blocks, digest_json
from handlers.context import AppContext
from handlers.replies import Reply


async def digest_of(
    ctx: AppContext,
    scope: set[int] | None,
    *,
    today: date,
    period: tuple[date, date] | None = None,
    plan_id: int | None = None,
) -> Digest:
    """The digest of a scope (an agency with its units; None: every agency), archived plans left
    out, optionally one plan's tasks and the occurrences due in `period` — the one selection the
    chat digest, `nhacviec digest` and the dashboard count with `build_digest`."""
    directory = await ctx.directory()
    tasks = await ctx.all_tasks() if scope is None else await ctx.tasks_for_agencies(scope)
    tasks = [t for t in tasks if not t.plan_archived and (plan_id is None or t.plan_id == plan_id)]
    if scope is None:
        scope = {i for t in tasks for i in (*t.lead_ids, *t.partner_ids)} | {
            t.lead_id for t in tasks if t.lead_id is not None
        }
    names = {i: directory.full_name(i) for i in scope}
    return build_digest(tasks, agency_ids=set(scope), unit_names=names, today=today, period=period)


async def _digest(ctx: AppContext, agency_id: int, today: date) -> tuple[Digest, str]:
    directory = await ctx.directory()
    digest = await digest_of(ctx, directory.descendants(agency_id), today=today)
    return digest, directory.full_name(agency_id)


async def digest_replies(ctx: AppContext, agency_id: int, *, today: date, with_chart: bool) -> list[Reply]:
    digest, label = await _digest(ctx, agency_id, today)
    replies = [Reply(digest_blocks(digest, agency_label=label, today=today))]
    if with_chart:
        try:
            replies.append(
                Reply(
                    [_("Biểu đồ tình hình thực hiện — {agency}").format(agency=esc(label))],
                    photo=digest_chart_png(digest),
                )
            )
        except Exception:
            pass
    return replies


async def digest_for(ctx: AppContext, *, agency: str | None, today: date) -> dict[str, Any]:
    """`nhacviec digest`: one agency, or every top-level agency that has tasks."""
    directory = await ctx.directory()
    if agency:
        hit = directory.resolve(agency)
        if hit.agency_id is None:
            raise UserError(_("Không tìm thấy cơ quan “{name}”.").format(name=agency))
        ids = [hit.agency_id]
    else:
        ids = [a.id for a in await ctx.storage.agencies() if a.parent_id is None]
    results = []
    texts = []
    for agency_id in ids:
        digest, label = await _digest(ctx, agency_id, today)
        blocks = digest_blocks(digest, agency_label=label, today=today)
        data = digest_json(digest)
        data["agency"] = label
        data["reply"] = plain_text("\n".join(blocks))
        results.append(data)
        texts.append(data["reply"])
    if agency:
        out = results[0]
    else:
        out = {"today": today.isoformat(), "agencies": results}
    out["reply_text"] = "\n\n".join(texts)
    return out
