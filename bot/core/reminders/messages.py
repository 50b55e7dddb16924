"""The text of reminder messages: one reminder, a bundle, or a catch-up after downtime.

Blocks are Telegram HTML (see `bot.core.replies.Reply`): every task or plan text goes through
`esc`, and one reminder is one block so a long message is never cut inside a task. The number of
days is computed from `today` (the day the message goes out), not from when it was planned.
"""

from __future__ import annotations

from datetime import date

from bot.core.i18n import _, ngettext
from bot.core.markup import esc
from bot.core.reminders.planner import Delivery, PlannedReminder


def format_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def days_phrase(due: date, today: date) -> str:
    """ "còn 3 ngày" / "hôm nay là hạn" / "đã trễ 8 ngày"."""
    days = (due - today).days
    if days > 0:
        return ngettext("còn {days} ngày", "còn {days} ngày", days).format(days=days)
    if days == 0:
        return _("hôm nay là hạn")
    return ngettext("đã trễ {days} ngày", "đã trễ {days} ngày", -days).format(days=-days)


def _details(reminder: PlannedReminder) -> str:
    """The second line: who leads it and which plan it comes from."""
    task = reminder.task
    parts = []
    if task.lead:
        parts.append(_("Chủ trì: {lead}").format(lead=esc(task.lead)))
    if task.plan:
        parts.append(_("Kế hoạch: {plan}").format(plan=esc(task.plan)))
    return " · ".join(parts)


def reminder_line(reminder: PlannedReminder, today: date) -> str:
    """One reminder inside a bundle or a catch-up: "• <b>title</b> — hạn 30/06/2022 (còn 3 ngày)"."""
    line = _("• <b>{title}</b> — hạn {due} ({when})").format(
        title=esc(reminder.task.title), due=format_date(reminder.due), when=days_phrase(reminder.due, today)
    )
    details = _details(reminder)
    return f"{line}\n  {details}" if details else line


def single_reminder(reminder: PlannedReminder, today: date) -> str:
    """ "⏰ Nhắc việc: <b>title</b> — hạn 30/06/2022 (còn 3 ngày)" and its details."""
    text = _("⏰ Nhắc việc: <b>{title}</b> — hạn {due} ({when})").format(
        title=esc(reminder.task.title), due=format_date(reminder.due), when=days_phrase(reminder.due, today)
    )
    details = _details(reminder)
    return f"{text}\n{details}" if details else text


def reminder_blocks(delivery: Delivery, today: date) -> list[str]:
    """The blocks of one message for `delivery` (see `planner.group_for_delivery`)."""
    reminders = list(delivery.reminders)
    if not reminders:
        return []
    if len(reminders) == 1 and not delivery.is_catchup:
        return [single_reminder(reminders[0], today)]
    if delivery.is_catchup:
        header = _("Trong thời gian bot tạm dừng có {count} nhắc việc chưa gửi:").format(count=len(reminders))
    else:
        header = _("⏰ Nhắc việc: {count} việc sắp đến hạn hoặc đã quá hạn:").format(count=len(reminders))
    return [header, *(reminder_line(r, today) for r in reminders)]
