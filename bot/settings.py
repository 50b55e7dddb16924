"""Settings from the environment (and a `.env` file); every one has a working default but the tokens."""

from __future__ import annotations

import ipaddress
import os
from datetime import time
from functools import cached_property
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.core.address import Address
from bot.core.i18n import _
from bot.core.redact import Redactor
from bot.core.reminders.planner import DEFAULT_REMIND_DAYS, PlannerConfig
from bot.core.reminders.times import parse_days, parse_hhmm, parse_quiet_hours


def parse_web_url(value: str | None) -> str | None:
    """ "https://nhacviec.so.gov.vn/" → "https://nhacviec.so.gov.vn"; empty → None; raises
    ValueError on anything but an http(s) origin (the dashboard's pages live at the root: no path)."""
    if value is None or not value.strip():
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path.strip("/") or parts.query or parts.fragment:
        raise ValueError("cần địa chỉ gốc http(s)://máy[:cổng], không có đường dẫn, ví dụ https://nhacviec.so-tu-phap.gov.vn")
    return value.strip().rstrip("/")


class Settings(BaseSettings):
    """DESIGN.md "Settings". Field names match the environment variables."""

    # `NHACVIEC_ENV_FILE` names another file, or none when empty (the test suite sets it empty so
    # a developer's `.env` never changes what the tests see).
    model_config = SettingsConfigDict(
        env_file=os.environ.get("NHACVIEC_ENV_FILE", ".env") or None, env_file_encoding="utf-8", extra="ignore"
    )

    nhacviec_db: str = "sqlite+aiosqlite:///nhacviec.db"
    telegram_bot_token: str | None = None
    telegram_api_base_url: str = "https://api.telegram.org"
    telegram_webhook_url: str | None = None
    telegram_webhook_listen: str = "127.0.0.1"  # the address the webhook server binds (a proxy in front)
    telegram_webhook_port: int = Field(default=8443, ge=1, le=65535)
    telegram_webhook_secret: str | None = None
    # Messages a second this process sends to Telegram (issue 30). Telegram allows a bot about 30
    # a second in all: with N workers give each 28/N (README, "A nation on many workers").
    telegram_send_rate: float = Field(default=28.0, gt=0)
    zalo_bot_token: str | None = None
    zalo_api_base_url: str = "https://bot-api.zaloplatforms.com"
    zalo_webhook_url: str | None = None
    zalo_webhook_secret: str | None = None
    zalo_webhook_listen: str = "127.0.0.1"
    zalo_webhook_port: int | None = Field(default=None, ge=1, le=65535)  # default: the URL's port, else 8444
    nhacviec_admins: str = ""
    nhacviec_timezone: str = "Asia/Ho_Chi_Minh"
    nhacviec_remind_days: str = "7,3,1,0"
    nhacviec_remind_at: str = "08:00"
    nhacviec_quiet_hours: str = "21:00-07:00"
    nhacviec_digest_at: str = "07:30"
    nhacviec_tick_seconds: int = Field(default=60, ge=1)
    nhacviec_quarter_report_day: str = "end"
    nhacviec_max_file_mb: float = 20.0
    nhacviec_nag_weeks: int = Field(default=4, ge=0)  # weekly overdue nags stop after this many weeks
    nhacviec_language: str = "vi"
    nhacviec_log_level: str = "WARNING"
    nhacviec_debug: bool = False  # the CLI re-raises unexpected errors (a developer's traceback)
    nhacviec_remind_partners: str = "off"
    nhacviec_province: str = ""
    # Issue 27: scans and photos are read by Tesseract within these limits (per file).
    nhacviec_ocr_max_pages: int = Field(default=30, ge=1)
    nhacviec_ocr_max_seconds: float = Field(default=300.0, gt=0)
    nhacviec_ocr_language: str = "vie"
    nhacviec_ocr_workers: int = Field(default=2, ge=1, le=16)

    @field_validator("nhacviec_remind_partners")
    @classmethod
    def _check_on_off(cls, value: str) -> str:
        if value.strip().lower() not in ("on", "off", "1", "0", "true", "false", "yes", "no"):
            raise ValueError("on or off")
        return value.strip().lower()

    @property
    def remind_partners(self) -> bool:
        return self.nhacviec_remind_partners in ("on", "1", "true", "yes")
    # Issue 15: working days, worker leases, retries and a clean stop.
    nhacviec_working_days: str = "on"
    nhacviec_lease_seconds: float = Field(default=10.0, gt=0)  # a dead worker's claims are retaken after this
    nhacviec_retry_seconds: str = "10-300"  # backoff of failed sends: first pause - longest pause
    nhacviec_stop_seconds: float = Field(default=20.0, ge=0)  # SIGTERM: in-flight sends get this long
    nhacviec_send_window_seconds: float = Field(default=3.0, gt=0)  # claim this much sending at a time
    nhacviec_send_timeout_seconds: float = Field(default=20.0, gt=0)  # no answer after this: outcome unknown

    # Issue 29: the dashboard (one ASGI server in the process; issue 30 puts the webhooks on it).
    nhacviec_web_listen: str = "127.0.0.1"  # the address it binds (a reverse proxy in front)
    nhacviec_web_port: int | None = Field(default=None, ge=0, le=65535)  # set: `nhacviec run` serves it
    nhacviec_web_url: str | None = None  # the public base URL put in login links
    nhacviec_web_proxies: str = ""  # reverse proxies whose X-Forwarded-For/-Proto are believed
    # Issue 30: connections the process's web server keeps open at most (lowered to fit the
    # open-file limit; see bot/web/server.py and LimitNOFILE in docker/nhacviec.service).
    nhacviec_web_max_connections: int = Field(default=1000, ge=16)

    def webhook_address(self, channel: str) -> tuple[str, int]:
        """Where a channel's webhook listens: TELEGRAM_WEBHOOK_LISTEN:_PORT, or ZALO_WEBHOOK_LISTEN
        and ZALO_WEBHOOK_PORT, else ZALO_WEBHOOK_URL's port, else 8444."""
        if channel == "telegram":
            return self.telegram_webhook_listen, self.telegram_webhook_port
        port = self.zalo_webhook_port or urlsplit(self.zalo_webhook_url or "").port or 8444
        return self.zalo_webhook_listen, port

    @field_validator("nhacviec_web_url")
    @classmethod
    def _check_web_url(cls, value: str | None) -> str | None:
        return parse_web_url(value)

    @field_validator("nhacviec_web_proxies")
    @classmethod
    def _check_proxies(cls, value: str) -> str:
        for item in (x.strip() for x in value.split(",")):
            if not item:
                continue
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError("cần địa chỉ IP hoặc mạng, cách nhau bởi dấu phẩy, ví dụ 127.0.0.1") from None
        return value.strip()

    @property
    def web_proxies(self) -> list[str]:
        return [x.strip() for x in self.nhacviec_web_proxies.split(",") if x.strip()]

    @property
    def web_base_url(self) -> str | None:
        """Where links point: NHACVIEC_WEB_URL, else the local address when the port is set."""
        if self.nhacviec_web_url:
            return self.nhacviec_web_url
        if self.nhacviec_web_port:
            host = self.nhacviec_web_listen
            host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
            return f"http://{'[' + host + ']' if ':' in host else host}:{self.nhacviec_web_port}"
        return None

    @field_validator("nhacviec_admins")
    @classmethod
    def _check_admins(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip():
                Address(part)  # raises ValueError naming the expected form
        return value

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
            raise ValueError("cần 'end' hoặc một ngày 1–31 (expected 'end' or a day 1-31)")
        return value

    # Every value is checked when the settings are read, so a bad one stops the program at start
    # with a line naming the variable (`settings_error`), not at the first tick.
    @field_validator("nhacviec_remind_at", "nhacviec_digest_at")
    @classmethod
    def _check_hour(cls, value: str) -> str:
        parse_hhmm(value)
        return value.strip()

    @field_validator("nhacviec_remind_days")
    @classmethod
    def _check_days(cls, value: str) -> str:
        try:
            parse_days(value)
        except ValueError:
            raise ValueError("cần các số ngày cách nhau bởi dấu phẩy, ví dụ 7,3,1,0") from None
        return value

    @field_validator("nhacviec_quiet_hours")
    @classmethod
    def _check_quiet(cls, value: str) -> str:
        parse_quiet_hours(value)
        return value

    @field_validator("nhacviec_timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value.strip())
        except (ValueError, KeyError, OSError):
            raise ValueError("không biết múi giờ này (expected e.g. Asia/Ho_Chi_Minh)") from None
        return value.strip()

    @field_validator("nhacviec_log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        if value.strip().upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("cần DEBUG, INFO, WARNING, ERROR hoặc CRITICAL")
        return value.strip().upper()

    @property
    def db_url(self) -> str:
        return self.nhacviec_db

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.nhacviec_timezone)

    @property
    def admins(self) -> frozenset[Address]:
        """`telegram:123,zalo:abc` → {Address("telegram:123"), Address("zalo:abc")}."""
        return frozenset(Address(a) for a in self.nhacviec_admins.split(",") if a.strip())

    @cached_property
    def remind_days(self) -> tuple[int, ...]:
        return parse_days(self.nhacviec_remind_days)

    @cached_property
    def remind_at(self) -> time:
        return parse_hhmm(self.nhacviec_remind_at)

    @cached_property
    def digest_at(self) -> time:
        return parse_hhmm(self.nhacviec_digest_at)

    @cached_property
    def quiet_hours(self) -> tuple[time, time] | None:
        return parse_quiet_hours(self.nhacviec_quiet_hours)

    @property
    def quarter_report_day(self) -> int | None:
        """None means the quarter's last day."""
        value = self.nhacviec_quarter_report_day
        return None if value == "end" else int(value)

    def secrets(self) -> list[str]:
        """Everything that must never reach a log, a reply, stderr or the database."""
        from sqlalchemy.engine import make_url  # lazy: SQLAlchemy costs `nhacviec deadline` 0.3 s

        found = [
            self.telegram_bot_token,
            self.zalo_bot_token,
            self.telegram_webhook_secret,
            self.zalo_webhook_secret,
        ]
        try:
            found.append(make_url(self.nhacviec_db).password)
        except Exception:
            pass
        return [s for s in found if s]

    def redactor(self) -> Redactor:
        return Redactor(self.secrets())

    def planner_config(self) -> PlannerConfig:
        """The reminder planner's config as plain values (the core never reads settings itself)."""
        return PlannerConfig(
            remind_days=self.remind_days or DEFAULT_REMIND_DAYS,
            remind_at=self.remind_at,
            quiet_hours=self.quiet_hours,
            tz=self.tz,
            max_nags=self.nhacviec_nag_weeks,
            remind_partners=self.remind_partners,
        )

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


def settings_error(exc: ValidationError) -> str:
    """One line naming each bad variable and what it expects (never the value: it may be a secret)."""
    parts = []
    for error in exc.errors():
        name = ".".join(str(x) for x in error.get("loc", ())).upper() or "?"
        parts.append(f"{name}: {error.get('msg', 'invalid')}")
    return _("Cấu hình sai: {errors}").format(errors="; ".join(parts))
