"""Make the few scans the suite reads (tests/data/scans/), from a labelled plan of the suite.

    python benchmarks/tools/make_test_scans.py        # needs fonts-liberation2

- `qd-1627-trang-4-5.pdf`: pages 4 and 5 of qd-1627 printed and scanned at 150 dpi, JPEG 60, as
  an image-only PDF (what a scanner sends);
- `qd-1627-trang-5-anh-chup.jpg`: page 5 photographed: turned 3°, a shadow across, JPEG 70;
- `qd-1627-tron.pdf`: the published PDF's first two pages (text layer) and page 4 scanned.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks" / "tools"))

import pypdfium2  # noqa: E402
from scans import Quality, degrade, render_pages, save_pdf  # noqa: E402

PLAN = ROOT / "tests/data/plans-real/qd-1627-2025-ubnd-quang-ngai-tong-kiem-ke-tai-san"
OUT = ROOT / "tests/data/scans"


def main() -> None:
    OUT.mkdir(exist_ok=True)
    pages = render_pages(PLAN.with_suffix(".md").read_text(encoding="utf-8"), 300)
    scan = Quality(150, jpeg=60, seed=5)
    (OUT / "qd-1627-trang-4-5.pdf").write_bytes(save_pdf([degrade(p, scan) for p in pages[3:5]], 150))
    photo = degrade(pages[4], Quality(150, jpeg=70, skew=3.0, shadow=True, seed=6))
    photo.save(OUT / "qd-1627-trang-5-anh-chup.jpg", quality=70)
    mixed = pypdfium2.PdfDocument.new()
    mixed.import_pages(pypdfium2.PdfDocument(PLAN.with_suffix(".pdf").read_bytes()), [0, 1])
    mixed.import_pages(pypdfium2.PdfDocument(save_pdf([degrade(pages[3], scan)], 150)), [0])
    buffer = io.BytesIO()
    mixed.save(buffer)
    (OUT / "qd-1627-tron.pdf").write_bytes(buffer.getvalue())
    for path in sorted(OUT.iterdir()):
        print(f"{path.name}: {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
