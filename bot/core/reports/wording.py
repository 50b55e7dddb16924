"""The fixed words of an administrative document (Nghị định 30/2020/NĐ-CP, Phụ lục I).

The reports are national forms: their words are Vietnamese whatever the reader's language, so
they are constants here, not gettext messages. Pure helpers: an agency's abbreviation for the
document number ("Sở Tư pháp" → "STP": "Số:      /BC-STP"), the title of whoever signs for it,
the place of the "Quảng Ngãi, ngày … tháng … năm …" line, and a period said in words.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from datetime import date

from bot.core.text import fold, nfc

QUOC_HIEU = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
TIEU_NGU = "Độc lập - Tự do - Hạnh phúc"
SIGN_HINT = "(Ký, ghi rõ họ tên)"
BLANK_NUMBER = "      "  # the văn thư writes the number by hand
DOTS = "……"

_LOCAL_GOVERNMENT = re.compile(r"^(?:uy ban nhan dan|ubnd)\b")
_GLUE_WORDS = {"va", "cua", "thuoc", "-", "–", "&"}

# The head of each kind of agency, by the word its name opens with (longest first).
_HEADS = (
    ("van phong", "CHÁNH VĂN PHÒNG"),
    ("thanh tra", "CHÁNH THANH TRA"),
    ("chi cuc", "CHI CỤC TRƯỞNG"),
    ("uy ban nhan dan", "CHỦ TỊCH"),
    ("ubnd", "CHỦ TỊCH"),
    ("cong an", "TRƯỞNG CÔNG AN"),
    ("trung tam", "GIÁM ĐỐC"),
    ("phong", "TRƯỞNG PHÒNG"),
    ("cuc", "CỤC TRƯỞNG"),
    ("ban", "TRƯỞNG BAN"),
    ("bo", "BỘ TRƯỞNG"),
    ("so", "GIÁM ĐỐC"),
    ("vien", "VIỆN TRƯỞNG"),
    ("truong", "HIỆU TRƯỞNG"),
    ("benh vien", "GIÁM ĐỐC"),
)
_HEAD_DEFAULT = "THỦ TRƯỞNG CƠ QUAN"
_PROVINCE = re.compile(r"\b(?:tinh|thanh pho|tp\.?)\s+(\w[\w\s]*?)\s*$")
_PROVINCE_PREFIX = re.compile(r"^(?:tỉnh|thành phố|tp\.?)\s+", re.IGNORECASE)


# The kinds of document a plan's number names (ND 30, Phụ lục III: "444/KH-SCT" is a Kế hoạch).
_KINDS = {
    "kh": "Kế hoạch", "qd": "Quyết định", "nq": "Nghị quyết", "ct": "Chỉ thị", "tb": "Thông báo",
    "cd": "Công điện", "hd": "Hướng dẫn", "ctr": "Chương trình", "bc": "Báo cáo", "da": "Đề án",
}


def document_kind(number: str) -> str:
    """ "444/KH-SCT" → "Kế hoạch", "1627/QĐ-UBND" → "Quyết định", else "Văn bản"."""
    match = re.search(r"/\s*([^\W\d_]+)\s*-", nfc(number))
    return _KINDS.get(fold(match.group(1)), "Văn bản") if match else "Văn bản"


def abbreviation(name: str) -> str:
    """The initials ND 30 puts after "/BC-": "Sở Tài nguyên và Môi trường" → "STNMT",
    "Ủy ban nhân dân tỉnh Quảng Ngãi" → "UBND"; "" when the name has no words."""
    name = nfc(name)
    if _LOCAL_GOVERNMENT.match(fold(name)):
        return "UBND"
    words = [w for w in re.findall(r"[^\W\d_]+|\d+", name) if fold(w) not in _GLUE_WORDS]
    return "".join(w[0].upper() for w in words)[:12]


_COMMON_SHORT = (
    (re.compile(r"\b[UỦ]y ban nhân dân\b", re.IGNORECASE), "UBND"),
    (re.compile(r"\bHội đồng nhân dân\b", re.IGNORECASE), "HĐND"),
)


def short_name(name: str) -> str:
    """ND 30 lets the body above the agency, and recipients, shorten the common words:
    "Ủy ban nhân dân tỉnh Quảng Ngãi" → "UBND tỉnh Quảng Ngãi"."""
    name = nfc(name)
    for pattern, short in _COMMON_SHORT:
        name = pattern.sub(short, name)
    return name


def signer_title(name: str) -> str:
    """Who signs for an agency: "Sở …" → GIÁM ĐỐC, "Phòng …" → TRƯỞNG PHÒNG, …"""
    folded = fold(name)
    for start, title in sorted(_HEADS, key=lambda h: -len(h[0])):
        if folded == start or folded.startswith(start + " "):
            return title
    return _HEAD_DEFAULT


def place_of(province: str, names: Iterable[str]) -> str:
    """The place of the date line: the deployment's province ("Tỉnh Quảng Ngãi" → "Quảng Ngãi"),
    else the province or city that ends one of the agency's names ("Ủy ban nhân dân thành phố
    Cần Thơ" → "Cần Thơ"); "" when none says it (the line keeps dots for it)."""
    if province.strip():
        return _PROVINCE_PREFIX.sub("", nfc(province).strip())
    for name in names:
        name = nfc(name).strip()
        match = _PROVINCE.search(fold(name))
        if match and len(fold(name)) == len(name):
            return name[match.start(1) : match.end(1)]
    return ""


def dated_line(place: str, day: date) -> str:
    """ "Quảng Ngãi, ngày 05 tháng 02 năm 2026": ND 30 writes a 0 before days under 10 and the
    months January and February."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place or DOTS}, ngày {day.day:02d} tháng {month} năm {day.year}"


def roman(n: int) -> str:
    out = ""
    for value, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                           (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out += letters
            n -= value
    return out


def vn_date(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def _month_end(day: date) -> date:
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def period_phrase(start: date | None, end: date | None) -> str:
    """A period in words: "quý IV năm 2026", "tháng 11 năm 2026", "năm 2026", "6 tháng đầu năm
    2026", else "từ ngày 01/10/2026 đến ngày 15/11/2026"; "" for no period (everything)."""
    if start is None and end is None:
        return ""
    if start is None:
        return f"đến ngày {vn_date(end)}" if end else ""
    if end is None:
        return f"từ ngày {vn_date(start)}"
    if start.day == 1 and end == _month_end(end) and start.year == end.year:
        months = (start.month, end.month)
        if months == (1, 12):
            return f"năm {start.year}"
        if months in ((1, 6), (7, 12)):
            return f"6 tháng {'đầu' if months[0] == 1 else 'cuối'} năm {start.year}"
        if start.month % 3 == 1 and end.month == start.month + 2:
            return f"quý {roman(end.month // 3)} năm {start.year}"
        if start.month == end.month:
            return f"tháng {start.month} năm {start.year}"
    return f"từ ngày {vn_date(start)} đến ngày {vn_date(end)}"


def reporting_period(start: date, end: date) -> str:
    """A continuous task's reporting period, short: "năm 2026", "quý IV/2026", "01/07–31/12/2026"."""
    phrase = period_phrase(start, end)
    if phrase.startswith("quý "):
        return phrase.replace(" năm ", "/")
    if phrase.startswith("năm "):
        return phrase
    return f"{start:%d/%m}–{vn_date(end)}"
