"""The star (radar) chart of a self-assessment as inline SVG, for the desk's pages.

The bot sends the same chart as a PNG (chart.py), because Telegram shows images, not SVG. The
desk draws it here instead, as the lighter choice for an old phone: about 4 KiB of text inside
the page it already loads (the PNG of the same chart is about 14 KiB, and a second request), sharp
at any screen size and zoom, its labels real text in the reader's language; and the server spends
well under a millisecond of CPU on it, where the PNG takes ~6 ms behind a lock and a worker
thread per drawing. Colours are presentation attributes, not style attributes: the desk's
Content-Security-Policy runs no inline style.
"""

from __future__ import annotations

import math
import textwrap
from html import escape

from bot.assessment.chart import MAX_LEVEL, Radar, Series

WIDTH = 460  # room beside the circle for a 13-letter Cyrillic word at 14 px on each side
RADIUS = 100
CENTRE_X = WIDTH / 2
CENTRE_Y = 36 + 3 * 16 + RADIUS  # the title, then room for a top label of three lines
LABEL_GAP = 12
LINE = 16  # a label's line height
WRAP = 13  # characters per label line: fits beside the circle at 14 px
LEGEND_TOP = CENTRE_Y + RADIUS + 3 * LINE + 34  # below a bottom label of three lines
LEGEND_ROW = 22
CURRENT = "#1f6fb2"
EARLIER = "#7a7a7a"
GRID = "#cccccc"
INK = "#1d2430"


def _point(index: int, count: int, value: float) -> tuple[float, float]:
    """The first domain at the top, the others clockwise, as on the bot's chart."""
    angle = 2 * math.pi * index / count
    distance = RADIUS * max(0.0, min(value, MAX_LEVEL)) / MAX_LEVEL
    return CENTRE_X + distance * math.sin(angle), CENTRE_Y - distance * math.cos(angle)


def _polygon(values: list[float]) -> str:
    count = len(values)
    return " ".join(
        f"{x:.1f},{y:.1f}" for x, y in (_point(i, count, v) for i, v in enumerate(values))
    )


def _values(series: Series) -> list[float]:
    return [v if v is not None else 0.0 for v in series.values]  # a skipped domain: the centre


def _label(index: int, count: int, text: str) -> str:
    angle = 2 * math.pi * index / count
    x = CENTRE_X + (RADIUS + LABEL_GAP) * math.sin(angle)
    y = CENTRE_Y - (RADIUS + LABEL_GAP) * math.cos(angle)
    sine, cosine = math.sin(angle), math.cos(angle)
    anchor = "middle" if abs(sine) < 0.3 else ("start" if sine > 0 else "end")
    lines = textwrap.wrap(text, WRAP, break_long_words=False) or [""]
    # Above the top, the lines end at the point; below the bottom, they begin there.
    if cosine > 0.3:
        first = y - LINE * (len(lines) - 1) - 4
    elif cosine < -0.3:
        first = y + LINE - 2
    else:
        first = y - LINE * (len(lines) - 1) / 2 + 5
    spans = "".join(
        f'<tspan x="{x:.1f}" y="{first + LINE * n:.1f}">{escape(line)}</tspan>'
        for n, line in enumerate(lines)
    )
    return f'<text font-size="14" fill="{INK}" text-anchor="{anchor}">{spans}</text>'


def svg(chart: Radar, *, standalone: bool = False) -> str:
    """The chart: `chart.current` filled in blue, `chart.previous` (if any) dashed in grey.

    `standalone`: a document of its own (with the XML declaration), for the chart's own address.
    """
    count = len(chart.labels)
    legend = [s for s in (chart.previous, chart.current) if s is not None]
    height = LEGEND_TOP + LEGEND_ROW * len(legend) - 6
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n' if standalone else "",
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart star" role="img" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" width="100%" preserveAspectRatio="xMidYMin meet">',
        f"<title>{escape(chart.title)}</title>",
        f'<text x="{CENTRE_X:.0f}" y="24" font-size="17" font-weight="bold" fill="{INK}" '
        f'text-anchor="middle">{escape(chart.title)}</text>',
    ]
    if count >= 3:
        for level in range(1, MAX_LEVEL + 1):
            ring = _polygon([float(level)] * count)
            parts.append(f'<polygon points="{ring}" fill="none" stroke="{GRID}"/>')
            x, y = _point(0, count, level)
            parts.append(
                f'<text x="{x + 4:.1f}" y="{y + 12:.1f}" font-size="10" fill="#888888">'
                f"{level}</text>"
            )
        for index in range(count):
            x, y = _point(index, count, MAX_LEVEL)
            parts.append(
                f'<line x1="{CENTRE_X:.1f}" y1="{CENTRE_Y:.1f}" x2="{x:.1f}" y2="{y:.1f}" '
                f'stroke="{GRID}"/>'
            )
        if chart.previous is not None:
            parts.append(
                f'<polygon points="{_polygon(_values(chart.previous))}" fill="none" '
                f'stroke="{EARLIER}" stroke-width="2" stroke-dasharray="6 4"/>'
            )
        parts.append(
            f'<polygon points="{_polygon(_values(chart.current))}" fill="{CURRENT}" '
            f'fill-opacity="0.18" stroke="{CURRENT}" stroke-width="2.5"/>'
        )
        for index, value in enumerate(_values(chart.current)):
            x, y = _point(index, count, value)
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{CURRENT}"/>')
        parts.extend(_label(i, count, label) for i, label in enumerate(chart.labels))
    for row, series in enumerate(legend):
        y = LEGEND_TOP + LEGEND_ROW * row
        earlier = series is chart.previous
        colour = EARLIER if earlier else CURRENT
        dash = ' stroke-dasharray="6 4"' if earlier else ""
        parts.append(
            f'<line x1="{CENTRE_X - 150:.0f}" y1="{y - 5}" x2="{CENTRE_X - 120:.0f}" y2="{y - 5}" '
            f'stroke="{colour}" stroke-width="2.5"{dash}/>'
        )
        parts.append(
            f'<text x="{CENTRE_X - 110:.0f}" y="{y}" font-size="14" fill="{INK}">'
            f"{escape(series.legend)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
