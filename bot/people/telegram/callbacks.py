"""Callback data of the buttons of people. Prefixes are short: Telegram allows 64 bytes."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class LangCb(CallbackData, prefix="lg"):
    code: str
    onboarding: bool = False


class ConsentAction(StrEnum):
    """What a ConsentCb button does."""

    AGAIN = "again"
    MORE = "more"
    NO = "no"
    YES = "yes"


class ConsentCb(CallbackData, prefix="cs"):
    action: ConsentAction  # yes | no | more | again


class YearCb(CallbackData, prefix="yr"):
    year: int  # 0: earlier than the buttons show


class BirthdayCb(CallbackData, prefix="bd"):
    had: bool


class TzCb(CallbackData, prefix="tz"):
    index: int


class DeleteCb(CallbackData, prefix="dl"):
    confirm: bool


class InviteAction(StrEnum):
    """What a InviteCb button does."""

    LIST = "list"
    MENTEE = "mentee"
    MENTOR = "mentor"
    REVOKE = "revoke"


class InviteCb(CallbackData, prefix="iv"):
    action: InviteAction  # mentor | mentee | list | revoke
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


class CityCb(CallbackData, prefix="ct"):
    key: str  # "-": none


class MuteCb(CallbackData, prefix="mu"):
    muted: bool


class ProgrammeCb(CallbackData, prefix="pg"):
    id: int  # the person
    key: str = ""  # "": show the choices; "-": none


class LineAction(StrEnum):
    """What a LineCb button does."""

    WRITE = "w"  # ask for the message to send
    SEND = "s"  # send the message `msg` the person already typed


class LineCb(CallbackData, prefix="ml"):
    action: LineAction
    msg: int = 0  # the person's own message in their chat


class LineSettingCb(CallbackData, prefix="mo"):
    """Staff: the line to mentors per programme."""

    key: str = ""  # "": show the choices
    on: bool = False
