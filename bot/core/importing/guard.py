"""First look at an uploaded file: refuse what is not a plan before any parser touches it.

Admins upload whatever their office has (old .xls, encrypted workbooks, photos, exports that
are really HTML). Parsers are slow and can be tricked (zip bombs), so the kind of file is
decided here from its content, cheaply, and anything unreadable is refused with one clear
Vietnamese sentence. The file name is only a hint.
"""

from __future__ import annotations

import codecs
import csv
import io
import unicodedata
import zipfile
import zlib
from enum import StrEnum

from bot.core.domain import ImportRefused
from bot.core.i18n import _
from bot.core.importing.headers import detect_delimiter, locate_header

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
MAX_ZIP_MEMBERS = 5_000
# Real Office XML compresses 5-30x; 200x only happens with padding crafted to explode.
MAX_RATIO = 200
_RATIO_FLOOR = 2 * 1024 * 1024  # members smaller than this may compress as they like
_CHUNK = 1024 * 1024
_SAMPLE = 64 * 1024

# Magic numbers of files people upload by mistake (images, archives, executables, media).
_BINARY_MAGICS = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
    b"Rar!",
    b"7z\xbc\xaf",
    b"\x1f\x8b",
    b"MZ",
    b"\x7fELF",
    b"ID3",
    b"RIFF",
    b"OggS",
    b"fLaC",
)
# Scans and photos are read by OCR (issue 27).
_IMAGE_MAGICS = (b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")
_VIETNAMESE_HINTS = set("ăâđêôơưĂÂĐÊÔƠƯ") | {chr(c) for c in range(0x0300, 0x0324)}


class FileKind(StrEnum):
    """What an uploaded file really is, decided from its content by `sniff` (the name is a hint).

    Tables (`CSV`, `XLSX`) go to `tables.py`; documents (`DOCX`, `PDF`, `TEXT`) to `documents.py`;
    an `IMAGE` (PNG, JPEG, TIFF, WebP: a scan or a photo) to OCR first (issue 27).
    """

    CSV = "csv"
    XLSX = "xlsx"
    DOCX = "docx"
    PDF = "pdf"
    TEXT = "text"
    IMAGE = "image"

    @property
    def is_table(self) -> bool:
        return self in (FileKind.CSV, FileKind.XLSX)


def check_size(size: int, max_bytes: int) -> None:
    """Refuse a file larger than the deployment allows, before reading it."""
    if size > max_bytes:
        raise ImportRefused(
            _("Tệp quá lớn ({size} MB); giới hạn là {limit} MB.").format(
                size=_megabytes(size), limit=_megabytes(max_bytes)
            )
        )


def sniff(data: bytes, filename: str) -> FileKind:
    """Say what the file really is (a `FileKind`); refuse what is none of them.

    Zip files are checked against zip bombs on the way (`check_zip`), so `XLSX`/`DOCX`
    means the archive is safe to hand to openpyxl/python-docx.
    """
    if not data or not data.strip():
        raise ImportRefused(_("Tệp rỗng, không có nội dung."))
    head = data[:8]
    if head.startswith(OLE_MAGIC[:4]):
        if filename.lower().endswith((".doc", ".dot")):
            raise ImportRefused(_("Tệp bị mã hoá hoặc là .doc cũ; hãy bỏ mật khẩu và lưu lại dạng .docx."))
        raise ImportRefused(_("Tệp bị mã hoá hoặc là .xls cũ; hãy bỏ mật khẩu và lưu lại dạng .xlsx."))
    if head.startswith(ZIP_MAGICS):
        return _zip_kind(check_zip(data))
    if b"%PDF-" in data[:1024]:
        return FileKind.PDF
    if head.startswith(b"{\\rtf"):
        raise ImportRefused(_("Tệp RTF chưa được hỗ trợ; hãy lưu lại dạng .docx."))
    if head.startswith(_IMAGE_MAGICS) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return FileKind.IMAGE
    if head.startswith(_BINARY_MAGICS):
        raise ImportRefused(_("Tệp không phải bảng tính, văn bản Word, PDF hay văn bản thường."))
    text = decode_text(data)
    lowered = text[:2048].lstrip().lower()
    if lowered.startswith("<") and ("<html" in lowered or "<table" in lowered or "<?xml" in lowered):
        raise ImportRefused(
            _("Tệp là trang HTML/XML, không phải bảng tính; hãy mở bằng Excel và lưu lại dạng .xlsx.")
        )
    if filename.lower().endswith((".csv", ".tsv")):
        return FileKind.CSV
    # Plain text of any other name: a table only if it clearly is one (a prose line with
    # commas must not turn a plan's text copy into a CSV).
    return FileKind.CSV if _looks_like_table(text) else FileKind.TEXT


def check_zip(data: bytes, max_unpacked: int = 200 * 1024 * 1024) -> zipfile.ZipFile:
    """Open a zip only if unpacking it is bounded: declared sizes, ratio, then a real bounded read.

    The declared sizes come from the archive itself and can lie, so every member is also
    decompressed once through a counting stream that stops as soon as the budget is spent.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise ImportRefused(_("Tệp nén bị hỏng, không mở được.")) from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise ImportRefused(_("Tệp nén có quá nhiều thành phần, không an toàn để mở."))
    declared = 0
    for info in members:
        if info.flag_bits & 0x1:
            raise ImportRefused(_("Tệp bị đặt mật khẩu; hãy bỏ mật khẩu rồi gửi lại."))
        declared += info.file_size
        if info.file_size > _RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _bomb()
    if declared > max_unpacked:
        raise _bomb()
    unpacked = 0
    try:
        for info in members:
            if info.is_dir():
                continue
            with archive.open(info) as stream:
                member_size = 0
                while chunk := stream.read(_CHUNK):
                    member_size += len(chunk)
                    unpacked += len(chunk)
                    if member_size > info.file_size or unpacked > max_unpacked:
                        raise _bomb()
    except ImportRefused:
        raise
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, ValueError, OSError, EOFError):
        raise ImportRefused(_("Tệp nén bị hỏng, không mở được.")) from None
    return archive


def decode_text(data: bytes) -> str:
    """Decode a text file: UTF-8 (with/without BOM), UTF-16, or Windows-1258 if clearly so.

    Anything else (binary, random bytes, an unknown code page) is refused rather than guessed,
    because a wrong guess silently garbles agency names.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _try_decode(data, "utf-16")
    elif _looks_utf16(data):
        text = _try_decode(data, "utf-16-le" if data[1:2] == b"\x00" else "utf-16-be")
    else:
        text = _try_decode(data, "utf-8-sig")
        if text is None and b"\x00" not in data:
            text = _try_decode(data, "cp1258")
            if text is not None and not any(ch in _VIETNAMESE_HINTS for ch in text[:_SAMPLE]):
                text = None
    if text is None:
        raise ImportRefused(
            _("Không đọc được tệp: không phải văn bản UTF-8; hãy lưu lại dạng CSV UTF-8 hoặc .xlsx.")
        )
    if not _is_plain_text(text):
        raise ImportRefused(_("Tệp không phải bảng tính, văn bản Word, PDF hay văn bản thường."))
    return unicodedata.normalize("NFC", text.lstrip("\ufeff"))


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _looks_utf16(data: bytes) -> bool:
    """UTF-16 without BOM: mostly-ASCII text has a zero in every other byte."""
    sample = data[:4096]
    if len(sample) < 4 or len(sample) % 2:
        return False
    evens, odds = sample[0::2], sample[1::2]
    return max(evens.count(0), odds.count(0)) > 0.3 * len(evens) and min(evens.count(0), odds.count(0)) == 0


def _is_plain_text(text: str) -> bool:
    sample = text[:_SAMPLE]
    controls = sum(1 for ch in sample if unicodedata.category(ch) == "Cc" and ch not in "\t\r\n\f")
    odd = sum(1 for ch in sample if unicodedata.category(ch) in ("Co", "Cn", "Cs"))
    return controls + odd <= max(2, len(sample) // 1000)


def _looks_like_table(text: str) -> bool:
    """A delimited table: a recognisable header, then rows with as many cells as it has."""
    delimiter = detect_delimiter(text)
    if delimiter is None:
        return False
    sample = "\n".join(text[:65536].splitlines()[:60])
    try:
        rows = [row for row in csv.reader(io.StringIO(sample), delimiter=delimiter) if any(row)]
    except csv.Error:
        return False
    found = locate_header(rows, 30)
    if found is None:
        return False
    width = len(rows[found[1]])
    following = rows[found[1] + 1 : found[1] + 4]
    return width >= 3 and bool(following) and all(len(row) == width for row in following)


def _zip_kind(archive: zipfile.ZipFile) -> FileKind:
    names = set(archive.namelist())
    if "xl/workbook.xml" in names:
        return FileKind.XLSX
    if "word/document.xml" in names:
        return FileKind.DOCX
    if "xl/workbook.bin" in names:
        raise ImportRefused(_("Tệp .xlsb chưa được hỗ trợ; hãy lưu lại dạng .xlsx."))
    if "mimetype" in names and b"opendocument" in archive.read("mimetype")[:200]:
        raise ImportRefused(
            _("Tệp OpenDocument (.ods/.odt) chưa được hỗ trợ; hãy lưu lại dạng .xlsx hoặc .docx.")
        )
    raise ImportRefused(_("Tệp nén không phải bảng tính Excel hay văn bản Word."))


def _bomb() -> ImportRefused:
    return ImportRefused(_("Tệp nén giải nén ra quá lớn (nghi là zip bomb), không mở."))


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")
