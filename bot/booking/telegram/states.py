"""Dialog states of workshops and counselling.

Staff forms are aiogram-dialog dialogs (bot/booking/telegram/workshop_forms.py and
staff_counselling.py): one state per window, in the order Back walks.
"""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class NewWorkshop(StatesGroup):
    kind = State()
    title = State()
    description = State()
    city = State()
    address = State()
    day = State()
    start = State()
    length = State()
    seats = State()


class EditWorkshop(StatesGroup):
    menu = State()
    kind = State()
    title = State()
    description = State()
    city = State()
    address = State()
    day = State()
    start = State()
    length = State()
    seats = State()
    closes = State()
    languages = State()
    programme = State()
    text_language = State()
    text_title = State()
    text_description = State()


class NewCounsellor(StatesGroup):
    service = State()
    name = State()
    city = State()
    address = State()


class CounsellorHours(StatesGroup):
    weekday = State()
    hours = State()
    length = State()


class CounsellorTimeOff(StatesGroup):
    first = State()
    last = State()
    reason = State()
    confirm = State()
