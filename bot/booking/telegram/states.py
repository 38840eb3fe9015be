"""Dialog states of workshops and counselling.

Workshop forms are aiogram-dialog dialogs (bot/booking/telegram/workshop_forms.py): one state per
window, in the order Back walks. Counselling still waits for typing with plain FSM states.
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


class CounsellorDialog(StatesGroup):
    name = State()
    address = State()
    hours = State()
