"""From a lead cell as written ("Phòng HC-TH, Trung tâm Ứng dụng…") to the agencies it names.

Pure code. Decisions:
- A cell may name several agencies, separated by ";", "," or " và ", but a comma also lives
  inside names ("Sở Văn hóa, Thể thao và Du lịch"), so the cell is only cut where the next
  piece starts with an agency word (Sở, Phòng, Văn phòng, Trung tâm, UBND, …).
- A name the directory knows (exactly, or fuzzily above its rejection threshold) is that
  agency. An unknown name that reads like a province-level body (Sở …, UBND …, Công an tỉnh,
  anything "tỉnh"/"huyện"/"thành phố") becomes a new top-level agency; any other unknown name
  (Văn phòng Sở, Thanh tra Sở, Phòng …, Trung tâm …, Chi cục …) is a unit of the plan's issuer.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.core.text import fold, nfc

AGENCY_WORDS = (
    "so",
    "phong",
    "van phong",
    "trung tam",
    "ubnd",
    "uy ban",
    "ban",
    "cong an",
    "thanh tra",
    "chi cuc",
    "cuc",
    "bo chi huy",
    "bo",
    "hoi",
    "doan",
    "lien doan",
    "bao",
    "dai",
    "kho bac",
    "truong",
    "benh vien",
    "cac",
    "toa an",
    "vien",
    "to",
    "doi",
    "hdnd",
    "mat tran",
    "tinh doan",
    "bhxh",
    "bao hiem",
    "cuc thue",
    "ngan hang",
)
_PROVINCE_LEVEL = re.compile(
    r"^(so|ubnd|uy ban|bo|cong an|bo chi huy|toa an|vien kiem sat|kho bac|cuc|bhxh|bao hiem|hdnd|mat tran|tinh doan)\b"
    r"|\b(tinh|huyen|thanh pho|thi xa|quan|xa|phuong)\b"
)
_RELATIVE = re.compile(r"\b(so|ban|cuc|chi cuc|trung tam)$")
_SEPARATORS = re.compile(r"(\s*(?:;|,|\bvà\b|\bva\b|\+|\n)\s*)", re.IGNORECASE)
_STARTS_AGENCY = re.compile(r"^(?:" + "|".join(sorted(AGENCY_WORDS, key=len, reverse=True)) + r")\b")
_LEAD_NOISE = re.compile(r"^(?:chủ trì|chu tri|cơ quan chủ trì|đơn vị chủ trì)\s*[:\-]\s*", re.IGNORECASE)


def split_agencies(text: str) -> list[str]:
    """Cut a lead cell into agency names, only where a new agency clearly starts."""
    text = _LEAD_NOISE.sub("", nfc(text)).strip(" .;:-")
    if not text:
        return []
    parts = _SEPARATORS.split(text)  # name, separator, name, separator, …
    names = [parts[0].strip(" .;:-")]
    for separator, piece in zip(parts[1::2], parts[2::2], strict=False):
        piece = piece.strip(" .;:-")
        if not piece:
            continue
        if (_STARTS_AGENCY.match(fold(piece)) and " " in piece) or not names[-1]:
            names.append(piece)
        else:  # "Sở Văn hóa, Thể thao và Du lịch": not a new agency, glue it back as written.
            names[-1] = f"{names[-1]}{separator}{piece}"
    return [n for n in names if n]


def is_province_level(name: str) -> bool:
    """Reads like a body of the province itself (not a unit inside the plan's issuer)."""
    f = fold(name)
    return bool(_PROVINCE_LEVEL.search(f)) and not _RELATIVE.search(f)


def place_leads(
    lead_text: str,
    *,
    issuer: str | None,
    known: Callable[[str], tuple[str, str | None] | None],
) -> list[tuple[str, str | None]]:
    """The (name, parent name) of every agency a lead cell names.

    `known(name)` returns the (name, parent) of an existing agency the directory matches, or None.
    """
    placed: list[tuple[str, str | None]] = []
    for name in split_agencies(lead_text):
        hit = known(name)
        if hit is not None:
            placed.append(hit)
        elif issuer and fold(name) != fold(issuer) and not is_province_level(name):
            placed.append((name, nfc(issuer)))
        else:
            placed.append((name, None))
    return list(dict.fromkeys(placed))
