"""Settings from the environment (and a `.env` file); every one has a working default but the tokens."""

from __future__ import annotations

from datetime import time
from functools import cached_property
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def parse_hhmm(value: str) -> time:
    """ "08:00" → time(8, 0); raises ValueError on anything else."""
    hours, _, minutes = value.strip().partition(":")
    return time(int(hours), int(minutes or 0))


def parse_days(value: str) -> tuple[int, ...]:
    """ "7,3,1,0" → (7, 3, 1, 0): unique, largest first; raises ValueError on a non-number."""
    return tuple(sorted({int(d) for d in value.split(",") if d.strip()}, reverse=True))


class Settings(BaseSettings):
    """DESIGN.md "Settings". Field names match the environment variables."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    nhacviec_db: str = "sqlite+aiosqlite:///nhacviec.db"
    telegram_bot_token: str | None = None
    telegram_api_base_url: str = "https://api.telegram.org"
    telegram_webhook_url: str | None = None
    telegram_webhook_port: int = 8443
    telegram_webhook_secret: str | None = None
    zalo_bot_token: str | None = None
    zalo_api_base_url: str = "https://bot-api.zaloplatforms.com"
    zalo_webhook_url: str | None = None
    zalo_webhook_secret: str | None = None
    nhacviec_admins: str = ""
    nhacviec_timezone: str = "Asia/Ho_Chi_Minh"
    nhacviec_remind_days: str = "7,3,1,0"
    nhacviec_remind_at: str = "08:00"
    nhacviec_quiet_hours: str = "21:00-07:00"
    nhacviec_digest_at: str = "07:30"
    nhacviec_tick_seconds: int = Field(default=60, ge=1)
    nhacviec_quarter_report_day: str = "end"
    nhacviec_max_file_mb: float = 20.0
    nhacviec_language: str = "vi"
    # Issue 15: working days, worker leases, retries and a clean stop.
    nhacviec_working_days: str = "on"
    nhacviec_lease_seconds: float = Field(default=10.0, gt=0)  # a dead worker's claims are retaken after this
    nhacviec_retry_seconds: str = "10-300"  # backoff of failed sends: first pause - longest pause
    nhacviec_stop_seconds: float = Field(default=20.0, ge=0)  # SIGTERM: in-flight sends get this long
    nhacviec_send_window_seconds: float = Field(default=3.0, gt=0)  # claim this much sending at a time
    nhacviec_send_timeout_seconds: float = Field(default=20.0, gt=0)  # no answer after this: outcome unknown

    @field_validator("nhacviec_working_days")
    @classmethod
    def _check_working_days(cls, value: str) -> str:
        value = value.strip().lower() or "on"
        if value not in ("on", "off"):
            raise ValueError("NHACVIEC_WORKING_DAYS must be 'on' or 'off'")
        return value

    @field_validator("nhacviec_retry_seconds")
    @classmethod
    def _check_retry(cls, value: str) -> str:
        first, _, cap = value.strip().partition("-")
        try:
            ok = 0 < float(first) <= float(cap or first)
        except ValueError:
            ok = False
        if not ok:
            raise ValueError("NHACVIEC_RETRY_SECONDS must be FIRST-LONGEST in seconds, e.g. 10-300")
        return value.strip()

    @field_validator("nhacviec_quarter_report_day")
    @classmethod
    def _check_quarter_day(cls, value: str) -> str:
        value = value.strip().lower() or "end"
        if value != "end" and not (value.isdigit() and 1 <= int(value) <= 31):
            raise ValueError("NHACVIEC_QUARTER_REPORT_DAY must be 'end' or a day 1-31")
        return value

    @property
    def db_url(self) -> str:
        return self.nhacviec_db

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.nhacviec_timezone)

    @property
    def admins(self) -> set[str]:
        """`telegram:123,zalo:abc` → {"telegram:123", "zalo:abc"}."""
        return {a.strip() for a in self.nhacviec_admins.split(",") if a.strip()}

    @property
    def remind_days(self) -> tuple[int, ...]:
        return parse_days(self.nhacviec_remind_days)

    @property
    def remind_at(self) -> time:
        return parse_hhmm(self.nhacviec_remind_at)

    @property
    def digest_at(self) -> time:
        return parse_hhmm(self.nhacviec_digest_at)

    @property
    def quiet_hours(self) -> tuple[time, time] | None:
        raw = self.nhacviec_quiet_hours.strip()
        if not raw:
            return None
        start, _, end = raw.partition("-")
        return parse_hhmm(start), parse_hhmm(end)

    @property
    def quarter_report_day(self) -> int | None:
        """None means the quarter's last day."""
        value = self.nhacviec_quarter_report_day
        return None if value == "end" else int(value)

    @property
    def working_days(self) -> bool:
        return self.nhacviec_working_days == "on"

    @property
    def retry_schedule(self) -> tuple[float, float]:
        """(first pause, longest pause) of the backoff between tries of a failed reminder."""
        first, _, cap = self.nhacviec_retry_seconds.partition("-")
        return float(first), float(cap or first)

    @property
    def max_file_bytes(self) -> int:
        return int(self.nhacviec_max_file_mb * 1024 * 1024)
