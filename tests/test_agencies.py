"""Agency resolution: abbreviations, no diacritics, typos, relative names, and rejections."""

from __future__ import annotations

import pytest

from bot.core.domain import AgencyRecord
from bot.core.lang.agencies import Directory, compact

NAMES = [
    "Sở Tài nguyên và Môi trường",  # 1
    "Văn phòng UBND tỉnh",
    "Sở Lao động - Thương binh và Xã hội",
    "Sở Văn hóa, Thể thao và Du lịch",
    "Sở Nội vụ",  # 5
    "Sở Giao thông vận tải",
    "Công an tỉnh",
    "Thanh tra tỉnh",
    "UBND huyện Bình Sơn",
    "Sở Tư pháp",  # 10
    "Sở Thông tin và Truyền thông",
    "Sở Kế hoạch và Đầu tư",
    "Sở Khoa học và Công nghệ",
    "Sở Công Thương",
    "Chi cục Tiêu chuẩn Đo lường Chất lượng",  # 15
    "UBND huyện Sơn Tịnh",
    "Sở Y tế",
    "Sở Tài chính",
    "Ủy ban nhân dân tỉnh",
    "Sở Ngoại vụ",  # 20
]
VP_SCT, VP_SKHCN, PNV_BS, PNV_ST = 101, 102, 103, 104


def _directory(names: list[str] = NAMES) -> Directory:
    records = [AgencyRecord(i + 1, name) for i, name in enumerate(names)]
    records += [
        AgencyRecord(VP_SCT, "Văn phòng Sở", 14),
        AgencyRecord(VP_SKHCN, "Văn phòng Sở", 13),
        AgencyRecord(PNV_BS, "Phòng Nội vụ huyện", 9),
        AgencyRecord(PNV_ST, "Phòng Nội vụ", 16, aliases=("Phòng NV Sơn Tịnh",)),
    ]
    return Directory(records)


@pytest.fixture(scope="module")
def directory() -> Directory:
    return _directory()


def _id(name: str) -> int:
    return NAMES.index(name) + 1


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("STTTT", "Sở Thông tin và Truyền thông"),
        ("Sở TT&TT", "Sở Thông tin và Truyền thông"),
        ("sở tt-tt", "Sở Thông tin và Truyền thông"),
        ("SKHCN", "Sở Khoa học và Công nghệ"),
        ("Sở KH&CN", "Sở Khoa học và Công nghệ"),
        ("Sở KH&ĐT", "Sở Kế hoạch và Đầu tư"),
        ("so KHDT", "Sở Kế hoạch và Đầu tư"),
        ("SVHTTDL", "Sở Văn hóa, Thể thao và Du lịch"),
        ("Sở VHTTDL", "Sở Văn hóa, Thể thao và Du lịch"),
        ("SLĐTBXH", "Sở Lao động - Thương binh và Xã hội"),
        ("SLDTBXH", "Sở Lao động - Thương binh và Xã hội"),
        ("Sở LĐ-TB&XH", "Sở Lao động - Thương binh và Xã hội"),
        ("Sở GTVT", "Sở Giao thông vận tải"),
        ("Sở TNMT", "Sở Tài nguyên và Môi trường"),
        ("Sở TN&MT", "Sở Tài nguyên và Môi trường"),
        ("VP UBND tỉnh", "Văn phòng UBND tỉnh"),
        ("Văn phòng Ủy ban nhân dân tỉnh", "Văn phòng UBND tỉnh"),
        ("Văn phòng Uỷ ban nhân dân tỉnh", "Văn phòng UBND tỉnh"),
        ("Chi cục TĐC", "Chi cục Tiêu chuẩn Đo lường Chất lượng"),
        ("UBND tỉnh", "Ủy ban nhân dân tỉnh"),
        ("Uỷ ban nhân dân huyện Bình Sơn", "UBND huyện Bình Sơn"),
        ("CA tỉnh", "Công an tỉnh"),
    ],
)
def test_abbreviations_and_spellings(directory: Directory, written: str, expected: str) -> None:
    found = directory.resolve(written)
    assert found.agency_id == _id(expected), (written, found)
    assert found.score == 1.0


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("so tai nguyen moi truong", "Sở Tài nguyên và Môi trường"),
        ("SO TAI NGUYEN VA MOI TRUONG", "Sở Tài nguyên và Môi trường"),
        ("cong an tinh", "Công an tỉnh"),
        ("Thanh tra tinh", "Thanh tra tỉnh"),
        ("UBND huyen Binh Son", "UBND huyện Bình Sơn"),
        ("ubnd huyện bình sơn", "UBND huyện Bình Sơn"),
        ("Sở Nội vụ tỉnh", "Sở Nội vụ"),
        ("so van hoa the thao du lich", "Sở Văn hóa, Thể thao và Du lịch"),
    ],
)
def test_without_diacritics(directory: Directory, written: str, expected: str) -> None:
    assert directory.resolve(written).agency_id == _id(expected)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Sở Tai nguyen moi truon", "Sở Tài nguyên và Môi trường"),
        ("so tai ngyen va moi truong", "Sở Tài nguyên và Môi trường"),
        ("Sở Giao thong van tai", "Sở Giao thông vận tải"),
        ("Sở Giao thông vân tải", "Sở Giao thông vận tải"),
        ("So Khoa hoc va Cong nghe", "Sở Khoa học và Công nghệ"),
        ("Sở Thong tin truyen thongg", "Sở Thông tin và Truyền thông"),
        ("Sở Giao thông", "Sở Giao thông vận tải"),
    ],
)
def test_small_typos_and_short_forms(directory: Directory, written: str, expected: str) -> None:
    found = directory.resolve(written)
    assert found.agency_id == _id(expected), found
    assert 0.5 < found.score <= 1.0


@pytest.mark.parametrize(
    ("written", "not_this"),
    [
        ("Sở Ngoại giao", "Sở Ngoại vụ"),
        ("Sở Xây dựng", "Sở Y tế"),
        ("Sở Tài vụ", "Sở Tài chính"),
        ("UBND huyện Bình Định", "UBND huyện Bình Sơn"),
        ("UBND huyện Sơn Hà", "UBND huyện Sơn Tịnh"),
        ("Sở Công an", "Công an tỉnh"),
        ("Phòng Nội vụ tỉnh", "Sở Nội vụ"),
        ("Sở Du lịch", "Sở Văn hóa, Thể thao và Du lịch"),
        ("Sở Giáo dục và Đào tạo", "Sở Giao thông vận tải"),
        ("Sở Tài nguyên nước", "Sở Tài nguyên và Môi trường"),
    ],
)
def test_near_misses_are_rejected(directory: Directory, written: str, not_this: str) -> None:
    found = directory.resolve(written)
    assert found.agency_id is None, (written, directory.full_name(found.agency_id or 0))


def test_one_word_apart_is_not_the_same_agency() -> None:
    without_ngoai_vu = _directory([n for n in NAMES if n != "Sở Ngoại vụ"])
    found = without_ngoai_vu.resolve("Sở Ngoại vụ")
    assert found.agency_id is None
    assert "Sở Nội vụ" in found.suggestions
    assert without_ngoai_vu.resolve("Sở Nội vụ").agency_id == _id("Sở Nội vụ")
    assert without_ngoai_vu.resolve("Sở Ngoai vu").agency_id is None


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Sở Ngoại vụ", "Sở Nội vụ"),
        ("Sở Tư pháp", "Sở Tài chính"),
        ("UBND huyện Bình Sơn", "UBND huyện Sơn Tịnh"),
        ("Sở Y tế", "Sở Xây dựng"),
        ("Sở Công Thương", "Sở Công nghệ"),
    ],
)
def test_pairs_never_resolve_to_each_other(first: str, second: str) -> None:
    for present, asked in ((first, second), (second, first)):
        directory = Directory(
            [AgencyRecord(1, present), AgencyRecord(2, "Sở Nội vụ" if present != "Sở Nội vụ" else "Sở Y tế")]
        )
        found = directory.resolve(asked)
        assert found.agency_id is None or directory.full_name(found.agency_id) != present, (asked, present)


def test_relative_names_follow_the_asker(directory: Directory) -> None:
    assert directory.resolve("Văn phòng Sở", asker_id=14).agency_id == VP_SCT
    assert directory.resolve("van phong so", asker_id=13).agency_id == VP_SKHCN
    # a unit of the asker's parent counts too (asked from inside Sở Công Thương)
    assert directory.resolve("Văn phòng Sở", asker_id=VP_SCT).agency_id == VP_SCT
    # nobody to follow: ambiguous, both offered
    found = directory.resolve("Văn phòng Sở")
    assert found.agency_id is None
    assert set(found.suggestions) >= {
        "Văn phòng Sở (Sở Công Thương)",
        "Văn phòng Sở (Sở Khoa học và Công nghệ)",
    }
    # named with its parent, it needs no asker
    assert directory.resolve("Văn phòng Sở Công Thương").agency_id == VP_SCT
    assert directory.resolve("Văn phòng Sở (Sở Khoa học và Công nghệ)").agency_id == VP_SKHCN


def test_full_names_and_descendants(directory: Directory) -> None:
    assert directory.full_name(VP_SCT) == "Văn phòng Sở (Sở Công Thương)"
    assert directory.full_name(PNV_BS) == "Phòng Nội vụ huyện (UBND huyện Bình Sơn)"
    assert directory.full_name(_id("Sở Tư pháp")) == "Sở Tư pháp"
    assert directory.descendants(9) == {9, PNV_BS}
    assert directory.descendants(14) == {14, VP_SCT}
    assert directory.descendants(VP_SCT) == {VP_SCT}
    nested = Directory(
        [
            AgencyRecord(1, "UBND tỉnh"),
            AgencyRecord(2, "Văn phòng UBND tỉnh", 1),
            AgencyRecord(3, "Phòng Hành chính", 2),
        ]
    )
    assert nested.descendants(1) == {1, 2, 3}
    assert nested.full_name(2) == "Văn phòng UBND tỉnh"
    assert nested.full_name(3) == "Phòng Hành chính (Văn phòng UBND tỉnh)"


def test_aliases_and_abbreviation_sets(directory: Directory) -> None:
    assert directory.resolve("Phòng NV Sơn Tịnh").agency_id == PNV_ST
    assert {"stttt", "sotttt"} <= directory.abbreviations(_id("Sở Thông tin và Truyền thông"))
    assert "skhcn" in directory.abbreviations(_id("Sở Khoa học và Công nghệ"))
    assert "chicuctdc" in directory.abbreviations(_id("Chi cục Tiêu chuẩn Đo lường Chất lượng"))
    assert compact("Sở TT&TT") == "sotttt"


@pytest.mark.parametrize(
    ("text", "expected", "rest"),
    [
        ("viec cua van phong so thang nay", VP_SCT, "viec cua thang nay"),
        ("STTTT tháng 3", _id("Sở Thông tin và Truyền thông"), "tháng 3"),
        ("Sở KH&ĐT có nhiệm vụ gì", _id("Sở Kế hoạch và Đầu tư"), "có nhiệm vụ gì"),
        ("Sở LĐ-TB&XH có việc gì quá hạn", _id("Sở Lao động - Thương binh và Xã hội"), "có việc gì quá hạn"),
        ("việc của sở tai nguyen moi truon quý này", _id("Sở Tài nguyên và Môi trường"), "việc của quý này"),
        ("huyện Bình Sơn có việc gì", _id("UBND huyện Bình Sơn"), "có việc gì"),
    ],
)
def test_find_in_text(directory: Directory, text: str, expected: int, rest: str) -> None:
    found = directory.find_in_text(text, asker_id=14)
    assert found is not None
    assert found[0].agency_id == expected
    assert found[1] == rest


def test_find_in_text_reports_unknown_agencies_and_ignores_other_words() -> None:
    directory = _directory([n for n in NAMES if n != "Sở Ngoại vụ"])
    found = directory.find_in_text("Sở Ngoại vụ có việc gì?")
    assert found is not None
    assert found[0].agency_id is None and found[0].text == "Sở Ngoại vụ"
    assert "Sở Nội vụ" in found[0].suggestions
    for text in ("tuần sau tôi có việc gì", "báo cáo công tác tháng này", "ai chủ trì chữ ký số?", "cat"):
        assert directory.find_in_text(text) is None, text


def test_large_directory_builds_and_resolves() -> None:
    records = [AgencyRecord(i, f"UBND xã Số {i}") for i in range(1, 1001)]
    records.append(AgencyRecord(2000, "Sở Nội vụ"))
    directory = Directory(records)
    assert len(directory) == 1001
    assert directory.resolve("UBND xa so 517").agency_id == 517
    assert directory.resolve("so noi vu").agency_id == 2000
