"""Scans, photos and OCR'd text imported from chat and from the command line (issue 27), with
the real Tesseract (Debian's tesseract-ocr and tesseract-ocr-vie; `.ci/run` installs them).
The scans are tests/data/scans/ (made by benchmarks/tools/make_test_scans.py from qd-1627's text); the
suite OCRs five pages in all."""

from __future__ import annotations

import csv
import io
import json
from collections import OrderedDict
from datetime import date
from pathlib import Path

import pytesseract
import pytest
from PIL import Image

from bot.core.domain import ImportRefused
from bot.core.importing.options import ImportOptions
from bot.core.importing.reader import read_plan
from bot.core.replies import Reply
from bot.delivery.ports import Outbox
from bot.ocr import tesseract
from bot.ocr.tesseract import OcrLimits
from handlers import importing
from handlers.importing import ocr_words
from handlers.requests import Request
from handlers.router import Router
from tests.chat import Chat
from tests.cli import nhacviec
from tests.conftest import EXAMPLES
from tests.gold_scoring import lead_match, score_tasks, syllables_of, title_match

SCANS = EXAMPLES / "scans"
PLAN = EXAMPLES / "plans-real" / "qd-1627-2025-ubnd-quang-ngai-tong-kiem-ke-tai-san.md"
TODAY = date(2025, 11, 1)


def text_tasks() -> list:
    return read_plan(PLAN.read_bytes(), PLAN.name, ImportOptions(today=TODAY)).tasks


def check_against_text(tasks: list, at_least: int) -> None:
    """Most tasks read from the scan are tasks of the same plan read as text, with the same lead,
    and their titles read syllable for syllable."""
    reference = text_tasks()
    good = right = total = 0
    for task in tasks:
        best = max(reference, key=lambda t: title_match(t.title, task.title))
        if title_match(best.title, task.title) and lead_match(best.lead, task.lead):
            good += 1
            a, b = syllables_of(best.title), syllables_of(task.title)
            total += len(a)
            right += sum(x == y for x, y in zip(a, b, strict=False))
    assert len(tasks) >= at_least and good >= 0.8 * len(tasks), (good, len(tasks))
    assert right >= 0.85 * total, (right, total)


class Notes:
    """A channel that records what the bot says mid-turn (the progress notes)."""

    name = "telegram"

    def __init__(self) -> None:
        self.said: list[str] = []

    async def send(self, chat_id: str, reply: Reply) -> None:
        self.said.append(reply.text)


async def test_a_photo_imports_from_chat_with_progress_notes(chat: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importing, "_ocr_kept", OrderedDict())  # read anew: the notes come from the reading
    notes = Notes()
    router = Router(chat.ctx, outbox=Outbox([notes]))
    data = (SCANS / "qd-1627-trang-5-anh-chup.jpg").read_bytes()

    async def load() -> bytes:
        return data

    replies = await router.handle(
        Request("telegram", "1", "1", file_name="anh-chup.jpg", file_size=len(data), load_file=load)
    )
    preview = " ".join(r.text for r in replies)
    assert "Xem trước kế hoạch" in preview and "OCR" in preview, preview
    assert notes.said == ["Đang nhận dạng chữ: trang 1/1"]
    chat.router = router
    chat.sent.extend(("telegram:1", r) for r in replies)
    done = " ".join(await chat.press("Xác nhận"))
    assert "nhiệm vụ" in done
    agencies = {a.name for a in await chat.ctx.storage.agencies()}
    assert {"Sở Xây dựng", "Sở Công Thương", "Sở Tài chính"} <= agencies
    plan = (await chat.ctx.storage.plans())[0]
    raw, _repaired = await chat.ctx.storage.plan_texts(plan.id)
    assert raw and "kiểm kê" in raw  # the OCR's own text, kept for the record


def test_an_image_only_pdf_imports_from_the_command_line(tmp_path: Path) -> None:
    env = {"NHACVIEC_DB": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", "NHACVIEC_LANGUAGE": "vi"}
    result = nhacviec(
        "import", str(SCANS / "qd-1627-trang-4-5.pdf"), "--issuer", "Ủy ban nhân dân tỉnh Quảng Ngãi",
        "--year", "2025", "--json", env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Đang nhận dạng chữ: trang 1/2" in result.stderr and "trang 2/2" in result.stderr
    out = json.loads(result.stdout)
    assert out["ocr_text"] and out["repaired_text"] is None  # read by Tesseract's Vietnamese model: nothing to repair
    tasks = [type("T", (), {"title": t["title"], "lead": t["lead"]}) for t in out["tasks"]]
    check_against_text(tasks, at_least=10)
    assert any(t["lead"] == "Sở Tài chính - Cơ quan thường trực Ban Chỉ đạo" and t["dates"] == ["2025-12-31"] for t in out["tasks"])


def test_a_pdf_with_text_pages_and_a_scanned_page_reads_both() -> None:
    data = (SCANS / "qd-1627-tron.pdf").read_bytes()
    words = ocr_words(data, "tron.pdf", OcrLimits())
    assert words is not None and list(words) == [3]  # only the image page went to OCR
    plan = read_plan(data, "tron.pdf", ImportOptions(today=TODAY), words)
    assert plan.number == "1627/QĐ-UBND" and plan.issuer == "Ủy ban nhân dân tỉnh Quảng Ngãi"  # from the text pages
    check_against_text(plan.tasks, at_least=5)  # from the scanned page


def test_an_ocr_damaged_text_maps_its_agencies_to_the_directory(tmp_path: Path) -> None:
    """The office's directory already knows the Sở and its units (here from an earlier table of
    the same names): the damaged names of the OCR'd plan, repaired, map to them and nothing new
    is created; the titles read right."""
    env = {"NHACVIEC_DB": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", "NHACVIEC_LANGUAGE": "vi"}
    gold = json.loads((EXAMPLES / "gold" / "ke-hoach-272-skhcn-2022.gold.json").read_text(encoding="utf-8"))
    seed = tmp_path / "danh-ba.csv"
    with seed.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["TT", "Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành"])
        for n, task in enumerate(gold["tasks"], start=1):
            writer.writerow([n, f"Việc năm trước số {n}", task["lead"], task["partners"], "Quý IV/2021"])
        writer.writerow([99, "Việc khác", "Sở Thông tin và Truyền thông", "", "Quý IV/2021"])
    assert nhacviec("import", str(seed), "--issuer", gold["issuer"], "--year", "2021", env=env).returncode == 0
    before = nhacviec("agency", "list", env=env).stdout
    result = nhacviec("import", str(EXAMPLES / "plans" / "ke-hoach-272-skhcn-2022.ocr.txt"), "--json", env=env)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["repaired_text"] and out["ocr_text"] and out["issuer"] == "Sở Khoa học và Công nghệ"
    assert out["agencies"] == [] and all(name["status"] == "matched" for name in out["names"]), out["names"]
    assert nhacviec("agency", "list", env=env).stdout == before
    score = score_tasks("272", gold["tasks"], [type("T", (), t | {"dates": [date.fromisoformat(d) for d in t["dates"]]}) for t in out["tasks"]])
    assert score.f1 == 1.0


def test_without_tesseract_a_scan_gets_one_sentence_naming_the_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    monkeypatch.setattr(importing, "_ocr_kept", OrderedDict())  # no reading kept from another test
    tesseract.missing.cache_clear()
    try:
        with pytest.raises(ImportRefused) as refused:
            ocr_words((SCANS / "qd-1627-trang-5-anh-chup.jpg").read_bytes(), "anh.jpg", OcrLimits())
    finally:
        tesseract.missing.cache_clear()
    sentence = str(refused.value)
    assert "tesseract-ocr tesseract-ocr-vie" in sentence and "\n" not in sentence


def test_limits_and_unreadable_photos_are_refused_with_a_sentence() -> None:
    with pytest.raises(ImportRefused, match="quá giới hạn nhận dạng chữ"):
        ocr_words((SCANS / "qd-1627-trang-4-5.pdf").read_bytes(), "x.pdf", OcrLimits(max_pages=1))
    photo = Image.open(SCANS / "qd-1627-trang-5-anh-chup.jpg").rotate(25, expand=True, fillcolor=255)
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG")
    with pytest.raises(ImportRefused, match="nghiêng"):
        ocr_words(buffer.getvalue(), "nghieng.jpg", OcrLimits())
    tiny = io.BytesIO()
    Image.new("L", (200, 120), 255).save(tiny, "PNG")
    with pytest.raises(ImportRefused, match="quá nhỏ"):
        ocr_words(tiny.getvalue(), "nho.png", OcrLimits())
