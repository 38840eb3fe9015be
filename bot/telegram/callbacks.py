"""Callback data of every button. Prefixes are short: Telegram allows 64 bytes."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class LangCb(CallbackData, prefix="lg"):
    code: str
    onboarding: bool = False


class ConsentCb(CallbackData, prefix="cs"):
    action: str  # yes | no | more | again


class YearCb(CallbackData, prefix="yr"):
    year: int  # 0: earlier than the buttons show


class BirthdayCb(CallbackData, prefix="bd"):
    had: bool


class NavCb(CallbackData, prefix="nv"):
    """Screens that need no argument."""

    to: str


class TzCb(CallbackData, prefix="tz"):
    index: int


class DeleteCb(CallbackData, prefix="dl"):
    confirm: bool


class InviteCb(CallbackData, prefix="iv"):
    action: str  # mentor | mentee | list | revoke
    id: int = 0


class PeopleCb(CallbackData, prefix="pp"):
    role: str = "all"
    page: int = 0


class PersonCb(CallbackData, prefix="pu"):
    id: int
    role: str = "all"  # the list to go back to
    page: int = 0


class SetRoleCb(CallbackData, prefix="rl"):
    id: int
    role: str
    confirmed: bool = False


class UnlinkCb(CallbackData, prefix="ul"):
    mentor: int
    youth: int
    back: int  # whose card to show afterwards


# Self-assessment


class AssessCb(CallbackData, prefix="as"):
    """A step of a self-assessment: a answer | s skip | b back | p pause | y/n mentor may read."""

    act: str
    id: int  # the assessment
    q: int  # the question's index: a button left on another question is stale
    o: int = 0  # the option's index


class StepCb(CallbackData, prefix="ns"):
    """A suggested next step of a completed assessment: tell my mentor."""

    id: int
    step: str


class MenteeResultsCb(CallbackData, prefix="mr"):
    youth: int
