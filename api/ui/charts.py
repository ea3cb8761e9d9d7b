"""A bar chart drawn on the server as inline SVG (no script, no CDN): follow-ups per month.

Each month is one stacked bar: done on time, done late, still overdue, and not yet due, with the
numbers written on the axis, and the same figures in a table next to it for screen readers.
"""

from __future__ import annotations

from dataclasses import dataclass

HEIGHT = 180
BAR = 28
GAP = 14
LEFT = 36
BOTTOM = 36
TOP = 12

# (key, label, colour): colours keep 3:1 contrast against white (WCAG 1.4.11).
SERIES = (
    ("on_time", "I tid", "#1e6b35"),
    ("late", "Sent", "#a15c00"),
    ("overdue", "Försenad, ej gjord", "#b3261e"),
    ("pending", "Ej förfallen", "#6b6b6b"),
)


@dataclass(frozen=True)
class MonthBar:
    label: str  # "dec 2026"
    on_time: int
    late: int
    overdue: int
    pending: int

    @property
    def total(self) -> int:
        return self.on_time + self.late + self.overdue + self.pending

    @property
    def share_on_time(self) -> str:
        """Follow-ups held on time of those due, as a percentage ("–" with none due)."""
        return f"{round(100 * self.on_time / self.total)} %" if self.total else "–"


def _scale(bars: list[MonthBar]) -> int:
    top = max((b.total for b in bars), default=0)
    return max(top, 1)


def bar_chart(bars: list[MonthBar], title: str) -> str:
    """The SVG markup of the stacked bars (``role="img"`` with the title as its accessible name)."""
    scale = _scale(bars)
    width = LEFT + len(bars) * (BAR + GAP) + GAP
    parts = [
        f'<svg class="chart" role="img" aria-labelledby="diagram-titel" width="{width}" '
        f'height="{HEIGHT + TOP + BOTTOM}" viewBox="0 0 {width} {HEIGHT + TOP + BOTTOM}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="diagram-titel">{title}</title>',
        f'<line x1="{LEFT}" y1="{TOP + HEIGHT}" x2="{width}" y2="{TOP + HEIGHT}" stroke="#5a5a57"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 10}" text-anchor="end">{scale}</text>',
        f'<text x="{LEFT - 6}" y="{TOP + HEIGHT}" text-anchor="end">0</text>',
    ]
    for index, bar in enumerate(bars):
        x = LEFT + GAP + index * (BAR + GAP)
        y = TOP + HEIGHT
        for key, label, colour in SERIES:
            value = getattr(bar, key)
            if not value:
                continue
            h = round(HEIGHT * value / scale)
            y -= h
            parts.append(
                f'<rect x="{x}" y="{y}" width="{BAR}" height="{h}" fill="{colour}">'
                f"<title>{bar.label}: {label.lower()} {value}</title></rect>"
            )
        if bar.total:
            parts.append(f'<text x="{x + BAR / 2}" y="{y - 3}" text-anchor="middle">{bar.total}</text>')
        month, _, year = bar.label.partition(" ")
        parts.append(f'<text x="{x + BAR / 2}" y="{TOP + HEIGHT + 14}" text-anchor="middle">{month}</text>')
        parts.append(f'<text x="{x + BAR / 2}" y="{TOP + HEIGHT + 28}" text-anchor="middle">{year}</text>')
    parts.append("</svg>")
    return "".join(parts)
