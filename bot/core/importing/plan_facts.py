"""Facts of a plan read from its header and first paragraph: issuer, number, date, title, year.

Scanned plans arrive with the two header columns run together ("SO KHOA HQC VA CONG NGHE Déc
1ap - Tw do - Hanh phuc") and diacritics lost or misread ("86: 272 |KH-SKHCN"), so everything is
matched on folded text with tolerant patterns, and a damaged uppercase issuer is put back into
proper Vietnamese when it is close to a known agency or a typical agency type. Pure code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from bot.core.lang.agencies import fold_aligned
from bot.core.lang.deadlines import ONWARDS, ONWARDS_YEARS
from bot.core.text import fold, fold_words, nfc

# Typical issuers of provincial plans: a damaged header close to one of these is shown like it.
AGENCY_TYPES: tuple[str, ...] = (
    "Sở Nội vụ",
    "Sở Tư pháp",
    "Sở Tài chính",
    "Sở Kế hoạch và Đầu tư",
    "Sở Công Thương",
    "Sở Khoa học và Công nghệ",
    "Sở Thông tin và Truyền thông",
    "Sở Giáo dục và Đào tạo",
    "Sở Y tế",
    "Sở Xây dựng",
    "Sở Giao thông vận tải",
    "Sở Tài nguyên và Môi trường",
    "Sở Nông nghiệp và Phát triển nông thôn",
    "Sở Lao động - Thương binh và Xã hội",
    "Sở Văn hóa, Thể thao và Du lịch",
    "Sở Văn hóa và Thể thao",
    "Sở Du lịch",
    "Sở Ngoại vụ",
    "Ban Dân tộc",
    "Ban Quản lý Khu kinh tế",
    "Thanh tra tỉnh",
    "Văn phòng UBND tỉnh",
    "Văn phòng Ủy ban nhân dân tỉnh",
    "Ủy ban nhân dân tỉnh",
    "UBND tỉnh",
    "Công an tỉnh",
    "Bộ Chỉ huy Quân sự tỉnh",
    "Đài Phát thanh và Truyền hình",
    "Kho bạc Nhà nước",
    "Cục Thuế",
    "Bảo hiểm xã hội",
)

PROVINCES: tuple[str, ...] = (
    "An Giang", "Bà Rịa - Vũng Tàu", "Bạc Liêu", "Bắc Giang", "Bắc Kạn", "Bắc Ninh", "Bến Tre",
    "Bình Dương", "Bình Định", "Bình Phước", "Bình Thuận", "Cà Mau", "Cao Bằng", "Cần Thơ",
    "Đà Nẵng", "Đắk Lắk", "Đắk Nông", "Điện Biên", "Đồng Nai", "Đồng Tháp", "Gia Lai", "Hà Giang",
    "Hà Nam", "Hà Nội", "Hà Tĩnh", "Hải Dương", "Hải Phòng", "Hậu Giang", "Hòa Bình", "Hưng Yên",
    "Khánh Hòa", "Kiên Giang", "Kon Tum", "Lai Châu", "Lạng Sơn", "Lào Cai", "Lâm Đồng", "Long An",
    "Nam Định", "Nghệ An", "Ninh Bình", "Ninh Thuận", "Phú Thọ", "Phú Yên", "Quảng Bình",
    "Quảng Nam", "Quảng Ngãi", "Quảng Ninh", "Quảng Trị", "Sóc Trăng", "Sơn La", "Tây Ninh",
    "Thái Bình", "Thái Nguyên", "Thanh Hóa", "Thừa Thiên Huế", "Tiền Giang", "Thành phố Hồ Chí Minh",
    "Trà Vinh", "Tuyên Quang", "Vĩnh Long", "Vĩnh Phúc", "Yên Bái",
)  # fmt: skip

_MOTTO_START = ("cong hoa xa hoi", "doc lap", "tu do - hanh phuc")
_NUMBER = re.compile(r"(\d{1,5})\s*[/|\\]\s*([A-Za-zĐđ]{1,6}(?:\s*-\s*[A-Za-zĐđ0-9&]{1,12}){1,3})")
_DATE = re.compile(r"ngay\s*(\d{1,2})\s*(?:thang|/)\s*(\d{1,2})\s*(?:nam|/)\s*(\d{4})")
_BODY_ISSUER = re.compile(
    r"(?:^|[;,.:]\s*)([^;,.:]{3,80}?)\s+(?:da\s+)?(?:xay dung|ban hanh)(?:\s+va\s+ban hanh)?\s+ke hoach"
)
_PLACE_DATE = re.compile(r"^[^\d,]{2,30},\s*ngay\s*\d")
_TITLE_YEAR = re.compile(r"\bnam\s+(20\d\d)(?!\d|\s*-)")
_BASIS = re.compile(r"^[-–•]?\s*(?:thuc hien|can cu)\b")
_TITLE_WORD = re.compile(r"^(?:ke hoach|chuong trinh|phuong an|de an)\b")
_YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")
_SMALL_WORDS = {"va", "cua", "ve", "thuoc", "tinh", "huyen"}
_HEAD_WORDS = (
    "so",
    "ban",
    "uy ban",
    "ubnd",
    "van phong",
    "thanh tra",
    "cong an",
    "bo chi huy",
    "dai",
    "cuc",
    "kho bac",
)


def header_lines(text: str, limit: int = 14) -> list[str]:
    """The lines above the plan's title ("KẾ HOẠCH"), where issuer, number and date live."""
    lines = [nfc(line) for line in text.splitlines()]
    lines = [line for line in lines if line][:40]
    for index, line in enumerate(lines[:limit]):
        if is_title_line(line, first=index == 0):
            return lines[:index]
    return lines[:6]


def is_title_line(line: str, *, first: bool = False) -> bool:
    """The document's title line: "KẾ HOẠCH" alone, or a heading "# Kế hoạch … năm 2022" (a
    Markdown heading, or the document's `first` line): a title, never the issuer nor an agency."""
    folded = fold_words(line)
    if not _TITLE_WORD.match(folded):
        return False
    return len(folded) <= 14 or ((first or line.lstrip().startswith("#")) and len(folded.split()) <= 40)


def plan_facts(text: str, known_agencies: Iterable[str] = ()) -> tuple[str | None, str | None, date | None]:
    """(issuer, number, date) of a plan, from its header, else from its first paragraph."""
    head = header_lines(text)
    signed = _plan_date(head) or _plan_date(
        [line for line in text.splitlines()[:15] if _PLACE_DATE.match(fold(nfc(line)))]
    )
    return _issuer(head, text, known_agencies), _plan_number(head), signed


def plan_title_and_year(text: str, signed: date | None) -> tuple[str | None, int | None]:
    """The title under "KẾ HOẠCH" and the plan year (a year in the title wins over the signing date).

    A plan for 2022 is often signed in December 2021, so the title's year is the better guess.
    """
    lines = [nfc(line) for line in text.splitlines()][:80]
    title: str | None = None
    first = next((i for i, line in enumerate(lines) if line.strip()), 0)
    for index, line in enumerate(lines):
        if line and is_title_line(line, first=index == first):
            heading = len(fold_words(line)) > 14 and (index == first or line.lstrip().startswith("#"))
            line = line.lstrip("# ").strip()
            if heading:  # "# Kế hoạch … năm 2022": the whole title on its line
                title = line
                break
            parts = [line] if len(fold_words(line)) > 9 else []
            for following in lines[index + 1 : index + 6]:
                folded = fold_words(following)
                if not following:
                    if parts and not _open_quote(" ".join(parts)):
                        break
                    continue  # (a quoted name is not over: the blank line is the scan's)
                if folded.startswith(("thuc hien", "can cu", "phu luc")) or len(following) > 120:
                    break
                if folded in ("tt", "stt") or re.match(r"^(?:[ivx]+|\d+|[a-z])[.)]\s", fold(following)):
                    break  # a table's header, the first section: the body
                parts.append(following)
                if following.endswith((".", ":")):
                    break
            title = nfc(" ".join(parts)) or None
            break
    found = _TITLE_YEAR.findall(fold(title or ""))
    title_year = int(found[-1]) if found else None
    if title is None:
        # a decision's subject names the plan (its title), not the plan's year: the decision
        # may issue next year's plan or one ending later
        title = _decision_title(lines)
    if signed is None:
        return title, title_year
    if title_year == signed.year + 1 and signed.month >= 10:
        return title, title_year  # next year's plan, signed at the end of this one
    return title, signed.year


def basis_year(text: str, limit: int = 60) -> int | None:
    """The latest year of the documents a plan says it carries out or rests on ("Thực hiện
    Quyết định số 93/QĐ-UBND ngày 24 tháng 01 năm 2022…", "Căn cứ …"): a plan is signed no
    earlier, so its year is at least this one when its own date is lost (an OCR'd copy
    without its header line)."""
    latest: int | None = None
    paragraph: list[str] = []
    lines = [fold(nfc(line)).strip() for line in text.splitlines()[:limit]]
    for line in [*lines, ""]:
        if paragraph and (not line or _BASIS.match(line)):
            for match in _DATE.finditer(" ".join(paragraph)):
                latest = max(latest or 0, int(match[3]))
            paragraph = []
        if _BASIS.match(line) or (paragraph and line):
            paragraph.append(line)
    return latest


_DECISION_WORD = re.compile(r"^(?:quyet dinh|nghi quyet|chi thi|cong van)$")
_SUBJECT = re.compile(r"^(?:ban hanh|ve viec|phe duyet|v/v)\b")


def _open_quote(text: str) -> bool:
    """A quotation opened and not closed ("… phong trào thi đua “Đẩy mạnh cải cách hành chính")."""
    return text.count("“") > text.count("”") or text.count('"') % 2 == 1


def _decision_title(lines: list[str]) -> str | None:
    """A decision's subject under its "QUYẾT ĐỊNH" line ("Ban hành Kế hoạch … năm 2025"): the
    title of the plan it carries when the plan has no "KẾ HOẠCH" line of its own."""
    for index, line in enumerate(lines[:60]):
        if not _DECISION_WORD.match(fold_words(line)):
            continue
        for following in lines[index + 1 : index + 4]:
            if following.strip():
                return nfc(following.strip()) if _SUBJECT.match(fold(following.strip())) else None
    return None


def _plan_number(head: list[str]) -> str | None:
    for line in head:
        match = _NUMBER.search(line)
        if match and not _DATE.search(fold(line[: match.start()])):
            suffix = re.sub(r"\s+", "", match[2]).upper().replace("Đ", "Đ")
            return f"{int(match[1])}/{suffix}"
    return None


def _plan_date(head: list[str]) -> date | None:
    for line in head:
        match = _DATE.search(fold(line))
        if match:
            try:
                return date(int(match[3]), int(match[2]), int(match[1]))
            except ValueError:
                continue
    return None


def _left_column(line: str) -> str:
    """A header line without the national motto that OCR ran into it."""
    folded = fold_aligned(line)
    cut = len(line)
    for phrase in _MOTTO_START:
        at = folded.find(phrase)
        if at >= 0:
            cut = min(cut, at)
    # the motto's first word may be damaged ("Pọc lập - Tự do - Hạnh phúc"): found whole by
    # its likeness, it is cut where it starts, not where its intact words do
    alignment = fuzz.partial_ratio_alignment("doc lap - tu do - hanh phuc", folded)
    if alignment is not None and alignment.score >= 65:
        cut = min(cut, alignment.dest_start)
    if cut == len(line):
        alignment = fuzz.partial_ratio_alignment("cong hoa xa hoi chu nghia viet nam", folded)
        if alignment is not None and alignment.score >= 70:
            cut = min(cut, alignment.dest_start)
    return line[:cut].strip(" -–—_:;,.")


def _issuer(head: list[str], text: str, known: Iterable[str]) -> str | None:
    known = list(known)
    lefts: list[str] = []
    for line in head:
        folded = fold_words(line)
        if _NUMBER.search(line) or _DATE.search(fold(line)) or re.match(r"^s\S{0,2}\s*:", fold(line)):
            break
        left = _left_column(line)
        if left and sum(ch.isalpha() for ch in left) >= 3 and folded:
            lefts.append(left)
    if lefts:
        # "UY BAN NHAN DAN" + "TINH QUANG TRI" is one name on two lines.
        merged: list[str] = []
        for left in lefts:
            if merged and fold_words(left).startswith(("tinh ", "huyen ", "thanh pho ", "thi xa ")):
                merged[-1] = f"{merged[-1]} {left}"
            else:
                merged.append(left)
        issuer = merged[-1]
        return proper_agency_name(issuer, known)
    for match in _BODY_ISSUER.finditer(fold_aligned(nfc(text[:4000]))):
        candidate = nfc(text[:4000])[match.start(1) : match.end(1)].strip()
        words = fold_words(candidate).split()
        if len(words) >= 2 and (
            re.match(r"^s\S?$", words[0])
            or any(fold_words(candidate).startswith(h + " ") for h in _HEAD_WORDS)
        ):
            return proper_agency_name(candidate, known)
    return None


def match_known(name: str, known: Iterable[str], threshold: float = 0.86) -> str | None:
    """The known name `name` is a (damaged) spelling of, or None; never a merely similar name.

    Scanner damage substitutes letters but keeps the length, while a different agency ("Sở
    Ngoại vụ" vs "Sở Nội vụ") differs in whole syllables: a close normalised Levenshtein
    similarity on compact folded text AND a similar length are both required.
    """
    key = re.sub(r"[^a-z0-9]", "", fold(name))
    if len(key) < 3:
        return None
    best: tuple[float, str] | None = None
    second = 0.0
    for candidate in known:
        other = re.sub(r"[^a-z0-9]", "", fold(candidate))
        if not other:
            continue
        if other == key:
            return nfc(candidate)
        if abs(len(other) - len(key)) > max(2, 0.12 * max(len(other), len(key))):
            continue
        score = Levenshtein.normalized_similarity(key, other)
        if best is None or score > best[0]:
            second = best[0] if best else 0.0
            best = (score, nfc(candidate))
        elif score > second:
            second = score
    if best and best[0] >= threshold and best[0] - second >= 0.03:
        return best[1]
    return None


def spelled_as_known(name: str, known: Iterable[str]) -> str | None:
    """The known name written with the same letters as `name` (after folding case, diacritics
    and punctuation), or None: what a clean document's name may take from the directory."""
    key = re.sub(r"[^a-z0-9]", "", fold(name))
    if not key:
        return None
    for candidate in known:
        if re.sub(r"[^a-z0-9]", "", fold(candidate)) == key:
            return nfc(candidate)
    return None


def proper_agency_name(raw: str, known: Iterable[str] = ()) -> str:
    """A header agency name in proper Vietnamese: a known agency, a typical type, or title case."""
    raw = nfc(raw).strip(" -–—_:;,.")
    # A known agency only restores the spelling of the same words (case, diacritics): the issuer
    # and its province are read from the document, never borrowed from another plan (issue 26).
    found = spelled_as_known(raw, known) or match_known(raw, AGENCY_TYPES, threshold=0.75)
    if found:
        return found
    words = fold_words(raw).split()
    # "UBND TỈNH QUẢNG NGÃI", "BAN DÂN TỘC TỈNH X": type + place.
    for place_word in ("tinh", "thanh pho"):
        marker = f" {place_word} "
        padded = f" {' '.join(words)} "
        if marker in padded:
            before, _sep, after = padded.partition(marker)
            place = match_known(after.strip(), PROVINCES, threshold=0.8)
            head = match_known(before.strip(), AGENCY_TYPES) or match_known(
                f"{before.strip()} {place_word}", AGENCY_TYPES
            )
            if before.strip() in ("uy ban nhan dan", "ubnd"):
                head = "Ủy ban nhân dân"
            if place and head:
                head = head.removesuffix(" tỉnh")
                return f"{head} {'tỉnh' if place_word == 'tinh' else 'thành phố'} {place}"
    letters = [ch for ch in raw if ch.isalpha()]
    if letters and sum(ch.isupper() for ch in letters) / len(letters) > 0.7:
        out = []
        for index, word in enumerate(raw.split()):
            if index and fold(word) in _SMALL_WORDS:
                out.append(word.lower())
            elif word.isupper() and len(word) <= 5 and fold(word) in {"ubnd", "hdnd", "cntt", "cchc"}:
                out.append(word)
            else:
                out.append(word[:1].upper() + word[1:].lower())
        return " ".join(out)
    return raw


_PERIOD = re.compile(r"\bgiai doan\s*(?:tu\s*(?:nam\s*)?)?(20\d\d)\s*(?:-|–|den|den nam)\s*(?:nam\s*)?(20\d\d)\b")


_BODY_START = ("can cu", "thuc hien ", "theo de nghi", "kinh gui", "dieu 1", "i ", "phan i", "i.")


# "từ nay đến năm 2030", "đến hết năm 2027", "năm 2025 và các năm tiếp theo": periods that start
# with the plan (its year) or name their first year and run on.
_UNTIL = re.compile(r"\b(?:tu nay\s+)?den\s+(?:het\s+)?nam\s+(20\d\d)\b")
_TIME_LINE = re.compile(r"^\W*(?:\d+[.)]\s*|[a-z][.)]\s*)?thoi gian(?:\s+(?:thuc hien|trien khai|ap dung))?\s*:")


def title_period(text: str, start_year: int | None = None) -> tuple[int, int] | None:
    """The period a plan covers, from its title lines (the lines above the first legal basis or
    body line, not a programme named in "Căn cứ …"), else from a "Thời gian thực hiện: …" line
    of its body: "giai đoạn 2026 - 2030"; "từ nay đến năm 2030", "đến hết năm 2027" (from
    `start_year`, the plan's year); "năm 2025 và các năm tiếp theo" (`ONWARDS_YEARS` years)."""
    found = _title_period(text)
    if found is not None:
        return found
    lines = [fold(nfc(line)) for line in text.splitlines()[:60]]
    timed = [
        line
        for line in text.splitlines()[:3000]
        if "gian" in line[:40].lower() and _TIME_LINE.match(fold(nfc(line)))
    ]
    candidates = [("title", "\n".join(_title_lines(lines)))] + [("time", fold(nfc(t))) for t in timed[:3]]
    for where, line in candidates:
        match = _PERIOD.search(line)
        if match and int(match[1]) <= int(match[2]) and where == "time":
            return int(match[1]), int(match[2])
        match = ONWARDS.search(line)
        if match:
            return int(match[1]), int(match[1]) + ONWARDS_YEARS - 1
        match = _UNTIL.search(line)
        # a title's bare "đến năm 2030" names the programme the plan carries out, not its period
        if match and (where == "time" or "tu nay" in match[0]) and start_year and start_year <= int(match[1]):
            return start_year, int(match[1])
    return None


def _title_lines(lines: list[str]) -> list[str]:
    out: list[str] = []
    for folded in lines:
        if folded.startswith(_BODY_START) or folded.startswith("(") and "kem theo" in folded:
            if out and any("ke hoach" in x or "chuong trinh" in x for x in out):
                break
            continue
        out.append(folded)
    return out


def _title_period(text: str) -> tuple[int, int] | None:
    lines: list[str] = []
    for line in text.splitlines()[:60]:
        folded = fold(nfc(line))
        if folded.startswith(_BODY_START) or folded.startswith("(") and "kem theo" in folded:
            if lines and any("ke hoach" in fold(x) or "chuong trinh" in fold(x) for x in lines):
                break
            continue
        lines.append(folded)
    # a period inside a quoted name ("phong trào thi đua “… giai đoạn 2021-2025”") is that name's
    title_lines = re.sub(r"[“\"«][^”\"»]{0,300}[”\"»]", " ", "\n".join(lines))
    match = _PERIOD.search(title_lines)
    if match and int(match[1]) <= int(match[2]):
        return int(match[1]), int(match[2])
    return None


_ATTACHED = re.compile(
    r"\(\s*(?:ban hanh\s+)?kem theo\s+(?:quyet dinh|nghi quyet|cong van|chi thi|ke hoach)\s+so\s*:?\s*"
    r"(\d{1,5}\s*/\s*[a-z0-9đ&\-]+)\s+ngay\s+(\d{1,2})\s*(?:thang|/)\s*(\d{1,2})\s*(?:nam|/)\s*(\d{4})"
    r"(?:\s+cua\s+([^)]{3,120}))?"
)


def attached_facts(text: str) -> tuple[str | None, date | None, str | None]:
    """(number, date, issuer) of the document a plan is attached to: "(Kèm theo Quyết định số
    1627/QĐ-UBND ngày 21/11/2025 của Chủ tịch Ủy ban nhân dân tỉnh)" under the plan's title."""
    raw = nfc(text[:30000])
    folded = fold_aligned(raw)
    match = _ATTACHED.search(folded)
    if match is None:
        return None, None, None
    number = re.sub(r"\s+", "", raw[match.start(1) : match.end(1)]).upper()
    try:
        signed = date(int(match[4]), int(match[3]), int(match[2]))
    except ValueError:
        signed = None
    issuer = nfc(raw[match.start(5) : match.end(5)]).strip(" .") if match[5] else None
    return number, signed, issuer
