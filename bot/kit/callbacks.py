"""Callback data shared by every feature: the menu's screens and the calendar. Each feature keeps
its own in `bot/<feature>/telegram/callbacks.py`; prefixes are short (Telegram allows 64 bytes)
and unique across all of them (tests/test_layout.py checks).

Every payload derives from `Payload`, aiogram's CallbackData with a cheaper filter. A pressed
button is offered to the registered callback handlers in turn, and aiogram's filter unpacks the
data for each: splits it, builds a pydantic object, and raises and catches an exception for every
other prefix (bench/assessment.py: 101,152 unpacks for 2,900 answers). `Payload.filter` looks at
the prefix first and unpacks a button once per press, shared by the handlers of its class; whole
routers are skipped by prefix in `bot/kit/routing.py`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar, Literal

from aiogram.filters.callback_data import CallbackData, CallbackQueryFilter
from aiogram.types import CallbackQuery
from magic_filter import MagicFilter


class Payload(CallbackData, prefix="-"):
    """The base of every callback payload here: aiogram's, with `QuickFilter` as its filter."""

    @classmethod
    def filter(cls, rule: MagicFilter | None = None) -> CallbackQueryFilter:
        return QuickFilter(callback_data=cls, rule=rule)


class QuickFilter(CallbackQueryFilter):
    """aiogram's CallbackQueryFilter, the prefix checked first and the unpacked data reused.

    The last press unpacked is kept per payload class: the handlers tried for one press are
    tried one after another, so the press they see is the one kept (checked by identity, so a
    press handled in between only costs an unpack again).
    """

    _last: ClassVar[dict[type[CallbackData], tuple[CallbackQuery, CallbackData | None]]] = {}

    async def __call__(self, query: CallbackQuery) -> Literal[False] | dict[str, Any]:
        if not isinstance(query, CallbackQuery) or not query.data:
            return False
        kind = self.callback_data
        data = query.data
        if data.partition(kind.__separator__)[0] != kind.__prefix__:
            return False
        last = self._last.get(kind)
        if last is not None and last[0] is query:
            unpacked = last[1]
        else:
            try:
                unpacked = kind.unpack(data)
            except (TypeError, ValueError):
                unpacked = None
            self._last[kind] = (query, unpacked)
        if unpacked is None:
            return False
        if self.rule is None or self.rule.resolve(unpacked):
            return {"callback_data": unpacked}
        return False


class Page(StrEnum):
    """The screens a NavCb button opens: those that need no argument."""

    AS_CHART = "as_chart"
    AS_FULL = "as_full"
    AS_GO = "as_go"
    AS_NEW = "as_new"
    AS_SHORT = "as_short"
    AS_STATS = "as_stats"
    AS_STEPS = "as_steps"
    ASSESS = "assess"
    BOOKINGS = "bookings"
    C_TODAY = "c_today"
    CITY = "city"
    COUNSEL = "counsel"
    DELETEME = "deleteme"
    HELP = "help"
    LANGUAGE = "language"
    M_ASSESS = "m_assess"
    MENTEES = "mentees"
    MENU = "menu"
    MYDATA = "mydata"
    NOTICE = "notice"
    PRIVACY = "privacy"
    PROGRESS = "progress"
    SETTINGS = "settings"
    SOS = "sos"
    SOS_YOUNG = "sos_young"  # Help now from the under-15 screen: its Back leads there again
    START = "start"
    TZ = "tz"
    WORKSHOPS = "workshops"
    YOUNG = "young"  # the under-15 screen


class NavCb(Payload, prefix="nv"):
    """Screens that need no argument."""

    to: Page


class CalendarAction(StrEnum):
    """What a CalendarCb button does."""

    DAY = "d"
    MONTH = "m"
    NO_DATE = "n"
    LABEL = "x"


class CalendarCb(Payload, prefix="ca"):
    action: CalendarAction  # m: show month | d: day picked | x: nothing (a label)
    day: str  # yyyymmdd
