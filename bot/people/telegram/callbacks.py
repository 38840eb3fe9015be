"""Callback data of the buttons of people. Prefixes are short: Telegram allows 64 bytes."""

from __future__ import annotations

from enum import StrEnum

from bot.kit.callbacks import Payload


class LangCb(Payload, prefix="lg"):
    code: str
    onboarding: bool = False


class ConsentAction(StrEnum):
    """What a ConsentCb button does."""

    AGAIN = "again"
    MORE = "more"
    NO = "no"
    YES = "yes"


class ConsentCb(Payload, prefix="cs"):
    action: ConsentAction  # yes | no | more | again


class YearCb(Payload, prefix="yr"):
    year: int  # 0: earlier than the buttons show


class BirthdayCb(Payload, prefix="bd"):
    had: bool


class TzCb(Payload, prefix="tz"):
    index: int


class DeleteCb(Payload, prefix="dl"):
    confirm: bool


class InviteAction(StrEnum):
    """What a InviteCb button does."""

    LIST = "list"
    MENTEE = "mentee"
    MENTOR = "mentor"
    REVOKE = "revoke"


class InviteCb(Payload, prefix="iv"):
    action: InviteAction  # mentor | mentee | list | revoke
    id: int = 0


class PeopleCb(Payload, prefix="pp"):
    role: str = "all"
    page: int = 0


class PersonCb(Payload, prefix="pu"):
    id: int
    role: str = "all"  # the list to go back to
    page: int = 0


class SetRoleCb(Payload, prefix="rl"):
    id: int
    role: str
    confirmed: bool = False


class UnlinkCb(Payload, prefix="ul"):
    mentor: int
    youth: int
    back: int  # whose card to show afterwards


class CityCb(Payload, prefix="ct"):
    key: str  # "-": none


class MuteCb(Payload, prefix="mu"):
    muted: bool


class ProgrammeCb(Payload, prefix="pg"):
    id: int  # the person
    key: str = ""  # "": show the choices; "-": none


class LineAction(StrEnum):
    """What a LineCb button does."""

    WRITE = "w"  # ask for the message to send
    SEND = "s"  # send the message `msg` the person already typed


class LineCb(Payload, prefix="ml"):
    action: LineAction
    msg: int = 0  # the person's own message in their chat


class LineSettingCb(Payload, prefix="mo"):
    """Staff: the line to mentors per programme."""

    key: str = ""  # "": show the choices
    on: bool = False
