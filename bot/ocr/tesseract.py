"""Run Tesseract on scanned pages, within limits, reporting progress.

Binding: pytesseract — a small, pure-Python, well-kept wrapper that runs the `tesseract`
program (Debian's `tesseract-ocr` with `tesseract-ocr-vie`) and parses its output; nothing to
compile, and the program's own time limit (`timeout`) stops a page that hangs. (tesserocr
needs a C build against libtesseract; OCRmyPDF writes PDFs and brings Ghostscript — more than
reading words needs.) PDF pages are rendered by pypdfium2, which pdfplumber already installs.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image

from bot.core.domain import ImportRefused
from bot.core.i18n import _, ngettext
from bot.core.importing.ocr_layout import OcrPage, OcrWord, parse_tsv
from bot.ocr.images import open_images, prepare, rules

RENDER_DPI = 300
LOW_CONFIDENCE = 55.0  # a page read worse than this is tried again after orientation detection
PACKAGES = "tesseract-ocr tesseract-ocr-vie"

Progress = Callable[[int, int], None]  # (page being read, pages to read)


@dataclass(frozen=True)
class OcrLimits:
    """Settings (NHACVIEC_OCR_MAX_PAGES, NHACVIEC_OCR_MAX_SECONDS, NHACVIEC_OCR_LANGUAGE,
    NHACVIEC_OCR_WORKERS)."""

    max_pages: int = 30
    max_seconds: float = 300.0
    language: str = "vie"
    workers: int = 2  # pages read at once, one Tesseract thread each (NHACVIEC_OCR_WORKERS)


class OcrUnavailable(ImportRefused):
    """Tesseract or its Vietnamese model is not installed: one sentence naming the packages."""


@lru_cache(maxsize=4)
def missing(language: str = "vie") -> str | None:
    """None when Tesseract can read `language`, else the sentence for the user."""
    try:
        import pytesseract

        languages = set(pytesseract.get_languages(config=""))
    except Exception:
        languages = set()
    if language in languages:
        return None
    return _(
        "Tệp là bản quét hoặc ảnh chụp, cần nhận dạng chữ (OCR) nhưng máy chủ chưa cài Tesseract: "
        "quản trị máy chủ hãy cài các gói {packages} (Debian/Ubuntu: apt-get install {packages})."
    ).format(packages=PACKAGES)


def check_pages(total: int, limits: OcrLimits) -> None:
    """Refuse a scan of more pages than the limit, with a sentence."""
    if total > limits.max_pages:
        raise ImportRefused(
            ngettext(
                "Bản quét có {n} trang, quá giới hạn nhận dạng chữ ({limit} trang). Hãy gửi bản Word hoặc PDF có lớp chữ, hoặc tách tệp.",
                "Bản quét có {n} trang, quá giới hạn nhận dạng chữ ({limit} trang). Hãy gửi bản Word hoặc PDF có lớp chữ, hoặc tách tệp.",
                total,
            ).format(n=total, limit=limits.max_pages)
        )


def read_images(images: Iterable[Image.Image], total: int, limits: OcrLimits, progress: Progress | None) -> list[OcrPage]:
    """The words of each page, in order; refuses past the page or time limit."""
    reason = missing(limits.language)
    if reason:
        raise OcrUnavailable(reason)
    check_pages(total, limits)
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # one thread per page: steadier on a shared server
    deadline = time.monotonic() + limits.max_seconds

    def read(image: Image.Image) -> OcrPage:
        return _read_page(prepare(image), limits.language, deadline, limits.max_seconds)

    pages: list[OcrPage] = []
    if limits.workers <= 1 or total <= 1:
        for number, image in enumerate(images, start=1):
            if progress is not None:
                progress(number, total)
            pages.append(read(image))
    else:
        # Tesseract runs as a program: threads overlap its pages (and the numpy straightening,
        # which releases the GIL); at most `workers` pages are rendered and waiting at once.
        with ThreadPoolExecutor(max_workers=limits.workers) as pool:
            waiting: deque[Future[OcrPage]] = deque()
            for number, image in enumerate(images, start=1):
                if progress is not None:
                    progress(number, total)
                waiting.append(pool.submit(read, image))
                if len(waiting) >= limits.workers:
                    pages.append(waiting.popleft().result())
            while waiting:
                pages.append(waiting.popleft().result())
    if sum(1 for page in pages for w in page.words if w.confidence >= LOW_CONFIDENCE and len(w.text) > 1) < 10:
        raise ImportRefused(
            _("Không đọc được chữ trong ảnh: ảnh mờ, tối hoặc chụp nghiêng. Hãy chụp thẳng, đủ sáng, rồi gửi lại.")
        )
    return pages


def _read_page(image: Image.Image, language: str, deadline: float, budget: float) -> OcrPage:
    """The words and ruled lines of one prepared page (turned first if OCR reads it poorly and
    Tesseract's orientation detection says it lies on its side or upside down)."""
    words = _tsv(image, language, deadline, budget)
    if _confidence(words) < LOW_CONFIDENCE:
        rotate = _orientation(image, deadline, budget)
        if rotate:
            turned_image = image.rotate(-rotate, expand=True, fillcolor=255)
            turned = _tsv(turned_image, language, deadline, budget)
            if _confidence(turned) > _confidence(words):
                image, words = turned_image, turned
    across, down = rules(image)
    return OcrPage(tuple(words), tuple(across), tuple(down))


def _tsv(image: Image.Image, language: str, deadline: float, budget: float) -> list[OcrWord]:
    import pytesseract

    remaining = deadline - time.monotonic()
    if remaining <= 1:
        raise ImportRefused(_("Nhận dạng chữ quá {seconds:.0f} giây, đã dừng. Hãy gửi bản Word hoặc PDF có lớp chữ, hoặc tách tệp.").format(seconds=budget))
    try:
        tsv = pytesseract.image_to_data(image, lang=language, config=f"--dpi {RENDER_DPI}", timeout=remaining)
    except RuntimeError as exc:  # pytesseract's timeout
        raise ImportRefused(_("Nhận dạng chữ quá {seconds:.0f} giây, đã dừng. Hãy gửi bản Word hoặc PDF có lớp chữ, hoặc tách tệp.").format(seconds=budget)) from exc
    except pytesseract.TesseractError as exc:
        raise ImportRefused(_("Không nhận dạng được chữ trong tệp (lỗi của Tesseract).")) from exc
    return parse_tsv(tsv)


def _orientation(image: Image.Image, deadline: float, budget: float) -> int:
    """Degrees the page is turned (0, 90, 180, 270) by Tesseract's orientation detection."""
    import pytesseract

    try:
        found = pytesseract.image_to_osd(image, output_type=pytesseract.Output.DICT, timeout=max(1.0, deadline - time.monotonic()))
    except Exception:
        return 0  # too little text to tell: keep the first reading
    return int(found.get("rotate", 0)) % 360


def _confidence(words: list[OcrWord]) -> float:
    scored = [w.confidence for w in words if w.confidence >= 0 and len(w.text) > 1]
    return sum(scored) / len(scored) if scored else 0.0


def read_image_file(data: bytes, limits: OcrLimits, progress: Progress | None = None) -> list[OcrPage]:
    """A photo or a scanned image (PNG, JPEG, TIFF; every frame of a TIFF)."""
    frames = list(open_images(data))
    return read_images(frames, len(frames), limits, progress)


def read_pdf_pages(
    data: bytes, pages: list[int], limits: OcrLimits, progress: Progress | None = None
) -> dict[int, OcrPage]:
    """The words of the given pages (1-based) of a PDF, rendered at 300 dpi."""
    if not pages:
        return {}
    words = read_images(_render(data, pages), len(pages), limits, progress)
    return dict(zip(pages, words, strict=True))


def _render(data: bytes, pages: list[int]) -> Iterator[Image.Image]:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(data)
    try:
        for number in pages:
            page = pdf[number - 1]
            yield page.render(scale=RENDER_DPI / 72, grayscale=True).to_pil()
            page.close()
    finally:
        pdf.close()
