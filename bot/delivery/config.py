"""What the delivery engine is told: plain values read once from the settings, and the working
days calendar (weekends and Vietnamese public holidays) it derives from them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, time, tzinfo
from functools import lru_cache

from bot.core.reminders.backoff import Backoff
from bot.core.reminders.planner import PlannerConfig
from bot.core.reminders.workdays import WorkCalendar
from bot.settings import Settings


@dataclass(frozen=True)
class DeliveryConfig:
    """The reminder tick's, the lease's and the digests' settings, as values."""

    planner: PlannerConfig = field(default_factory=PlannerConfig)  # without its calendar (see `planner_at`)
    working_days: bool = True  # NHACVIEC_WORKING_DAYS: skip weekends and public holidays
    tick_seconds: float = 60.0  # plan every this often (retries are polled more often)
    lease_seconds: float = 10.0  # a dead worker's claims are retaken after this
    send_window_seconds: float = 3.0  # claim this much sending at a time
    backoff: Backoff = field(default_factory=Backoff)  # the pause before retrying a failed send
    digest_at: time = time(7, 30)  # managers' digest, on working days

    @property
    def tz(self) -> tzinfo:
        return self.planner.tz

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryConfig:
        first, cap = settings.retry_schedule
        return cls(
            planner=settings.planner_config(),
            working_days=settings.working_days,
            tick_seconds=settings.nhacviec_tick_seconds,
            lease_seconds=settings.nhacviec_lease_seconds,
            send_window_seconds=settings.nhacviec_send_window_seconds,
            backoff=Backoff(first=first, cap=cap),
            digest_at=settings.digest_at,
        )

    def calendar(self, around: datetime) -> WorkCalendar | None:
        """The working days around `around`; None when NHACVIEC_WORKING_DAYS=off (calendar days)."""
        return work_calendar(around.year) if self.working_days else None

    def planner_at(self, now: datetime) -> PlannerConfig:
        """The planner's config for a tick at `now`, with the working days around it."""
        return replace(self.planner, calendar=self.calendar(now))


@lru_cache(maxsize=4)
def work_calendar(year: int) -> WorkCalendar:
    """Weekends and Vietnamese public holidays (Tết included) of the year before, this one and the
    next, from the `holidays` package; built once per year and kept."""
    # Imported here: the package takes ~90 ms to load, and only the working-days rule needs it.
    import holidays

    years = (year - 1, year, year + 1)
    return WorkCalendar.of(holidays.country_holidays("VN", years=years))
