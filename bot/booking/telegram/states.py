"""Dialog states of workshops and counselling: only the steps that wait for typing."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class WorkshopDialog(StatesGroup):
    """Data: "id" the workshop being edited (absent: a new one) and the fields so far."""

    title = State()
    description = State()
    address = State()
    time = State()
    seats = State()
    text_title = State()
    text_description = State()


class CounsellorDialog(StatesGroup):
    name = State()
    address = State()
    hours = State()
