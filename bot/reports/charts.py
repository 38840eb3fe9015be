"""Charts as inline SVG, drawn on the server: no script, nothing fetched, readable on a phone.

Colours are presentation attributes, not style attributes: the desk's Content-Security-Policy
runs no inline style.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

ROW = 28
LABEL = 150  # the width kept for the labels on the left
WIDTH = 480


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str  # the value as the reader sees it, already formatted
    colour: str = "#1f5fbf"


def bars(title: str, items: Sequence[Bar], top: float | None = None) -> str:
    """Horizontal bars, one row each, scaled to `top` (or the largest value)."""
    if not items:
        return ""
    top = top or max((b.value for b in items), default=0) or 1
    span = WIDTH - LABEL - 60
    height = ROW * len(items) + 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet">',
        f"<title>{escape(title)}</title>",
    ]
    for i, bar in enumerate(items):
        y = 4 + i * ROW
        length = max(0.0, min(bar.value, top)) / top * span
        parts.append(
            f'<text x="{LABEL - 6}" y="{y + 17}" text-anchor="end" font-size="13" '
            f'fill="#1d2430">{escape(bar.label[:24])}</text>'
        )
        parts.append(
            f'<rect x="{LABEL}" y="{y + 4}" width="{length:.1f}" height="{ROW - 10}" rx="3" '
            f'fill="{escape(bar.colour)}"/>'
        )
        parts.append(
            f'<text x="{LABEL + length + 6:.1f}" y="{y + 17}" font-size="13" '
            f'fill="#1d2430">{escape(bar.shown)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
