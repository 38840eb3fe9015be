"""The self-assessment chart: one figure per number of domains is drawn again for each chart."""

from __future__ import annotations

from bot.assessment.chart import LABELS_KEY, LEGEND_KEY, Radar, Series, png_text, render

SERBIAN = ["Школа и посао", "Становање", "Новац", "Здравље", "Документа", "Свакодневне вештине"]
ENGLISH = ["School and work", "Housing", "Money", "Health", "Documents", "Everyday skills"]


def test_a_chart_drawn_after_others_is_the_same_picture_as_drawn_first() -> None:
    first = Radar(
        "Самопроцена", SERBIAN, Series("сада", [3, 4, 2, 5, 1, 3]), Series("раније", [2] * 6)
    )
    alone = render(first)
    # Other charts in between: another language, no earlier series, a missing answer, fewer
    # domains. Nothing of theirs (lines, area, legend, labels, title) may stay on the figure.
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
