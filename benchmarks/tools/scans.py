"""Make scans of clean text, as offices make them: pages rendered in a Times-like font, then
printed-and-scanned damage (resolution, JPEG, skew, speckle, a phone photo's shadow).

Used by `benchmarks/tools/learn_confusions.py` (what OCR does to Vietnamese) and the OCR benchmarks;
the suite's few committed scans were made with it too (`python benchmarks/tools/scans.py --help`).
"""

from __future__ import annotations

import argparse
import io
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.core.importing.blocks import markdown_blocks  # noqa: E402

FONTS = {
    "regular": "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
    "bold": "/usr/share/fonts/truetype/liberation2/LiberationSerif-Bold.ttf",
}


@dataclass(frozen=True)
class Quality:
    """How a page was scanned."""

    dpi: int = 200
    jpeg: int | None = None  # JPEG quality, None for lossless
    skew: float = 0.0  # degrees
    shadow: bool = False  # a phone photo: uneven light across the page
    speckle: float = 0.0  # share of pixels flipped
    seed: int = 0

    @property
    def name(self) -> str:
        parts = [f"{self.dpi}dpi"]
        if self.jpeg:
            parts.append(f"q{self.jpeg}")
        if self.skew:
            parts.append(f"skew{self.skew:g}")
        if self.shadow:
            parts.append("shadow")
        if self.speckle:
            parts.append("speckle")
        return "-".join(parts)


def printed_blocks(text: str) -> list[tuple[str, object, bool]]:
    """A plan as it would be printed: its document model's blocks (the reader's own
    `markdown_blocks`), as ("para", text, bold) and ("table", rows, False)."""
    out: list[tuple[str, object, bool]] = []
    for block in markdown_blocks(text):
        if block.kind == "table":
            out.append(("table", block.rows, False))
        else:
            out.append(("para", block.text, block.bold))
    return out


def plain_lines(text: str) -> list[tuple[str, bool]]:
    """The printed text line by line (table cells joined), for aligning with OCR output."""
    out = []
    for kind, payload, bold in printed_blocks(text):
        if kind == "table":
            out.extend(("   ".join(row), False) for row in payload)  # type: ignore[union-attr]
        else:
            out.append((str(payload), bold))
    return out


class _Pages:
    """A4 pages at 300 dpi being filled top to bottom."""

    def __init__(self, dpi: int = 300, max_pages: int | None = None) -> None:
        self.dpi, self.max_pages = dpi, max_pages
        self.width, self.height = round(8.27 * dpi), round(11.69 * dpi)
        self.size = round(13 / 72 * dpi)
        self.fonts = {k: ImageFont.truetype(v, self.size) for k, v in FONTS.items()}
        self.small = {k: ImageFont.truetype(v, round(self.size * 0.85)) for k, v in FONTS.items()}
        self.margin = round(0.8 * dpi)
        self.leading = round(self.size * 1.45)
        self.pages: list[Image.Image] = []
        self.y = self.height
        self.full = False

    def room(self, needed: int) -> bool:
        if self.y + needed > self.height - self.margin:
            if self.max_pages and len(self.pages) >= self.max_pages:
                self.full = True
                return False
            page = Image.new("L", (self.width, self.height), 255)
            self.pages.append(page)
            self.draw = ImageDraw.Draw(page)
            self.y = self.margin
        return True

    def wrap(self, text: str, width: int, font: ImageFont.FreeTypeFont) -> list[str]:
        lines, current = [], ""
        for word in text.split():
            trial = f"{current} {word}".strip()
            if current and font.getlength(trial) > width:
                lines.append(current)
                current = word
            else:
                current = trial
        return [*lines, current] if current else lines or [""]

    def paragraph(self, text: str, bold: bool) -> None:
        font = self.fonts["bold" if bold else "regular"]
        for line in self.wrap(text, self.width - 2 * self.margin, font):
            if not self.room(self.leading):
                return
            self.draw.text((self.margin, self.y), line, font=font, fill=0)
            self.y += self.leading
        self.y += self.leading // 3

    def table(self, rows: list[list[str]]) -> None:
        columns = max(len(row) for row in rows)
        rows = [row + [""] * (columns - len(row)) for row in rows]
        font = self.small["regular"]
        leading = round(self.leading * 0.85)
        weights = [max(7, min(60, max(len(row[c]) for row in rows))) ** 0.8 for c in range(columns)]
        total = self.width - 2 * self.margin
        widths = [round(total * w / sum(weights)) for w in weights]
        pad = round(self.size * 0.3)
        for row in rows:
            cells = [self.wrap(cell, max(20, width - 2 * pad), font) for cell, width in zip(row, widths, strict=True)]
            height = max(len(c) for c in cells) * leading + 2 * pad
            if not self.room(height):
                return
            x = self.margin
            for lines, width in zip(cells, widths, strict=True):
                self.draw.rectangle((x, self.y, x + width, self.y + height), outline=0, width=2)
                for i, line in enumerate(lines):
                    self.draw.text((x + pad, self.y + pad + i * leading), line, font=font, fill=0)
                x += width
            self.y += height
        self.y += self.leading // 2


def render_pages(text: str, dpi: int = 300, max_pages: int | None = None) -> list[Image.Image]:
    """A4 pages at `dpi`: 13 pt Times-like type, 2 cm margins, tables ruled."""
    pages = _Pages(dpi, max_pages)
    for kind, payload, bold in printed_blocks(text):
        if pages.full:
            break
        if kind == "table":
            pages.table(payload)  # type: ignore[arg-type]
        else:
            pages.paragraph(str(payload), bold)
    return pages.pages


def degrade(page: Image.Image, quality: Quality, source_dpi: int = 300) -> Image.Image:
    """The page as a scanner or a phone would give it."""
    rng = random.Random(quality.seed)
    image = page
    if quality.dpi != source_dpi:
        scale = quality.dpi / source_dpi
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.LANCZOS)
    if quality.skew:
        image = image.rotate(quality.skew, resample=Image.BICUBIC, expand=True, fillcolor=255)
    if quality.speckle:
        pixels = image.load()
        for _ in range(int(image.width * image.height * quality.speckle)):
            x, y = rng.randrange(image.width), rng.randrange(image.height)
            pixels[x, y] = 0 if pixels[x, y] > 128 else 255
    if quality.shadow:
        # a phone photo: light falling off smoothly from one corner (down to 45 %), a hand's
        # soft shadow across one side, and the blur of a small lens
        width, height = image.size
        y, x = np.mgrid[0:height, 0:width].astype(np.float32)
        light = 1.0 - 0.55 * ((x / width + y / height) / 2) ** 1.5
        light -= 0.25 * np.exp(-(((x - 0.85 * width) / (0.18 * width)) ** 2))
        page = np.asarray(image, dtype=np.float32) * np.clip(light, 0.3, 1.0)
        image = Image.fromarray(page.clip(0, 255).astype(np.uint8), mode="L").filter(ImageFilter.GaussianBlur(0.7))
    if quality.jpeg:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality.jpeg)
        image = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    return image


def save_pdf(images: list[Image.Image], dpi: int) -> bytes:
    """An image-only PDF (no text layer), as a scanner writes one."""
    buffer = io.BytesIO()
    rgb = [im.convert("RGB") for im in images]
    rgb[0].save(buffer, "PDF", save_all=True, append_images=rgb[1:], resolution=dpi)
    return buffer.getvalue()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description="Render a text plan as a scan (PNG/JPEG/PDF).")
    parser.add_argument("source", type=Path)
    parser.add_argument("out", type=Path, help="NAME.pdf, NAME.png or NAME.jpg (first page)")
    parser.add_argument("--dpi", type=int, default=200)
    parser.add_argument("--jpeg", type=int, default=None)
    parser.add_argument("--skew", type=float, default=0.0)
    parser.add_argument("--shadow", action="store_true")
    parser.add_argument("--pages", type=int, default=None)
    args = parser.parse_args(argv)
    pages = render_pages(args.source.read_text(encoding="utf-8"), 300, args.pages)
    quality = Quality(args.dpi, args.jpeg, args.skew, args.shadow)
    images = [degrade(p, quality) for p in pages]
    if args.out.suffix == ".pdf":
        args.out.write_bytes(save_pdf(images, args.dpi))
    else:
        images[0].save(args.out, quality=args.jpeg or 90, dpi=(args.dpi, args.dpi))
    print(f"{len(images)} page(s), {quality.name} → {args.out} ({args.out.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main(sys.argv[1:])
