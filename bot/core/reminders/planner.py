"""Which reminders are due now — derived from the tasks, never stored as scheduler jobs.

The reminder schedule of one OPEN occurrence (due date D) for one recipient is a fixed list of
*leads*, each sent on a local day at the recipient's hour (`remind_at`, default from the deployment's config):

* ``d7``, ``d3``, ``d1``, ``d0`` — on D-7, D-3, D-1 and D (the `remind_days`);
* ``nag1``, ``nag2``, … — once the occurrence is overdue, weekly on D+7, D+14, … until done, at
  most `max_nags` of them (NHACVIEC_NAG_WEEKS, 4): after that the occurrence is only shown as
  overdue in answers and digests.

A send time that falls inside the quiet hours is postponed to their end (quiet hours may wrap
midnight: with 21:00-07:00 a 22:00 reminder goes out at 07:00 the next morning).

**Working days** (`PlannerConfig.calendar`, a `WorkCalendar` of weekends and public holidays;
None counts calendar days): lead ``dN`` (N ≥ 1) goes out on the N-th working day before D,
``d0`` on D or — when D is a weekend or a holiday — the working day before it, and the n-th nag
on D + 7n or — when that is not a working day — the first working day after it (never earlier:
moved back over Tết it would fall on D itself and be lost). So a D-1 reminder for a Monday deadline goes on Friday,
and on a day that is not a working day nothing is planned at all (what passed on it goes out
the next working day, as a catch-up). Computed with `WorkIndex` (two list lookups per
occurrence), so planning stays as fast as with calendar days.

**Never miss, never repeat.** Each planned reminder carries a claim key
``f"{occurrence_id}@{due}:{recipient}:{lead}"`` (e.g. ``"42@2022-06-30:telegram:123:d3"``): it
names the due date, so an occurrence whose due date moves (an approved extension) is reminded
anew for its new date. The key depends only
on the data, never on `now`, so every tick that sees the same reminder produces the same key;
the storage layer claims a key once (unique index) before sending, so a restart, a crash or a
second worker never sends it twice. `plan_reminders(now=…)` returns, for each (open occurrence,
recipient), **only the most recent lead whose send time has passed** (``scheduled_at <= now``),
and only if that send time lies inside the catch-up window
(``max(since, now - catchup_horizon) < scheduled_at``). Consequences:

* In normal running the same key comes back on every tick until its lead is superseded; the
  storage filters out keys already claimed, so it is sent once.
* After downtime, only the latest passed lead is returned: a missed ``d7`` is superseded once
  ``d3`` has passed, and because the planner never returns an earlier lead than the latest one,
  the superseded ``d7`` can never be sent later either.
* Nothing older than `catchup_horizon` (7 days) is sent: a stale lead is dropped rather than
  sent late. With the default leads and weekly nags there is always a lead inside any 7-day
  window, so an overdue occurrence always has its current nag.
* Done occurrences, continuous / unspecified tasks (no occurrences), tasks without a lead agency
  and muted tasks produce nothing.

`since` is an optional speed-up for the tick loop: passing the `now` of the last tick that
finished lets a tick return only what became due since (a few reminders instead of every
current nag). Leaving it None (a start-up, an hourly full pass, a retry pass) re-derives every
reminder still inside the horizon, which is what makes a lost tick harmless.

One tick of the loop (storage and sending live outside this module)::

    planned = plan_reminders(tasks, recipients, now=now, config=config, since=last_tick)
    fresh = [r for r in planned if r.key not in await storage.claimed_keys(r.key for r in planned)]
    claimed = [r for r in fresh if await storage.claim(r.key, recipient=r.recipient,
               occurrence_id=r.occurrence_id, lead=r.lead, now=now, worker=me)]
    for delivery in group_for_delivery(claimed, now=now):
        blocks = messages.reminder_blocks(delivery, today)   # in the recipient's language
        ok = send(delivery.recipient, blocks)
        for key in delivery.keys: await storage.finish_claim(key, ok=ok, now=now)

A failed claim or a dead worker's claim (`storage.retryable`) is re-sent by a full pass (`since=None`):
its key comes back as long as it is still the latest lead inside the horizon.

Occurrences of archived plans (`TaskView.plan_archived`) produce nothing.
Keys name the due date too: when a re-import or an approved extension moves an occurrence's due
date (same occurrence id, done status kept), its reminders are planned anew for the new date.

Speed: recipients are indexed by agency id and grouped by *schedule profile* (their lead days
and hour); the latest lead of an occurrence is computed once per profile with integer
arithmetic on day ordinals, then fanned out to the recipients of its lead agency.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from operator import itemgetter
from typing import NamedTuple
from zoneinfo import ZoneInfo

from bot.core.address import Address
from bot.core.domain import OccurrenceStatus, TaskView
from bot.core.reminders.workdays import WorkCalendar, WorkIndex

DEFAULT_REMIND_DAYS: tuple[int, ...] = (7, 3, 1, 0)


@dataclass(frozen=True)
class Recipient:
    """Someone (or a linked group chat) that receives reminders for some lead agencies.

    `agency_ids` is computed by the caller: an officer's agency; a manager's agency and the
    units under it; a linked group's agency and its units.
    """

    address: Address  # "telegram:123", "zalo:abc", a linked group "telegram:-100123"
    agency_ids: frozenset[int]
    remind_days: tuple[int, ...] | None = None  # per-user lead days (None = settings)
    remind_at: time | None = None  # per-user hour (None = settings)
    muted_task_ids: frozenset[int] = frozenset()
    language: str = "vi"
    wants_digest: bool = False  # managers


class PlannedReminder(NamedTuple):
    """One reminder to claim and send. A NamedTuple (not a dataclass) because a tick may build
    hundreds of thousands of them and tuples are several times cheaper to create."""

    key: str  # claim key: f"{occurrence_id}@{due}:{recipient}:{lead}"
    recipient: Address
    task: TaskView
    occurrence_id: int
    due: date
    lead: str  # "d7", "d3", "d1", "d0" (days before due) or "nag1", "nag2", … (weeks overdue)
    days_left: int  # due - today; negative when overdue
    scheduled_at: datetime  # aware, local: when it was meant to go out (after quiet hours)


def reminder_key(occurrence_id: int, due: date, recipient: Address, lead: str) -> str:
    """The unique claim key of one reminder; stable across ticks, restarts and workers, and new
    when the occurrence's due date moves."""
    return f"{occurrence_id}@{due.isoformat()}:{recipient}:{lead}"


@dataclass(frozen=True)
class PlannerConfig:
    """The deployment's reminder settings, as plain values."""

    remind_days: tuple[int, ...] = DEFAULT_REMIND_DAYS
    remind_at: time = time(8, 0)
    quiet_hours: tuple[time, time] | None = (time(21, 0), time(7, 0))
    tz: tzinfo = ZoneInfo("Asia/Ho_Chi_Minh")
    nag_every_days: int = 7  # 0 turns the overdue nags off
    max_nags: int | None = 4  # weekly nags stop after this many (NHACVIEC_NAG_WEEKS); None: never
    catchup_horizon: timedelta = timedelta(days=7)
    remind_partners: bool = False  # NHACVIEC_REMIND_PARTNERS: coordinating agencies are reminded too
    # Working days (weekends, public holidays): None counts calendar days and sends every day.
    calendar: WorkCalendar | None = None


def in_quiet_hours(moment: time, quiet_hours: tuple[time, time] | None) -> bool:
    """True when `moment` is inside [start, end); the interval may wrap midnight."""
    if quiet_hours is None:
        return False
    start, end = quiet_hours
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def postpone_out_of_quiet(moment: time, quiet_hours: tuple[time, time] | None) -> tuple[int, time]:
    """Where a send planned at `moment` really goes: (days later, local time).

    Inside quiet hours it moves to their end — the next day when the quiet hours wrap midnight
    and `moment` is before midnight.
    """
    if not in_quiet_hours(moment, quiet_hours):
        return 0, moment
    assert quiet_hours is not None
    start, end = quiet_hours
    if start > end and moment >= start:
        return 1, end
    return 0, end


def scheduled_at(
    due: date, lead_days: int, remind_at: time, quiet_hours: tuple[time, time] | None, tz: tzinfo
) -> datetime:
    """When the reminder `lead_days` before `due` goes out (negative = after due)."""
    shift, at = postpone_out_of_quiet(remind_at, quiet_hours)
    day = due - timedelta(days=lead_days - shift)
    return datetime.combine(day, at, tzinfo=tz)


class _Profile:
    """A schedule shared by recipients with the same lead days and hour.

    Everything about "which lead is the latest one passed" is computed here once per occurrence,
    not once per (occurrence, recipient).
    """

    def __init__(self, days: tuple[int, ...], at: time, config: PlannerConfig) -> None:
        self.days = tuple(sorted(set(days), reverse=True))
        self.max_day = self.days[0] if self.days else 0
        self.min_day = self.days[-1] if self.days else 0
        self.shift, self.at = postpone_out_of_quiet(at, config.quiet_hours)
        self.nag = config.nag_every_days if config.max_nags != 0 else 0
        self.max_nags = config.max_nags
        # smallest remind day >= k, for k in [min_day, max_day]
        self.lead_for_k: dict[int, int] = {}
        for k in range(self.min_day, self.max_day + 1):
            self.lead_for_k[k] = min(d for d in self.days if d >= k)
        self.names = {d: f"d{d}" for d in self.days}
        self.by_agency: dict[int, list[tuple[Address, frozenset[int] | None]]] = defaultdict(list)

    def latest(self, due_ord: int, last_sent_ord: int) -> tuple[int, str] | None:
        """The latest lead whose send day is ≤ `last_sent_ord`: (days before due, name).

        A lead `d` goes out on day due - d + shift, so it has passed iff d ≥ k with
        k = due + shift - last_sent_day; the latest passed one is the smallest such d.
        """
        k = due_ord + self.shift - last_sent_ord
        best: int | None = None
        if self.days and k <= self.max_day:
            best = self.lead_for_k[k] if k >= self.min_day else self.min_day
        if self.nag > 0 and -k >= self.nag:
            weeks = -k // self.nag
            if self.max_nags is not None:
                weeks = min(weeks, self.max_nags)  # the last nag stays the latest lead: it ages out
            nag_days = -weeks * self.nag
            if best is None or nag_days < best:
                return nag_days, f"nag{weeks}"
        if best is None:
            return None
        return best, self.names[best]

    def latest_working(self, due_ord: int, p: int, index: WorkIndex) -> tuple[int, str] | None:
        """Working-days `latest`: (send day ordinal before the hour shift, name), or None.

        `p` is the index of the last working day whose send time has passed (shift taken off).
        Lead d ≥ 1 goes out on the d-th working day before the due day D, lead 0 on D or the
        working day before it, the n-th nag on D + 7n or the first working day after it (a nag
        is about lateness: moved earlier it could fall on D itself, before Tết, and be lost). A
        lead has passed iff its send day's index ≤ p.
        """
        best: int | None = None
        send: int | None = None
        if self.days and index.covers(due_ord) and index.pos(due_ord) >= 0:
            a = index.pos(due_ord)
            working = index.days[a] == due_ord
            k = a - p
            if not working and k > 0:
                k += 1  # D-0 and D-1 share the working day before a holiday due date
            if k <= self.max_day:
                best = self.lead_for_k[k] if k >= self.min_day else self.min_day
                i = a - best if working else a - max(best - 1, 0)
                send = index.days[i] if i >= 0 else None
        if self.nag > 0:
            # nag n goes out on the first working day on or after D + 7n: it has passed iff
            # D + 7n is on or before the last working day passed
            weeks = (index.days[p] - due_ord) // self.nag
            if self.max_nags is not None:
                weeks = min(weeks, self.max_nags)  # as in `latest`: the last nag ages out
            week_ord = due_ord + weeks * self.nag
            if weeks >= 1 and week_ord > index.lo:  # a capped nag older than the index is out of any window
                nag_day = index.days[index.pos(week_ord - 1) + 1]
                if send is None or nag_day > send:
                    return nag_day, f"nag{weeks}"
        if best is None or send is None:
            return None
        return send, self.names[best]


def plan_reminders(
    tasks: Iterable[TaskView],
    recipients: Iterable[Recipient],
    *,
    now: datetime,
    config: PlannerConfig,
    since: datetime | None = None,
) -> list[PlannedReminder]:
    """Every reminder due at `now` that still matters (see the module docstring for the rules).

    `now` may be naive (taken as local time) or aware. The result follows the order of `tasks`
    (then occurrences, then recipients): deterministic, and not sorted because a busy morning can
    yield hundreds of thousands of reminders; `group_for_delivery` orders each person's list.
    """
    tz = config.tz
    local_now = now.astimezone(tz).replace(tzinfo=None) if now.tzinfo else now
    aware_now = local_now.replace(tzinfo=tz)
    window_start = aware_now - config.catchup_horizon
    if since is not None:
        since_aware = since.astimezone(tz) if since.tzinfo else since.replace(tzinfo=tz)
        window_start = max(window_start, since_aware)
    profiles = _profiles(_merged(recipients), config)
    if not profiles:
        return []
    today = local_now.date()
    index: WorkIndex | None = None
    if config.calendar is not None:
        if not config.calendar.is_working(today):
            return []  # nothing goes out on a weekend or a public holiday
        longest = max(p.max_day for p in profiles)
        horizon_days = config.catchup_horizon.days + 1
        index = WorkIndex(config.calendar, today.toordinal() - horizon_days - 40, today.toordinal() + 2 * longest + 60)
    plans = [_DayPlan.of(profile, local_now, index) for profile in profiles]
    # Hundreds of thousands of small acyclic tuples: the cyclic GC would rescan them (and every
    # task) many times over for nothing, tripling the run time.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _emit(tasks, plans, index, today, window_start, aware_now, config)
    finally:
        if gc_was_enabled:
            gc.enable()


def _merged(recipients: Iterable[Recipient]) -> list[Recipient]:
    """The same address listed twice (e.g. an officer who is also a manager) is one recipient."""
    merged: dict[Address, Recipient] = {}
    for person in recipients:
        known = merged.get(person.address)
        if known is not None:
            person = replace(known, agency_ids=known.agency_ids | person.agency_ids)
        merged[person.address] = person
    return list(merged.values())


def _profiles(people: list[Recipient], config: PlannerConfig) -> list[_Profile]:
    """Recipients grouped by their lead days and hour, each group indexed by agency."""
    profiles: dict[tuple[tuple[int, ...], time], _Profile] = {}
    for person in people:
        days = person.remind_days if person.remind_days is not None else config.remind_days
        at = person.remind_at if person.remind_at is not None else config.remind_at
        profile_key = (tuple(sorted(set(days), reverse=True)), at)
        profile = profiles.get(profile_key)
        if profile is None:
            profile = profiles[profile_key] = _Profile(*profile_key, config)
        entry = (person.address, person.muted_task_ids or None)
        for agency_id in person.agency_ids:
            profile.by_agency[agency_id].append(entry)
    return list(profiles.values())


@dataclass(frozen=True)
class _DayPlan:
    """A profile as of one `now`: the last local day whose send time has passed, the far-future
    cut-off (a due date beyond it has nothing yet) and, on working days, that day's index."""

    profile: _Profile
    last_sent_ord: int
    too_far_ord: int
    work_p: int

    @classmethod
    def of(cls, profile: _Profile, local_now: datetime, index: WorkIndex | None) -> _DayPlan:
        today_ord = local_now.date().toordinal()
        last_sent_ord = today_ord if local_now.time() >= profile.at else today_ord - 1
        if index is None:
            return cls(profile, last_sent_ord, last_sent_ord + profile.max_day - profile.shift, 0)
        p = index.pos(last_sent_ord - profile.shift)
        return cls(profile, last_sent_ord, index.days[min(p + profile.max_day + 1, len(index.days) - 1)], p)


def _people(profile: _Profile, leads: tuple[int, ...]) -> list[tuple[Address, frozenset[int] | None]] | None:
    """Who of a profile hears about a task: everyone of each lead agency, once (joint leads)."""
    if len(leads) == 1:
        return profile.by_agency.get(leads[0])
    joint: dict[Address, tuple[Address, frozenset[int] | None]] = {}
    for lead_agency in leads:
        for entry in profile.by_agency.get(lead_agency, ()):
            joint.setdefault(entry[0], entry)
    return list(joint.values())


def _emit(
    tasks: Iterable[TaskView],
    plans: list[_DayPlan],
    index: WorkIndex | None,
    today: date,
    window_start: datetime,
    aware_now: datetime,
    config: PlannerConfig,
) -> list[PlannedReminder]:
    """The hot loop: the latest passed lead of each open occurrence for each person."""
    tz = config.tz
    remind_partners = config.remind_partners
    today_ord = today.toordinal()
    open_status = OccurrenceStatus.OPEN
    combine = datetime.combine
    from_ord = date.fromordinal
    new = tuple.__new__  # PlannedReminder without the Python-level __new__ wrapper
    cls = PlannedReminder
    out: list[PlannedReminder] = []
    append = out.append
    for task in tasks:
        leads = task.lead_ids or ((task.lead_id,) if task.lead_id is not None else ())
        if remind_partners and task.partner_ids:
            leads = tuple(dict.fromkeys((*leads, *task.partner_ids)))
        if not leads or not task.occurrences or task.plan_archived:
            continue
        task_id = task.id
        for plan in plans:
            profile = plan.profile
            people = _people(profile, leads)
            if not people:
                continue
            for occ in task.occurrences:
                if occ.status != open_status:
                    continue
                due = occ.due
                due_ord = due.toordinal()
                if due_ord > plan.too_far_ord:
                    continue
                if index is None:
                    found = profile.latest(due_ord, plan.last_sent_ord)
                    if found is None:
                        continue
                    lead_days, lead = found
                    send_ord = due_ord - lead_days + profile.shift
                else:
                    found = profile.latest_working(due_ord, plan.work_p, index)
                    if found is None:
                        continue
                    send_ord, lead = found
                    send_ord += profile.shift
                when = combine(from_ord(send_ord), profile.at, tzinfo=tz)
                if when <= window_start or when > aware_now:
                    continue
                days_left = due_ord - today_ord
                occ_id = occ.id
                prefix = f"{occ_id}@{due.isoformat()}:"
                suffix = f":{lead}"
                for address, muted in people:
                    if muted is not None and task_id in muted:
                        continue
                    key = f"{prefix}{address}{suffix}"
                    append(new(cls, (key, address, task, occ_id, due, lead, days_left, when)))
    return out


_by_due = itemgetter(6, 3)  # (days_left, occurrence_id) of a PlannedReminder: ints sort fast


@dataclass(frozen=True)
class Delivery:
    """What one message carries: one reminder, a bundle of on-time ones, or a catch-up."""

    recipient: Address
    reminders: tuple[PlannedReminder, ...]
    is_catchup: bool = False

    @property
    def keys(self) -> list[str]:
        return [r.key for r in self.reminders]


def group_for_delivery(
    reminders: Iterable[PlannedReminder],
    *,
    now: datetime | None = None,
    catchup_threshold: int = 3,
    late_after: timedelta = timedelta(minutes=30),
) -> list[Delivery]:
    """Turn claimed reminders into messages, so nobody gets a flood.

    Per recipient, reminders whose `scheduled_at` is more than `late_after` before `now` were
    missed (the bot was down). When there are at least `catchup_threshold` missed ones they
    become ONE catch-up message; likewise at least `catchup_threshold` on-time ones become one
    bundled message. Fewer go out one message each. Call it on the reminders actually claimed.
    Without `now`, nothing counts as missed.
    """
    by_person: dict[Address, list[PlannedReminder]] = defaultdict(list)
    reminders = list(reminders)
    cutoff: datetime | None = None
    if now is not None and reminders:
        if now.tzinfo is None:  # naive: local time, like in plan_reminders
            now = now.replace(tzinfo=reminders[0].scheduled_at.tzinfo)
        cutoff = now - late_after
    gc_was_enabled = gc.isenabled()
    gc.disable()  # see plan_reminders: many small acyclic objects
    try:
        for reminder in reminders:
            by_person[reminder.recipient].append(reminder)
        deliveries: list[Delivery] = []
        bundle_from = max(catchup_threshold, 2)
        for person in sorted(by_person):
            items = by_person[person]
            items.sort(key=_by_due)
            if cutoff is None:
                missed: list[PlannedReminder] = []
                on_time = items
            else:
                missed = [r for r in items if r.scheduled_at < cutoff]
                on_time = [r for r in items if r.scheduled_at >= cutoff] if missed else items
            for group, catchup in ((missed, True), (on_time, False)):
                if len(group) >= bundle_from:
                    deliveries.append(Delivery(person, tuple(group), is_catchup=catchup))
                else:
                    deliveries.extend(Delivery(person, (r,)) for r in group)
    finally:
        if gc_was_enabled:
            gc.enable()
    return deliveries
