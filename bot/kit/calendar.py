"""An inline month calendar for picking a day: local month and weekday names, no past days."""

from __future__ import annotations

import calendar as cal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n.formatting import fmt_month, weekday_names
from bot.kit.callbacks import CalendarAction, CalendarCb

# A deadline or appointment more than a year ahead is not planned in a chat.
MONTHS_AHEAD = 12
_NOTHING = CalendarCb(action=CalendarAction.LABEL, day="0").pack()


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data)


def _key(day: date) -> str:
    return day.strftime("%Y%m%d")


def _add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def last_month(today: date) -> date:
    return _add_months(today.replace(day=1), MONTHS_AHEAD)


@dataclass(frozen=True)
class Picking:
    """Another feature's calendar: its own callback data, and only some days pickable."""

    day: Callable[[date], str]  # callback data of a pickable day
    month: Callable[[date], str]  # callback data that shows the month of that day
    nothing: str  # callback data of labels and blank days
    pickable: Callable[[date], bool] = lambda _day: True
    last: date | None = None  # no month after this day's


_PLANS = Picking(
    day=lambda day: CalendarCb(action=CalendarAction.DAY, day=_key(day)).pack(),
    month=lambda day: CalendarCb(action=CalendarAction.MONTH, day=_key(day)).pack(),
    nothing=_NOTHING,
)


def month(
    shown: date,
    today: date,
    locale: str,
    extra: list[list[InlineKeyboardButton]],
    picking: Picking = _PLANS,
) -> InlineKeyboardMarkup:
    """The month of `shown`; days before `today` are blank. `extra` rows go underneath.

    Days `picking` does not allow show a dot and do nothing.
    """
    end = min(last_month(today), (picking.last or last_month(today)).replace(day=1))
    first = shown.replace(day=1)
    first = min(max(first, today.replace(day=1)), max(end, today.replace(day=1)))
    previous = _add_months(first, -1)
    following = _add_months(first, 1)
    nothing = picking.nothing
    header = [
        _button("◀️", picking.month(previous))
        if first > today.replace(day=1)
        else _button(" ", nothing),
        _button(fmt_month(first, locale), nothing),
        _button("▶️", picking.month(following)) if following <= end else _button(" ", nothing),
    ]
    rows = [header, [_button(name, nothing) for name in weekday_names(locale)]]
    for week in cal.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month):
        row = []
        for day in week:
            if day.month != first.month or day < today:
                row.append(_button(" ", nothing))
            elif not picking.pickable(day):
                row.append(_button("·", nothing))
            else:
                row.append(_button(str(day.day), picking.day(day)))
        rows.append(row)
    return InlineKeyboardMarkup(inline_keyboard=rows + extra)


def parse_day(value: str, today: date) -> date | None:
    """A day from a button; None for a malformed, past or too distant one (stale or forged)."""
    try:
        day = datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        return None
    if day < today or day.replace(day=1) > last_month(today):
        return None
    return day


def parse_clock(text: str) -> time | None:
    """A typed time of day, "17:30" or "17.30"; None for anything else."""
    try:
        return datetime.strptime(text.strip().replace(".", ":"), "%H:%M").time()
    except ValueError:
        return None
