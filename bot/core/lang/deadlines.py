"""The Vietnamese deadline grammar: a phrase from a plan → its kind and its due dates.

Plans write deadlines as free Vietnamese ("Quý II/2022", "trước ngày 10/12 hằng năm",
"Thường xuyên"), often OCR-damaged. This module is pure: it takes the phrase and the dates it
needs as values and never raises; anything it does not understand is `unspecified`.

How a phrase is read
--------------------
1. **Fold** (exactly `bot.core.text.fold`, computed with one `str.translate` for Vietnamese letters):
   case, diacritics and đ are dropped, so "QUÝ", "Quy" and "quý" are one word and "Nãm"/"nàm"
   are "nam". Everything below works on the folded text.
2. **Repair OCR damage**: dashes (– — − ~) become "-"; a digit split by a space inside a date
   ("18/1 1/2022") is joined; "o"/"l" read for 0/1 inside dates ("1O/l2/2022") are fixed;
   "narn" (rn for m) is "nam"; words glued to a number are split ("Q3", "T6", "nam2022").
3. **Tokenise** with one compiled regex into dates (d/m/y with "/", "." or "-", d/m, ISO),
   "/YYYY" year suffixes, numbers, words and separators. A list separator is "," ";" "&" "+"
   "và" "hoặc"; a range separator is "-" "đến" "tới". Document numbers ("119/KH-UBND",
   "02/2017/TT-VPCP") are recognised so that a reference "theo Kế hoạch số 119/KH-UBND ngày
   20/4/2022" is not read as a deadline.
4. **Parse** the tokens left to right into period items and recurring rules (below), then
   resolve them against the plan year and the window.

Periods (`kind: once`, the due date is the period's last day)
-------------------------------------------------------------
- Day: "15/01/2022", "15.01.2022", "15-01-2022", "2022-01-15", "ngày 18 tháng 5 năm 2022",
  "15/01/22" (two-digit year = 20YY). "trước", "chậm nhất", "đến hết", "hoàn thành" … are
  ignored: every such day is read as *due by that day*.
- Month: "tháng 7/2022", "tháng 6 năm 2022", "T6/2022", a bare "7/2022" → last day of the month.
- Quarter: "Quý II", "quý 2", "Q2/2022", "Quý IV năm 2022" → last day of the quarter. In the
  numeral place of a quarter, OCR forms are accepted: 1, l, | and ! read as I ("Qu 111" = III,
  "11" = II, "1V" = IV, "Il" = II); the quarter word may be "quý", "quí", "qu", "q" and "ouy".
  Vietnamese number words (một, hai, ba, bốn, tư) also work there.
- Year: "Năm 2022", "trong năm 2022", a bare "2022" → 31 December. "trong năm", "cả năm",
  "cuối năm" without a year mean the plan year.
- "N tháng đầu năm [Y]" → last day of month N ("6 tháng đầu năm 2022" → 30/6); "N tháng cuối
  năm" and "nửa cuối năm" → 31/12; "nửa đầu năm" → 30/6.
- Parts: "đầu/giữa/cuối quý III" → end of the quarter's 1st/2nd/3rd month (31/7, 31/8, 30/9);
  "đầu/giữa/cuối tháng 5" (also "thượng/trung/hạ tuần") → 10/5, 20/5, 31/5; "đầu/giữa/cuối năm"
  → 31/3, 30/6, 31/12. The rule is *due by the end of the part named*.
- Lists ("Quý II, Quý III/2022", "Tháng 3, tháng 9/2022", "Quý I và III năm 2022", "tháng 5 và
  tháng 11") give one date per item. A year written on a later item applies to the earlier
  items without one (the trailing year applies to the whole list); an item after one with a
  year takes that year (moved one year on if it would otherwise go backwards).
- Ranges ("Quý I - II/2022", "tháng 3 - tháng 5/2022", "Từ tháng 3 đến tháng 6/2022", "Năm
  2022-2023") give the end of the range only.
- A year follows its period after "/", "năm", a space or a dash ("Quý II-2022").
- A missing year is `year` (the plan's year), else today's year; "năm nay" is that year and
  "năm sau"/"năm tới" the next one ("Tháng 1 năm sau").
- A day that falls inside a month/quarter/year also named in the phrase refines it:
  "Quý II/2022 (trước ngày 15/6/2022)" → 15/6 only.
- An impossible day ("31/02/2022") is dropped; a phrase left with no date is `unspecified`.

Recurring rules (`kind: recurring`, expanded inside `window`)
------------------------------------------------------------
- "hàng/hằng/mỗi tháng", "01 tháng/lần" → every month end ("ngày 25 hằng tháng", "trước 25
  hàng tháng", "hằng tháng (trước ngày 25)" → every 25th).
- "báo cáo tháng/quý/năm" (the periodic report, with no numeral after it) → that rule.
- "hàng/hằng quý", "định kỳ hằng quý", "3 tháng" → every quarter end, or day `quarter_day` of
  the quarter's last month (clamped); a day in the phrase ("hằng quý, trước ngày 15") wins.
- "6 tháng", "sáu tháng", "định kỳ 6 tháng", "2 lần/năm" → 30/6 and 31/12.
- "hàng/hằng năm", "1 lần/năm", "12 tháng" → 31/12 of every year; with a period without a year
  in the phrase, that period every year ("trước ngày 10/12 hằng năm" → 10/12 each year,
  "tháng 4 và tháng 10 hằng năm" → 30/4 and 31/10 each year). "9 tháng" → 30/9 each year.
- "hàng/hằng tuần" → every Friday (end of the working week), or the weekday named ("thứ 2",
  "chủ nhật").
- Several rules are a union: "định kỳ hàng quý, sáu tháng và hàng năm". After a rule, a bare
  "quý"/"tháng"/"năm" in the list is a rule too ("6 tháng, năm", "hàng tháng, quý, năm").
- When `quarter_day` is set and the phrase has a quarterly rule, its half-year and year ends are
  the same reports (the Q2 and Q4 ones) and move to that day too.
- Periods with a year written next to rules are kept as extra once dates; a bare year (or
  range of years) is the rules' scope: "Hằng quý năm 2022" expands in 2022 and "Năm 2022 -
  2025 (hằng năm)" in 2022-2025 when no `window` is given.
- Default window: the calendar year of `year` if given, else of `today`.

Continuous and unspecified
--------------------------
- "Thường xuyên" (any word "xuyên", e.g. "Thuong xuyen", "ThuOng xuyên"), "liên tục", "hằng
  ngày" → `continuous`, no dates. A day, month or quarter in the same phrase wins (the phrase is
  then `once`/`recurring`), but a bare year does not: "Thường xuyên trong năm 2022" is continuous.
- Everything else ("Theo quy định", empty, noise) → `unspecified` with no dates.

Onwards
-------
- "năm 2025 và các năm tiếp theo" (also "những năm", "… sau đó", "… kế tiếp") is "hằng năm"
  from 2025: 31/12 of every year of `window` from 2025 on (the plan's period), else of the five
  years 2025–2029 (`ONWARDS_YEARS`, as a plan's period is read); "Quý IV năm 2025 và các năm
  tiếp theo" → 31/12 each year.

Performance and safety
----------------------
Parsing is a fold, two guarded `re.sub` repairs, one `finditer` and a single pass over the
tokens (≈ 40,000 phrases/s on one core, `benchmarks/deadlines.py`). `parse_deadline` keeps an
LRU cache of answers keyed by every argument (the function is pure, `Deadline` is frozen),
because plans repeat the same few phrases. A last-resort `except` turns an unforeseen error
into `unspecified`, so an odd cell can never break an import; the hypothesis tests run the
grammar without that net, so such errors still show up in development.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from bot.core.domain import Deadline, Kind
from bot.core.text import fold, nfc

__all__ = ["deadline_json", "expand", "parse_deadline"]

# ---------------------------------------------------------------------------------------------
# Normalisation and tokens
# ---------------------------------------------------------------------------------------------

_VIETNAMESE = (
    "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵäëïöüÿçñåõãâêîôûàèìòùáéíóúýð"
)
_FAST_FOLD = str.maketrans({c: fold(c) for c in _VIETNAMESE})
_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212~"})
_SPLIT_DIGITS = re.compile(r"(?<![0-9])([0-9]{1,2}) ?/ ?([0-9]) ([0-9]) ?/ ?([0-9]{4})(?![0-9])")
_OCR_DATE = re.compile(r"(?<![a-z0-9])([0-9ol]{1,2})([/.])([0-9ol]{1,2})(?:\2([0-9ol]{4}))?(?![a-z0-9])")
_OCR_DIGIT_FIX = str.maketrans({"o": "0", "l": "1"})

_TOKEN = re.compile(
    r"(?P<doc>[0-9]+(?:/[0-9]{2,4})?/[a-z][a-z&]*(?:-[a-z&]+)*)"
    r"|(?P<iso>(?<![0-9])(?P<iy>[0-9]{4})-(?P<im>[0-9]{1,2})-(?P<id>[0-9]{1,2})(?![0-9]))"
    r"|(?P<dmy>(?<![0-9])(?P<d1>[0-9]{1,2}) ?(?P<sep>[/.-]) ?(?P<m1>[0-9]{1,2}) ?(?P=sep) ?"
    r"(?P<y1>[0-9]{4}|[0-9]{2})(?![0-9]))"
    r"|(?P<dm>(?<![0-9])(?P<d2>[0-9]{1,2}) ?/ ?(?P<m2>[0-9]{1,2})(?![0-9]))"
    r"|(?P<sy>/ ?(?P<y2>[0-9]{4})(?![0-9]))"
    r"|(?P<num>[0-9]+)(?![a-z|!])"
    r"|(?P<word>[a-z0-9|!]+)"
    r"|(?P<list>[,;&+])"
    r"|(?P<range>-)"
)
_GLUED = re.compile(r"(?:(quy|qui|qu|q)([0-9]{1,3}|[ivl]{1,4})|(thang|thg|t|nam|ngay)([0-9]{1,4}))")

# Word → token tag. Words not listed are "RAW" (kept: they may be roman numerals or markers).
_WORDS: dict[str, str] = {
    **dict.fromkeys(("quy", "qui", "qu", "q", "ouy", "quv"), "Q"),
    **dict.fromkeys(("thang", "thg"), "M"),
    **dict.fromkeys(("nam", "narn"), "Y"),
    "ngay": "D",
    **dict.fromkeys(("hang", "moi"), "EVERY"),
    "sau": "SIX",
    "xuyen": "CONT",
    **dict.fromkeys(("dau", "giua", "cuoi"), "PART"),
    **dict.fromkeys(("va", "hoac"), "LIST"),
    **dict.fromkeys(("den", "toi"), "RANGE"),
    **dict.fromkeys(("ca", "trong"), "WHOLE"),
    "tuan": "WEEK",
    "lan": "LAN",
    "nua": "HALF",
    "dinh": "DINH",
}
_QUARTER_WORDS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4}
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_ROMAN_OCR = str.maketrans({"1": "i", "l": "i", "|": "i", "!": "i", "y": "v"})
_PART_OF_TUAN = {"thuong": "dau", "trung": "giua", "ha": "cuoi"}

Token = tuple[str, object]


def _fix_ocr_date(m: re.Match[str]) -> str:
    parts = [p for p in (m[1], m[3], m[4]) if p]
    if not all(any(c.isdigit() for c in p) for p in parts):
        return m[0]
    return m[0].translate(_OCR_DIGIT_FIX)


def _fold(text: str) -> str:
    """`bot.core.text.fold` of NFC text, with one `str.translate` for Vietnamese letters (the hot path).

    Whatever the table does not cover falls back to `fold`, so the result is always `fold`'s.
    """
    f = text.lower()
    if not f.isascii():
        f = f.translate(_FAST_FOLD)
        if not f.isascii():
            return fold(f)
    return f


def _normalise(f: str) -> str:
    """Repair the OCR damage that survives folding (see the module docstring, step 2)."""
    f = f.translate(_DASHES)
    if " " in f and "/" in f:
        f = _SPLIT_DIGITS.sub(r"\1/\2\3/\4", f)
    if "o" in f or "l" in f:
        f = _OCR_DATE.sub(_fix_ocr_date, f)
    return f


def _tokenise(f: str) -> list[Token]:
    out: list[Token] = []
    add = out.append
    for m in _TOKEN.finditer(f):
        g = m.lastgroup
        if g == "word":
            w = m["word"]
            tag = _WORDS.get(w)
            if tag is not None:
                add((tag, w))
                continue
            gm = _GLUED.fullmatch(w)
            if gm is None:
                add(("RAW", w))
            elif gm[1]:
                add(("Q", gm[1]))
                add(("NUM" if gm[2].isdigit() else "RAW", gm[2]))
            else:
                add((_WORDS.get(gm[3], "M"), gm[3]))
                add(("NUM", gm[4]))
        elif g == "num":
            add(("NUM", m["num"]))
        elif g == "list":
            add(("LIST", None))
        elif g == "range":
            add(("RANGE", None))
        elif g == "sy":
            add(("SY", int(m["y2"])))
        elif g == "dm":
            add(("DATE", (int(m["d2"]), int(m["m2"]), None)))
        elif g == "dmy":
            y = int(m["y1"])
            add(("DATE", (int(m["d1"]), int(m["m1"]), y + 2000 if len(m["y1"]) == 2 else y)))
        elif g == "iso":
            add(("DATE", (int(m["id"]), int(m["im"]), int(m["iy"]))))
        elif g == "doc":
            add(("DOC", None))
    return out


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Item:
    """One period named by the phrase (see `_span` for what each unit means)."""

    unit: str  # "D" day, "M" month, "Q" quarter, "Y" year, "H" first/last N months of a year
    a: int = 0  # day (D), month (M), quarter (Q), N (H)
    b: int = 0  # month (D), +1 first / -1 last (H)
    year: int | None = None
    part: str | None = None  # "dau" | "giua" | "cuoi" | None
    link: str | None = None  # separator before it: "list" | "range" | None
    bare_year: bool = False  # a year written alone ("2022", "năm 2022")
    year_given: bool = False


@dataclass(slots=True)
class _Rule:
    every: str  # "month" | "quarter" | "half" | "year" | "week"
    day: int | None = None  # month/quarter: due day; week: weekday (0 = Monday)
    item: _Item | None = None  # year: the period due every year (None = 31/12)


def _small(tok: Token, lo: int, hi: int) -> int | None:
    """The value of a NUM token of at most 2 digits in [lo, hi], else None."""
    if tok[0] != "NUM":
        return None
    s = tok[1]
    assert isinstance(s, str)
    if len(s) > 2:
        return None
    v = int(s)
    return v if lo <= v <= hi else None


def _year4(tok: Token) -> int | None:
    if tok[0] == "NUM":
        s = tok[1]
        assert isinstance(s, str)
        if len(s) == 4 and 1900 <= (v := int(s)) <= 2199:
            return v
    return None


def _quarter_no(tok: Token) -> int | None:
    """A quarter numeral: 1-4, roman (with OCR 1/l/| for I), or a number word."""
    tag, s = tok
    if tag not in ("NUM", "RAW") or not isinstance(s, str) or len(s) > 4:
        return None
    if tag == "NUM" and s in ("1", "2", "3", "4"):
        return int(s)
    return _ROMAN.get(s.translate(_ROMAN_OCR)) or (_QUARTER_WORDS.get(s) if tag == "RAW" else None)


class _Parser:
    """Reads the token list once, left to right, into items, rules and flags."""

    __slots__ = (
        "toks",
        "n",
        "items",
        "rules",
        "cont",
        "bare_day",
        "weekday",
        "link",
        "rule_ctx",
        "this_year",
    )

    def __init__(self, toks: list[Token], this_year: int) -> None:
        self.toks = toks
        self.this_year = this_year
        self.n = len(toks)
        self.items: list[_Item] = []
        self.rules: list[_Rule] = []
        self.cont = False
        self.bare_day: int | None = None
        self.weekday: int | None = None
        self.link: str | None = None
        self.rule_ctx = False

    # -- helpers ------------------------------------------------------------------------------
    def tok(self, j: int) -> Token:
        return self.toks[j] if 0 <= j < self.n else ("END", None)

    def add(self, item: _Item) -> None:
        item.link = self.link
        item.year_given = item.year is not None
        self.link = None
        self.items.append(item)

    def rule(self, every: str, day: int | None = None, item: _Item | None = None) -> None:
        self.rules.append(_Rule(every, day, item))
        self.rule_ctx = True
        self.link = None

    def year_at(self, j: int) -> tuple[int | None, int]:
        """A year written right after a period: "/2022", "năm 2022", " 2022" or "-2022"."""
        tag, val = self.tok(j)
        if tag == "RANGE" and (y := _year4(self.tok(j + 1))) is not None:  # "Quý II-2022"
            return y, j + 2
        if tag == "SY":
            assert isinstance(val, int)
            return val, j + 1
        if tag == "Y":
            nxt = self.tok(j + 1)
            if (y := _year4(nxt)) is not None:
                return y, j + 2
            if nxt in (("SIX", "sau"), ("RANGE", "toi")):  # "năm sau", "năm tới"
                return self.this_year + 1, j + 2
            if nxt == ("RAW", "nay"):
                return self.this_year, j + 2
        if (y := _year4(self.tok(j))) is not None:
            return y, j + 1
        return None, j

    def part_before(self, i: int) -> str | None:
        tag, val = self.tok(i - 1)
        if tag == "PART":
            return val  # type: ignore[return-value]
        if tag == "WEEK" and self.tok(i - 2)[0] == "RAW":
            return _PART_OF_TUAN.get(str(self.tok(i - 2)[1]))
        return None

    def bare_ok(self, i: int) -> bool:
        """A lone "quý"/"tháng"/"năm" is a rule inside a list of rules ("6 tháng, năm") or
        after "báo cáo" ("báo cáo quý" is the quarterly report)."""
        if self.tok(i - 1) == ("RAW", "cao") and self.tok(i - 2) == ("RAW", "bao"):
            return self.tok(i + 1)[0] != "NUM"
        if not self.rule_ctx:
            return False
        before, after = self.tok(i - 1)[0], self.tok(i + 1)[0]
        return before in ("LIST", "DINH_KY", "RAW_KY", "WHOLE") and after in ("END", "LIST", "RANGE")

    # -- the loop -----------------------------------------------------------------------------
    def run(self) -> _Parser:
        i = 0
        toks = self.toks
        while i < self.n:
            tag, val = toks[i]
            if tag == "LIST":
                if self.link != "range":
                    self.link = "list"
                i += 1
            elif tag == "RANGE":
                self.link = "range"
                i += 1
            elif tag == "DATE":
                i = self.date(i)
            elif tag == "NUM":
                i = self.number(i)
            elif tag == "Q":
                i = self.quarter(i)
            elif tag == "M":
                i = self.month(i)
            elif tag == "Y":
                i = self.year(i)
            elif tag == "D":
                i = self.day(i)
            elif tag == "EVERY":
                i = self.every(i)
            elif tag == "SIX":
                nxt = self.tok(i + 1)
                i = self.months_count(i + 2, 6) if nxt[0] == "M" and self.tok(i + 2)[0] != "NUM" else i + 1
            elif tag == "CONT":
                self.cont = True
                i += 1
            elif tag == "DINH":
                if self.tok(i + 1) in (("RAW", "ky"), ("RAW", "ki")):
                    self.rule_ctx = True
                    toks[i + 1] = ("DINH_KY", None)
                    i += 2
                else:
                    i += 1
            elif tag == "HALF":
                i = self.half(i)
            elif tag == "DOC":
                i = self.doc(i)
            elif tag == "SY":
                if self.items and self.items[-1].year is None:
                    self.items[-1].year = val  # type: ignore[assignment]
                    self.items[-1].year_given = True
                i += 1
            elif tag == "RAW":
                i = self.raw(i)
            else:
                i += 1
        return self

    # -- branches -----------------------------------------------------------------------------
    def date(self, i: int) -> int:
        d: int
        m: int
        y: int | None
        d, m, y = self.tok(i)[1]  # type: ignore[misc]
        j = i + 1
        if y is None:
            y, j = self.year_at(j)
        self.add(_Item("D", d, m, y))
        return j

    def doc(self, i: int) -> int:
        """Skip "số 119/KH-UBND [ngày] 20/4/2022": a document's own date is no deadline."""
        j = i + 1
        if self.tok(j)[0] == "D":
            j += 1
        return j + 1 if self.tok(j)[0] == "DATE" else i + 1

    def number(self, i: int) -> int:
        s = self.tok(i)[1]
        assert isinstance(s, str)
        if len(s) > 4:
            return i + 1
        v = int(s)
        nxt = self.tok(i + 1)[0]
        if nxt == "M":
            if 1 <= v <= 31 and (m := _small(self.tok(i + 2), 1, 12)) is not None:
                y, j = self.year_at(i + 3)
                self.add(_Item("D", v, m, y))
                return j
            before = self.tok(i - 1)
            if before[0] == "WHOLE" and before[1] == "trong" or before == ("RAW", "vong"):
                return i + 2  # "trong (vòng) 6 tháng": a duration, not a rule
            return self.months_count(i + 2, v)
        if nxt == "SY" and 1 <= v <= 12:
            self.add(_Item("M", v, year=self.tok(i + 1)[1], part=self.part_before(i)))  # type: ignore[arg-type]
            return i + 2
        if nxt == "LAN":
            return self.times_per(i, v)
        if nxt == "EVERY" and self.tok(i + 2)[0] == "M" and 1 <= v <= 31:  # "trước 10 hàng tháng"
            self.bare_day = v
            return i + 1
        if (y4 := _year4(self.tok(i))) is not None:
            self.add(_Item("Y", year=y4, part=self.part_before(i), bare_year=True))
            return i + 1
        return i + 1

    def months_count(self, j: int, n: int) -> int:
        """After "N tháng": "đầu năm" / "cuối năm" make a period, otherwise a rule."""
        tag, val = self.tok(j)
        if tag == "PART" and val in ("dau", "cuoi") and self.tok(j + 1)[0] == "Y" and 1 <= n <= 12:
            y, k = self.year_at(j + 1)
            if y is None:
                k = j + 2
            self.add(_Item("H", n, 1 if val == "dau" else -1, y))
            return k
        if n == 1:
            self.rule("month")
        elif n == 3:
            self.rule("quarter")
        elif n == 6:
            self.rule("half")
        elif n == 9:
            self.rule("year", item=_Item("M", 9))
        elif n == 12:
            self.rule("year")
        return j

    def times_per(self, i: int, k: int) -> int:
        """ "2 lần/năm", "1 lần/quý"."""
        j = i + 2
        per = self.tok(j)[0]
        every = {
            "Y": {1: "year", 2: "half", 4: "quarter", 12: "month"},
            "Q": {1: "quarter"},
            "M": {1: "month"},
            "WEEK": {1: "week"},
        }.get(per, {}).get(k)
        if every is None:
            return i + 2
        self.rule(every)
        return j + 1

    def quarter(self, i: int) -> int:
        j = i + 1
        if self.tok(j)[0] == "RANGE":  # OCR "Qu - I"
            j += 1
        q = _quarter_no(self.tok(j))
        if q is None:
            if self.bare_ok(i):
                self.rule("quarter")
            return i + 1
        y, j = self.year_at(j + 1)
        self.add(_Item("Q", q, year=y, part=self.part_before(i)))
        while self.tok(j)[0] in ("LIST", "RANGE"):
            q = _quarter_no(self.tok(j + 1))
            if q is None:
                break
            link = "range" if self.tok(j)[0] == "RANGE" else "list"
            y, j = self.year_at(j + 2)
            self.link = link
            self.add(_Item("Q", q, year=y))
        return j

    def month(self, i: int) -> int:
        m = _small(self.tok(i + 1), 1, 12)
        if m is None:
            if self.bare_ok(i):
                self.rule("month")
            return i + 1
        y, j = self.year_at(i + 2)
        self.add(_Item("M", m, year=y, part=self.part_before(i)))
        while self.tok(j)[0] in ("LIST", "RANGE") and self.tok(j + 2)[0] != "M":
            m = _small(self.tok(j + 1), 1, 12)
            if m is None:
                break
            link = "range" if self.tok(j)[0] == "RANGE" else "list"
            y, j = self.year_at(j + 2)
            self.link = link
            self.add(_Item("M", m, year=y))
        return j

    def year(self, i: int) -> int:
        y, j = self.year_at(i)
        if y is not None:
            plain = self.tok(i - 1)[0] not in ("PART", "WHOLE")  # not "cuối năm 2022", "cả năm 2022"
            self.add(_Item("Y", year=y, part=self.part_before(i), bare_year=plain))
            return j
        before = self.tok(i - 1)
        if self.bare_ok(i) or (self.rule_ctx and before == ("WHOLE", "ca")):
            self.rule("year")
        elif before[0] in ("WHOLE", "PART"):
            self.add(_Item("Y", part=self.part_before(i)))
        return i + 1

    def day(self, i: int) -> int:
        d = _small(self.tok(i + 1), 1, 31)
        if d is None:
            return i + 1
        if self.tok(i + 2)[0] == "M" and (m := _small(self.tok(i + 3), 1, 12)) is not None:
            y, j = self.year_at(i + 4)
            self.add(_Item("D", d, m, y))
            return j
        self.bare_day = d
        return i + 2

    def every(self, i: int) -> int:
        tag = self.tok(i + 1)[0]
        after = self.tok(i + 2)
        if tag == "M" and after[0] != "NUM":
            self.rule("month")
        elif tag == "Q" and _quarter_no(after) is None:
            self.rule("quarter")
        elif tag == "Y" and _year4(after) is None:
            self.rule("year")
        elif tag == "WEEK":
            self.rule("week")
        elif tag == "D" and after[0] != "NUM":
            self.cont = True
        else:
            return i + 1
        return i + 2

    def half(self, i: int) -> int:
        """ "nửa đầu năm" / "nửa cuối năm"."""
        tag, val = self.tok(i + 1)
        if tag == "PART" and val in ("dau", "cuoi") and self.tok(i + 2)[0] == "Y":
            y, k = self.year_at(i + 2)
            self.add(_Item("H", 6, 1 if val == "dau" else -1, y))
            return k if y is not None else i + 3
        return i + 1

    def raw(self, i: int) -> int:
        val = self.tok(i)[1]
        if val == "lien" and self.tok(i + 1) == ("RAW", "tuc"):
            self.cont = True
            return i + 2
        if val == "thu" and (wd := _small(self.tok(i + 1), 2, 7)) is not None:
            self.weekday = wd - 2
            return i + 2
        if val == "chu" and self.tok(i + 1) == ("RAW", "nhat"):
            self.weekday = 6
            return i + 2
        return i + 1


# ---------------------------------------------------------------------------------------------
# Resolving items and rules to dates
# ---------------------------------------------------------------------------------------------


def _last(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def _span(item: _Item, y: int) -> tuple[date, date] | None:
    """First and last day of the period `item` in year `y` (None when impossible)."""
    if not 1 <= y <= 9999:
        return None
    u, part = item.unit, item.part
    try:
        if u == "D":
            d = date(y, item.b, item.a)
            return d, d
        if u == "M":
            m = item.a
            end = _last(y, m)
            if part == "dau":
                end = end.replace(day=10)
            elif part == "giua":
                end = end.replace(day=20)
            return date(y, m, 1), end
        if u == "Q":
            first = 3 * item.a - 2
            last = first + (0 if part == "dau" else 1 if part == "giua" else 2)
            return date(y, first, 1), _last(y, last)
        if u == "Y":
            end_month = 3 if part == "dau" else 6 if part == "giua" else 12
            return date(y, 1, 1), _last(y, end_month)
        if u == "H":
            if item.b > 0:
                return date(y, 1, 1), _last(y, item.a)
            return date(y, 13 - item.a, 1), date(y, 12, 31)
    except ValueError:
        return None
    return None


def _clamp_day(y: int, m: int, day: int | None) -> date:
    end = _last(y, m)
    return end if not day or day < 1 else end.replace(day=min(day, end.day))


def _expand(rules: list[_Rule], window: tuple[date, date], quarter_day: int | None) -> set[date]:
    lo, hi = window
    out: set[date] = set()
    if lo > hi:
        return out
    years = range(max(lo.year, 1), min(hi.year, 9999) + 1)
    has_quarterly = any(r.every == "quarter" for r in rules)
    shift = quarter_day if has_quarterly else None  # half/year ends are the Q2/Q4 reports
    for r in rules:
        if r.every == "week":
            wd = r.day if r.day is not None else 4
            d = lo + timedelta(days=(wd - lo.weekday()) % 7)
            while d <= hi:
                out.add(d)
                if d > date.max - timedelta(days=7):
                    break
                d += timedelta(days=7)
            continue
        for y in years:
            if r.every == "month":
                out.update(_clamp_day(y, m, r.day) for m in range(1, 13))
            elif r.every == "quarter":
                qd = r.day if r.day is not None else quarter_day
                out.update(_clamp_day(y, m, qd) for m in (3, 6, 9, 12))
            elif r.every == "half":
                out.update(_clamp_day(y, m, shift) for m in (6, 12))
            elif r.every == "year":
                if r.item is None:
                    out.add(_clamp_day(y, 12, shift))
                elif (span := _span(r.item, y)) is not None:
                    out.add(span[1])
    return {d for d in out if lo <= d <= hi}


def _resolve(
    p: _Parser, default_year: int, window: tuple[date, date] | None, quarter_day: int | None
) -> tuple[Kind, tuple[date, ...]]:
    items, rules = p.items, p.rules
    if not rules and len(items) <= 1:  # the common case: one period, or none
        span = _span(items[0], items[0].year or default_year) if items else None
        if span is not None and not (p.cont and items[0].unit == "Y" and items[0].part is None):
            return Kind.ONCE, (span[1],)
        return (Kind.CONTINUOUS if p.cont else Kind.UNSPECIFIED), ()
    items, rules = _yearless_recur(items, rules)
    items = _merge_bare_years(items)
    _assign_years(items, default_year)

    # A year written next to rules is their scope, not a due date ("Hằng quý năm 2022").
    scope = [it.year for it in items if rules and it.unit == "Y" and it.part is None]
    # Ranges keep their end only.
    items = [it for k, it in enumerate(items) if not (k + 1 < len(items) and items[k + 1].link == "range")]
    if scope:
        items = [it for it in items if not (it.unit == "Y" and it.part is None)]
    once = _once_dates(items, default_year)
    if rules:
        rules = _rules_with_days(p, rules)
        if window is None:
            years = [y for y in scope if y is not None] or [default_year]
            window = (date(min(years), 1, 1), date(max(years), 12, 31))
        return Kind.RECURRING, tuple(sorted(once | _expand(rules, window, quarter_day)))
    if once:
        if p.cont and all(it.unit == "Y" and it.part is None for it in items):
            return Kind.CONTINUOUS, ()
        return Kind.ONCE, tuple(sorted(once))
    if p.cont:
        return Kind.CONTINUOUS, ()
    return Kind.UNSPECIFIED, ()


def _yearless_recur(items: list[_Item], rules: list[_Rule]) -> tuple[list[_Item], list[_Rule]]:
    """ "hằng năm" with periods that have no year: those periods recur every year. So do days
    without a year beside a half-year rule ("6 tháng (trước ngày 16/6)"): that is its day."""
    if not any(r.every in ("year", "half") and r.item is None for r in rules):
        return items, rules
    yearless = [it for it in items if it.year is None and it.unit in "DMQH"]
    if not yearless:
        return items, rules
    rules = [r for r in rules if not (r.every in ("year", "half") and r.item is None)]
    rules += [_Rule("year", item=it) for it in yearless]
    return [it for it in items if it not in yearless], rules


def _merge_bare_years(items: list[_Item]) -> list[_Item]:
    """A bare year right after periods without one is their year ("Quý II, 2022")."""
    merged: list[_Item] = []
    for it in items:
        if (
            it.unit == "Y"
            and it.bare_year
            and it.part is None
            and it.link != "range"
            and merged
            and merged[-1].year is None
            and merged[-1].unit != "Y"
        ):
            for prev in reversed(merged):
                if prev.year is not None:
                    break
                prev.year = it.year
            continue
        merged.append(it)
    return merged


def _assign_years(items: list[_Item], default_year: int) -> None:
    """The trailing year applies to the earlier items of the list; later ones follow earlier ones
    (a period that would end before the one before it is in the next year)."""
    nxt: int | None = None
    for it in reversed(items):
        if it.year_given or it.year is not None:
            nxt = it.year
        elif nxt is not None:
            it.year = nxt
    prev_end: date | None = None
    prev_year: int | None = None
    for it in items:
        if it.year is None:
            y = prev_year if prev_year is not None else default_year
            span = _span(it, y)
            if span and prev_end and span[1] < prev_end and prev_year is not None:
                y += 1
            it.year = y
        span = _span(it, it.year)
        prev_year = it.year
        prev_end = span[1] if span else prev_end


def _once_dates(items: list[_Item], default_year: int) -> set[date]:
    """The end of each period, unless a day written inside it refines it."""
    spans = [s for it in items if (s := _span(it, it.year or default_year)) is not None]
    days = [s[0] for s, it in zip(spans, items, strict=False) if s[0] == s[1]]
    once: set[date] = set()
    for start, end in spans:
        if start != end and any(start <= d <= end for d in days):
            continue  # refined by a day inside it
        once.add(end)
    return once


def _rules_with_days(p: _Parser, rules: list[_Rule]) -> list[_Rule]:
    """A bare day or a weekday written beside rules is their day."""
    if p.bare_day is not None:
        for r in rules:
            if r.every in ("month", "quarter") and r.day is None:
                r.day = p.bare_day
                break
    if p.weekday is not None:
        for r in rules:
            if r.every == "week":
                r.day = p.weekday
    # "hằng tháng (trước ngày 16 hằng tháng)": the rule with its day says when, once.
    for every in ("month", "quarter"):
        if any(r.every == every and r.day is not None for r in rules):
            rules = [r for r in rules if not (r.every == every and r.day is None)]
    return rules


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


# "năm 2025 và các năm tiếp theo": that year and every year after it, as a plan's period the
# `ONWARDS_YEARS` years from it (bot.core.importing.plan_facts), as a deadline each year's end.
ONWARDS = re.compile(r"\bnam\s+(20\d\d)\s+va\s+(?:cac|nhung)\s+nam\s+(?:tiep\s+theo|sau\s+do|ke\s+tiep)\b")
ONWARDS_YEARS = 5  # 2025 and the four years after it

# Context rules (before the grammar): a start date is not a due date; an event is not a date.
_START_ONLY = re.compile(r"^\W*(?:bat dau\s+)?(?:ke\s+)?tu\s+(?!nay\b)")
_UNTIL_DATE = re.compile(r"\b(?:den|toi)\s+(?:het\s+)?(?:ngay|thang|quy|nam|\d)|\d\s*-\s*(?:thang\s+|quy\s+|nam\s+)?\d")
# "Phiên họp thứ 44", "Kỳ họp bất thường lần thứ 9": a numbered event, not a day
_ORDINAL_EVENT = re.compile(
    r"\b(?:phien hop|ky hop|hoi nghi|dot|khoa)(?:\s+bat thuong)?(?:\s+lan)?\s+thu\s+\d+\b"
)
_LIST_DASH = re.compile(r"(^|[;.])\s*-\s+")
_UNTIL_EVENT = re.compile(r"\b(?:cho\s+)?(?:den|toi)\s+(?:khi|luc)\b")


def _parse_uncached(
    text: str,
    today: date,
    year: int | None,
    window: tuple[date, date] | None,
    quarter_day: int | None,
) -> Deadline:
    raw = nfc(text)
    f = _normalise(_fold(raw))
    if not f:
        return Deadline(raw, Kind.UNSPECIFIED)
    f = _ORDINAL_EVENT.sub(" ", f)
    onwards = ONWARDS.search(f)
    if onwards:
        # "năm 2025 và các năm tiếp theo": every year from 2025, inside the plan's period (the
        # window), else over the `ONWARDS_YEARS` years it names as a plan's period
        first = int(onwards[1])
        f = f"{f[: onwards.start()]} hang nam {f[onwards.end() :]}".strip()
        start = date(first, 1, 1)
        if window is None or window[1] < start:
            window = (start, date(first + ONWARDS_YEARS - 1, 12, 31))
        else:
            window = (max(window[0], start), window[1])
    f = _LIST_DASH.sub(r"\1 ", f)  # "…(tháng 4/2025); - Trình …": a list, not a range
    if _START_ONLY.match(f) and not _UNTIL_DATE.search(f) or _UNTIL_EVENT.search(f):
        # "Từ 01/7/2025" says when work starts, "… đến khi kết thúc kiểm kê" ends at an event:
        # neither is a due date.
        return Deadline(raw, Kind.CONTINUOUS)
    default_year = year if year and 1 <= year <= 9998 else today.year
    p = _Parser(_tokenise(f), default_year).run()
    if window is None and year and 1 <= year <= 9999:
        window = (date(year, 1, 1), date(year, 12, 31))
    kind, dates = _resolve(p, default_year, window, quarter_day)
    return Deadline(raw, kind, dates)


@lru_cache(maxsize=8192)
def _parse_cached(
    text: str,
    today: date,
    year: int | None,
    window: tuple[date, date] | None,
    quarter_day: int | None,
) -> Deadline:
    """Plans repeat the same few phrases; the answer is pure, so it can be shared."""
    try:
        return _parse_uncached(text, today, year, window, quarter_day)
    except Exception:
        return Deadline(nfc(text) if isinstance(text, str) else "", Kind.UNSPECIFIED)


def parse_deadline(
    text: str,
    *,
    today: date,
    year: int | None = None,
    window: tuple[date, date] | None = None,
    quarter_day: int | None = None,
) -> Deadline:
    """Turn a deadline phrase into its kind and due dates (rules: see the module docstring).

    `year` fills a missing year (the plan's year; default today's). Recurring rules expand
    inside `window` (default: the calendar year of `year`, else of `today`). `quarter_day` is
    the due day of quarterly rules (None = the quarter's last day).
    """
    if window is not None:
        window = (window[0], window[1])
    try:
        return _parse_cached(text, today, year, window, quarter_day)
    except TypeError:  # unhashable arguments: parse without the cache
        return _parse_uncached(text, today, year, window, quarter_day)


def plan_window(
    signed: date | None, year: int | None, period: tuple[int, int] | None = None
) -> tuple[date, date] | None:
    """Where a plan's recurring rules fall: from its signing date (or its period's first day,
    if later) to the end of its period, else to the end of its signing year.

    "Hằng năm" in a plan signed on 20/11/2025 for "giai đoạn 2026 - 2030" is 31/12 of 2026…2030;
    "hằng quý" in a one-year plan signed on 29/7/2022 is 30/9 and 31/12/2022.
    """
    if period is not None:
        lo = date(period[0], 1, 1)
        if signed is not None and signed > lo:
            lo = signed
        return lo, date(period[1], 12, 31)
    if signed is not None:
        return signed, date(signed.year, 12, 31)
    if year is not None:
        return date(year, 1, 1), date(year, 12, 31)
    return None


def expand(
    deadline_text: str,
    *,
    window: tuple[date, date],
    year: int | None,
    today: date,
    quarter_day: int | None = None,
) -> list[date]:
    """The due dates of a stored deadline phrase inside `window` (for reminder planning)."""
    lo, hi = window
    d = parse_deadline(deadline_text, today=today, year=year, window=window, quarter_day=quarter_day)
    return [x for x in d.dates if lo <= x <= hi]


def deadline_json(d: Deadline) -> dict[str, object]:
    """The `nhacviec deadline --json` shape: {"text", "kind", "dates": ["YYYY-MM-DD", ...]}."""
    return {"text": d.text, "kind": str(d.kind), "dates": [x.isoformat() for x in d.dates]}
