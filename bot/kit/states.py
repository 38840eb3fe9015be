"""FSM states. Only steps that expect typing or a specific button need one."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class Onboarding(StatesGroup):
    language = State()
    consent = State()
    year = State()
    birthday = State()


class PlanDialog(StatesGroup):
    goal_title = State()
    goal_domain = State()
    task_goal = State()
    task_title = State()
    task_owner = State()
    task_date = State()
    task_time = State()
    move_date = State()  # a mentor gives a task (or a request for more time) a new date
    rename = State()
    done_note = State()
    nudge_text = State()


class BroadcastDialog(StatesGroup):
    """Data: "bc" the broadcast id, "lang" the language of the text asked for."""

    text = State()
    photo = State()
    url = State()
