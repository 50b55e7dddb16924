"""How a recorded result, progress or extension of one occurrence is shown (answers, digests)."""

from __future__ import annotations

import re
from datetime import date

from bot.core.domain import OccurrenceStatus, OccurrenceView
from bot.core.i18n import _
from bot.core.markup import esc

MAX_NOTE = 200


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_NOTE else text[: MAX_NOTE - 1].rstrip() + "…"


def _d(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def due_label(occ: OccurrenceView) -> str:
    """When an occurrence is due, for menus and confirmations: "31/12/2026", or for continuous
    work the period it reports on ("thường xuyên, năm 2026", "thường xuyên, quý 4/2026")."""
    if occ.period_start is None:
        return _d(occ.due)
    start, end = occ.period_start, occ.due
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return _("thường xuyên, năm {year}").format(year=end.year)
    if start.day == 1 and start.year == end.year and end.month - start.month == 2 and start.month % 3 == 1:
        return _("thường xuyên, quý {quarter}/{year}").format(quarter=end.month // 3, year=end.year)
    return _("thường xuyên, {start} – {end}").format(start=_d(start), end=_d(end))


def occurrence_facts(occ: OccurrenceView | None) -> list[str]:
    """Short HTML pieces: an approved extension, "đang thực hiện" and its note, the result's note
    and report file. Empty for an occurrence with nothing recorded."""
    if occ is None:
        return []
    facts = []
    if occ.original_due is not None and occ.original_due != occ.due:
        facts.append(esc(_("(gia hạn từ {date})").format(date=_d(occ.original_due))))
    if occ.status == OccurrenceStatus.DONE:
        if occ.note:
            facts.append(_("— kết quả: {note}").format(note=f"<i>{esc(_short(occ.note))}</i>"))
        if occ.file_name:
            facts.append("📎 " + esc(_short(occ.file_name)))
    elif occ.in_progress:
        facts.append("🔄 " + esc(_("đang thực hiện")))
        if occ.progress_note:
            facts.append(f"— <i>{esc(_short(occ.progress_note))}</i>")
    return facts


_NEW_DATE = re.compile(r"(?<!\d)(\d{1,2})\s*[/.-]\s*(\d{1,2})(?:\s*[/.-]\s*(\d{2,4}))?(?!\d)")


def parse_extension(text: str, *, today: date) -> tuple[date, str] | None:
    """ "15/7/2022 chờ số liệu của Sở Tài chính" → (the new due date, the reason).

    The date is day/month[/year] (a missing year: this year, or the next one when the day has
    passed); the reason is the rest of the text, without a leading "vì", "do", "lý do:" or dash.
    None when no valid date is written.
    """
    match = _NEW_DATE.search(text)
    if not match:
        return None
    day, month = int(match.group(1)), int(match.group(2))
    year_text = match.group(3)
    year = int(year_text) + (2000 if year_text and len(year_text) == 2 else 0) if year_text else today.year
    try:
        found = date(year, month, day)
    except ValueError:
        return None
    if not year_text and found < today:
        try:
            found = date(year + 1, month, day)
        except ValueError:
            return None
    rest = (text[: match.start()] + " " + text[match.end() :]).strip()
    rest = re.sub(r"^(?:đến\s+ngày|đến|tới|ngày|sang)\s+", "", rest, flags=re.IGNORECASE)
    rest = re.sub(r"^[\s,;:–—-]*(?:(?:lý|ly)\s*do|vì|vi|do|bởi\s+vì)?\s*[:,–—-]?\s*", "", rest, flags=re.IGNORECASE)
    return found, rest.strip(" ,;:–—-")


# An extension request's two decisions as button data: the push to the managers and the list of
# pending requests (/baocao, the digest) build them here; the router reads the prefix.
APPROVE_EXTENSION, REJECT_EXTENSION = "xa", "xr"


def extension_decisions(extension_id: int) -> tuple[str, str]:
    """(approve, reject) button data of one extension request."""
    return f"{APPROVE_EXTENSION}:{extension_id}", f"{REJECT_EXTENSION}:{extension_id}"
