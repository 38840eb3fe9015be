"""Callback data of the buttons of workshops, counselling and bookings (prefixes short)."""

from __future__ import annotations

from enum import StrEnum

from bot.kit.callbacks import Payload


class WorkshopsAction(StrEnum):
    """What a WorkshopsCb button does."""

    BOOK = "book"
    CITIES = "cities"
    KINDS = "kinds"
    LIST = "list"
    OPEN = "open"
    WAIT = "wait"


class WorkshopsCb(Payload, prefix="wy"):
    """A young person's workshops: a list | open | book | wait; c the town filter, k the type."""

    a: WorkshopsAction
    id: int = 0
    p: int = 0
    c: str = ""
    k: str = ""


class AskedFrom(StrEnum):
    """Where a person was asked for their town: the screen they go back to once it is given."""

    COUNSEL = "c"
    WORKSHOPS = "w"


class TownCb(Payload, prefix="tw"):
    """The town, asked where it first matters (the workshop list, counselling): f the screen
    that asked, with the list's filters c, k and page p; key "" shows the towns, a CITIES key
    saves it and goes back there."""

    f: AskedFrom
    key: str = ""
    c: str = ""
    k: str = ""
    p: int = 0


class AnnouncedAction(StrEnum):
    """What an AnnouncedCb button does."""

    BOOK = "book"
    OPEN = "open"
    WAIT = "wait"


class AnnouncedCb(Payload, prefix="wn"):
    """A workshop from an announcement's "Book a seat" button: id the workshop, b the
    announcement (recorded on the booking). Stateless: it works as long as the message exists."""

    a: AnnouncedAction
    id: int
    b: int = 0


class CounselAction(StrEnum):
    """What a CounselCb button does."""

    COUNSELLOR_DAY = "cday"
    DAY = "day"
    MONTH = "month"
    SLOT = "slot"
    SERVICE = "svc"
    LABEL = "x"


class CounselCb(Payload, prefix="cn"):
    """Counselling: a svc | month | day | slot | x (a label); s the service; b the booking being
    moved (0: a new booking); d a day yyyymmdd; id a slot; t the town (a CITIES key or "online";
    "": not chosen yet)."""

    a: CounselAction
    s: str = ""
    b: int = 0
    d: str = ""
    id: int = 0
    t: str = ""


class BookingAction(StrEnum):
    """What a BookingCb button does."""

    CANCEL = "cancel"
    CANCEL_CONFIRMED = "cancelok"
    CALENDAR_FILE = "ics"
    LIST = "list"
    MOVE = "move"
    OPEN = "open"
    TAKE = "take"


class BookingCb(Payload, prefix="bk"):
    """My bookings: a list | open | cancel | cancelok | ics | take (an offered seat) | move."""

    a: BookingAction
    id: int = 0


class StaffWsAction(StrEnum):
    """What a StaffWsCb button does (the buttons inside the create and edit forms are the
    forms' own, aiogram-dialog's)."""

    CANCEL = "cancel"
    CANCEL_CONFIRMED = "cancelok"
    CARD = "card"
    CSV = "csv"
    EDIT = "edit"
    HOME = "home"
    NEW = "new"
    PAST = "past"
    PEOPLE = "people"


class StaffWsCb(Payload, prefix="sw"):
    """Staff workshops: a the action, id the workshop, p a page of the list."""

    a: StaffWsAction
    id: int = 0
    p: int = 0


class StaffCoAction(StrEnum):
    """What a StaffCoCb button does (the buttons inside the new counsellor, weekly hours and
    time off forms are the forms' own, aiogram-dialog's)."""

    ACTIVE = "act"
    CARD = "card"
    HOME = "home"
    HOURS = "hours"
    HOURS_REMOVE = "hx"
    LINK = "link"
    LINK_PICK = "ln"
    NEW = "new"
    OFF = "off"
    OFF_REMOVE = "ox"


class StaffCoCb(Payload, prefix="sq"):
    """Staff counselling: a the action, id a counsellor (or hours, time off); account the person
    to link (0: none), on whether the counsellor takes bookings again."""

    a: StaffCoAction
    id: int = 0
    account: int = 0
    on: bool = False


class Mark(StrEnum):
    """What a AttendCb button does."""

    UNKNOWN = "-"
    ATTENDED = "a"
    NO_SHOW = "n"


class AttendCb(Payload, prefix="at"):
    """Attendance of one booking: v a (attended) | n (no-show) | - (unknown)."""

    id: int
    v: Mark
