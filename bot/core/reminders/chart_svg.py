"""The digest's chart as SVG text, for the dashboard (pure: a string out, no drawing library).

The same picture as the PNG of `chart.py` — one stacked bar per unit in the four states, the
busiest `MAX_BARS` units and the rest summed (`chart_units`, shared by both) — drawn by hand
because the page must stay small and fast: 25 bars are about 14 KB of SVG here, where
matplotlib's SVG of the same chart is 113 KB (its glyphs are paths).
Colours are presentation attributes, not `style=` (a strict Content-Security-Policy forbids
inline styles); every name is escaped; `<title>` elements give the numbers to screen readers
and as tooltips.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.core.i18n import _
from bot.core.reminders.digest import STATES, Digest, StateCounts, state_labels

COLOURS = {
    "done_on_time": "#2e7d32",  # green
    "done_late": "#f9a825",  # amber
    "open_on_time": "#1e88e5",  # blue
    "open_late": "#c62828",  # red
}
MAX_BARS = 25
BAR, GAP, LABEL_H = 16, 22, 14  # bar height, row pitch, the name's line above its bar


def chart_units(digest: Digest, *, limit: int = MAX_BARS) -> list[tuple[str, StateCounts]]:
    """The bars to draw: units with something counted, in the digest's order; past `limit`, the
    busiest `limit - 1` (busiest first) and one bar summing the others."""
    units = [(u.name, u.counts) for u in digest.units if u.counts.total]
    if len(units) <= limit:
        return units
    units.sort(key=lambda item: -item[1].total)
    rest = units[limit - 1 :]
    others = StateCounts(**{state: sum(getattr(c, state) for _name, c in rest) for state in STATES})
    return [*units[: limit - 1], (_("Các đơn vị khác ({count})").format(count=len(rest)), others)]


def _attr(text: str) -> str:
    return escape(text, quote=True)


def _short(name: str, limit: int = 70) -> str:
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"


def digest_chart_svg(digest: Digest, *, width: int = 360) -> str:
    """An inline `<svg>` of the four states per unit; a sentence in it when nothing is counted."""
    units = chart_units(digest)
    labels = state_labels()
    legend_rows = 2
    top = 8 + legend_rows * 18 + 6
    height = top + max(len(units), 1) * (GAP + LABEL_H) + 8
    title = _("Tình hình thực hiện theo đơn vị")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{_attr(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for i, state in enumerate(STATES):
        x, y = 8 + (i % 2) * (width // 2), 8 + (i // 2) * 18
        out.append(
            f'<rect x="{x}" y="{y + 1}" width="11" height="11" fill="{COLOURS[state]}"/>'
            f'<text x="{x + 16}" y="{y + 11}" font-size="11">{escape(labels[state])}</text>'
        )
    if not units:
        out.append(
            f'<text x="8" y="{top + 16}" font-size="14">{escape(_("Chưa có nhiệm vụ nào có thời hạn."))}</text>'
        )
    widest = max((c.total for _name, c in units), default=0) or 1
    span = width - 16 - 36  # room for the total at the end of the bar
    for row, (name, counts) in enumerate(units):
        y = top + row * (GAP + LABEL_H)
        out.append(f'<text x="8" y="{y + 11}" font-size="12">{escape(_short(name, 55))}</text>')
        out.extend(_bar(counts, x=8, y=y + LABEL_H, span=span, widest=widest, labels=labels))
    out.append("</svg>")
    return "".join(out)


def _bar(
    counts: StateCounts, *, x: int, y: int, span: int, widest: int, labels: dict[str, str]
) -> Sequence[str]:
    parts = []
    left = float(x)
    for state in STATES:
        value = getattr(counts, state)
        if not value:
            continue
        w = span * value / widest
        parts.append(
            f'<rect x="{left:.1f}" y="{y}" width="{max(w, 1):.1f}" height="{BAR}" fill="{COLOURS[state]}">'
            f"<title>{escape(labels[state])}: {value}</title></rect>"
        )
        left += w
    parts.append(f'<text x="{left + 4:.1f}" y="{y + 13}" font-size="12">{counts.total}</text>')
    return parts
