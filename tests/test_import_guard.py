"""Refusing files that are not readable plans: clearly, in one line, and fast."""

from __future__ import annotations

import io
import random
import struct
import time
import zipfile
from collections.abc import Callable
from datetime import date

import docx
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.domain import ImportRefused
from bot.core.importing.guard import check_size, check_zip, decode_text, sniff
from bot.core.importing.options import Dating, ImportOptions
from bot.core.importing.tables import read_table, tasks_from_rows

TODAY = date(2022, 5, 1)
FAST = 3.0  # seconds: a refusal must never make the admin wait
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def refused(action: Callable[[], object], *words: str) -> str:
    """Run `action`, check it is refused quickly with a one-line reason mentioning `words`."""
    start = time.perf_counter()
    with pytest.raises(ImportRefused) as caught:
        action()
    elapsed = time.perf_counter() - start
    reason = str(caught.value)
    assert elapsed < FAST, f"refusal took {elapsed:.1f}s"
    assert reason and "\n" not in reason
    for word in words:
        assert word in reason, reason
    return reason


def xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def read(data: bytes, name: str = "kh.xlsx", **kwargs: object) -> object:
    return read_table(data, name, ImportOptions(today=TODAY, **kwargs))


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("data", [b"", b"   \r\n\t ", b"\xef\xbb\xbf"])
def test_empty_file(data: bytes) -> None:
    refused(lambda: read(data, "kh.csv"))


@pytest.mark.parametrize("name", ["kh.csv", "kh.xlsx", "kh.txt", "kh"])
def test_random_bytes(name: str) -> None:
    data = random.Random(7).randbytes(200_000)
    refused(lambda: read(data, name))


def test_binary_file_with_a_known_magic() -> None:
    refused(lambda: read(b"\x89PNG\r\n\x1a\n" + bytes(500), "anh.csv"))


def test_header_only_csv_and_xlsx() -> None:
    refused(lambda: read("TT,Nhiệm vụ,Chủ trì,Thời hạn\n\n,,,\n".encode(), "kh.csv"), "tiêu đề")
    refused(lambda: read(xlsx([["TT", "Nhiệm vụ", "Chủ trì", "Thời hạn"]]), "kh.xlsx"), "tiêu đề")


def test_no_recognisable_header() -> None:
    refused(lambda: read("Họ tên,Tuổi\nAn,30\nBình,41\n".encode(), "ds.csv"), "tiêu đề")
    refused(lambda: read(xlsx([["Họ tên", "Tuổi"], ["An", 30]]), "ds.xlsx"), "tiêu đề")


def test_rows_that_all_fail_are_refused_with_an_example() -> None:
    refused(lambda: read("TT,Nhiệm vụ,Chủ trì\n1,,Sở Y tế\n2,,Sở Nội vụ\n".encode(), "kh.csv"), "Dòng 2")


def test_too_large() -> None:
    data = "TT,Nhiệm vụ,Chủ trì\n1,Việc,Sở Y tế\n".encode() * 1000
    refused(lambda: read(data, "kh.csv", max_bytes=10_000), "quá lớn")
    refused(lambda: check_size(21 * 1024 * 1024, 20 * 1024 * 1024), "20 MB")
    check_size(10, 10)


def test_zip_bomb_by_declared_size() -> None:
    """An XLSX whose sheet unpacks to 300 MB of zeros (a few hundred KB packed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = bytes(1024 * 1024)
            for _ in range(300):
                member.write(chunk)
    data = buffer.getvalue()
    assert len(data) < 2 * 1024 * 1024
    refused(lambda: read(data, "bomb.xlsx"), "zip bomb")


def test_zip_bomb_by_ratio() -> None:
    data = zipped({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"<" + bytes(30_000_000)})
    refused(lambda: check_zip(data), "zip bomb")


def _lie_about_sizes(data: bytes, size: int) -> bytes:
    """Rewrite every declared uncompressed size in local and central headers to `size`."""
    blob = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := blob.find(signature, start)) != -1:
            struct.pack_into("<I", blob, start + offset, size)
            start += 4
    return bytes(blob)


def test_zip_with_a_lying_header_is_read_through_a_bounded_stream() -> None:
    honest = zipped({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"<x/>" * 500_000})
    lying = _lie_about_sizes(honest, 100)
    refused(lambda: read(lying, "kh.xlsx"))


def test_lying_header_cannot_exceed_the_unpacked_budget() -> None:
    data = zipped({"xl/workbook.xml": b"<workbook/>", "a.bin": bytes(3_000_000)})
    refused(lambda: check_zip(_lie_about_sizes(data, 10), max_unpacked=1_000_000))


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_corrupt_zip(cut: float) -> None:
    data = xlsx([["TT", "Nhiệm vụ", "Chủ trì"], [1, "Việc", "Sở Y tế"]])
    refused(lambda: read(data[: int(len(data) * cut)], "kh.xlsx"), "hỏng")


def test_zip_magic_then_garbage() -> None:
    refused(lambda: read(b"PK\x03\x04" + random.Random(3).randbytes(5000), "kh.xlsx"), "hỏng")


def test_broken_workbook_inside_a_good_zip() -> None:
    data = zipped({"[Content_Types].xml": b"<Types", "xl/workbook.xml": b"not xml at all"})
    refused(lambda: read(data, "kh.xlsx"), "Excel")


@pytest.mark.parametrize("name", ["kh.xlsx", "kh.xls", "kh.csv"])
def test_encrypted_ooxml_or_legacy_xls(name: str) -> None:
    data = OLE + random.Random(1).randbytes(20_000)
    refused(lambda: read(data, name), "mã hoá", ".xls")


def test_password_flag_on_a_zip_member() -> None:
    data = bytearray(zipped({"xl/workbook.xml": b"<workbook/>"}))
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.find(signature)
        data[start + offset] |= 0x1
    refused(lambda: read(bytes(data), "kh.xlsx"), "mật khẩu")


def test_unknown_zip_and_opendocument() -> None:
    refused(lambda: read(zipped({"hello.txt": b"hi"}), "kh.xlsx"))
    ods = zipped({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"})
    refused(lambda: read(ods, "kh.ods"), "OpenDocument")


def test_html_saved_as_xls() -> None:
    html = "<html><body><table><tr><td>TT</td><td>Nhiệm vụ</td></tr></table></body></html>"
    refused(lambda: read(html.encode(), "kh.xls"), "HTML")


def test_unknown_single_byte_encoding() -> None:
    data = "TT,Nhiệm vụ,Chủ trì\n1,Kiểm tra,Sở Y tế\n".encode().replace(b"\xe1", b"\x81\x8d")
    refused(lambda: decode_text(data))


def test_word_or_pdf_is_not_a_table() -> None:
    refused(lambda: read(b"%PDF-1.7\n%binary\n", "kh.pdf"), "CSV")


# --------------------------------------------------------------------------- sniffing


def test_sniff_decides_from_content() -> None:
    table = "TT;Nhiệm vụ;Chủ trì;Thời hạn\n1;Việc;Sở Y tế;Quý I\n".encode()
    assert sniff(table, "kh.csv") == "csv"
    assert sniff(table, "kh.txt") == "csv"
    prose = "KẾ HOẠCH\nNhiệm vụ, giải pháp, thời hạn\nCác sở, ngành thực hiện.\n".encode()
    assert sniff(prose, "kh.txt") == "text"
    assert sniff(table, "upload") == "csv"
    assert sniff(table, "kh.xlsx") == "csv"  # a CSV renamed .xlsx is still a CSV
    assert sniff(xlsx([["a"]]), "kh.csv") == "xlsx"
    assert sniff(b"%PDF-1.4\n...", "kh.docx") == "pdf"
    assert sniff("KẾ HOẠCH\nI. MỤC ĐÍCH\n1. Rà soát.".encode(), "kh.txt") == "text"
    assert sniff("KẾ HOẠCH\nI. MỤC ĐÍCH\n1. Rà soát.".encode("utf-16"), "kh") == "text"
    document = docx.Document()
    document.add_paragraph("Kế hoạch")
    buffer = io.BytesIO()
    document.save(buffer)
    assert sniff(buffer.getvalue(), "kh.bin") == "docx"


def test_check_zip_returns_an_open_archive() -> None:
    archive = check_zip(zipped({"xl/workbook.xml": b"<workbook/>"}))
    assert archive.read("xl/workbook.xml") == b"<workbook/>"


# --------------------------------------------------------------------------- robustness

_CELLS = st.one_of(
    st.text(max_size=30), st.sampled_from(["II", "A.", "Nhiệm vụ", "TT", "Quý I", "", "1", "1.1"])
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000), st.sampled_from(["a.csv", "a.xlsx", "a.txt", "a"]))
def test_any_bytes_give_a_plan_or_a_refusal(data: bytes, name: str) -> None:
    try:
        plan = read_table(b"TT,Nhiem vu,Chu tri\n" + data, name, ImportOptions(today=TODAY))
    except ImportRefused as refusal:
        assert str(refusal)
    else:
        assert plan.tasks


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_CELLS, max_size=6), max_size=12))
def test_any_rows_give_tasks_or_row_errors(rows: list[list[str]]) -> None:
    columns = {"number": 0, "title": 1, "lead": 2, "deadline": 3}
    tasks, warnings, errors = tasks_from_rows(rows, Dating(today=TODAY), columns=columns, first_row_number=1, source_prefix="")
    assert all(task.title for task in tasks)
    assert all(isinstance(message, str) for message in warnings + errors)
