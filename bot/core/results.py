"""How a recorded result, progress or extension of one occurrence is shown (answers, digests)."""

from __future__ import annotations

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
