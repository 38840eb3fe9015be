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


# Plans and reminders


class PlanCb(CallbackData, prefix="pl"):
    youth: int = 0  # 0: my own plan; else a mentee's
    page: int = 0
    done: bool = False  # the done tasks unfolded


class TaskCb(CallbackData, prefix="tk"):
    id: int
    action: str  # open | done | more | skip | cancel | move


class MoreTimeCb(CallbackData, prefix="mt"):
    id: int  # the request
    days: int  # 0: no; -1: pick a date


class CalendarCb(CallbackData, prefix="ca"):
    action: str  # m: show month | d: day picked | x: nothing (a label)
    day: str  # yyyymmdd


class MenteeCb(CallbackData, prefix="me"):
    id: int
    action: str  # plan | goal | task | nudge


class DomainCb(CallbackData, prefix="gd"):
    index: int


class GoalPickCb(CallbackData, prefix="gp"):
    id: int


class OwnerCb(CallbackData, prefix="ow"):
    owner: str


class TimeCb(CallbackData, prefix="tm"):
    hhmm: str  # "-": no time


class NudgeCb(CallbackData, prefix="nu"):
    youth: int  # 0: all my young people
    preset: int  # -1: my own words


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


# Announcements and mentors' messages


class BcCb(CallbackData, prefix="bc"):
    """An announcement: `a` the action, `id` the broadcast (0: none yet), `v` an argument."""

    a: str  # home | new | open | aud | txt | photo | btn | prev | now | when | list | sent
    # | show | cancel | stop | csv | drop | rm  (rm: remove the text v, "photo" or "btn")
    id: int = 0
    v: str = ""


class AudienceCb(CallbackData, prefix="ba"):
    id: int
    k: str  # an Audience, or "menu"
    v: str = ""  # "": show the choices
    p: int = 0  # page of the mentor list


class WhenCb(CallbackData, prefix="bw"):
    """Scheduling: a day (days from today, -1: pick one), then a time (minutes, -1: pick)."""

    id: int
    d: int = -1
    m: int = -1


class CityCb(CallbackData, prefix="ct"):
    key: str  # "-": none


class MuteCb(CallbackData, prefix="mu"):
    muted: bool


class ProgrammeCb(CallbackData, prefix="pg"):
    id: int  # the person
    key: str = ""  # "": show the choices; "-": none


# Workshops, counselling and bookings


class WorkshopsCb(CallbackData, prefix="wy"):
    """A young person's workshops: a list | open | book | wait; c the town filter, k the type."""

    a: str
    id: int = 0
    p: int = 0
    c: str = ""
    k: str = ""


class CounselCb(CallbackData, prefix="cn"):
    """Counselling: a svc | month | day | slot | x (a label); s the service; b the booking being
    moved (0: a new booking); d a day yyyymmdd; id a slot."""

    a: str
    s: str = ""
    b: int = 0
    d: str = ""
    id: int = 0


class BookingCb(CallbackData, prefix="bk"):
    """My bookings: a list | open | cancel | cancelok | ics | take (an offered seat) | move."""

    a: str
    id: int = 0


class StaffWsCb(CallbackData, prefix="sw"):
    """Staff workshops: a the action, id the workshop, v an argument (a page, a field, a key)."""

    a: str
    id: int = 0
    v: str = ""


class StaffCoCb(CallbackData, prefix="sq"):
    """Staff counselling: a the action, id a counsellor (or hours, time off), v an argument."""

    a: str
    id: int = 0
    v: str = ""


class AttendCb(CallbackData, prefix="at"):
    """Attendance of one booking: v a (attended) | n (no-show) | - (unknown)."""

    id: int
    v: str
