"""The self-assessment chart: a PNG drawn with Pillow, its labels and legend in text chunks."""

from __future__ import annotations

import io
import json

from PIL import Image, ImageChops

from bot.assessment.chart import LABELS_KEY, LEGEND_KEY, WIDTH, Radar, Series, png_text, render

SERBIAN = ["Школа и посао", "Становање", "Новац", "Здравље", "Документа", "Свакодневне вештине"]
ENGLISH = ["School and work", "Housing", "Money", "Health", "Documents", "Everyday skills"]


def test_a_chart_drawn_after_others_is_the_same_picture_as_drawn_first() -> None:
    first = Radar(
        "Самопроцена", SERBIAN, Series("сада", [3, 4, 2, 5, 1, 3]), Series("раније", [2] * 6)
    )
    alone = render(first)
    # Other charts in between: another language, no earlier series, a missing answer, fewer
    # domains. Nothing of theirs (lines, area, legend, labels, title) may stay in the picture.
    render(Radar("Self-assessment", ENGLISH, Series("now", [5, None, 1, 1, 5, 2])))
    render(Radar("Кратко", SERBIAN[:4], Series("сада", [1, 2, 3, 4])))
    assert render(first) == alone
    text = png_text(alone)
    assert text[LABELS_KEY] == '["' + '", "'.join(SERBIAN) + '"]'
    assert text[LEGEND_KEY] == '["раније", "сада"]'


def test_a_chart_without_an_earlier_assessment_has_one_series_in_its_legend() -> None:
    render(Radar("A", ENGLISH, Series("now", [1] * 6), Series("before", [2] * 6)))
    drawn = render(Radar("B", ENGLISH, Series("now", [3] * 6)))
    assert png_text(drawn)[LEGEND_KEY] == '["now"]'


BULGARIAN = [
    "Образование и обучение",
    "Работа и кариера",
    "Жилище",
    "Пари",
    "Здраве и благополучие",
    "Документи и правни въпроси",
    "Умения за ежедневието",
    "Хора, които ме подкрепят",
]


def test_long_cyrillic_labels_are_wrapped_inside_the_picture() -> None:
    drawn = render(
        Radar(
            "Самооценка",
            BULGARIAN,
            Series("сега (29.11.2026 г.)", [3.2, 4, None, 5, 1.7, 2, 3.3, 4]),
            Series("преди (1.09.2026 г.)", [2, 3, 2, 4, 2, 3, 3, 3]),
        )
    )
    picture = Image.open(io.BytesIO(drawn))
    assert picture.format == "PNG" and picture.width == WIDTH and picture.height <= WIDTH
    assert json.loads(png_text(drawn)[LABELS_KEY]) == BULGARIAN
    assert json.loads(png_text(drawn)[LEGEND_KEY]) == [
        "преди (1.09.2026 г.)",
        "сега (29.11.2026 г.)",
    ]
    # The labels beside the circle are wrapped, not cut off: nothing is drawn at the edges,
    # and the widest of them come close to the sides (the circle is as large as they allow).
    rgb = picture.convert("RGB")
    inked = ImageChops.difference(rgb, Image.new("RGB", rgb.size, "white")).getbbox()
    assert inked is not None
    left, top, right, bottom = inked
    assert 3 <= left < 30 and WIDTH - 30 < right <= WIDTH - 3
    assert top >= 3 and bottom <= rgb.height - 3
