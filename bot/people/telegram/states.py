"""Dialog states of people: only steps that expect typing or a specific button need one."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class Onboarding(StatesGroup):
    language = State()
    consent = State()
    year = State()
    birthday = State()


class MentorLine(StatesGroup):
    writing = State()
