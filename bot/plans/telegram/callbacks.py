"""Callback data of the buttons of plans. Prefixes are short: Telegram allows 64 bytes."""

from __future__ import annotations

from enum import StrEnum

from bot.kit.callbacks import Payload


class PlanCb(Payload, prefix="pl"):
    youth: int = 0  # 0: my own plan; else a mentee's
    page: int = 0
    done: bool = False  # the done tasks unfolded


class TaskAction(StrEnum):
    """What a TaskCb button does."""

    CANCEL = "cancel"
    CANCEL_CONFIRMED = "cancelok"
    DONE = "done"
    MORE = "more"
    MOVE = "move"
    OPEN = "open"
    RENAME = "rename"
    SKIP = "skip"


class TaskCb(Payload, prefix="tk"):
    id: int
    action: TaskAction  # open | done | more | skip | cancel | move


class MoreTimeCb(Payload, prefix="mt"):
    id: int  # the request
    days: int  # 0: no; -1: pick a date (opens a form)


class MenteeAction(StrEnum):
    """What a MenteeCb button does."""

    GOAL = "goal"
    NUDGE = "nudge"
    NUDGE_ALL = "nudgeall"
    PLAN = "plan"
    TASK = "task"


class MenteeCb(Payload, prefix="me"):
    id: int
    action: MenteeAction  # plan | goal | task | nudge


class NudgeCb(Payload, prefix="nu"):
    youth: int  # 0: all my young people
    preset: int  # -1: my own words (opens a form)
