"""The star (radar) chart of a self-assessment, as a small PNG for old phones and little data.

Drawn by hand with Pillow, not with matplotlib as before: matplotlib spent ~41-45 ms of CPU on a
chart (most of it laying out and rendering text, 9 ms encoding a 58 KiB RGB PNG), a fifth of the
bot's CPU per answer in bench/assessment.py, and its first chart imported it and numpy (~0.5 s,
+42 MiB). Here the same chart takes ~5 ms and ~14 KiB (the first one 27 ms, +5 MiB): rings,
spokes and the series are drawn at twice the size and reduced, so their edges are smooth; the
text is drawn at its final size, where FreeType's hinting keeps it sharp; and the PNG holds 8-bit
colour indexes of a fixed palette instead of 24-bit colours.

The font is the DejaVu Sans (with Cyrillic) that matplotlib ships, found without importing
matplotlib. Drawing runs in a worker thread so the event loop keeps answering other people.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import io
import json
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, PngImagePlugin

# One drawing at a time: the fonts and the palette are shared, and a drawing is short.
_LOCK = threading.Lock()
LABELS_KEY = "Labels"  # a PNG text chunk: the exact labels drawn, for tests and accessibility
LEGEND_KEY = "Legend"  # the same for the legend's lines, earlier one first
MAX_LEVEL = 5

WIDTH = 540  # pixels; the picture is as high as it needs, at most as high as wide
SCALE = 2  # shapes are drawn SCALE times larger, then reduced: their edges come out smooth
MARGIN = 8
TITLE_SIZE = 17
LABEL_SIZE = 14
LEGEND_SIZE = 14
NUMBER_SIZE = 11
LINE = 17  # a label's line height
TITLE = 32  # the title's height, and the space below it
LEGEND_ROW = 24
LEGEND_GAP = 8  # between the lowest label and the legend
LABEL_GAP = 10  # between the outer ring and a label
SIDE_WIDTH = 150  # the widest a label beside the circle may be
MIDDLE_WIDTH = 200  # the widest a label above or below the circle may be

WHITE = (255, 255, 255)
INK = (29, 36, 48)
GRID = (204, 204, 204)
NUMBERS = (120, 120, 120)
CURRENT = (31, 111, 178)
EARLIER = (128, 128, 128)
FILL_ALPHA = 0.18
FILL = tuple(round(w + (c - w) * FILL_ALPHA) for w, c in zip(WHITE, CURRENT, strict=True))
DASH, GAP = 7.0, 4.5  # the earlier series' dashes, in pixels of the final picture
KEY = 40  # a legend line's sample of its series, with the space after it
KEY_GAP = 24  # between two series on one legend line

Point = tuple[float, float]


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

    Drawing takes a thread behind one lock; a person tapping "Chart" 200 times must not put
    200 drawings in front of everyone else's.
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


@functools.cache
def _font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    spec = importlib.util.find_spec("matplotlib")  # finds the package without importing it
    assert spec is not None and spec.origin is not None, "matplotlib ships the chart's font"
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    path = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / name
    # Cyrillic and Latin need no shaping: the basic layout is enough, and cheaper than Raqm.
    return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.BASIC)


def _ramp(start: tuple[int, ...], end: tuple[int, ...], steps: int) -> list[tuple[int, ...]]:
    return [
        tuple(round(s + (e - s) * i / (steps - 1)) for s, e in zip(start, end, strict=True))
        for i in range(steps)
    ]


@functools.cache
def _palette() -> Image.Image:
    """Every colour the chart can have: each ink blended over white and over the blue area.

    A fixed palette, not an adaptive one: mapping to it is cheaper than building one for each
    picture, and every edge keeps a full ramp of shades. Pillow maps colours through a cache
    of 6 bits a channel, so shades closer than that to one kept would take white's or the
    area's place: they are left out.
    """
    grounds, inks = (WHITE, FILL), (INK, GRID, NUMBERS, CURRENT, EARLIER)
    kept: list[tuple[int, ...]] = [*grounds, *inks]
    for ground in grounds:
        for ink in inks:
            for colour in _ramp(ground, ink, 24):
                if all(max(abs(a - b) for a, b in zip(colour, k, strict=True)) > 5 for k in kept):
                    kept.append(colour)
    palette = Image.new("P", (1, 1))
    palette.putpalette([c for colour in kept[:256] for c in colour])
    return palette


def _clamped(values: Sequence[float | None]) -> list[float]:
    return [min(max(v, 0.0), MAX_LEVEL) if v is not None else 0.0 for v in values]


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Lines of at most `width` pixels, broken between words (a word longer stays whole)."""
    lines: list[str] = []
    for word in text.split():
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


@dataclass(frozen=True)
class _Label:
    lines: list[str]
    x: float  # the point the label hangs from, relative to the centre
    y: float
    anchor: str  # Pillow's horizontal anchor: l, m or r
    top: float  # the label's box, relative to the centre
    bottom: float
    left: float
    right: float


def _label(text: str, index: int, count: int, reach: float) -> _Label:
    """A label beside its spoke: left of it on the left, above it at the top, and so on."""
    font = _font(LABEL_SIZE)
    angle = 2 * math.pi * index / count
    sine, cosine = math.sin(angle), math.cos(angle)
    x, y = reach * sine, -reach * cosine
    anchor, room = "m", float(MIDDLE_WIDTH)
    if abs(sine) >= 0.3:
        anchor, room = ("l" if sine > 0 else "r"), min(SIDE_WIDTH, WIDTH / 2 - MARGIN - abs(x))
    lines = _wrap(text, font, room)
    width = max(font.getlength(line) for line in lines)
    height = LINE * len(lines)
    # Above the top, the lines end at the point; below the bottom, they begin there.
    top = y - height if cosine > 0.3 else y if cosine < -0.3 else y - height / 2
    left = {"l": x, "m": x - width / 2, "r": x - width}[anchor]
    return _Label(lines, x, y, anchor, top, top + height, left, left + width)


@dataclass(frozen=True)
class _Layout:
    radius: float
    high: float  # the circle's and its labels' top and bottom, relative to the centre
    low: float
    labels: list[_Label]


@functools.lru_cache(maxsize=32)
def _layout(labels: tuple[str, ...], room: float) -> _Layout:
    """The largest circle whose labels fit `room` pixels high and the picture's width."""
    count = len(labels)
    radius = room / 2
    while True:
        placed = [_label(text, i, count, radius + LABEL_GAP) for i, text in enumerate(labels)]
        high = min([-radius, *(p.top for p in placed)])
        low = max([radius, *(p.bottom for p in placed)])
        wide = max([radius, *(max(-p.left, p.right) for p in placed)])
        if (low - high <= room and wide <= WIDTH / 2 - MARGIN) or radius <= 60:
            return _Layout(radius, high, low, placed)
        radius -= 2


def _point(index: int, count: int, value: float, radius: float) -> Point:
    """The first domain at the top, the others clockwise, as people read a clock."""
    angle = 2 * math.pi * index / count
    distance = radius * value / MAX_LEVEL
    return distance * math.sin(angle), -distance * math.cos(angle)


def _dashes(points: list[Point], dash: float, gap: float) -> list[list[Point]]:
    """The dashes along a closed line, the pattern running on around its corners."""
    dashes: list[list[Point]] = []
    on, left = True, dash  # drawing a dash or a gap, and how much of it remains
    current = [points[0]]
    for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True):
        length = math.hypot(x1 - x0, y1 - y0)
        done = 0.0
        while length - done > left:
            done += left
            t = done / length
            point = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t)
            if on:
                current.append(point)
                dashes.append(current)
            current = [point]
            on, left = not on, dash if not on else gap
        left -= length - done
        if on:
            current.append((x1, y1))
    if on and len(current) > 1:
        dashes.append(current)
    return dashes


def _legend_width(row: Sequence[Series]) -> float:
    font = _font(LEGEND_SIZE)
    return sum(KEY + font.getlength(s.legend) for s in row) + KEY_GAP * (len(row) - 1)


def _legend_rows(chart: Radar) -> list[list[Series]]:
    """Both series on one line when they fit, one under the other when not."""
    series = [s for s in (chart.previous, chart.current) if s is not None]
    return [series] if _legend_width(series) <= WIDTH - 2 * MARGIN else [[s] for s in series]


def _shapes(chart: Radar, layout: _Layout, size: tuple[int, int], cy: float) -> Image.Image:
    """Rings, spokes and the series, drawn SCALE times larger and reduced."""
    big = Image.new("RGB", (size[0] * SCALE, size[1] * SCALE), WHITE)
    draw = ImageDraw.Draw(big, "RGBA")
    count = len(chart.labels)
    radius = layout.radius
    cx = WIDTH / 2

    def at(x: float, y: float) -> Point:
        return (cx + x) * SCALE, (cy + y) * SCALE

    for level in range(1, MAX_LEVEL + 1):
        r = radius * level / MAX_LEVEL * SCALE
        x, y = at(0, 0)
        draw.ellipse((x - r, y - r, x + r, y + r), outline=GRID, width=SCALE)
    for index in range(count):
        # Pillow rounds a wide line's edges by its direction: drawn top to bottom and left to
        # right, an upright or level spoke covers whole pixels and comes out sharp.
        ends = sorted(
            [at(0, 0), at(*_point(index, count, MAX_LEVEL, radius))], key=lambda p: (p[1], p[0])
        )
        draw.line(ends, GRID, SCALE)
    current = [
        at(*_point(i, count, v, radius)) for i, v in enumerate(_clamped(chart.current.values))
    ]
    if count >= 3:
        draw.polygon(current, fill=(*CURRENT, round(255 * FILL_ALPHA)))
    if chart.previous is not None and count >= 2:
        earlier = [
            at(*_point(i, count, v, radius)) for i, v in enumerate(_clamped(chart.previous.values))
        ]
        for dash in _dashes(earlier, DASH * SCALE, GAP * SCALE):
            draw.line(dash, EARLIER, 2 * SCALE, joint="curve")
    if count >= 2:
        draw.line([*current, current[0]], CURRENT, 3 * SCALE, joint="curve")
    dot = 2.5 * SCALE
    for x, y in current:
        draw.ellipse((x - dot, y - dot, x + dot, y + dot), fill=CURRENT)
    return big.reduce(SCALE)


def _render(chart: Radar) -> bytes:
    rows = _legend_rows(chart)
    legend = LEGEND_GAP + LEGEND_ROW * len(rows)
    layout = _layout(tuple(chart.labels), WIDTH - 2 * MARGIN - TITLE - legend)
    # As high as title, circle and legend need: the circle is as wide as its labels let it be.
    height = math.ceil(2 * MARGIN + TITLE + (layout.low - layout.high) + legend)
    cy = round(MARGIN + TITLE - layout.high)  # whole pixels: level spokes come out sharp
    image = _shapes(chart, layout, (WIDTH, height), cy)
    draw = ImageDraw.Draw(image)
    _texts(draw, chart, layout, cy)
    _legend(draw, chart, rows, cy + layout.low + LEGEND_GAP)
    info = PngImagePlugin.PngInfo()
    info.add_itxt(LABELS_KEY, json.dumps(list(chart.labels), ensure_ascii=False))
    lines = [s.legend for s in (chart.previous, chart.current) if s is not None]
    info.add_itxt(LEGEND_KEY, json.dumps(lines, ensure_ascii=False))
    out = io.BytesIO()
    # 8 bits a pixel instead of 24: a quarter of the bytes to compress and to send.
    paletted = image.quantize(palette=_palette(), dither=Image.Dither.NONE)
    paletted.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def _texts(draw: ImageDraw.ImageDraw, chart: Radar, layout: _Layout, cy: float) -> None:
    """Title, ring numbers and labels, at their final size: FreeType's hinting keeps them sharp."""
    cx = WIDTH / 2
    draw.text((cx, MARGIN), chart.title, INK, _font(TITLE_SIZE, bold=True), anchor="mt")
    for level in range(1, MAX_LEVEL + 1):
        y = cy - layout.radius * level / MAX_LEVEL
        draw.text((cx + 4, y + 2), str(level), NUMBERS, _font(NUMBER_SIZE), anchor="lt")
    for label in layout.labels:
        x = cx + {"l": label.left, "m": label.x, "r": label.right}[label.anchor]
        for n, line in enumerate(label.lines):
            middle = cy + label.top + LINE * n + LINE / 2
            draw.text((x, middle), line, INK, _font(LABEL_SIZE), anchor=label.anchor + "m")


def _legend(draw: ImageDraw.ImageDraw, chart: Radar, rows: list[list[Series]], top: float) -> None:
    font = _font(LEGEND_SIZE)
    left = (WIDTH - max(_legend_width(row) for row in rows)) / 2  # rows begin one under the other
    for n, row in enumerate(rows):
        y = top + LEGEND_ROW * n + LEGEND_ROW / 2
        x = left
        for series in row:
            if series is chart.previous:
                for start in (0, 12, 24):
                    draw.line([(x + start, y), (x + start + 7, y)], EARLIER, 2)
            else:
                draw.line([(x, y), (x + 31, y)], CURRENT, 3)
            draw.text((x + KEY, y), series.legend, INK, font, anchor="lm")
            x += KEY + font.getlength(series.legend) + KEY_GAP


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
