"""Make scans of clean text, as offices make them: pages rendered in a Times-like font, then
printed-and-scanned damage (resolution, JPEG, skew, speckle, a phone photo's shadow).

Used by `tools/learn_confusions.py` (what OCR does to Vietnamese) and the OCR benchmarks;
the suite's few committed scans were made with it too (`python tools/scans.py --help`).
"""

from __future__ import annotations

import argparse
import io
import random
import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

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


def plain_lines(text: str) -> list[tuple[str, bool]]:
    """A Markdown plan as printed lines: (text, bold); tables as cells joined by spaces."""
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if re.fullmatch(r"\|?[\s:|\-]+\|?", line) and "-" in line:
            continue
        bold = line.startswith("**") or line.startswith("#")
        line = re.sub(r"^#+\s*", "", line).replace("**", "").replace("__", "")
        line = re.sub(r"(?<!\w)\*(?!\s)|(?<!\s)\*(?!\w)", "", line)
        line = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line)
        if line.startswith("|"):
            line = "   ".join(cell.strip() for cell in line.strip("|").split("|") if cell.strip())
        out.append((line, bold))
    return out


def render_pages(lines: list[tuple[str, bool]], dpi: int = 300, max_pages: int | None = None) -> list[Image.Image]:
    """A4 pages at `dpi`, 13 pt type, 2 cm margins; long lines wrap."""
    width, height = round(8.27 * dpi), round(11.69 * dpi)
    size = round(13 / 72 * dpi)
    fonts = {k: ImageFont.truetype(v, size) for k, v in FONTS.items()}
    margin = round(0.8 * dpi)
    leading = round(size * 1.45)
    chars = int((width - 2 * margin) / (size * 0.47))
    pages: list[Image.Image] = []
    page = draw = None
    y = height
    for text, bold in lines:
        wrapped = textwrap.wrap(text, chars) or [""]
        for part in wrapped:
            if y + leading > height - margin:
                if max_pages and len(pages) >= max_pages:
                    return pages
                page = Image.new("L", (width, height), 255)
                draw = ImageDraw.Draw(page)
                pages.append(page)
                y = margin
            assert draw is not None
            draw.text((margin, y), part, font=fonts["bold" if bold else "regular"], fill=0)
            y += leading
    return pages


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
        # light falling from one corner: a gradient multiplied in, and a soft blur
        gradient = Image.linear_gradient("L").resize(image.size).rotate(35, expand=False, fillcolor=255)
        shade = gradient.point(lambda v: 110 + v * 145 // 255)
        image = Image.composite(image, Image.new("L", image.size, 0), shade).filter(ImageFilter.GaussianBlur(0.6))
        image = Image.eval(image, lambda v: min(255, v + 15))
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
    parser.add_argument("--first-line", type=int, default=0, help="start at this line of the text")
    args = parser.parse_args(argv)
    lines = plain_lines(args.source.read_text(encoding="utf-8"))[args.first_line :]
    pages = render_pages(lines, 300, args.pages)
    quality = Quality(args.dpi, args.jpeg, args.skew, args.shadow)
    images = [degrade(p, quality) for p in pages]
    if args.out.suffix == ".pdf":
        args.out.write_bytes(save_pdf(images, args.dpi))
    else:
        images[0].save(args.out, quality=args.jpeg or 90, dpi=(args.dpi, args.dpi))
    print(f"{len(images)} page(s), {quality.name} → {args.out} ({args.out.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main(sys.argv[1:])
