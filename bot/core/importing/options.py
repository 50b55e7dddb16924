"""What one import was asked to do, and how one plan's deadlines are dated: two values the
whole pipeline passes instead of the same keyword parameters through every function.

`ImportOptions` is set once where an import starts (the command line, the chat, /demo) and read
by the readers (`reader.py`, `tables.py`, `documents.py`) and by the save. `Dating` is made
from it once the plan's year and window are known, and goes down to every row and sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date

from bot.core.domain import Deadline
from bot.core.lang.deadlines import parse_deadline

DEFAULT_MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class ImportOptions:
    """One import as asked.

    The admin's facts (`issuer`, `plan` number, `year`, `period`) win over what the file says.
    `matches` are their corrections of the preview (a name as written → the agency it means);
    `dry_run` previews without writing. `today`, the file cap (`max_bytes`), the due day of
    quarterly rules (`quarter_day`, None = the quarter's last day) and the directory's names
    (`known_agencies`, to put scanner-damaged names back) say how the file is read.
    """

    today: date
    issuer: str | None = None
    plan: str | None = None
    year: int | None = None
    period: tuple[int, int] | None = None
    dry_run: bool = False
    matches: tuple[tuple[str, str], ...] = ()
    quarter_day: int | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    known_agencies: tuple[str, ...] = ()

    def with_matches(self, matches: Mapping[str, str] | None) -> ImportOptions:
        """These options with the admin's corrections `matches` (name as written → agency)."""
        return replace(self, matches=tuple((matches or {}).items()))

    def dating(self, year: int | None, window: tuple[date, date] | None = None) -> Dating:
        """How this import dates the deadlines of a plan of `year` signed within `window`."""
        return Dating(today=self.today, year=year, quarter_day=self.quarter_day, window=window)


@dataclass(frozen=True)
class Dating:
    """How one plan's deadline phrases become dates: today, the plan's year, the window its due
    dates fall in (signing date to the end of its period, see `plan_window`) and the quarter day."""

    today: date
    year: int | None = None
    quarter_day: int | None = None
    window: tuple[date, date] | None = None

    def parse(self, text: str) -> Deadline:
        return parse_deadline(
            text, today=self.today, year=self.year, quarter_day=self.quarter_day, window=self.window
        )
