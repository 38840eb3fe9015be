"""Callback data shared by every feature: the menu's screens and the calendar. Each feature keeps
its own in `bot/<feature>/telegram/callbacks.py`; prefixes are short (Telegram allows 64 bytes)
and unique across all of them (tests/test_layout.py checks).
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


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


class NavCb(CallbackData, prefix="nv"):
    """Screens that need no argument."""

    to: Page


class CalendarAction(StrEnum):
    """What a CalendarCb button does."""

    DAY = "d"
    MONTH = "m"
    NO_DATE = "n"
    LABEL = "x"


class CalendarCb(CallbackData, prefix="ca"):
    action: CalendarAction  # m: show month | d: day picked | x: nothing (a label)
    day: str  # yyyymmdd
