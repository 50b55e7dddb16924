"""The digest as a picture: one horizontal stacked bar per unit, split into the four states.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no display, safe in a worker
thread). The default DejaVu Sans font has every Vietnamese letter.
"""

from __future__ import annotations

import io
import textwrap

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.core.i18n import _
from bot.core.reminders.chart_svg import COLOURS, chart_units
from bot.core.reminders.digest import STATES, Digest, state_labels
from bot.core.reminders.messages import format_date


def digest_chart_png(digest: Digest, *, title: str | None = None) -> bytes:
    """PNG bytes of the four states per unit (the busiest `MAX_BARS` units, the rest summed)."""
    units = chart_units(digest)
    units.reverse()  # matplotlib draws the first bar at the bottom

    height = 1.6 + 0.45 * max(len(units), 1)
    figure = Figure(figsize=(10, height), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    labels = state_labels()
    names = [textwrap.shorten(name, 60, placeholder="…") for name, _counts in units]
    left = [0] * len(units)
    widest = max((counts.total for _name, counts in units), default=0) or 1
    for state in STATES:
        values = [getattr(counts, state) for _name, counts in units]
        bars = axes.barh(names, values, left=left, color=COLOURS[state], label=labels[state])
        for bar, value in zip(bars, values, strict=True):
            if value and value / widest >= 0.04:
                axes.text(
                    bar.get_x() + bar.get_width() / 2,
                    bar.get_y() + bar.get_height() / 2,
                    str(value),
                    ha="center",
                    va="center",
                    color="white",
                    fontsize=8,
                )
        left = [a + b for a, b in zip(left, values, strict=True)]
    if not units:
        message = _("Chưa có nhiệm vụ nào có thời hạn.")
        axes.text(0.5, 0.5, message, ha="center", va="center", transform=axes.transAxes)
        axes.set_axis_off()
    axes.set_xlabel(_("Số lượt nhiệm vụ (theo từng hạn)"))
    axes.set_title(
        title or _("Tình hình thực hiện nhiệm vụ đến ngày {today}").format(today=format_date(digest.today)),
        fontsize=11,
    )
    if units:
        axes.spines[["top", "right"]].set_visible(False)
        legend_share = min(0.6 / height, 0.4)  # about 0.6 inch for the two legend rows
        figure.legend(loc="lower center", ncol=2, fontsize=8, frameon=False)
        figure.tight_layout(rect=(0, legend_share, 1, 1))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
