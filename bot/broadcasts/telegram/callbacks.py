"""Callback data of the buttons of announcements. Prefixes are short: Telegram allows 64 bytes."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class BcAction(StrEnum):
    """What a BcCb button does."""

    BUTTON = "btn"
    CANCEL = "cancel"
    CSV = "csv"
    DROP = "drop"
    HOME = "home"
    LIST = "list"
    NEW = "new"
    NOW = "now"
    OPEN = "open"
    PHOTO = "photo"
    PREVIEW = "prev"
    REMOVE = "rm"
    SENT = "sent"
    SHOW = "show"
    STOP = "stop"
    TEXT = "txt"
    WORKSHOP = "ws"  # v "": choose a workshop; v its id: its "Book a seat" button


class BcCb(CallbackData, prefix="bc"):
    """An announcement: `a` the action, `id` the broadcast (0: none yet), `v` an argument."""

    a: BcAction  # home | new | open | aud | txt | photo | btn | prev | now | when | list | sent
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
