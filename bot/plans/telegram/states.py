"""Dialog states of plans: only steps that expect typing or a specific button need one."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


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
