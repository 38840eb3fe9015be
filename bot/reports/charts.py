"""Charts as inline SVG, drawn on the server: no script, nothing fetched, readable on a phone.

Colours are presentation attributes, not style attributes: the desk's Content-Security-Policy
runs no inline style.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

ROW = 44  # a label line above its bar: long names stay whole on a phone
WIDTH = 480
VALUE_ROOM = 110  # right of the longest bar, for its value


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str  # the value as the reader sees it, already formatted
    colour: str = "#1f5fbf"


def bars(title: str, items: Sequence[Bar], top: float | None = None) -> str:
    """Horizontal bars, one row each (its label above it), scaled to `top` or the largest."""
    if not items:
        return ""
    top = top or max((b.value for b in items), default=0) or 1
    span = WIDTH - VALUE_ROOM
    height = ROW * len(items) + 4
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet">',
        f"<title>{escape(title)}</title>",
    ]
    for i, bar in enumerate(items):
        y = i * ROW
        length = max(0.0, min(bar.value, top)) / top * span
        parts.append(
            f'<text x="0" y="{y + 16}" font-size="16" fill="#1d2430">{escape(bar.label)}</text>'
        )
        parts.append(
            f'<rect x="0" y="{y + 22}" width="{length:.1f}" height="16" rx="3" '
            f'fill="{escape(bar.colour)}"/>'
        )
        parts.append(
            f'<text x="{length + 6:.1f}" y="{y + 35}" font-size="15" '
            f'fill="#1d2430">{escape(bar.shown)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
