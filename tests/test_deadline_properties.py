"""Properties of the deadline grammar that must hold for every input, checked with hypothesis."""

from __future__ import annotations

import calendar
import unicodedata
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.domain import Kind
from bot.core.lang.deadlines import _fold, _parse_uncached, parse_deadline
from bot.core.text import fold, nfc

TODAY = date(2022, 1, 5)
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
VIETNAMESE_LETTERS = (
    "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"
)


def strip_diacritics(text: str) -> str:
    """What a phone keyboard without Vietnamese input produces (case kept)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def answer(text: str, **kw: object) -> tuple[Kind, tuple[date, ...]]:
    d = parse_deadline(text, today=TODAY, **kw)  # type: ignore[arg-type]
    return d.kind, d.dates


# Realistic phrases assembled from the pieces plans use.
years = st.integers(2000, 2100)
quarter_words = st.sampled_from(["Quý", "quý", "Quí", "Qu", "Q", "Quy"])
quarters = st.builds(
    lambda w, q, roman, y, sep: f"{w} {ROMAN[q] if roman else q}{sep}{y}",
    quarter_words,
    st.integers(1, 4),
    st.booleans(),
    years,
    st.sampled_from(["/", " năm ", "/ "]),
)
days = st.builds(
    lambda p, d, y, sep: f"{p}{d.day}{sep}{d.month}{sep}{y if y else d.year}",
    st.sampled_from(
        ["trước ngày ", "Trước ", "chậm nhất ngày ", "đến hết ngày ", "Hoàn thành trước ngày ", ""]
    ),
    st.dates(date(2000, 1, 1), date(2100, 12, 31)),
    st.none(),
    st.sampled_from(["/", ".", "-"]),
)
months = st.builds(
    lambda p, m, y: f"{p}háng {m}/{y}",
    st.sampled_from(["T", "t", "trong t", "Trước t"]),
    st.integers(1, 12),
    years,
)
fixed = st.sampled_from(
    [
        "Thường xuyên",
        "thường xuyên, liên tục",
        "Thường xuyên trong năm",
        "Theo quy định",
        "hằng tháng",
        "Hàng quý",
        "định kỳ hằng quý, sáu tháng và hằng năm",
        "6 tháng, năm",
        "trước ngày 10/12 hằng năm",
        "Tháng 4 và tháng 10",
        "Quý I - II/2022",
        "6 tháng đầu năm 2022",
        "Từ tháng 3 đến tháng 6/2022",
        "Đầu quý III",
        "Năm 2022-2023",
        "Quý II, Quý III/2022",
    ]
)
phrases = st.one_of(quarters, days, months, fixed)
recasings = st.lists(st.booleans(), min_size=0, max_size=80)


def recase(text: str, flips: list[bool]) -> str:
    return "".join(c.upper() if k < len(flips) and flips[k] else c.lower() for k, c in enumerate(text))


@given(phrases, recasings)
def test_diacritics_and_case_never_change_the_answer(text: str, flips: list[bool]) -> None:
    expected = answer(text)
    assert answer(strip_diacritics(text)) == expected
    assert answer(text.upper()) == expected
    assert answer(text.lower()) == expected
    assert answer(recase(text, flips)) == expected


@given(st.text(alphabet=VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper() + "0123456789 /.,-–IV", max_size=40))
def test_diacritics_and_case_never_change_the_answer_on_noise(text: str) -> None:
    expected = answer(text)
    assert answer(strip_diacritics(text)) == expected
    assert answer(text.swapcase()) == expected


@given(st.integers(1, 4), years, st.booleans(), quarter_words, st.sampled_from(["/", " năm ", " / "]))
def test_every_quarter_with_a_year_is_the_quarters_last_day(
    q: int, y: int, roman: bool, word: str, sep: str
) -> None:
    text = f"{word} {ROMAN[q] if roman else q}{sep}{y}"
    last = date(y, 3 * q, calendar.monthrange(y, 3 * q)[1])
    assert answer(text) == (Kind.ONCE, (last,))
    assert answer(f"trong {text}", year=1999, quarter_day=15) == (Kind.ONCE, (last,))


RULES = [
    "hằng tháng",
    "hàng quý",
    "định kỳ 6 tháng",
    "hằng năm",
    "định kỳ hàng quý, sáu tháng và hàng năm",
    "trước ngày 10/12 hằng năm",
    "ngày 31 hằng tháng",
    "hàng tuần",
    "Tháng 2 hằng năm",
]


@given(
    st.sampled_from(RULES),
    st.dates(date(1990, 1, 1), date(2100, 12, 31)),
    st.integers(0, 3 * 366),
    st.one_of(st.none(), st.integers(-3, 40)),
)
def test_recurring_expansion_stays_inside_the_window(
    rule: str, start: date, length: int, qday: int | None
) -> None:
    end = start + timedelta(days=length)
    kind, dates = answer(rule, window=(start, end), quarter_day=qday)
    assert kind == Kind.RECURRING
    assert all(start <= d <= end for d in dates)
    assert list(dates) == sorted(set(dates))
    if rule == "hàng quý" and length >= 92:
        assert dates  # a window longer than a quarter holds at least one quarter's due day


@given(st.text(max_size=200))
@settings(max_examples=1500)
def test_never_raises_on_arbitrary_text(text: str) -> None:
    d = _parse_uncached(text, TODAY, None, None, None)  # the grammar itself, without the safety net
    assert d.kind in set(Kind)
    assert list(d.dates) == sorted(set(d.dates))
    if d.kind in (Kind.CONTINUOUS, Kind.UNSPECIFIED):
        assert d.dates == ()


@given(
    st.text(alphabet="0123456789/.-, quýQIVlnămthángđầucuốihằngđếnxuyên", max_size=60),
    st.one_of(st.none(), st.integers(-5, 10000)),
    st.one_of(st.none(), st.tuples(st.dates(), st.dates())),
    st.one_of(st.none(), st.integers(-100, 100)),
)
def test_never_raises_on_grammar_like_text_and_odd_arguments(
    text: str, year: int | None, window: tuple[date, date] | None, qday: int | None
) -> None:
    if window is not None and (window[1] - window[0]).days > 3 * 366:
        window = (window[0], window[0] + timedelta(days=3 * 366)) if window[0].year < 9990 else None
    d = _parse_uncached(text, TODAY, year, window, qday)
    assert list(d.dates) == sorted(set(d.dates))


@given(
    st.one_of(st.text(max_size=60), st.text(alphabet=VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper() + " đĐ"))
)
def test_fast_fold_is_exactly_fold(text: str) -> None:
    assert _fold(nfc(text)) == fold(nfc(text))
