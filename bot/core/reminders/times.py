"""Reminder times as people type them: an hour ("08:00"), days before a due date ("7,3,1,0"),
quiet hours ("21:00-07:00"). One parser each, for the settings and the per-user /nhacnho values
alike; each raises ValueError with a short bilingual hint on anything else."""

from __future__ import annotations

from datetime import time


def parse_hhmm(value: str) -> time:
    """ "08:00" or "8" → time(8, 0); raises ValueError on anything else ("8h", "25:00")."""
    hours, _, minutes = value.strip().partition(":")
    if not hours.strip().isdigit() or (minutes and not minutes.strip().isdigit()):
        raise ValueError("cần giờ dạng HH:MM, ví dụ 08:00 (expected HH:MM)")
    return time(int(hours), int(minutes or 0))


def parse_days(value: str) -> tuple[int, ...]:
    """ "7,3,1,0" → (7, 3, 1, 0): unique, largest first; raises ValueError on a non-number."""
    days = tuple(sorted({int(d) for d in value.split(",") if d.strip()}, reverse=True))
    if any(d < 0 or d > 366 for d in days):
        raise ValueError("cần các số ngày 0–366 cách nhau bởi dấu phẩy, ví dụ 7,3,1,0")
    return days


def parse_quiet_hours(value: str) -> tuple[time, time] | None:
    """ "21:00-07:00" → (21:00, 07:00); empty → None (no quiet hours)."""
    raw = value.strip()
    if not raw:
        return None
    start, sep, end = raw.partition("-")
    if not sep:
        raise ValueError("cần dạng HH:MM-HH:MM, ví dụ 21:00-07:00, hoặc để trống")
    return parse_hhmm(start), parse_hhmm(end)


def format_days(days: tuple[int, ...]) -> str:
    """(7, 3, 1) → "7,3,1": how a list of days is stored and shown."""
    return ",".join(map(str, days))


def format_hhmm(at: time) -> str:
    """time(8, 30) → "08:30": how an hour is stored and shown."""
    return at.strftime("%H:%M")
