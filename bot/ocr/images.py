"""Page images for OCR: decode, straighten, even out the light (Pillow and numpy, both already
installed with matplotlib and pdfplumber).

- A photo's EXIF orientation is applied; colour becomes grey.
- Uneven light (a phone photo's shadow) is divided out: the background is estimated by a
  large blur of the page with its text removed (a max filter), and the page divided by it.
- Skew is found by the projection profile: the angle at which the rows of ink are sharpest
  (variance of the row sums), searched over ±8° on a reduced copy, then the page rotated.
- A page still too dark, too faint or too small to read is refused with a sentence.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from bot.core.domain import ImportRefused
from bot.core.i18n import _

MAX_SKEW = 8.0  # degrees; beyond this a photo is refused, not guessed
MIN_SIDE = 600  # pixels: smaller than a phone's thumbnail cannot be read
TARGET_LONG_SIDE = 3300  # about 300 dpi for an A4 page


def open_images(data: bytes) -> Iterator[Image.Image]:
    """The frames of an image file (a multi-page TIFF has several)."""
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception as exc:
        raise ImportRefused(_("Không mở được tệp ảnh: tệp bị hỏng hoặc không phải ảnh.")) from exc
    frames = getattr(image, "n_frames", 1)
    for index in range(frames):
        image.seek(index)
        yield ImageOps.exif_transpose(image.copy())


def prepare(image: Image.Image) -> Image.Image:
    """A grey, evenly lit, straight page at about 300 dpi."""
    grey = image.convert("L")
    if min(grey.size) < MIN_SIDE:
        raise ImportRefused(_("Ảnh quá nhỏ để đọc chữ. Hãy chụp lại gần hơn, rõ nét hơn."))
    long_side = max(grey.size)
    if long_side < TARGET_LONG_SIDE * 0.6:
        scale = TARGET_LONG_SIDE / long_side
        grey = grey.resize((round(grey.width * scale), round(grey.height * scale)), Image.Resampling.LANCZOS)
    grey = even_light(grey)
    angle = skew_angle(grey)
    if angle is None:
        raise ImportRefused(
            _("Ảnh chụp nghiêng quá, không đọc được. Hãy chụp thẳng trang giấy, đủ sáng, rồi gửi lại.")
        )
    if abs(angle) >= 0.2:
        grey = grey.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    return grey


def even_light(grey: Image.Image) -> Image.Image:
    """Divide out the background light; a flat scan is left as it is."""
    small = grey.reduce(4)
    background = small.filter(ImageFilter.MaxFilter(9)).filter(ImageFilter.GaussianBlur(12))
    array = np.asarray(background, dtype=np.float32)
    if array.max() - np.percentile(array, 5) < 25:  # evenly lit already
        return grey
    background = background.resize(grey.size, Image.Resampling.BILINEAR)
    page = np.asarray(grey, dtype=np.float32)
    light = np.maximum(np.asarray(background, dtype=np.float32), 1.0)
    out = np.clip(page / light * 255.0, 0, 255).astype(np.uint8)
    return Image.fromarray(out, mode="L")


def skew_angle(grey: Image.Image) -> float | None:
    """The rotation (degrees, counter-clockwise) that makes the text lines horizontal; None when
    no angle within ±MAX_SKEW gives clear lines (a page photographed at a steep angle)."""
    small = grey.reduce(max(1, round(max(grey.size) / 1000)))
    ink = np.asarray(small, dtype=np.uint8) < 128
    if ink.mean() < 0.002:
        return 0.0  # a blank page
    image = Image.fromarray((ink * 255).astype(np.uint8), mode="L")

    def sharpness(angle: float) -> float:
        rows = np.asarray(image.rotate(angle, resample=Image.Resampling.NEAREST), dtype=np.float32).sum(axis=1)
        return float(np.var(rows))

    coarse = [a / 2 for a in range(int(-MAX_SKEW * 2), int(MAX_SKEW * 2) + 1)]
    scores = [sharpness(a) for a in coarse]
    best = coarse[int(np.argmax(scores))]
    fine = [best + a / 10 for a in range(-5, 6)]
    best = max(fine, key=sharpness)
    flat = sharpness(0.0)
    if abs(best) >= MAX_SKEW - 0.5 and sharpness(best) < 1.5 * flat:
        return None
    return best


def rules(grey: Image.Image) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]:
    """The ruled lines of a page: horizontal (y, x0, x1) and vertical (x, y0, y1), in pixels.

    A rule is a run of ink far longer than any letter's stroke (1/40 of the page's width
    across, 1/45 of its height down); runs on neighbouring rows (a rule is a few pixels thick)
    are one rule. Found on a half-size copy, with numpy's run-length arithmetic."""
    small = grey.reduce(2)
    ink = np.asarray(small, dtype=np.uint8) < 200
    height, width = ink.shape
    across = _long_runs(ink, max(20, width // 40))
    down = _long_runs(ink.T, max(20, height // 45))
    return [(2 * y, 2 * a, 2 * b) for y, a, b in across], [(2 * x, 2 * a, 2 * b) for x, a, b in down]


def _long_runs(ink: np.ndarray, length: int) -> list[tuple[int, int, int]]:
    """Runs of at least `length` ink pixels along each row, merged across neighbouring rows:
    (row, start, end)."""
    rows, width = ink.shape
    padded = np.zeros((rows, width + 2), dtype=np.int8)
    padded[:, 1:-1] = ink
    steps = np.diff(padded.ravel())
    starts = np.flatnonzero(steps == 1)
    ends = np.flatnonzero(steps == -1)
    keep = (ends - starts) >= length
    starts, ends = starts[keep], ends[keep]
    stride = width + 2
    found = sorted(zip((starts // stride).tolist(), (starts % stride).tolist(), (ends % stride - 1).tolist(), strict=True))
    merged: list[list[int]] = []  # [first row, last row, start, end]
    for row, a, b in found:
        for rule in reversed(merged[-8:]):
            if row - rule[1] <= 2 and a <= rule[3] and b >= rule[2]:
                rule[1], rule[2], rule[3] = row, min(rule[2], a), max(rule[3], b)
                break
        else:
            merged.append([row, row, a, b])
    return [((first + last) // 2, a, b) for first, last, a, b in merged]
