"""Dialog states of plans.

`PlanDialog` is a plain FSM state (the young person's note after "Done"); the mentor's forms are
aiogram-dialog dialogs (bot/plans/telegram/plan_forms.py), one states group each.
"""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class PlanDialog(StatesGroup):
    done_note = State()


class NewTask(StatesGroup):
    """A new task, and on the way a new goal when it needs one."""

    goal = State()
    goal_title = State()
    goal_domain = State()
    title = State()
    owner = State()
    day = State()
    time = State()


class MoveTask(StatesGroup):
    """A new day for a task, or for a request for more time."""

    day = State()


class RenameTask(StatesGroup):
    title = State()


class Nudge(StatesGroup):
    """A mentor's own words to one young person or all of theirs."""

    text = State()
