"""The star (radar) chart of a self-assessment, as a small PNG for old phones and little data.

matplotlib (Agg, no display) is imported on first use only, so start-up does not pay for it,
and rendering runs in a worker thread so the event loop keeps answering other people. Its
bundled DejaVu Sans has Cyrillic, so no system font is needed.
"""

from __future__ import annotations

import asyncio
import io
import json
import math
import textwrap
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# matplotlib's global state (font cache, rcParams) is not thread-safe.
_LOCK = threading.Lock()
LABELS_KEY = "Labels"  # a PNG text chunk: the exact labels drawn, for tests and accessibility
LEGEND_KEY = "Legend"  # the same for the legend's lines, earlier one first
MAX_LEVEL = 5
SIZE_INCHES = 5.4
DPI = 100
WRAP = 14


@dataclass(frozen=True)
class Series:
    legend: str
    values: Sequence[float | None]  # one per label; None is drawn at the centre


@dataclass(frozen=True)
class Radar:
    title: str
    labels: Sequence[str]
    current: Series
    previous: Series | None = None


def render(chart: Radar) -> bytes:
    with _LOCK:
        return _render(chart)


async def render_async(chart: Radar) -> bytes:
    return await asyncio.to_thread(render, chart)


class OneAtATime:
    """At most one chart being drawn per person: taps while theirs is drawn add nothing.

    Drawing takes a thread and ~150 ms of CPU behind one lock; a person tapping "Chart" 200
    times must not put 200 drawings in front of everyone else's.
    """

    def __init__(self) -> None:
        self._busy: set[int] = set()

    def begin(self, person_id: int) -> bool:
        if person_id in self._busy:
            return False
        self._busy.add(person_id)
        return True

    def end(self, person_id: int) -> None:
        self._busy.discard(person_id)


def _closed(values: Sequence[float | None]) -> list[float]:
    points = [v if v is not None else 0.0 for v in values]
    return [*points, points[0]]


# One figure per number of domains, drawn again for each chart (under _LOCK): building the polar
# axes and their ticks was about 40 % of a chart's CPU, the same work every time.
_FIGURES: dict[int, tuple[Any, Any]] = {}


def _figure(count: int) -> tuple[Any, Any]:
    """The figure and its empty axes: grid, rings and spokes, no labels, lines or title."""
    found = _FIGURES.get(count)
    if found is not None:
        return found
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.projections.polar import PolarAxes

    angles = [2 * math.pi * i / count for i in range(count)]
    figure = Figure(figsize=(SIZE_INCHES, SIZE_INCHES), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(projection="polar")
    assert isinstance(axes, PolarAxes)
    # The first domain at the top, the others clockwise, as people read a clock.
    axes.set_theta_offset(math.pi / 2)
    axes.set_theta_direction(-1)
    axes.set_rlabel_position(0)
    axes.set_ylim(0, MAX_LEVEL)
    axes.set_yticks(range(1, MAX_LEVEL + 1))
    axes.set_yticklabels([str(n) for n in range(1, MAX_LEVEL + 1)], fontsize=7, color="#888888")
    axes.set_xticks(angles)
    axes.tick_params(axis="x", pad=14)
    axes.grid(color="#cccccc", linewidth=0.6)
    axes.spines["polar"].set_color("#cccccc")
    figure.subplots_adjust(left=0.2, right=0.8, top=0.8, bottom=0.22)
    _FIGURES[count] = figure, axes
    return figure, axes


def _render(chart: Radar) -> bytes:
    count = len(chart.labels)
    angles = [2 * math.pi * i / count for i in range(count)]
    closed_angles = [*angles, angles[0]]
    figure, axes = _figure(count)
    # The previous chart's lines, area and legend go; grid and ticks stay.
    for artist in [*axes.lines, *axes.patches]:
        artist.remove()
    if axes.get_legend() is not None:
        axes.get_legend().remove()
    axes.set_xticklabels([textwrap.fill(label, WRAP) for label in chart.labels], fontsize=9)
    if chart.previous is not None:
        axes.plot(
            closed_angles,
            _closed(chart.previous.values),
            color="#9a9a9a",
            linewidth=1.5,
            linestyle="--",
            label=chart.previous.legend,
        )
    axes.plot(
        closed_angles,
        _closed(chart.current.values),
        color="#1f6fb2",
        linewidth=2.2,
        label=chart.current.legend,
    )
    axes.fill(closed_angles, _closed(chart.current.values), color="#1f6fb2", alpha=0.18)
    axes.set_title(chart.title, fontsize=12, pad=22)
    axes.legend(loc="lower center", bbox_to_anchor=(0.5, -0.3), ncol=2, fontsize=9, frameon=False)
    out = io.BytesIO()
    figure.savefig(
        out,
        format="png",
        # No PNG "optimize": a third faster for 2 % more bytes.
        metadata={
            LABELS_KEY: json.dumps(list(chart.labels), ensure_ascii=False),
            LEGEND_KEY: json.dumps(
                [s.legend for s in (chart.previous, chart.current) if s is not None],
                ensure_ascii=False,
            ),
        },
    )
    return out.getvalue()


def png_text(data: bytes) -> dict[str, str]:
    """The text chunks of a PNG (tEXt and iTXt), e.g. the labels a chart was drawn with."""
    import zlib

    found: dict[str, str] = {}
    pos = 8
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"tEXt":
            key, _, value = body.partition(b"\0")
            found[key.decode("latin-1")] = value.decode("latin-1")
        elif kind == b"iTXt":
            key, _, rest = body.partition(b"\0")
            compressed, _method, rest = rest[0], rest[1], rest[2:]
            _language, _, rest = rest.partition(b"\0")
            _translated, _, text = rest.partition(b"\0")
            raw = zlib.decompress(text) if compressed else text
            found[key.decode("latin-1")] = raw.decode("utf-8")
        pos += 12 + length
    return found
